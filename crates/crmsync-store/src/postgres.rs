//! Production adapters on PostgreSQL: the run journal, named sets, key-value pairs, locks, coupons, the
//! organisation copy and AMONITION's sellers, company links and webhook inbox.

mod attributes_sql;
mod binary_copy;
mod coupon_store;
mod dialect;
mod flow_sql;
mod inbox;
mod org_store;
mod seller_source;

pub use binary_copy::{BinaryCopy, CopyValue};
pub use coupon_store::{PgCouponStore, PgInsertStrategy};
pub use inbox::PgWebhookInbox;
pub use org_store::PgOrgStore;
pub use seller_source::{MARKETPLACE_SCHEMA_SQL, PgSellerSource, SELLERS_SQL, load_marketplace};

/// [`crmsync_ports::AuditLog`] on PostgreSQL: the `audit_log` table.
pub type PgAuditLog = crate::sql::audit::SqlAuditLog<sqlx::Postgres>;
/// [`crmsync_ports::CompanyStore`] on PostgreSQL: AMONITION's `companies` links and `amonition_intents`.
pub type PgCompanyStore = crate::sql::company::SqlCompanyStore<sqlx::Postgres>;
/// [`crmsync_ports::ProcessStore`] (the run journal) on PostgreSQL: the `processes` table.
pub type PgProcessStore = crate::sql::process::SqlProcessStore<sqlx::Postgres>;
/// [`crmsync_ports::KeyValueStore`] on PostgreSQL: the `kv_entries` table; expired rows read as missing.
pub type PgKeyValueStore = crate::sql::key_value::SqlKeyValueStore<sqlx::Postgres>;
/// [`crmsync_ports::SetStore`] on PostgreSQL: the `set_members` table, in insertion order.
pub type PgSetStore = crate::sql::set::SqlSetStore<sqlx::Postgres>;
/// [`crmsync_ports::AttributeStore`] on PostgreSQL: `officeflow_attribute_defs` and `officeflow_user_attributes`.
pub type PgAttributeStore = crate::sql::attributes::SqlAttributeStore<sqlx::Postgres>;
/// [`crmsync_ports::FlowStore`] on PostgreSQL: `app_session` and `task_history`.
pub type PgFlowStore = crate::sql::flow::SqlFlowStore<sqlx::Postgres>;
/// [`crmsync_ports::LockStore`] on PostgreSQL: the `lock_leases` table and the `lock_fences` sequence.
pub type PgLockStore = crate::sql::lock::SqlLockStore<sqlx::Postgres>;

use std::time::Duration;

use crmsync_ports::StoreError;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

use crate::error::sql_error;

pub(crate) const BACKEND: &str = "PostgreSQL";

/// The PostgreSQL schema of every crmsync store.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Opens a pool on `url` with explicit timeouts and applies pending migrations: what [`crate::Database::open`]
/// does for a `postgres://` URL (open storage through it; a bare pool serves one store's own tests).
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
