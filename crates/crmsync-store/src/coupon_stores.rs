//! Picks a backend from a URL and builds the run journal and the coupon table on one connection pool.

use std::sync::Arc;

use crmsync_ports::{AuditLog, CouponStore, ProcessStore};

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
    /// Which backend this is (`PostgreSQL`, `SQLite`, `memory`).
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
    /// Opens `postgres://…`, `sqlite:PATH` (created if missing) or `memory:` and applies its migrations.
    pub async fn open(url: &str) -> Result<Self, StorageUrlError> {
        Ok(Self::of(&Database::open(url).await?))
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
