//! `ProcessStore`: the run journal every job writes to.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessKind, ProcessStatus};

use crate::StoreError;

/// Which entries [`ProcessStore::list`] returns; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessFilter {
    /// Only this kind.
    pub kind: Option<ProcessKind>,
    /// Only this status.
    pub status: Option<ProcessStatus>,
    /// At most this many entries.
    pub limit: Option<u32>,
}

/// A running attempt's sign of life, written by [`ProcessStore::heartbeat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The entry.
    pub id: ProcessId,
    /// Units of work done.
    pub processed: u64,
    /// Units expected; `None` keeps what is stored.
    pub total: Option<u64>,
    /// Latest progress message; `None` keeps what is stored.
    pub message: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a writer believes the stored entry looks like; [`ProcessStore::save`] writes only if it still does.
///
/// Status and attempt count together identify one attempt of a run: a runner whose attempt was declared stale
/// and retried by someone else can no longer overwrite the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// Stored status.
    pub status: ProcessStatus,
    /// Stored attempt count.
    pub attempts: u32,
}

impl From<&Process> for Expected {
    fn from(process: &Process) -> Self {
        Self {
            status: process.status(),
            attempts: process.attempts(),
        }
    }
}

/// The run journal.
///
/// Entries change only through [`Process`] methods; the store persists the result with a compare-and-set on
/// [`Expected`], so two writers can never both win.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProcessStore: Send + Sync {
    /// Records a new `Pending` entry and returns it with its id.
    async fn create(&self, new: NewProcess) -> Result<Process, StoreError>;

    /// Reads one entry.
    async fn get(&self, id: ProcessId) -> Result<Option<Process>, StoreError>;

    /// Writes `process` if the stored entry still matches `expected`; `false` when it does not (or is gone).
    async fn save(&self, process: &Process, expected: Expected) -> Result<bool, StoreError>;

    /// Records a running attempt's progress and heartbeat without touching its other fields (settings,
    /// checkpoint); only if the stored entry still matches `expected`. `total: None` keeps the stored total.
    async fn heartbeat(&self, beat: &Heartbeat, expected: Expected) -> Result<bool, StoreError>;

    /// Entries matching `filter`, newest first.
    async fn list(&self, filter: &ProcessFilter) -> Result<Vec<Process>, StoreError>;

    /// `Running` entries whose last heartbeat is older than `heartbeat_before`, oldest first.
    async fn find_stale(
        &self,
        heartbeat_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError>;

    /// `Failed` entries started fewer than `max_attempts` times, those that finished first first.
    async fn retry_candidates(
        &self,
        max_attempts: u32,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError>;
}
