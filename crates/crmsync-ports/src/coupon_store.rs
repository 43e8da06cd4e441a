//! `CouponStore`: generated coupons, written chunk by chunk together with their run's journal progress.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::coupon::{CouponFields, CouponSettings, SettingsError};
use crmsync_domain::{Process, ProcessId};
use serde_json::Value;

use crate::{Expected, StoreError};

/// One chunk of a generation run: codes to insert and the journal update that goes with them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkCommit<'a> {
    /// The generating run.
    pub process: ProcessId,
    /// The attempt the writer runs; the chunk is written only while the entry is `Running` with this count.
    pub attempts: u32,
    /// The checkpoint the writer read; the chunk is written only while the entry still holds it, so two writers
    /// can never both write the chunk that follows it.
    pub expected_checkpoint: &'a Value,
    /// The checkpoint stored with the chunk.
    pub next_checkpoint: &'a Value,
    /// What every coupon of the run carries.
    pub fields: &'a CouponFields,
    /// The codes, distinct; those already in the table (from any run) are skipped.
    pub codes: &'a [String],
    /// Stored as the entry's heartbeat and the coupons' creation time.
    pub at: DateTime<Utc>,
}

/// What [`CouponStore::commit_chunk`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// The codes not yet in the table were inserted, the entry's `processed` grew by `inserted` and its
    /// checkpoint became the next one — all in one transaction.
    Committed {
        /// Codes inserted; the others collided with existing coupons.
        inserted: u64,
    },
    /// The entry is no longer the running attempt with the expected checkpoint; nothing was written.
    Stale,
}

/// A stored coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCoupon {
    /// Store-assigned id; increases in insertion order.
    pub id: i64,
    /// The code customers type.
    pub code: String,
    /// Discount, type, activity, limits and description.
    pub fields: CouponFields,
    /// The run that generated it (`None` for imported coupons).
    pub process: Option<ProcessId>,
    /// When it was inserted.
    pub created_at: DateTime<Utc>,
}

/// Coupons with a unique code.
///
/// Adapters share the database of a [`ProcessStore`](crate::ProcessStore): a chunk and its journal progress are
/// written in the same transaction, so a run that is killed at any point resumes with the exact count.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CouponStore: Send + Sync {
    /// Inserts a chunk of a running generation and advances its journal entry, atomically; see [`ChunkCommit`].
    async fn commit_chunk<'a>(&self, chunk: &ChunkCommit<'a>) -> Result<ChunkOutcome, StoreError>;

    /// Ends a generation run: writes the status, finish time, heartbeat, last error and message of `process` if
    /// the stored entry still matches `expected`; `false` otherwise. Progress and checkpoint are left as stored —
    /// only chunks write them — so ending a run can never undo a chunk another runner committed meanwhile.
    async fn end_run(&self, process: &Process, expected: Expected) -> Result<bool, StoreError>;

    /// The target's own limits on `settings` whose codes have `code_chars` characters, checked before a run
    /// starts (a shop's table: the discount exists, codes fit its column); each rejection names its setting.
    async fn check_settings(
        &self,
        settings: &CouponSettings,
        code_chars: usize,
    ) -> Result<Vec<SettingsError>, StoreError> {
        let _ = (settings, code_chars);
        Ok(Vec::new())
    }

    /// Inserts coupons that belong to no run (imported or made by hand); returns how many were new.
    async fn import(&self, fields: &CouponFields, codes: &[String]) -> Result<u64, StoreError>;

    /// Deletes the coupons of `process` that were never used; returns how many. A table that records use (Bitrix's
    /// `USE_COUNT`) keeps the used ones; crmsync's own table records no use, so every coupon of the run goes.
    async fn delete_unused(&self, process: ProcessId) -> Result<u64, StoreError>;

    /// The coupon with `code`.
    async fn find(&self, code: &str) -> Result<Option<StoredCoupon>, StoreError>;

    /// How many coupons `process` generated.
    async fn count_by_process(&self, process: ProcessId) -> Result<u64, StoreError>;

    /// Up to `limit` coupons of `process` with an id above `after_id`, in id order (keyset paging).
    async fn list_by_process(
        &self,
        process: ProcessId,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredCoupon>, StoreError>;
}
