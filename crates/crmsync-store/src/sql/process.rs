//! `ProcessStore` (the run journal) on a SQL database: one `processes` row per run.
//!
//! The statements are the same on every backend; only how a timestamp is bound differs ([`Dialect::time`]).
//! Each write is one conditional `UPDATE` on the expected status and attempt, so two writers never both win.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessStatus};
use crmsync_ports::{Expected, Heartbeat, ProcessFilter, ProcessStore, StoreError};
use serde_json::Value;
use sqlx::Pool;
use sqlx::types::Json;

use super::{Bind, Decodes, Dialect, Stmt, connection};
use crate::error::too_large;
pub use crate::process_row::ProcessRow;
use crate::process_row::{StoredCounts, process_columns};

/// What a backend needs for the journal: JSON settings and checkpoints, and rows read as [`ProcessRow`].
pub trait ProcessSql:
    Dialect + Bind<Json<Value>> + Bind<Option<Json<Value>>> + Decodes<ProcessRow>
{
}

impl<DB> ProcessSql for DB where
    DB: Dialect + Bind<Json<Value>> + Bind<Option<Json<Value>>> + Decodes<ProcessRow>
{
}

const CREATE: &str = concat!(
    "INSERT INTO processes (kind, settings, status, created_at, total) VALUES ($1, $2, 'pending', $3, $4) \
     RETURNING ",
    process_columns!()
);

const GET: &str = concat!(
    "SELECT ",
    process_columns!(),
    " FROM processes WHERE id = $1"
);

const SAVE: &str = "UPDATE processes SET settings = $2, status = $3, started_at = $4, finished_at = $5, \
     heartbeat_at = $6, processed = $7, total = $8, attempts = $9, last_error = $10, message = $11, \
     checkpoint = $12, fence = $15 WHERE id = $1 AND status = $13 AND attempts = $14";

const HEARTBEAT: &str = "UPDATE processes SET processed = $2, total = COALESCE($3, total), \
     message = COALESCE($4, message), heartbeat_at = $5 WHERE id = $1 AND status = 'running' AND attempts = $6";

const LIST: &str = concat!(
    "SELECT ",
    process_columns!(),
    " FROM processes WHERE (CAST($1 AS TEXT) IS NULL OR kind = $1) \
     AND (CAST($2 AS TEXT) IS NULL OR status = $2) ORDER BY id DESC LIMIT $3"
);

const STALE: &str = concat!(
    "SELECT ",
    process_columns!(),
    " FROM processes WHERE status = 'running' AND COALESCE(heartbeat_at, started_at, created_at) < $1 \
     ORDER BY heartbeat_at, id LIMIT $2"
);

const RETRY_CANDIDATES: &str = concat!(
    "SELECT ",
    process_columns!(),
    " FROM processes WHERE status = 'failed' AND attempts < $1 ORDER BY finished_at, id LIMIT $2"
);

/// [`ProcessStore`] on the `processes` table of `DB`.
#[derive(Debug, Clone)]
pub struct SqlProcessStore<DB: sqlx::Database> {
    pool: Pool<DB>,
}

impl<DB: sqlx::Database> SqlProcessStore<DB> {
    /// A journal on `pool` (opened and migrated by this crate).
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

impl<DB: ProcessSql> SqlProcessStore<DB> {
    async fn processes(&self, stmt: Stmt<DB>) -> Result<Vec<Process>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<ProcessRow> = stmt.fetch_all(&mut *conn).await?;
        rows.into_iter().map(Process::try_from).collect()
    }
}

fn stored_total(total: Option<u64>) -> Result<Option<i64>, StoreError> {
    total
        .map(|t| i64::try_from(t).map_err(|_| too_large("total", t)))
        .transpose()
}

#[async_trait]
impl<DB: ProcessSql> ProcessStore for SqlProcessStore<DB> {
    async fn create(&self, new: NewProcess) -> Result<Process, StoreError> {
        let total = stored_total(new.total)?;
        let mut conn = connection(&self.pool).await?;
        let row: Option<ProcessRow> = Stmt::<DB>::new(CREATE)
            .bind(new.kind.as_str().to_owned())
            .bind(Json(new.settings))
            .bind_time(Some(Utc::now()))
            .bind(total)
            .fetch_optional(&mut *conn)
            .await?;
        row.ok_or_else(|| StoreError::Corrupt {
            what: "process",
            reason: "the insert returned no row".to_owned(),
        })?
        .try_into()
    }

    async fn get(&self, id: ProcessId) -> Result<Option<Process>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let row: Option<ProcessRow> = Stmt::<DB>::new(GET)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(Process::try_from).transpose()
    }

    async fn save(&self, process: &Process, expected: Expected) -> Result<bool, StoreError> {
        let r = process.record();
        let counts = StoredCounts::of(r)?;
        let mut conn = connection(&self.pool).await?;
        let changed = Stmt::<DB>::new(SAVE)
            .bind(r.id.0)
            .bind(Json(r.settings.clone()))
            .bind(r.status.as_str().to_owned())
            .bind_time(r.started_at)
            .bind_time(r.finished_at)
            .bind_time(r.heartbeat_at)
            .bind(counts.processed)
            .bind(counts.total)
            .bind(counts.attempts)
            .bind(r.last_error.clone())
            .bind(r.message.clone())
            .bind(r.checkpoint.clone().map(Json))
            .bind(expected.status.as_str().to_owned())
            .bind(i64::from(expected.attempts))
            .bind(counts.fence)
            .execute(&mut *conn)
            .await?;
        Ok(changed == 1)
    }

    async fn heartbeat(&self, beat: &Heartbeat, expected: Expected) -> Result<bool, StoreError> {
        if expected.status != ProcessStatus::Running {
            return Ok(false);
        }
        let processed =
            i64::try_from(beat.processed).map_err(|_| too_large("processed", beat.processed))?;
        let total = stored_total(beat.total)?;
        let mut conn = connection(&self.pool).await?;
        let changed = Stmt::<DB>::new(HEARTBEAT)
            .bind(beat.id.0)
            .bind(processed)
            .bind(total)
            .bind(beat.message.clone())
            .bind_time(Some(beat.at))
            .bind(i64::from(expected.attempts))
            .execute(&mut *conn)
            .await?;
        Ok(changed == 1)
    }

    async fn list(&self, filter: &ProcessFilter) -> Result<Vec<Process>, StoreError> {
        self.processes(
            Stmt::new(LIST)
                .bind(filter.kind.as_ref().map(|k| k.as_str().to_owned()))
                .bind(filter.status.map(|s| s.as_str().to_owned()))
                .bind(filter.limit.map_or(i64::MAX, i64::from)),
        )
        .await
    }

    async fn find_stale(
        &self,
        heartbeat_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError> {
        self.processes(
            Stmt::new(STALE)
                .bind_time(Some(heartbeat_before))
                .bind(i64::from(limit)),
        )
        .await
    }

    async fn retry_candidates(
        &self,
        max_attempts: u32,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError> {
        self.processes(
            Stmt::new(RETRY_CANDIDATES)
                .bind(i64::from(max_attempts))
                .bind(i64::from(limit)),
        )
        .await
    }
}
