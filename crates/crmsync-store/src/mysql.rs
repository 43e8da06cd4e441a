//! Adapters on MySQL/MariaDB, for a Bitrix shop that needs no second database: the run journal, the audit, and
//! coupons written straight into Bitrix's own `b_sale_discount_coupon` ([`BitrixCouponStore`]).
//!
//! crmsync's tables (`processes`, `crmsync_coupon_runs`, `crmsync_coupon_run_ranges`, `audit_log`) come from
//! embedded migrations; the shop's tables are used as they are. Timestamps are `DATETIME(6)` in UTC: every connection runs with time zone
//! `+00:00`.

mod audit;
mod coupon_store;
mod process_store;

pub use audit::MySqlAuditLog;
pub use coupon_store::{BITRIX_COUPON_CHARS, BitrixCouponStore, BitrixOptions};
pub use process_store::MySqlProcessStore;

use std::str::FromStr;
use std::time::Duration;

use crmsync_ports::StoreError;
use sqlx::MySqlPool;
use sqlx::migrate::Migrator;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};

use crate::error::sql_error;

pub(crate) const BACKEND: &str = "MySQL";

/// crmsync's own tables on MySQL/MariaDB.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/mysql");

/// Connects to `url` (`mysql://user:password@host:3306/database`) with up to `max_connections` and applies
/// pending migrations.
pub async fn connect(url: &str, max_connections: u32) -> Result<MySqlPool, StoreError> {
    let options = MySqlConnectOptions::from_str(url)
        .map_err(|e| StoreError::unavailable(BACKEND, e))?
        .charset("utf8mb4")
        .timezone(Some("+00:00".to_owned()));
    let pool = MySqlPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
    migrate(&pool).await?;
    Ok(pool)
}

/// How long a process waits for another one's migrations, in seconds.
const MIGRATION_WAIT_S: i64 = 60;

/// Applies pending migrations to `pool`, one process at a time.
///
/// sqlx's own MySQL migration lock asks `GET_LOCK(name, -1)` and ignores the answer; MariaDB does not wait on a
/// negative timeout, so two processes opening a fresh database could both apply the same migration. A named
/// lock held here, with a real timeout and its answer checked, serialises them.
pub async fn migrate(pool: &MySqlPool) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await.map_err(|e| sql_error(BACKEND, e))?;
    let locked: Option<i64> =
        sqlx::query_scalar("SELECT GET_LOCK(CONCAT('crmsync_migrate_', DATABASE()), ?)")
            .bind(MIGRATION_WAIT_S)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
    if locked != Some(1) {
        return Err(StoreError::unavailable(
            BACKEND,
            format!("another process held the migration lock for {MIGRATION_WAIT_S} s"),
        ));
    }
    let migrated = MIGRATOR
        .run_direct(None, &mut *conn, false)
        .await
        .map_err(|e| StoreError::backend(BACKEND, e));
    let released = sqlx::query("SELECT RELEASE_LOCK(CONCAT('crmsync_migrate_', DATABASE()))")
        .execute(&mut *conn)
        .await
        .map_err(|e| sql_error(BACKEND, e));
    migrated.and(released.map(|_| ()))
}
