//! `AuditLog` on a SQL database: one `audit_log` row per state-changing call, appended, listed newest first.

use async_trait::async_trait;
use crmsync_ports::{AuditEntry, AuditFilter, AuditLog, AuditRecord, StoreError};
use sqlx::Pool;

use super::{Decodes, Dialect, Stmt, connection};
pub use crate::audit_row::AuditRow;
use crate::audit_row::{INSERT_AUDIT, LIST_AUDIT, list_params};

/// What a backend needs for the audit: rows read as [`AuditRow`].
pub trait AuditSql: Dialect + Decodes<AuditRow> {}

impl<DB> AuditSql for DB where DB: Dialect + Decodes<AuditRow> {}

/// [`AuditLog`] on the `audit_log` table of `DB`.
#[derive(Debug, Clone)]
pub struct SqlAuditLog<DB: sqlx::Database> {
    pool: Pool<DB>,
}

impl<DB: sqlx::Database> SqlAuditLog<DB> {
    /// The audit on `pool` (opened and migrated by this crate).
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl<DB: AuditSql> AuditLog for SqlAuditLog<DB> {
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut conn = connection(&self.pool).await?;
        Stmt::<DB>::new(INSERT_AUDIT)
            .bind_time(Some(entry.at))
            .bind(entry.actor.clone())
            .bind(entry.action.clone())
            .bind(entry.process.map(|p| p.0))
            .bind(entry.outcome.as_str().to_owned())
            .bind(entry.detail.clone())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let (process, limit) = list_params(filter);
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<AuditRow> = Stmt::<DB>::new(LIST_AUDIT)
            .bind(process)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(AuditRecord::try_from).collect()
    }
}
