//! Reception sync (IDENT → amoCRM): each clinic reception becomes a deal in the "primary" or "secondary"
//! pipeline, linked to the patient's contact.
//!
//! - [`plan()`] (pure) decides per reception: update a deal, create a deal for a contact, create a contact and a
//!   deal, leave it, or skip with a reason — from the link tables and the verified deals, never an API search.
//! - [`apply()`] writes a plan: intents, creates with their ids recorded at once, updates.
//! - [`refresh`] keeps the link tables true from an incremental read of amoCRM (the whole account once).
//! - [`run()`] pages through the MIS by the change cursor; [`sync_patients`] refreshes contacts.
//!
//! See `docs/reception-sync.md`.

mod apply;
mod error;
mod overlay;
mod patients;
mod plan;
mod read;
mod report;
mod run;
mod settings;

pub use apply::{apply, count_planned, skips};
pub use error::ReceptionSyncError;
pub use overlay::Overlay;
pub use patients::{PatientPlan, plan_patients, sync_patients};
pub use plan::{
    Action, BatchInput, ContactPlan, ContactRef, Decision, MatchLevel, Plan, SkipReason,
    contact_of, deal_fields, plan,
};
pub use read::{contact_links, lead_links, refresh};
pub use report::{Failure, LevelCounts, MAX_FAILURES, ReadCounts, Report, SyncMode};
pub use run::{Outcome, Ports, RunOptions, Scope, check_account, run};
pub use settings::{FieldMapping, LOST, MAX_BATCH, MAX_COMPLEX, SyncSettings, WON};

#[cfg(test)]
mod tests;
