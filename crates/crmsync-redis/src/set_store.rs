//! `SetStore` on Redis: a sorted set per named set, scored by a per-set arrival counter.

use std::sync::LazyLock;

use async_trait::async_trait;
use crmsync_ports::{SetStore, StoreError};
use redis::Script;
use redis::aio::ConnectionManager;

use crate::error::redis_error;
use crate::keys::Keys;

static ADD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/set_add.lua")));
static REMOVE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/set_remove.lua")));
static CLEAR: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/set_clear.lua")));

/// Most members sent to one script call; longer lists go in several calls.
const BATCH: usize = 500;

/// [`SetStore`] on one Redis server.
///
/// Members are scored by arrival number, so `ZRANGE` lists them in first-added order. Each batch of up to 500
/// members is applied atomically; a longer `add` or `remove` is several atomic steps.
#[derive(Clone)]
pub struct RedisSetStore {
    connection: ConnectionManager,
    keys: Keys,
}

impl std::fmt::Debug for RedisSetStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSetStore")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl RedisSetStore {
    /// Sets on `connection`, with every key under `key_prefix`.
    pub fn new(connection: ConnectionManager, key_prefix: impl Into<String>) -> Self {
        Self {
            connection,
            keys: Keys::new(key_prefix),
        }
    }

    async fn in_batches(
        &self,
        script: &Script,
        set: &str,
        members: &[String],
    ) -> Result<u64, StoreError> {
        let (set_key, sequence_key) = (self.keys.set(set), self.keys.set_sequence(set));
        let mut connection = self.connection.clone();
        let mut total = 0;
        for batch in members.chunks(BATCH) {
            let changed: u64 = script
                .key(&set_key)
                .key(&sequence_key)
                .arg(batch)
                .invoke_async(&mut connection)
                .await
                .map_err(redis_error)?;
            total += changed;
        }
        Ok(total)
    }
}

#[async_trait]
impl SetStore for RedisSetStore {
    async fn add(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        self.in_batches(&ADD, set, members).await
    }

    async fn remove(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        self.in_batches(&REMOVE, set, members).await
    }

    async fn members(&self, set: &str) -> Result<Vec<String>, StoreError> {
        redis::cmd("ZRANGE")
            .arg(self.keys.set(set))
            .arg(0)
            .arg(-1)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)
    }

    async fn contains(&self, set: &str, member: &str) -> Result<bool, StoreError> {
        let score: Option<f64> = redis::cmd("ZSCORE")
            .arg(self.keys.set(set))
            .arg(member)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)?;
        Ok(score.is_some())
    }

    async fn len(&self, set: &str) -> Result<u64, StoreError> {
        redis::cmd("ZCARD")
            .arg(self.keys.set(set))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)
    }

    async fn clear(&self, set: &str) -> Result<u64, StoreError> {
        CLEAR
            .key(self.keys.set(set))
            .key(self.keys.set_sequence(set))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)
    }
}
