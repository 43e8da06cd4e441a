//! The run journal on MySQL/MariaDB.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessStatus};
use crmsync_ports::{Expected, Heartbeat, ProcessFilter, ProcessStore, StoreError};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, MySqlPool};

use super::BACKEND;
use crate::error::{sql_error, too_large};
use crate::process_row::{PROCESS_COLUMNS, ProcessRow, StoredCounts};

/// [`ProcessStore`] on MySQL/MariaDB.
#[derive(Debug, Clone)]
pub struct MySqlProcessStore {
    pool: MySqlPool,
}

impl MySqlProcessStore {
    /// A journal on `pool` (migrated with [`super::migrate`]).
    pub fn new(pool: MySqlPool) -> Self {
        Self { pool }
    }

    async fn select(
        &self,
        sql: String,
        bind: impl FnOnce(Query) -> Query,
    ) -> Result<Vec<Process>, StoreError> {
        let rows: Vec<ProcessRow> = bind(sqlx::query_as(AssertSqlSafe(sql)))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        rows.into_iter().map(Process::try_from).collect()
    }
}

type Query = sqlx::query::QueryAs<
    'static,
    sqlx::MySql,
    ProcessRow,
    <sqlx::MySql as sqlx::Database>::Arguments,
>;

#[async_trait]
impl ProcessStore for MySqlProcessStore {
    async fn create(&self, new: NewProcess) -> Result<Process, StoreError> {
        let total = new
            .total
            .map(|t| i64::try_from(t).map_err(|_| too_large("total", t)))
            .transpose()?;
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        let id = sqlx::query(
            "INSERT INTO processes (kind, settings, status, created_at, total) VALUES (?, ?, 'pending', ?, ?)",
        )
        .bind(new.kind.as_str())
        .bind(Json(&new.settings))
        .bind(Utc::now())
        .bind(total)
        .execute(&mut *conn)
        .await
        .map_err(|e| sql_error(BACKEND, e))?
        .last_insert_id();
        let row: ProcessRow = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PROCESS_COLUMNS} FROM processes WHERE id = ?"
        )))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        row.try_into()
    }

    async fn get(&self, id: ProcessId) -> Result<Option<Process>, StoreError> {
        let found = self
            .select(
                format!("SELECT {PROCESS_COLUMNS} FROM processes WHERE id = ?"),
                |q| q.bind(id.0),
            )
            .await?;
        Ok(found.into_iter().next())
    }

    async fn save(&self, process: &Process, expected: Expected) -> Result<bool, StoreError> {
        let r = process.record();
        let counts = StoredCounts::of(r)?;
        let result = sqlx::query(
            "UPDATE processes SET settings = ?, status = ?, started_at = ?, finished_at = ?, heartbeat_at = ?, \
             processed = ?, total = ?, attempts = ?, last_error = ?, message = ?, checkpoint = ?, fence = ? \
             WHERE id = ? AND status = ? AND attempts = ?",
        )
        .bind(Json(&r.settings))
        .bind(r.status.as_str())
        .bind(r.started_at)
        .bind(r.finished_at)
        .bind(r.heartbeat_at)
        .bind(counts.processed)
        .bind(counts.total)
        .bind(counts.attempts)
        .bind(r.last_error.as_deref())
        .bind(r.message.as_deref())
        .bind(r.checkpoint.as_ref().map(Json))
        .bind(counts.fence)
        .bind(r.id.0)
        .bind(expected.status.as_str())
        .bind(i64::from(expected.attempts))
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
            "UPDATE processes SET processed = ?, total = COALESCE(?, total), message = COALESCE(?, message), \
             heartbeat_at = ? WHERE id = ? AND status = 'running' AND attempts = ?",
        )
        .bind(processed)
        .bind(total)
        .bind(beat.message.as_deref())
        .bind(beat.at)
        .bind(beat.id.0)
        .bind(i64::from(expected.attempts))
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected() == 1)
    }

    async fn list(&self, filter: &ProcessFilter) -> Result<Vec<Process>, StoreError> {
        let kind = filter.kind.as_ref().map(|k| k.as_str().to_owned());
        let status = filter.status.map(ProcessStatus::as_str);
        self.select(
            format!(
                "SELECT {PROCESS_COLUMNS} FROM processes \
                 WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR status = ?) ORDER BY id DESC LIMIT ?"
            ),
            |q| {
                q.bind(kind.clone())
                    .bind(kind)
                    .bind(status)
                    .bind(status)
                    .bind(filter.limit.map_or(i64::MAX, i64::from))
            },
        )
        .await
    }

    async fn find_stale(
        &self,
        heartbeat_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError> {
        self.select(
            format!(
                "SELECT {PROCESS_COLUMNS} FROM processes \
                 WHERE status = 'running' AND COALESCE(heartbeat_at, started_at, created_at) < ? \
                 ORDER BY heartbeat_at, id LIMIT ?"
            ),
            |q| q.bind(heartbeat_before).bind(i64::from(limit)),
        )
        .await
    }

    async fn retry_candidates(
        &self,
        max_attempts: u32,
        limit: u32,
    ) -> Result<Vec<Process>, StoreError> {
        self.select(
            format!(
                "SELECT {PROCESS_COLUMNS} FROM processes WHERE status = 'failed' AND attempts < ? \
                 ORDER BY finished_at, id LIMIT ?"
            ),
            |q| q.bind(i64::from(max_attempts)).bind(i64::from(limit)),
        )
        .await
    }
}
