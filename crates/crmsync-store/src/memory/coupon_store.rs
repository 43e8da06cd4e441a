//! Coupons held in memory, sharing the lock of an in-memory journal so chunks and progress change together.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::coupon::CouponFields;
use crmsync_domain::{Process, ProcessId, ProcessRecord, ProcessStatus};
use crmsync_ports::{ChunkCommit, ChunkOutcome, CouponStore, Expected, StoreError, StoredCoupon};

use super::{MemoryProcessStore, lock};

#[derive(Debug, Default)]
struct Table {
    rows: Vec<StoredCoupon>,
    by_code: HashMap<String, usize>,
    last_id: i64,
}

impl Table {
    fn insert(
        &mut self,
        fields: &CouponFields,
        codes: &[String],
        process: Option<ProcessId>,
        at: DateTime<Utc>,
    ) -> u64 {
        let mut inserted = 0;
        for code in codes {
            if self.by_code.contains_key(code) {
                continue;
            }
            self.last_id += 1;
            let id = self.last_id;
            self.by_code.insert(code.clone(), self.rows.len());
            self.rows.push(StoredCoupon {
                id,
                code: code.clone(),
                fields: fields.clone(),
                process,
                created_at: at,
            });
            inserted += 1;
        }
        inserted
    }
}

/// [`CouponStore`] in memory, bound to the [`MemoryProcessStore`] whose entries its chunks advance.
#[derive(Debug, Clone)]
pub struct MemoryCouponStore {
    processes: MemoryProcessStore,
    table: Arc<Mutex<Table>>,
}

impl MemoryCouponStore {
    /// An empty coupon table next to `processes`.
    pub fn new(processes: MemoryProcessStore) -> Self {
        Self {
            processes,
            table: Arc::default(),
        }
    }
}

#[async_trait]
impl CouponStore for MemoryCouponStore {
    async fn commit_chunk<'a>(&self, chunk: &ChunkCommit<'a>) -> Result<ChunkOutcome, StoreError> {
        self.processes.with_entries(|entries| {
            let Some(entry) = entries.get_mut(&chunk.process) else {
                return Ok(ChunkOutcome::Stale);
            };
            let current = entry.status() == ProcessStatus::Running
                && entry.attempts() == chunk.attempts
                && entry.checkpoint() == Some(chunk.expected_checkpoint);
            if !current {
                return Ok(ChunkOutcome::Stale);
            }
            let inserted =
                lock(&self.table).insert(chunk.fields, chunk.codes, Some(chunk.process), chunk.at);
            let processed = entry.processed().saturating_add(inserted);
            entry.progress(processed, None, None, chunk.at)?;
            entry.set_checkpoint(chunk.next_checkpoint.clone())?;
            Ok(ChunkOutcome::Committed { inserted })
        })
    }

    async fn end_run(&self, process: &Process, expected: Expected) -> Result<bool, StoreError> {
        self.processes
            .with_entries(|entries| match entries.get_mut(&process.id()) {
                Some(stored) if Expected::from(&*stored) == expected => {
                    let ended = process.record();
                    let kept = stored.record();
                    *stored = Process::restore(ProcessRecord {
                        status: ended.status,
                        finished_at: ended.finished_at,
                        heartbeat_at: ended.heartbeat_at,
                        last_error: ended.last_error.clone(),
                        message: ended.message.clone(),
                        ..kept.clone()
                    });
                    Ok(true)
                }
                _ => Ok(false),
            })
    }

    async fn import(&self, fields: &CouponFields, codes: &[String]) -> Result<u64, StoreError> {
        Ok(lock(&self.table).insert(fields, codes, None, Utc::now()))
    }

    async fn delete_unused(&self, process: ProcessId) -> Result<u64, StoreError> {
        let mut table = lock(&self.table);
        let before = table.rows.len();
        table.rows.retain(|c| c.process != Some(process));
        let by_code = table
            .rows
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        table.by_code = by_code;
        Ok((before - table.rows.len()) as u64)
    }

    async fn find(&self, code: &str) -> Result<Option<StoredCoupon>, StoreError> {
        let table = lock(&self.table);
        Ok(table
            .by_code
            .get(code)
            .and_then(|&i| table.rows.get(i))
            .cloned())
    }

    async fn count_by_process(&self, process: ProcessId) -> Result<u64, StoreError> {
        let table = lock(&self.table);
        Ok(table
            .rows
            .iter()
            .filter(|c| c.process == Some(process))
            .count() as u64)
    }

    async fn list_by_process(
        &self,
        process: ProcessId,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredCoupon>, StoreError> {
        let table = lock(&self.table);
        Ok(table
            .rows
            .iter()
            .filter(|c| c.process == Some(process) && c.id > after_id)
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
