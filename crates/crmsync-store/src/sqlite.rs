//! Embedded adapters on a SQLite file: the run journal, named sets, key-value pairs, locks, coupons and the
//! organisation copy.
//!
//! Timestamps are stored as fixed-width RFC 3339 text in UTC so comparisons in SQL sort correctly.

mod attributes_sql;
mod coupon_store;
mod dialect;
mod flow_sql;
mod org_store;

pub use coupon_store::SqliteCouponStore;
pub use org_store::SqliteOrgStore;

/// [`crmsync_ports::AuditLog`] on SQLite: the `audit_log` table.
pub type SqliteAuditLog = crate::sql::audit::SqlAuditLog<sqlx::Sqlite>;
/// [`crmsync_ports::CompanyStore`] on SQLite: AMONITION's `companies` links and `amonition_intents`.
pub type SqliteCompanyStore = crate::sql::company::SqlCompanyStore<sqlx::Sqlite>;
/// [`crmsync_ports::ProcessStore`] (the run journal) on SQLite: the `processes` table.
pub type SqliteProcessStore = crate::sql::process::SqlProcessStore<sqlx::Sqlite>;
/// [`crmsync_ports::KeyValueStore`] on SQLite: the `kv_entries` table; expired rows read as missing.
pub type SqliteKeyValueStore = crate::sql::key_value::SqlKeyValueStore<sqlx::Sqlite>;
/// [`crmsync_ports::SetStore`] on SQLite: the `set_members` table, in insertion order.
pub type SqliteSetStore = crate::sql::set::SqlSetStore<sqlx::Sqlite>;
/// [`crmsync_ports::AttributeStore`] on SQLite: `officeflow_attribute_defs` and `officeflow_user_attributes`.
pub type SqliteAttributeStore = crate::sql::attributes::SqlAttributeStore<sqlx::Sqlite>;
/// [`crmsync_ports::FlowStore`] on SQLite: `app_session` and `task_history`.
pub type SqliteFlowStore = crate::sql::flow::SqlFlowStore<sqlx::Sqlite>;
/// [`crmsync_ports::LockStore`] on SQLite: the `lock_leases` table; processes sharing the file exclude each other.
pub type SqliteLockStore = crate::sql::lock::SqlLockStore<sqlx::Sqlite>;

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

/// Opens (creating if needed) the database file at `path` and applies pending migrations: what
/// [`crate::Database::open`] does for a `sqlite:` URL (open storage through it; a bare pool serves one store's
/// own tests).
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
    // While another process creates the file and switches it to WAL, `PRAGMA journal_mode` answers
    // SQLITE_BUSY without consulting the busy timeout; such an open is retried with backoff.
    let mut wait = Duration::from_millis(20);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let opened = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await;
        match opened {
            Ok(pool) => {
                migrate(&pool).await?;
                return Ok(pool);
            }
            Err(error) if is_busy(&error) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_millis(500));
            }
            Err(error) => return Err(sql_error(BACKEND, error)),
        }
    }
}

/// Whether SQLite answered SQLITE_BUSY ("database is locked").
fn is_busy(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("5"))
}

/// Applies pending migrations to `pool`.
///
/// SQLite's migrator takes no lock, so two processes opening a fresh file would both try to create the tables.
/// When migrations are pending they therefore run inside one `BEGIN IMMEDIATE` transaction: a second process
/// waits for the first (up to the busy timeout), then finds everything applied.
pub async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    if !migrations_pending(pool).await? {
        return Ok(());
    }
    let mut tx = begin_write(pool).await?;
    // `run_direct` rather than `run`: `run(&mut conn)` makes the future not `Send`-general enough to spawn.
    MIGRATOR
        .run_direct(None, &mut *tx, false)
        .await
        .map_err(|e| StoreError::backend(BACKEND, e))?;
    tx.commit().await.map_err(|e| sql_error(BACKEND, e))
}

/// Whether any embedded migration is missing from `_sqlx_migrations` (read-only, takes no write lock).
async fn migrations_pending(pool: &SqlitePool) -> Result<bool, StoreError> {
    let has_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await
    .map_err(|e| sql_error(BACKEND, e))?;
    if !has_table {
        return Ok(true);
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
    Ok(MIGRATOR.iter().any(|m| !applied.contains(&m.version)))
}

/// Starts a write transaction that takes the database's write lock at once (`BEGIN IMMEDIATE`).
///
/// A deferred transaction whose first write follows another process's commit fails at once with
/// "database is locked" (a stale WAL snapshot cannot be upgraded); an immediate one waits for the lock instead.
pub(crate) async fn begin_write(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
    pool.begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| sql_error(BACKEND, e))
}

/// The stored text form of a timestamp.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}
