//! Expiring key-value pairs on PostgreSQL.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_ports::{KeyValueStore, StoreError};
use sqlx::PgPool;

use super::BACKEND;
use crate::error::sql_error;

/// [`KeyValueStore`] on PostgreSQL; expired rows read as missing and are overwritten in place.
#[derive(Debug, Clone)]
pub struct PgKeyValueStore {
    pool: PgPool,
}

impl PgKeyValueStore {
    /// Key-value pairs on `pool` (migrated with [`super::migrate`]).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn expiry(ttl: Option<Duration>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ttl.map(|ttl| {
        chrono::Duration::from_std(ttl)
            .ok()
            .and_then(|ttl| Utc::now().checked_add_signed(ttl))
            .ok_or_else(|| StoreError::Invalid {
                field: "ttl",
                reason: format!("{ttl:?} is too long"),
            })
    })
    .transpose()
}

#[async_trait]
impl KeyValueStore for PgKeyValueStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM kv_entries WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO kv_entries (key, value, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at",
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
        let expires_at = expiry(ttl)?;
        let result = match expected {
            // Absent means: no row, or an expired one.
            None => sqlx::query(
                "INSERT INTO kv_entries (key, value, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at \
                 WHERE kv_entries.expires_at IS NOT NULL AND kv_entries.expires_at <= now()",
            )
            .bind(key)
            .bind(value)
            .bind(expires_at),
            Some(expected) => sqlx::query(
                "UPDATE kv_entries SET value = $2, expires_at = $3 \
                 WHERE key = $1 AND value = $4 AND (expires_at IS NULL OR expires_at > now())",
            )
            .bind(key)
            .bind(value)
            .bind(expires_at)
            .bind(expected),
        }
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let deleted: Option<bool> = sqlx::query_scalar(
            "DELETE FROM kv_entries WHERE key = $1 RETURNING (expires_at IS NULL OR expires_at > now())",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(deleted.unwrap_or(false))
    }
}
