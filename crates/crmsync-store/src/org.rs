//! Opens the organisation store of `officeflow-sync` on the same backend (and pool) as the journal.

use std::path::PathBuf;
use std::sync::Arc;

use crmsync_ports::OrgStore;

use crate::{StorageUrlError, Stores, memory, postgres, sqlite};

/// The journal, sets and key-value store of `url` (see [`Stores::open`]) plus the organisation store on the
/// same connection pool.
pub async fn open_with_org(url: &str) -> Result<(Stores, Arc<dyn OrgStore>), StorageUrlError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = postgres::connect(url, 8).await?;
        let stores = Stores {
            processes: Arc::new(postgres::PgProcessStore::new(pool.clone())),
            sets: Arc::new(postgres::PgSetStore::new(pool.clone())),
            key_values: Arc::new(postgres::PgKeyValueStore::new(pool.clone())),
            backend: "PostgreSQL",
        };
        Ok((stores, Arc::new(postgres::PgOrgStore::new(pool))))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let pool = sqlite::open(&PathBuf::from(path)).await?;
        let stores = Stores {
            processes: Arc::new(sqlite::SqliteProcessStore::new(pool.clone())),
            sets: Arc::new(sqlite::SqliteSetStore::new(pool.clone())),
            key_values: Arc::new(sqlite::SqliteKeyValueStore::new(pool.clone())),
            backend: "SQLite",
        };
        Ok((stores, Arc::new(sqlite::SqliteOrgStore::new(pool))))
    } else if url == "memory:" {
        Ok((Stores::memory(), Arc::new(memory::MemoryOrgStore::new())))
    } else {
        Stores::open(url).await.map(|stores| {
            (
                stores,
                Arc::new(memory::MemoryOrgStore::new()) as Arc<dyn OrgStore>,
            )
        })
    }
}
