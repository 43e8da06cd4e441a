//! Adapters on MySQL/MariaDB, for a Bitrix shop that needs no second database: the run journal, the audit, and
//! coupons written straight into Bitrix's own `b_sale_discount_coupon` ([`BitrixCouponStore`]).
//!
//! crmsync's tables (`processes`, `crmsync_coupon_runs`, `audit_log`) come from embedded migrations; the shop's
//! tables are used as they are. Timestamps are `DATETIME(6)` in UTC: every connection runs with time zone
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

/// Applies pending migrations to `pool` (MySQL's migrator holds a named lock while it runs).
pub async fn migrate(pool: &MySqlPool) -> Result<(), StoreError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| StoreError::backend(BACKEND, e))
}
