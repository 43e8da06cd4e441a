//! Picks a backend from a URL and builds the run journal and the coupon table on one connection pool.

use std::path::PathBuf;
use std::sync::Arc;

use crmsync_ports::{CouponStore, ProcessStore};

use crate::stores::{StorageUrlError, redact};
use crate::{memory, postgres, sqlite};

/// The journal and the coupon table of one backend; a chunk and its journal progress commit together.
#[derive(Clone)]
pub struct CouponStores {
    /// The run journal.
    pub processes: Arc<dyn ProcessStore>,
    /// The coupon table.
    pub coupons: Arc<dyn CouponStore>,
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
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = postgres::connect(url, 8).await?;
            Ok(Self {
                processes: Arc::new(postgres::PgProcessStore::new(pool.clone())),
                coupons: Arc::new(postgres::PgCouponStore::new(pool)),
                backend: "PostgreSQL",
            })
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let pool = sqlite::open(&PathBuf::from(path)).await?;
            Ok(Self {
                processes: Arc::new(sqlite::SqliteProcessStore::new(pool.clone())),
                coupons: Arc::new(sqlite::SqliteCouponStore::new(pool)),
                backend: "SQLite",
            })
        } else if url == "memory:" {
            Ok(Self::memory())
        } else {
            Err(StorageUrlError::Unsupported { url: redact(url) })
        }
    }

    /// A fresh in-memory journal and coupon table.
    pub fn memory() -> Self {
        let processes = memory::MemoryProcessStore::new();
        Self {
            coupons: Arc::new(memory::MemoryCouponStore::new(processes.clone())),
            processes: Arc::new(processes),
            backend: "memory",
        }
    }
}
