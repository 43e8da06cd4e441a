//! Picks a storage backend from a URL and builds its journal, sets and key-value store.

use std::path::PathBuf;
use std::sync::Arc;

use crmsync_ports::{KeyValueStore, ProcessStore, SetStore, StoreError};

use crate::{memory, postgres, sqlite};

/// A storage URL that names no supported backend.
#[derive(Debug, thiserror::Error)]
pub enum StorageUrlError {
    /// The scheme is not `postgres://`, `postgresql://`, `sqlite:` or `memory:`.
    #[error("storage url {url:?} is not supported: use postgres://…, sqlite:PATH or memory:")]
    Unsupported {
        /// The URL, with any password removed.
        url: String,
    },
    /// The backend could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The storage ports of one backend, shared by the jobs of a binary.
#[derive(Clone)]
pub struct Stores {
    /// The run journal.
    pub processes: Arc<dyn ProcessStore>,
    /// Named ordered sets.
    pub sets: Arc<dyn SetStore>,
    /// Expiring key-value pairs.
    pub key_values: Arc<dyn KeyValueStore>,
    /// Which backend this is (`PostgreSQL`, `SQLite`, `memory`).
    pub backend: &'static str,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Stores {
    /// Opens the backend `url` names — `postgres://…`, `sqlite:PATH` (created if missing) or `memory:` — and
    /// applies its migrations.
    pub async fn open(url: &str) -> Result<Self, StorageUrlError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = postgres::connect(url, 8).await?;
            Ok(Self {
                processes: Arc::new(postgres::PgProcessStore::new(pool.clone())),
                sets: Arc::new(postgres::PgSetStore::new(pool.clone())),
                key_values: Arc::new(postgres::PgKeyValueStore::new(pool)),
                backend: "PostgreSQL",
            })
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let pool = sqlite::open(&PathBuf::from(path)).await?;
            Ok(Self {
                processes: Arc::new(sqlite::SqliteProcessStore::new(pool.clone())),
                sets: Arc::new(sqlite::SqliteSetStore::new(pool.clone())),
                key_values: Arc::new(sqlite::SqliteKeyValueStore::new(pool)),
                backend: "SQLite",
            })
        } else if url == "memory:" {
            Ok(Self::memory())
        } else {
            Err(StorageUrlError::Unsupported { url: redact(url) })
        }
    }

    /// Fresh in-memory stores.
    pub fn memory() -> Self {
        Self {
            processes: Arc::new(memory::MemoryProcessStore::new()),
            sets: Arc::new(memory::MemorySetStore::new()),
            key_values: Arc::new(memory::MemoryKeyValueStore::new()),
            backend: "memory",
        }
    }
}

/// Drops everything between `://` and `@` so credentials never reach an error message.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(redact("mysql://user:secret@db/x"), "mysql://***@db/x");
        assert_eq!(redact("ftp://host/x"), "ftp://host/x");
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused_with_the_url_redacted() {
        let err = Stores::open("mysql://user:secret@db/x").await.unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("mysql://***@db/x") && !message.contains("secret"),
            "{message}"
        );
    }
}
