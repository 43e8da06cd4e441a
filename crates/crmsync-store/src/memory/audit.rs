//! The audit table held in memory.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crmsync_ports::{AuditEntry, AuditFilter, AuditLog, AuditRecord, StoreError};

use super::lock;

/// [`AuditLog`] in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryAuditLog {
    entries: Arc<Mutex<Vec<AuditRecord>>>,
}

impl MemoryAuditLog {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut entries = lock(&self.entries);
        let id = entries.last().map_or(1, |last| last.id + 1);
        entries.push(AuditRecord {
            id,
            entry: entry.clone(),
        });
        Ok(())
    }

    async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let entries = lock(&self.entries);
        Ok(entries
            .iter()
            .rev()
            .filter(|r| filter.process.is_none_or(|p| r.entry.process == Some(p)))
            .take(filter.limit.map_or(usize::MAX, |l| l as usize))
            .cloned()
            .collect())
    }
}
