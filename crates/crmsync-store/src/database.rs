//! `Database`: the one place a storage URL is turned into an open backend whose pool every store shares.

use std::path::PathBuf;
use std::sync::Arc;

use crmsync_ports::{
    AttributeStore, AuditLog, CompanyStore, CouponStore, FlowStore, KeyValueStore, LockStore,
    OrgStore, ProcessStore, ReceptionLinkStore, SetStore, StoreError, WebhookInbox,
};
use sqlx::{PgPool, SqlitePool};

use crate::{memory, postgres, sqlite};

/// A storage URL that names no supported backend, or a backend that could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StorageUrlError {
    /// The scheme is not `postgres://`, `postgresql://`, `sqlite:` or `memory:`.
    #[error(
        "storage url {url:?} is not supported: use postgres://…, sqlite:PATH or memory: (coupons also take mysql://…)"
    )]
    Unsupported {
        /// The URL, with any password removed.
        url: String,
    },
    /// The backend could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An open, migrated backend. Stores built from one `Database` share its pool (or, in memory, its state), so a
/// job's writes to two stores can commit in one transaction where the adapter supports it.
#[derive(Debug, Clone)]
pub enum Database {
    /// Production.
    Postgres(PgPool),
    /// Embedded file.
    Sqlite(SqlitePool),
    /// Nothing persisted.
    Memory(MemoryDatabase),
}

/// The shared state of the in-memory backend.
#[derive(Debug, Clone, Default)]
pub struct MemoryDatabase {
    processes: memory::MemoryProcessStore,
    sets: memory::MemorySetStore,
    key_values: memory::MemoryKeyValueStore,
    locks: memory::MemoryLockStore,
    org: memory::MemoryOrgStore,
    flows: memory::MemoryFlowStore,
    attributes: memory::MemoryAttributeStore,
    reception_links: crate::MemoryReceptionLinks,
    audit: memory::MemoryAuditLog,
    companies: memory::MemoryCompanyStore,
    inbox: memory::MemoryWebhookInbox,
}

impl Database {
    /// Opens the backend `url` names — `postgres://…`, `sqlite:PATH` (created if missing) or `memory:` — and
    /// applies its migrations.
    pub async fn open(url: &str) -> Result<Self, StorageUrlError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(postgres::connect(url, 8).await?))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Ok(Self::Sqlite(sqlite::open(&PathBuf::from(path)).await?))
        } else if url == "memory:" {
            Ok(Self::memory())
        } else {
            Err(StorageUrlError::Unsupported { url: redact(url) })
        }
    }

    /// A fresh in-memory backend.
    pub fn memory() -> Self {
        Self::Memory(MemoryDatabase::default())
    }

    /// Which backend this is (`PostgreSQL`, `SQLite`, `memory`).
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "PostgreSQL",
            Self::Sqlite(_) => "SQLite",
            Self::Memory(_) => "memory",
        }
    }

    /// The run journal.
    pub fn processes(&self) -> Arc<dyn ProcessStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgProcessStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteProcessStore::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.processes.clone()),
        }
    }

    /// Named ordered sets.
    pub fn sets(&self) -> Arc<dyn SetStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgSetStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteSetStore::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.sets.clone()),
        }
    }

    /// Expiring key-value pairs.
    pub fn key_values(&self) -> Arc<dyn KeyValueStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgKeyValueStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteKeyValueStore::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.key_values.clone()),
        }
    }

    /// Leases with fencing numbers: processes sharing this database exclude each other (in memory: only tasks
    /// of this process).
    pub fn locks(&self) -> Arc<dyn LockStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgLockStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteLockStore::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.locks.clone()),
        }
    }

    /// The coupon table; its chunks commit together with the journal's progress.
    pub fn coupons(&self) -> Arc<dyn CouponStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgCouponStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteCouponStore::new(pool.clone())),
            Self::Memory(state) => {
                Arc::new(memory::MemoryCouponStore::new(state.processes.clone()))
            }
        }
    }

    /// The link tables of the reception sync.
    pub fn reception_links(&self) -> Arc<dyn ReceptionLinkStore> {
        match self {
            Self::Postgres(pool) => Arc::new(crate::SqlReceptionLinks::Postgres(pool.clone())),
            Self::Sqlite(pool) => Arc::new(crate::SqlReceptionLinks::Sqlite(pool.clone())),
            Self::Memory(state) => Arc::new(state.reception_links.clone()),
        }
    }

    /// The audit of state-changing calls.
    pub fn audit(&self) -> Arc<dyn AuditLog> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgAuditLog::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteAuditLog::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.audit.clone()),
        }
    }

    /// AMONITION's seller ↔ company links and create intents.
    pub fn companies(&self) -> Arc<dyn CompanyStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgCompanyStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteCompanyStore::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.companies.clone()),
        }
    }

    /// AMONITION's webhook inbox; `None` on SQLite, which has no inbox (use PostgreSQL, or memory in a sandbox).
    pub fn inbox(&self) -> Option<Arc<dyn WebhookInbox>> {
        match self {
            Self::Postgres(pool) => Some(Arc::new(postgres::PgWebhookInbox::new(pool.clone()))),
            Self::Sqlite(_) => None,
            Self::Memory(state) => Some(Arc::new(state.inbox.clone())),
        }
    }

    /// The organisation copy of `officeflow-sync`.
    pub fn org(&self) -> Arc<dyn OrgStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgOrgStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteOrgStore::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.org.clone()),
        }
    }

    /// The process instances and task history of `officeflow-sync` (`app_session`, `task_history`).
    pub fn flows(&self) -> Arc<dyn FlowStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgFlowStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteFlowStore::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.flows.clone()),
        }
    }

    /// The identity attribute registry and users' attribute values of `officeflow-sync`.
    pub fn attributes(&self) -> Arc<dyn AttributeStore> {
        match self {
            Self::Postgres(pool) => Arc::new(postgres::PgAttributeStore::new(pool.clone())),
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteAttributeStore::new(pool.clone())),
            Self::Memory(state) => Arc::new(state.attributes.clone()),
        }
    }
}

/// Drops everything between `://` and `@` so credentials never reach an error message.
fn redact(url: &str) -> String {
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
        let err = Database::open("mysql://user:secret@db/x")
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("mysql://***@db/x") && !message.contains("secret"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn stores_of_one_memory_database_share_state() {
        let db = Database::memory();
        db.sets().add("s", &["a".to_owned()]).await.unwrap();
        assert!(db.sets().contains("s", "a").await.unwrap());
        assert_eq!(db.backend(), "memory");
    }
}
