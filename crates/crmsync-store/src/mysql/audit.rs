//! The audit table on MySQL/MariaDB.

use async_trait::async_trait;
use crmsync_ports::{AuditEntry, AuditFilter, AuditLog, AuditRecord, StoreError};
use sqlx::MySqlPool;

use super::BACKEND;
use crate::audit_row::{AuditRow, list_params};
use crate::error::sql_error;

/// [`AuditLog`] on MySQL/MariaDB.
#[derive(Debug, Clone)]
pub struct MySqlAuditLog {
    pool: MySqlPool,
}

impl MySqlAuditLog {
    /// The audit on `pool` (migrated with [`super::migrate`]).
    pub fn new(pool: MySqlPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl AuditLog for MySqlAuditLog {
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, process_id, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(entry.process.map(|p| p.0))
        .bind(entry.outcome.as_str())
        .bind(entry.detail.as_deref())
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(())
    }

    async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let (process, limit) = list_params(filter);
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, at, actor, action, process_id, outcome, detail FROM audit_log \
             WHERE (? IS NULL OR process_id = ?) ORDER BY id DESC LIMIT ?",
        )
        .bind(process)
        .bind(process)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        rows.into_iter().map(AuditRecord::try_from).collect()
    }
}
