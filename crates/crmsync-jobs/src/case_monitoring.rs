//! Case monitoring: keep the monitoring service watching exactly the valid case numbers on leads.
//!
//! - [`plan`] (pure) reads leads, the monitored list, the pending and overflow sets and the remembered state, and
//!   decides what to remove, keep and retrieve, and which leads get a "fix the case number" task.
//! - [`Admission`] (pure) hands out retrievals in priority order — overflow first, then pending, then new cases
//!   in lead order — while there is room under the limit, and settles the final set and the set changes.
//! - [`events`] decides which monitored cases have new events to copy into lead notes.
//! - [`run`] reads the inputs through the ports, plans, and applies the plan (or only reports it in a dry run).
//!
//! See `docs/case-monitoring.md` for the algorithm and the configuration.

mod admission;
mod apply;
mod error;
pub mod events;
mod input;
mod plan;
mod read;
mod report;
mod settings;
mod tasks;

pub use admission::{Admission, RetrieveOutcome, Settlement, Source, simulate};
pub use apply::{Outcome, Ports, dry_run_clear, run};
pub use error::CaseMonitoringError;
pub use input::{JobState, LeadCase, PlanInput, PlanOptions, RememberedTask, TaskReason};
pub use plan::{ClearPlan, InvalidLead, Plan, Removal, RemovalReason, plan, plan_clear};
pub use read::lead_case;
pub use report::{MAX_ERROR_MESSAGES, Report, Retrieved, RunMode};
pub use settings::{JobSettings, TaskSettings};
pub use tasks::{ExistingTask, TaskIntent, needs_task, reconcile};

/// The default key of the pending set (retrievals answered `accepted`).
pub const DEFAULT_PENDING_SET: &str = "cyberjustice:case:retrieve";
/// The default key of the overflow set (cases waiting for room).
pub const DEFAULT_OVERFLOW_SET: &str = "cyberjustice:case:overflow";
/// The default key of the remembered state (tasks, not-found counters, event cursors).
pub const DEFAULT_STATE_KEY: &str = "cyberjustice:casemon:state";
/// The default monitoring limit.
pub const DEFAULT_LIMIT: usize = 500;

#[cfg(test)]
mod tests;
