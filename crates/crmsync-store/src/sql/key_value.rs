//! `KeyValueStore` on a SQL database: one `kv_entries` row per key, each operation one statement.
//!
//! Expiry is compared with the database's clock, so hosts whose clocks disagree still agree on what has
//! expired; an expired row reads as missing and is overwritten in place.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_ports::{KeyValueStore, StoreError};
use sqlx::Pool;

use super::{Dialect, Stmt, connection};

/// The statements of the key-value store; each backend writes them around its own clock
/// (see [`kv_statements_on_clock`]).
///
/// Parameters: `$1` key, `$2` value, `$3` expiry (a stored timestamp, or NULL for none), `$4` the expected value.
pub trait KeyValueSql: Dialect {
    /// The live value of `$1`.
    const GET: &'static str;
    /// Inserts or overwrites `$1`.
    const PUT: &'static str = "INSERT INTO kv_entries (key, value, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at";
    /// Inserts `$1` where no live row exists; changes one row or none.
    const PUT_IF_ABSENT: &'static str;
    /// Overwrites `$1` where its live value is `$4`; changes one row or none.
    const SWAP: &'static str;
    /// Deletes `$1`; returns whether the deleted row was live, or no row.
    const DELETE: &'static str;
}

/// [`KeyValueStore`] on the `kv_entries` table of `DB`.
#[derive(Debug, Clone)]
pub struct SqlKeyValueStore<DB: sqlx::Database> {
    pool: Pool<DB>,
}

impl<DB: sqlx::Database> SqlKeyValueStore<DB> {
    /// Key-value pairs on `pool` (opened and migrated by this crate).
    pub fn new(pool: Pool<DB>) -> Self {
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
impl<DB: KeyValueSql> KeyValueStore for SqlKeyValueStore<DB> {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let value: Option<(String,)> = Stmt::<DB>::new(DB::GET)
            .bind(key.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(value.map(|(value,)| value))
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        let expires_at = expiry(ttl)?;
        let mut conn = connection(&self.pool).await?;
        Stmt::<DB>::new(DB::PUT)
            .bind(key.to_owned())
            .bind(value.to_owned())
            .bind_time(expires_at)
            .execute(&mut *conn)
            .await?;
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
        let stmt = match expected {
            None => Stmt::<DB>::new(DB::PUT_IF_ABSENT),
            Some(_) => Stmt::<DB>::new(DB::SWAP),
        }
        .bind(key.to_owned())
        .bind(value.to_owned())
        .bind_time(expires_at);
        let stmt = match expected {
            None => stmt,
            Some(expected) => stmt.bind(expected),
        };
        let mut conn = connection(&self.pool).await?;
        Ok(stmt.execute(&mut *conn).await? == 1)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let live: Option<(bool,)> = Stmt::<DB>::new(DB::DELETE)
            .bind(key.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(live.is_some_and(|(live,)| live))
    }
}

/// The [`KeyValueSql`] statements every backend writes the same way around its clock expression `$now` (a
/// string literal giving the database's current time as it stores timestamps).
macro_rules! kv_statements_on_clock {
    ($now:expr) => {
        const GET: &'static str = concat!(
            "SELECT value FROM kv_entries WHERE key = $1 AND (expires_at IS NULL OR expires_at > ",
            $now,
            ")"
        );
        const PUT_IF_ABSENT: &'static str = concat!(
            "INSERT INTO kv_entries (key, value, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at \
             WHERE kv_entries.expires_at IS NOT NULL AND kv_entries.expires_at <= ",
            $now
        );
        const SWAP: &'static str = concat!(
            "UPDATE kv_entries SET value = $2, expires_at = $3 \
             WHERE key = $1 AND value = $4 AND (expires_at IS NULL OR expires_at > ",
            $now,
            ")"
        );
        const DELETE: &'static str = concat!(
            "DELETE FROM kv_entries WHERE key = $1 RETURNING (expires_at IS NULL OR expires_at > ",
            $now,
            ")"
        );
    };
}
pub(crate) use kv_statements_on_clock;
