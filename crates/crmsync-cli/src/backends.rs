//! The storage, Redis and lock sections every binary shares, and [`open`]: one place that turns them into the
//! journal's database, the lock service, the sets and the key-value store of a run.
//!
//! The lock is Redis when `[redis]` names a server, else the storage database's leases (PostgreSQL or SQLite,
//! shared by every process on that database); the in-process lock only under `--sandbox`, where nothing the
//! configuration names is touched: storage is in memory and Redis is not contacted.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crmsync_ports::{KeyValueStore, LockStore, SetStore, StoreError};
use crmsync_redis::{RedisConfig, RedisStores};
use crmsync_store::{Database, StorageUrlError};
use serde::Deserialize;

use crate::config::ConfigError;
use crate::secret_url::{SecretUrl, empty_as_none};

/// `[storage]`: where the journal (and, without Redis, the sets, the key-value pairs and the lock) live.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// `postgres://…`, `sqlite:PATH` or `memory:` (the last only with Redis or under `--sandbox`).
    pub url: SecretUrl,
}

impl StorageSection {
    /// Storage at `url` (a binary's default, e.g. `sqlite:casemon.sqlite`).
    pub fn new(url: &str) -> Self {
        Self {
            url: SecretUrl::new(url),
        }
    }

    /// Gives an empty URL (a `[storage]` table without `url`) the binary's `default_url`.
    pub fn or_url(&mut self, default_url: &str) {
        if self.url.is_empty() {
            self.url = SecretUrl::new(default_url);
        }
    }
}

/// `[redis]`: the lock, the sets and the key-value pairs on a Redis server shared by every host.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSection {
    /// `redis://[:password@]host:6379[/db]`; absent or empty: no Redis.
    #[serde(deserialize_with = "empty_as_none")]
    pub url: Option<SecretUrl>,
    /// Prefix of every key.
    pub key_prefix: String,
}

impl Default for RedisSection {
    fn default() -> Self {
        Self {
            url: None,
            key_prefix: RedisConfig::DEFAULT_KEY_PREFIX.to_owned(),
        }
    }
}

/// `[lock]`: the lease that keeps two runs of one job from overlapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockSection {
    /// The lock's key; empty: the binary's default (see [`LockSection::or_key`]).
    pub key: String,
    /// Lease length in seconds, renewed every third of it (120).
    pub ttl_s: u64,
    /// How long to wait for a held lock, in seconds (0: give up at once, exit code 3).
    pub wait_s: u64,
}

/// The default lease length: a holder killed without releasing blocks the next run for at most this long.
pub const DEFAULT_LOCK_TTL_S: u64 = 120;

impl Default for LockSection {
    fn default() -> Self {
        Self {
            key: String::new(),
            ttl_s: DEFAULT_LOCK_TTL_S,
            wait_s: 0,
        }
    }
}

impl LockSection {
    /// The lock `key` with the default lease and no waiting.
    pub fn new(key: &str) -> Self {
        Self {
            key: key.to_owned(),
            ..Self::default()
        }
    }

    /// Gives an empty key (a `[lock]` table without `key`) the binary's `default_key`.
    pub fn or_key(&mut self, default_key: &str) {
        if self.key.trim().is_empty() {
            self.key = default_key.to_owned();
        }
    }

    /// The lease length.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_s)
    }

    /// How long to wait for a held lock; `None`: give up at once.
    pub fn wait(&self) -> Option<Duration> {
        (self.wait_s > 0).then(|| Duration::from_secs(self.wait_s))
    }

    /// Checks the key and the lease length (`lock.key`, `lock.ttl_s`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.key.trim().is_empty() {
            return Err(ConfigError::invalid("lock.key", "must not be empty"));
        }
        if self.ttl_s < 3 {
            return Err(ConfigError::invalid("lock.ttl_s", "must be at least 3"));
        }
        Ok(())
    }
}

/// Which lock service a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// Redis: shared by every host that reaches the server.
    Redis,
    /// Leases in the storage database: shared by every process on that database.
    Database,
    /// This process only (`--sandbox`).
    InProcess,
}

impl fmt::Display for LockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Redis => "Redis",
            Self::Database => "the storage database",
            Self::InProcess => "in-process (sandbox)",
        })
    }
}

/// The open backends of one run.
#[derive(Clone)]
pub struct Backends {
    /// The storage database: the journal and any job tables.
    pub database: Database,
    /// The lock service.
    pub locks: Arc<dyn LockStore>,
    /// Named sets (Redis when configured, else the database).
    pub sets: Arc<dyn SetStore>,
    /// Expiring key-value pairs, e.g. OAuth tokens (Redis when configured, else the database).
    pub key_values: Arc<dyn KeyValueStore>,
    /// Which lock service `locks` is.
    pub lock_kind: LockKind,
}

impl fmt::Debug for Backends {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backends")
            .field("database", &self.database.backend())
            .field("lock_kind", &self.lock_kind)
            .finish_non_exhaustive()
    }
}

