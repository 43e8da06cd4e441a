//! `Stores`: the journal, sets and key-value store of one backend, as most binaries need them.

use std::sync::Arc;

use crmsync_ports::{KeyValueStore, ProcessStore, SetStore};

use crate::{Database, StorageUrlError};

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
    /// Opens the backend `url` names (see [`Database::open`]).
    pub async fn open(url: &str) -> Result<Self, StorageUrlError> {
        Ok(Self::of(&Database::open(url).await?))
    }

    /// Fresh in-memory stores.
    pub fn memory() -> Self {
        Self::of(&Database::memory())
    }

    /// The stores of an open backend.
    pub fn of(database: &Database) -> Self {
        Self {
            processes: database.processes(),
            sets: database.sets(),
            key_values: database.key_values(),
            backend: database.backend(),
        }
    }
}
