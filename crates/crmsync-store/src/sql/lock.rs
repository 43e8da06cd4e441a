//! `LockStore` on a SQL database: one `lock_leases` row per key, each operation one statement.
//!
//! A row is never deleted: a release or an expiry only moves `expires_at_ms` into the past, so the fence of the
//! next holder comes from the database's sequence (PostgreSQL `lock_fences`, the largest fence so far plus one
//! on SQLite) and grows strictly per key. Expiry is compared with the database's clock, so hosts whose clocks
//! disagree still agree on who holds a lock.

use std::time::Duration;

use async_trait::async_trait;
use crmsync_ports::{LockLease, LockStore, StoreError};
use sqlx::Pool;

use super::{Dialect, Stmt, begin_write, commit, connection};

/// The statements of the lock store; each backend writes them with its own clock and sequence.
///
/// Parameters: `$1` key, `$2` token, `$3` owner (acquire) or TTL in milliseconds (extend), `$4` TTL in
/// milliseconds (acquire).
pub trait LockSql: Dialect {
    /// Inserts or takes over an expired lease; returns the new fence, or no row when the lock is held.
    const ACQUIRE: &'static str;
    /// Moves the expiry of the live lease with this token; changes one row or none.
    const EXTEND: &'static str;
    /// Expires the live lease with this token (`$1` key, `$2` token); changes one row or none.
    const RELEASE: &'static str;
    /// The owner of the live lease of `$1`, if any.
    const HOLDER: &'static str;
}

/// [`LockStore`] on the `lock_leases` table of `DB`.
#[derive(Debug, Clone)]
pub struct SqlLockStore<DB: sqlx::Database> {
    pool: Pool<DB>,
}

impl<DB: sqlx::Database> SqlLockStore<DB> {
    /// Locks on `pool` (opened and migrated by this crate).
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

fn millis(ttl: Duration) -> Result<i64, StoreError> {
    match i64::try_from(ttl.as_millis()) {
        Ok(ms) if ms > 0 => Ok(ms),
        _ => Err(StoreError::Invalid {
            field: "ttl",
            reason: format!("{ttl:?} must be between 1 ms and i64::MAX ms"),
        }),
    }
}

#[async_trait]
impl<DB: LockSql> LockStore for SqlLockStore<DB> {
    async fn try_acquire(
        &self,
        key: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<LockLease>, StoreError> {
        let ttl_ms = millis(ttl)?;
        let token = uuid::Uuid::new_v4().to_string();
        let mut tx = begin_write(&self.pool).await?;
        let fence: Option<(i64,)> = Stmt::<DB>::new(DB::ACQUIRE)
            .bind(key.to_owned())
            .bind(token.clone())
            .bind(owner.to_owned())
            .bind(ttl_ms)
            .fetch_optional(&mut *tx)
            .await?;
        commit(tx).await?;
        fence
            .map(|(fence,)| {
                Ok(LockLease {
                    key: key.to_owned(),
                    token,
                    owner: owner.to_owned(),
                    fence: u64::try_from(fence)
                        .map_err(|_| crate::error::out_of_range("lock fence", fence))?,
                    ttl,
                })
            })
            .transpose()
    }

    async fn extend(&self, lease: &LockLease, ttl: Duration) -> Result<bool, StoreError> {
        let ttl_ms = millis(ttl)?;
        let mut tx = begin_write(&self.pool).await?;
        let changed = Stmt::<DB>::new(DB::EXTEND)
            .bind(lease.key.clone())
            .bind(lease.token.clone())
            .bind(ttl_ms)
            .execute(&mut *tx)
            .await?;
        commit(tx).await?;
        Ok(changed == 1)
    }

    async fn release(&self, lease: &LockLease) -> Result<bool, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let changed = Stmt::<DB>::new(DB::RELEASE)
            .bind(lease.key.clone())
            .bind(lease.token.clone())
            .execute(&mut *tx)
            .await?;
        commit(tx).await?;
        Ok(changed == 1)
    }

    async fn holder(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let owner: Option<(String,)> = Stmt::<DB>::new(DB::HOLDER)
            .bind(key.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(owner.map(|(owner,)| owner))
    }
}

/// The [`LockSql`] statements every backend writes the same way around its clock expression `$now` (a string
/// literal giving the database clock in milliseconds since the Unix epoch).
macro_rules! lock_statements_on_clock {
    ($now:expr) => {
        const EXTEND: &'static str = concat!(
            "UPDATE lock_leases SET expires_at_ms = ",
            $now,
            " + $3 WHERE key = $1 AND token = $2 AND expires_at_ms > ",
            $now
        );
        const RELEASE: &'static str = concat!(
            "UPDATE lock_leases SET expires_at_ms = 0 WHERE key = $1 AND token = $2 AND expires_at_ms > ",
            $now
        );
        const HOLDER: &'static str = concat!(
            "SELECT owner FROM lock_leases WHERE key = $1 AND expires_at_ms > ",
            $now
        );
    };
}
pub(crate) use lock_statements_on_clock;
