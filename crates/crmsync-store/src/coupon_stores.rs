//! Picks a backend from a URL and builds the run journal and the coupon table on one connection pool.

use std::sync::Arc;

use crmsync_ports::{AuditLog, CouponStore, ProcessStore};

use crate::mysql::{self, BitrixOptions};
use crate::{Database, StorageUrlError};

/// The journal, the coupon table and the audit of one backend; a chunk and its journal progress commit together.
#[derive(Clone)]
pub struct CouponStores {
    /// The run journal.
    pub processes: Arc<dyn ProcessStore>,
    /// The coupon table.
    pub coupons: Arc<dyn CouponStore>,
    /// The audit of state-changing calls.
    pub audit: Arc<dyn AuditLog>,
    /// Which backend this is (`PostgreSQL`, `SQLite`, `memory`, `MySQL (Bitrix)`).
    pub backend: &'static str,
}

impl std::fmt::Debug for CouponStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CouponStores")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl CouponStores {
    /// Opens `postgres://…`, `sqlite:PATH` (created if missing), `memory:` or a Bitrix shop's `mysql://…` (coupons
    /// go into its `b_sale_discount_coupon`) and applies crmsync's migrations.
    pub async fn open(url: &str) -> Result<Self, StorageUrlError> {
        if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            let url = url.replacen("mariadb://", "mysql://", 1);
            return Ok(Self::bitrix(
                mysql::connect(&url, 8).await?,
                BitrixOptions::default(),
            ));
        }
        Ok(Self::of(&Database::open(url).await?))
    }

    /// The journal, the audit and the coupons of a Bitrix shop's database on `pool` (migrated with
    /// [`mysql::migrate`]).
    pub fn bitrix(pool: sqlx::MySqlPool, options: BitrixOptions) -> Self {
        Self {
            processes: Arc::new(mysql::MySqlProcessStore::new(pool.clone())),
            coupons: Arc::new(mysql::BitrixCouponStore::new(pool.clone(), options)),
            audit: Arc::new(mysql::MySqlAuditLog::new(pool)),
            backend: "MySQL (Bitrix)",
        }
    }

    /// A fresh in-memory journal and coupon table.
    pub fn memory() -> Self {
        Self::of(&Database::memory())
    }

    /// The journal and coupon table of an open backend.
    pub fn of(database: &Database) -> Self {
        Self {
            processes: database.processes(),
            coupons: database.coupons(),
            audit: database.audit(),
            backend: database.backend(),
        }
    }
}
