//! Why a generation step did not happen.

use crmsync_domain::coupon::SettingsErrors;
use crmsync_domain::{ProcessId, ProcessStatus, TransitionError};
use crmsync_ports::StoreError;

/// An error of the coupon generation job.
#[derive(Debug, thiserror::Error)]
pub enum CouponError {
    /// The settings were rejected; nothing was recorded.
    #[error("{0}")]
    Settings(#[from] SettingsErrors),
    /// No journal entry has this id.
    #[error("process {id} does not exist")]
    NotFound {
        /// The id asked for.
        id: ProcessId,
    },
    /// The entry is another job's run.
    #[error("process {id} is a `{kind}` run, not a coupon generation")]
    WrongKind {
        /// The entry.
        id: ProcessId,
        /// Its kind.
        kind: String,
    },
    /// Steps and finishing need a running generation.
    #[error("process {id} is {status}; only a running generation can {action}")]
    NotRunning {
        /// The entry.
        id: ProcessId,
        /// Its status.
        status: ProcessStatus,
        /// What was asked (`take a step`, `finish`).
        action: &'static str,
    },
    /// Finishing needs every code generated.
    #[error("process {id} is still in progress: {processed} of {total} codes generated")]
    InProgress {
        /// The entry.
        id: ProcessId,
        /// Codes generated.
        processed: u64,
        /// Codes requested.
        total: u64,
    },
    /// Only pending, failed and running runs can be resumed.
    #[error("process {id} is {status} and cannot be resumed")]
    NotResumable {
        /// The entry.
        id: ProcessId,
        /// Its status.
        status: ProcessStatus,
    },
    /// Another runner advanced or ended the run since it was read; nothing was written.
    #[error("process {id} was advanced or ended by another runner; read its state and try again")]
    Conflict {
        /// The entry.
        id: ProcessId,
    },
    /// The template's codes ran out before the count was reached; the run was aborted with this report.
    #[error(
        "process {id}: only {generated} of {requested} codes could be generated: all {capacity} codes of the \
         template were tried and {collisions} already existed as coupons"
    )]
    Exhausted {
        /// The entry.
        id: ProcessId,
        /// Codes generated (all that were possible).
        generated: u64,
        /// Codes requested.
        requested: u64,
        /// Distinct codes of the template.
        capacity: String,
        /// Codes that collided with existing coupons.
        collisions: u64,
    },
    /// A stop was asked for; the run is journaled `Failed` and resumes from its last chunk.
    #[error(
        "process {id} was interrupted ({reason}) after {processed} codes; resume it to continue"
    )]
    Interrupted {
        /// The entry.
        id: ProcessId,
        /// Why (`SIGINT`, `SIGTERM`).
        reason: String,
        /// Codes generated so far.
        processed: u64,
    },
    /// The stored settings or checkpoint cannot be read.
    #[error("process {id} is corrupt: {reason}")]
    Corrupt {
        /// The entry.
        id: ProcessId,
        /// What is wrong.
        reason: String,
    },
    /// The operating system's random source failed.
    #[error("no permutation key could be drawn from the operating system: {0}")]
    Random(String),
    /// The journal or the coupon table failed.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// A journal transition was refused.
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

impl CouponError {
    /// Whether the caller asked for something impossible (bad settings, unknown or unsuitable process), as
    /// opposed to a failure of the run or of the storage.
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            Self::Settings(_)
                | Self::NotFound { .. }
                | Self::WrongKind { .. }
                | Self::NotRunning { .. }
                | Self::InProgress { .. }
                | Self::NotResumable { .. }
        )
    }
}
