//! The run journal held in memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessStatus};
use crmsync_ports::{Expected, Heartbeat, ProcessFilter, ProcessStore, StoreError};

use super::lock;

/// [`ProcessStore`] in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryProcessStore {
    entries: Arc<Mutex<BTreeMap<ProcessId, Process>>>,
}

impl MemoryProcessStore {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the entries under the journal's lock (for adapters that update an entry atomically with their
    /// own data).
    pub(crate) fn with_entries<R>(
        &self,
        f: impl FnOnce(&mut BTreeMap<ProcessId, Process>) -> R,
    ) -> R {
        f(&mut lock(&self.entries))
    }
}

#[async_trait]
impl ProcessStore for MemoryProcessStore {
    async fn create(&self, new: NewProcess) -> Result<Process, StoreError> {
        let mut entries = lock(&self.entries);
        let id = ProcessId(entries.keys().next_back().map_or(1, |last| last.0 + 1));
        let process = Process::new(id, new, Utc::now());
        entries.insert(id, process.clone());
        Ok(process)
    }

    async fn get(&self, id: ProcessId) -> Result<Option<Process>, StoreError> {
        Ok(lock(&self.entries).get(&id).cloned())
    }

    async fn save(&self, process: &Process, expected: Expected) -> Result<bool, StoreError> {
        let mut entries = lock(&self.entries);
        match entries.get_mut(&process.id()) {
            Some(stored) if Expected::from(&*stored) == expected => {
                *stored = process.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn heartbeat(&self, beat: &Heartbeat, expected: Expected) -> Result<bool, StoreError> {
        let mut entries = lock(&self.entries);
        match entries.get_mut(&beat.id) {
            Some(stored) if Expected::from(&*stored) == expected => {
                stored.progress(beat.processed, beat.total, beat.message.clone(), beat.at)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn list(&self, filter: &ProcessFilter) -> Result<Vec<Process>, StoreError> {
        let entries = lock(&self.entries);
        let matching = entries
            .values()
            .rev()
            .filter(|p| filter.kind.as_ref().is_none_or(|kind| p.kind() == kind))
            .filter(|p| filter.status.is_none_or(|status| p.status() == status))
            .take(filter.limit.map_or(usize::MAX, |limit| limit as usize))
            .cloned()
            .collect();
        Ok(matching)
    }

    async fn find_stale(
        &self,
        heartbeat_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError> {
        let entries = lock(&self.entries);
        let mut stale: Vec<Process> = entries
            .values()
            .filter(|p| p.is_stale(heartbeat_before))
            .cloned()
            .collect();
        stale.sort_by_key(|p| (p.record().heartbeat_at, p.id()));
        stale.truncate(limit as usize);
        Ok(stale)
    }

    async fn retry_candidates(
        &self,
        max_attempts: u32,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError> {
        let entries = lock(&self.entries);
        let mut failed: Vec<Process> = entries
            .values()
            .filter(|p| p.status() == ProcessStatus::Failed && p.attempts() < max_attempts)
            .cloned()
            .collect();
        failed.sort_by_key(|p| (p.record().finished_at, p.id()));
        failed.truncate(limit as usize);
        Ok(failed)
    }
}
