//! Production adapters on PostgreSQL: the run journal, named sets, key-value pairs, locks, coupons, the
//! organisation copy and AMONITION's sellers, company links and webhook inbox.

mod audit;
mod company_store;
mod coupon_store;
mod dialect;
mod flow_sql;
mod inbox;
mod key_value;
mod org_store;
mod process_store;
mod seller_source;
mod set_store;

pub use audit::PgAuditLog;
pub use company_store::PgCompanyStore;
pub use coupon_store::{PgCouponStore, PgInsertStrategy};
pub use inbox::PgWebhookInbox;
pub use key_value::PgKeyValueStore;
pub use org_store::PgOrgStore;
pub use process_store::PgProcessStore;
pub use seller_source::{MARKETPLACE_SCHEMA_SQL, PgSellerSource, SELLERS_SQL, load_marketplace};

/// [`crmsync_ports::FlowStore`] on PostgreSQL: `app_session` and `task_history`.
pub type PgFlowStore = crate::sql::flow::SqlFlowStore<sqlx::Postgres>;
/// [`crmsync_ports::LockStore`] on PostgreSQL: the `lock_leases` table and the `lock_fences` sequence.
pub type PgLockStore = crate::sql::lock::SqlLockStore<sqlx::Postgres>;
pub use set_store::PgSetStore;

use std::time::Duration;

use crmsync_ports::StoreError;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

use crate::error::sql_error;

pub(crate) const BACKEND: &str = "PostgreSQL";

/// The PostgreSQL schema of every crmsync store.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Opens a pool on `url` with explicit timeouts and applies pending migrations.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Applies pending migrations to `pool`.
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| StoreError::backend(BACKEND, e))
}
