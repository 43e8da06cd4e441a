//! Expiring key-value pairs on SQLite.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use crmsync_ports::{KeyValueStore, StoreError};
use sqlx::SqlitePool;

use super::{BACKEND, timestamp};
use crate::error::sql_error;

/// [`KeyValueStore`] on SQLite; expired rows read as missing and are overwritten in place.
#[derive(Debug, Clone)]
pub struct SqliteKeyValueStore {
    pool: SqlitePool,
}

impl SqliteKeyValueStore {
    /// Key-value pairs on `pool` (opened with [`super::open`]).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

fn expiry(ttl: Option<Duration>) -> Result<Option<String>, StoreError> {
    ttl.map(|ttl| {
        chrono::Duration::from_std(ttl)
            .ok()
            .and_then(|ttl| Utc::now().checked_add_signed(ttl))
            .map(timestamp)
            .ok_or_else(|| StoreError::Invalid {
                field: "ttl",
                reason: format!("{ttl:?} is too long"),
            })
    })
    .transpose()
}

#[async_trait]
impl KeyValueStore for SqliteKeyValueStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM kv_entries WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)")
            .bind(key)
            .bind(timestamp(Utc::now()))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO kv_entries (key, value, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
        )
        .bind(key)
        .bind(value)
        .bind(expiry(ttl)?)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(())
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<String>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let now = timestamp(Utc::now());
        let expires_at = expiry(ttl)?;
        let result = match expected {
            None => sqlx::query(
                "INSERT INTO kv_entries (key, value, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at \
                 WHERE kv_entries.expires_at IS NOT NULL AND kv_entries.expires_at <= $4",
            )
            .bind(key)
            .bind(value)
            .bind(expires_at)
            .bind(now),
            Some(expected) => sqlx::query(
                "UPDATE kv_entries SET value = $2, expires_at = $3 \
                 WHERE key = $1 AND value = $4 AND (expires_at IS NULL OR expires_at > $5)",
            )
            .bind(key)
            .bind(value)
            .bind(expires_at)
            .bind(expected)
            .bind(now),
        }
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let deleted: Option<bool> =
            sqlx::query_scalar("DELETE FROM kv_entries WHERE key = $1 RETURNING (expires_at IS NULL OR expires_at > $2)")
                .bind(key)
                .bind(timestamp(Utc::now()))
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| sql_error(BACKEND, e))?;
        Ok(deleted.unwrap_or(false))
    }
}
