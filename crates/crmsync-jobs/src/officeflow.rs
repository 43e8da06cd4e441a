//! The office-platform sync: departments, positions, tags and per-platform user OpenIDs from
//! Officeflow into the local database, under the `officeflow:sync` lock.
//!
//! One module per part, each with a pure `plan` (unit-tested with plain values) that [`OfficeflowJob`] applies
//! in batches, one transaction per batch:
//!
//! - [`departments`]: the tree replaces the local copy;
//! - [`positions`]: add new, rename, disable vanished, re-enable returned (by platform id, or by name when the
//!   platform re-created a position), then the position–department–user rows;
//! - [`tags`]: groups, tags, members; static members as listed, dynamic ones expanded from their rule; a
//!   static and a dynamic tag with one name is a reported conflict;
//! - [`openids`]: per platform, deduplicated; an OpenID several users claim stays with the user it is bound to
//!   or is reported and bound to nobody;
//! - [`processes`]: per configured flow category (each with its own source), process instances and their task
//!   history with the engine events applied.
//!
//! [`sync`] runs the parts under the lock, each as a journaled process; [`retry_failed`] re-runs failed or
//! silent parts with the sweeper; [`officeflow_stats`] summarises the journal. Incremental runs read only what
//! changed since each part's watermark; `--all` ([`SyncMode::Full`]) reads and compares everything. A part
//! killed half-way leaves its watermark where it was, so the next run reads the same changes again and
//! converges.

pub mod attributes;
pub mod departments;
mod fetch;
mod job;
pub mod openids;
mod part;
pub mod positions;
pub mod processes;
mod report;
mod scope;
mod sync;
pub mod tags;

pub use attributes::{
    AttributeDeps, AttributeStat, IdentityStat, MARK_ATTRIBUTES_REGISTRY, MARK_USERS_ATTRIBUTES,
    attribute_stats,
};
pub use departments::{DepartmentRule, DepartmentRules, RuleAction, RuleEffect, RuleError};
pub use job::{
    JobSettings, MARK_OPENIDS_PREFIX, MARK_TAGS_STATIC, MARK_TAGS_TREE, MARK_USERS_POSITIONS,
    MARK_USERS_TAGS, OfficeflowJob, PartError, PartSettings, check_department_rules,
};
pub use part::{Part, SyncMode, UnknownPart, parse_parts};
pub use processes::{
    FlowCategory, FlowDeps, MARK_PROCESSES_PREFIX, MAX_SUB_FLOW_DEPTH, trace_instance,
};
pub use report::{CONFLICTS_LISTED, Conflict, PartReport, PartStatus, SyncReport};
pub use scope::{Scope, latest_users};
pub use sync::{
    LOCK_KEY, LockSettings, OfficeflowStats, ProgressFactory, RetryReport, SyncDeps, SyncError,
    SyncRequest, officeflow_stats, retry_failed, sync,
};

#[cfg(test)]
mod tests;