/// The backends could not be opened. Messages carry URLs only redacted.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// A configuration value cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The storage database could not be opened.
    #[error("storage {url}: {source}")]
    Storage {
        /// The URL, redacted.
        url: String,
        /// Why.
        source: StorageUrlError,
    },
    /// Redis could not be reached.
    #[error("redis {url}: {source}")]
    Redis {
        /// The URL, redacted.
        url: String,
        /// Why.
        source: StoreError,
    },
}

/// Opens what `storage` and `redis` name; under `sandbox`, an in-memory database and the in-process lock
/// instead, whatever they name.
pub async fn open(
    storage: &StorageSection,
    redis: &RedisSection,
    sandbox: bool,
) -> Result<Backends, BackendError> {
    if sandbox {
        let database = Database::memory();
        return Ok(Backends {
            locks: database.locks(),
            sets: database.sets(),
            key_values: database.key_values(),
            lock_kind: LockKind::InProcess,
            database,
        });
    }
    if storage.url.is_empty() {
        return Err(ConfigError::invalid("storage.url", "is required").into());
    }
    if storage.url.expose_secret() == "memory:" && redis.url.is_none() {
        return Err(ConfigError::invalid(
            "storage.url",
            "`memory:` cannot lock between processes: use sqlite:PATH or postgres://…, configure [redis], \
             or run with --sandbox",
        )
        .into());
    }
    let database = Database::open(storage.url.expose_secret())
        .await
        .map_err(|source| BackendError::Storage {
            url: storage.url.redacted(),
            source,
        })?;
    let Some(url) = &redis.url else {
        return Ok(Backends {
            locks: database.locks(),
            sets: database.sets(),
            key_values: database.key_values(),
            lock_kind: LockKind::Database,
            database,
        });
    };
    let config = RedisConfig::new(url.expose_secret()).with_key_prefix(redis.key_prefix.clone());
    let stores = RedisStores::connect(&config)
        .await
        .map_err(|source| BackendError::Redis {
            url: url.redacted(),
            source,
        })?;
    Ok(Backends {
        database,
        locks: Arc::new(stores.locks),
        sets: Arc::new(stores.sets),
        key_values: Arc::new(stores.key_values),
        lock_kind: LockKind::Redis,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Sections {
        storage: StorageSection,
        redis: RedisSection,
        lock: LockSection,
    }

    fn parse(toml: &str) -> Result<Sections, String> {
        config::Config::builder()
            .add_source(config::File::from_str(toml, config::FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn sections_take_defaults_and_refuse_unknown_keys() {
        let mut sections = parse("[redis]\nurl = \"\"\n[lock]\nttl_s = 30\n").unwrap();
        assert!(sections.redis.url.is_none());
        assert_eq!(sections.redis.key_prefix, "crmsync:");
        assert_eq!((sections.lock.ttl_s, sections.lock.wait_s), (30, 0));
        sections.lock.or_key("job:sync");
        sections.storage.or_url("sqlite:job.sqlite");
        assert_eq!(sections.lock.key, "job:sync");
        assert_eq!(sections.storage.url.expose_secret(), "sqlite:job.sqlite");
        assert_eq!(LockSection::default().ttl_s, 120);
        let error = parse("[lock]\nttl = 3\n").unwrap_err();
        assert!(error.contains("ttl"), "{error}");
        let error = parse("[redis]\nurll = \"x\"\n").unwrap_err();
        assert!(error.contains("urll"), "{error}");
    }

    #[test]
    fn debug_of_the_sections_hides_passwords() {
        let sections = parse(
            "[storage]\nurl = \"postgres://u:pg-pass@h/db\"\n[redis]\nurl = \"redis://:rd-pass@h/3\"\n",
        )
        .unwrap();
        let shown = format!("{sections:?}");
        assert!(
            !shown.contains("pg-pass") && !shown.contains("rd-pass"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn the_sandbox_uses_memory_and_the_in_process_lock_whatever_is_configured() {
        let storage = StorageSection::new("postgres://u:p@127.0.0.1:1/never");
        let redis = RedisSection {
            url: Some(SecretUrl::new("redis://127.0.0.1:1/9")),
            ..RedisSection::default()
        };
        let backends = open(&storage, &redis, true).await.unwrap();
        assert_eq!(backends.lock_kind, LockKind::InProcess);
        assert_eq!(backends.database.backend(), "memory");
    }

    #[tokio::test]
    async fn without_redis_the_lock_is_the_storage_database() {
        let dir = std::env::temp_dir().join(format!("crmsync-backends-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let storage = StorageSection::new(&format!("sqlite:{}", dir.join("x.sqlite").display()));
        let backends = open(&storage, &RedisSection::default(), false)
            .await
            .unwrap();
        assert_eq!(backends.lock_kind, LockKind::Database);
        let lease = backends
            .locks
            .try_acquire("k", "me", Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            backends.locks.holder("k").await.unwrap().as_deref(),
            Some("me")
        );
        assert!(backends.locks.release(&lease).await.unwrap());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn memory_storage_without_redis_is_refused_outside_the_sandbox() {
        let error = open(
            &StorageSection::new("memory:"),
            &RedisSection::default(),
            false,
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("storage.url"), "{error}");
        let error = open(&StorageSection::default(), &RedisSection::default(), false)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("storage.url"), "{error}");
    }
}
