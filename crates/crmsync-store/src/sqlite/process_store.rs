//! The run journal on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessStatus};
use crmsync_ports::{Expected, Heartbeat, ProcessFilter, ProcessStore, StoreError};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, SqlitePool};

use super::{BACKEND, timestamp};
use crate::error::{sql_error, too_large};
use crate::process_row::{PROCESS_COLUMNS, ProcessRow, StoredCounts};

/// [`ProcessStore`] on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteProcessStore {
    pool: SqlitePool,
}

impl SqliteProcessStore {
    /// A journal on `pool` (opened with [`super::open`]).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

fn rows_to_processes(rows: Vec<ProcessRow>) -> Result<Vec<Process>, StoreError> {
    rows.into_iter().map(Process::try_from).collect()
}

#[async_trait]
impl ProcessStore for SqliteProcessStore {
    async fn create(&self, new: NewProcess) -> Result<Process, StoreError> {
        let total = new
            .total
            .map(|t| i64::try_from(t).map_err(|_| too_large("total", t)))
            .transpose()?;
        let row: ProcessRow = sqlx::query_as(AssertSqlSafe(format!(
            "INSERT INTO processes (kind, settings, status, created_at, total) VALUES ($1, $2, 'pending', $3, $4) \
             RETURNING {PROCESS_COLUMNS}"
        )))
        .bind(new.kind.as_str())
        .bind(Json(&new.settings))
        .bind(timestamp(Utc::now()))
        .bind(total)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        row.try_into()
    }

    async fn get(&self, id: ProcessId) -> Result<Option<Process>, StoreError> {
        let row: Option<ProcessRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PROCESS_COLUMNS} FROM processes WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        row.map(Process::try_from).transpose()
    }

    async fn save(&self, process: &Process, expected: Expected) -> Result<bool, StoreError> {
        let r = process.record();
        let counts = StoredCounts::of(r)?;
        let result = sqlx::query(
            "UPDATE processes SET settings = $2, status = $3, started_at = $4, finished_at = $5, heartbeat_at = $6, \
             processed = $7, total = $8, attempts = $9, last_error = $10, message = $11, checkpoint = $12, \
             fence = $15 WHERE id = $1 AND status = $13 AND attempts = $14",
        )
        .bind(r.id.0)
        .bind(Json(&r.settings))
        .bind(r.status.as_str())
        .bind(r.started_at.map(timestamp))
        .bind(r.finished_at.map(timestamp))
        .bind(r.heartbeat_at.map(timestamp))
        .bind(counts.processed)
        .bind(counts.total)
        .bind(counts.attempts)
        .bind(r.last_error.as_deref())
        .bind(r.message.as_deref())
        .bind(r.checkpoint.as_ref().map(Json))
        .bind(expected.status.as_str())
        .bind(i64::from(expected.attempts))
        .bind(counts.fence)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected() == 1)
    }

    async fn heartbeat(&self, beat: &Heartbeat, expected: Expected) -> Result<bool, StoreError> {
        if expected.status != ProcessStatus::Running {
            return Ok(false);
        }
        let processed =
            i64::try_from(beat.processed).map_err(|_| too_large("processed", beat.processed))?;
        let total = beat
            .total
            .map(|t| i64::try_from(t).map_err(|_| too_large("total", t)))
            .transpose()?;
        let result = sqlx::query(
            "UPDATE processes SET processed = $2, total = COALESCE($3, total), message = COALESCE($4, message), \
             heartbeat_at = $5 WHERE id = $1 AND status = 'running' AND attempts = $6",
        )
        .bind(beat.id.0)
        .bind(processed)
        .bind(total)
        .bind(beat.message.as_deref())
        .bind(timestamp(beat.at))
        .bind(i64::from(expected.attempts))
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected() == 1)
    }

    async fn list(&self, filter: &ProcessFilter) -> Result<Vec<Process>, StoreError> {
        let rows: Vec<ProcessRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PROCESS_COLUMNS} FROM processes \
             WHERE ($1 IS NULL OR kind = $1) AND ($2 IS NULL OR status = $2) \
             ORDER BY id DESC LIMIT $3"
        )))
        .bind(filter.kind.as_ref().map(|k| k.as_str()))
        .bind(filter.status.map(ProcessStatus::as_str))
        .bind(filter.limit.map_or(-1, i64::from))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        rows_to_processes(rows)
    }

    async fn find_stale(
        &self,
        heartbeat_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError> {
        let rows: Vec<ProcessRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PROCESS_COLUMNS} FROM processes \
             WHERE status = 'running' AND COALESCE(heartbeat_at, started_at, created_at) < $1 \
             ORDER BY heartbeat_at, id LIMIT $2"
        )))
        .bind(timestamp(heartbeat_before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        rows_to_processes(rows)
    }

    async fn retry_candidates(
        &self,
        max_attempts: u32,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError> {
        let rows: Vec<ProcessRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PROCESS_COLUMNS} FROM processes WHERE status = 'failed' AND attempts < $1 \
             ORDER BY finished_at, id LIMIT $2"
        )))
        .bind(i64::from(max_attempts))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        rows_to_processes(rows)
    }
}
