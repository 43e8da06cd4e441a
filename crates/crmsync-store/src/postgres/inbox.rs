//! AMONITION's webhook inbox on PostgreSQL: rows claimed with `FOR UPDATE SKIP LOCKED`, so any number of
//! workers in any number of processes drain one inbox side by side, each row handed to one of them at a time.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_ports::{
    Enqueued, InboxCounts, InboxItem, InboxState, NewInboxEvent, StoreError, WebhookInbox,
};
use serde_json::Value;
use sqlx::PgPool;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::BACKEND;
use crate::error::sql_error;

const COLUMNS: &str =
    "id, dedupe_key, kind, payload, state, attempts, last_error, received_at, available_at";

/// [`WebhookInbox`] on PostgreSQL (table `webhook_inbox`).
#[derive(Debug, Clone)]
pub struct PgWebhookInbox {
    pool: PgPool,
}

impl PgWebhookInbox {
    /// The inbox on `pool` (migrated with [`super::migrate`]).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn item(row: &PgRow) -> Result<InboxItem, StoreError> {
    let get = |e: sqlx::Error| sql_error(BACKEND, e);
    let state: String = row.try_get("state").map_err(get)?;
    let attempts: i32 = row.try_get("attempts").map_err(get)?;
    Ok(InboxItem {
        id: row.try_get("id").map_err(get)?,
        dedupe_key: row.try_get("dedupe_key").map_err(get)?,
        kind: row.try_get("kind").map_err(get)?,
        payload: row.try_get::<Value, _>("payload").map_err(get)?,
        state: InboxState::from_name(&state).ok_or_else(|| StoreError::Corrupt {
            what: "webhook_inbox.state",
            reason: format!("unknown state {state:?}"),
        })?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        last_error: row.try_get("last_error").map_err(get)?,
        received_at: row.try_get("received_at").map_err(get)?,
        available_at: row.try_get("available_at").map_err(get)?,
    })
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl WebhookInbox for PgWebhookInbox {
    async fn enqueue(
        &self,
        events: &[NewInboxEvent],
        at: DateTime<Utc>,
    ) -> Result<Enqueued, StoreError> {
        if events.is_empty() {
            return Ok(Enqueued::default());
        }
        let keys: Vec<&str> = events.iter().map(|e| e.dedupe_key.as_str()).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let payloads: Vec<Value> = events.iter().map(|e| e.payload.clone()).collect();
        let stored = sqlx::query(
            "INSERT INTO webhook_inbox (dedupe_key, kind, payload, received_at, available_at) \
             SELECT k, t, p, $4, $4 FROM UNNEST($1::text[], $2::text[], $3::jsonb[]) WITH ORDINALITY AS u(k, t, p, o) \
             ORDER BY o ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(&keys)
        .bind(&kinds)
        .bind(&payloads)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?
        .rows_affected();
        Ok(Enqueued {
            stored,
            duplicates: events.len() as u64 - stored,
        })
    }

    async fn claim(
        &self,
        limit: u32,
        lease: Duration,
        at: DateTime<Utc>,
    ) -> Result<Vec<InboxItem>, StoreError> {
        let until = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::hours(1));
        let sql = format!(
            "UPDATE webhook_inbox SET state = 'running', attempts = attempts + 1, locked_until = $3 \
             WHERE id IN (SELECT id FROM webhook_inbox \
               WHERE (state = 'pending' AND available_at <= $2) OR (state = 'running' AND locked_until < $2) \
               ORDER BY available_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(limit))
            .bind(at)
            .bind(until)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        let mut items = rows.iter().map(item).collect::<Result<Vec<_>, _>>()?;
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    async fn complete(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_inbox SET state = 'done', locked_until = NULL, finished_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(())
    }

    async fn fail(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_inbox SET last_error = $2, locked_until = NULL, \
             state = CASE WHEN $3::timestamptz IS NULL THEN 'dead' ELSE 'pending' END, \
             available_at = COALESCE($3, available_at), \
             finished_at = CASE WHEN $3::timestamptz IS NULL THEN now() ELSE NULL END \
             WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(retry_at)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(())
    }

    async fn list(
        &self,
        state: Option<InboxState>,
        limit: u32,
    ) -> Result<Vec<InboxItem>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM webhook_inbox WHERE ($1::text IS NULL OR state = $1) ORDER BY id DESC LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(state.map(InboxState::as_str))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        rows.iter().map(item).collect()
    }

    async fn retry(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE webhook_inbox SET state = 'pending', attempts = 0, available_at = $2, finished_at = NULL \
             WHERE id = $1 AND state IN ('dead', 'pending')",
        )
        .bind(id)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn purge(&self, before: DateTime<Utc>, dead: bool) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "DELETE FROM webhook_inbox WHERE received_at < $1 AND (state = 'done' OR ($2 AND state = 'dead'))",
        )
        .bind(before)
        .bind(dead)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?
        .rows_affected())
    }

    async fn counts(&self) -> Result<InboxCounts, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM webhook_inbox GROUP BY state")
                .fetch_all(&self.pool)
                .await
                .map_err(|e| sql_error(BACKEND, e))?;
        let mut counts = InboxCounts::default();
        for (state, n) in rows {
            match InboxState::from_name(&state) {
                Some(InboxState::Pending) => counts.pending = count(n),
                Some(InboxState::Running) => counts.running = count(n),
                Some(InboxState::Done) => counts.done = count(n),
                Some(InboxState::Dead) => counts.dead = count(n),
                None => {}
            }
        }
        Ok(counts)
    }
}
