//! The audit table on SQLite.

use async_trait::async_trait;
use crmsync_ports::{AuditEntry, AuditFilter, AuditLog, AuditRecord, StoreError};
use sqlx::SqlitePool;

use super::BACKEND;
use crate::audit_row::{AuditRow, INSERT_AUDIT, LIST_AUDIT, list_params};
use crate::error::sql_error;

/// [`AuditLog`] on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteAuditLog {
    pool: SqlitePool,
}

impl SqliteAuditLog {
    /// The audit on `pool` (opened with [`super::open`]).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl AuditLog for SqliteAuditLog {
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(INSERT_AUDIT)
            .bind(super::timestamp(entry.at))
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
        let rows: Vec<AuditRow> = sqlx::query_as(LIST_AUDIT)
            .bind(process)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        rows.into_iter().map(AuditRecord::try_from).collect()
    }
}
