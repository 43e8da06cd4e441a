//! Embedded adapters on a SQLite file: the run journal, named sets, key-value pairs and coupons.
//!
//! Timestamps are stored as fixed-width RFC 3339 text in UTC so comparisons in SQL sort correctly.

mod coupon_store;
mod key_value;
mod org_store;
mod process_store;
mod set_store;

pub use coupon_store::SqliteCouponStore;
pub use key_value::SqliteKeyValueStore;
pub use org_store::SqliteOrgStore;
pub use process_store::SqliteProcessStore;
pub use set_store::SqliteSetStore;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crmsync_ports::StoreError;
use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::sql_error;

pub(crate) const BACKEND: &str = "SQLite";

/// The SQLite schema of every crmsync store.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating if needed) the database file at `path` and applies pending migrations.
pub async fn open(path: &Path) -> Result<SqlitePool, StoreError> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::unavailable(BACKEND, e))?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Applies pending migrations to `pool`.
pub async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| StoreError::backend(BACKEND, e))
}

/// The stored text form of a timestamp.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}
