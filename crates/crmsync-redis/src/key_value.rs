//! `KeyValueStore` on Redis: plain strings, `PX` for a TTL, and a Lua compare-and-swap.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use crmsync_ports::{KeyValueStore, StoreError};
use redis::Script;
use redis::aio::ConnectionManager;

use crate::error::{redis_error, ttl_millis};
use crate::keys::Keys;

static COMPARE_AND_SWAP: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/kv_compare_and_swap.lua")));

/// [`KeyValueStore`] on one Redis server; Redis itself expires values with a TTL.
#[derive(Clone)]
pub struct RedisKeyValueStore {
    connection: ConnectionManager,
    keys: Keys,
}

impl std::fmt::Debug for RedisKeyValueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisKeyValueStore")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl RedisKeyValueStore {
    /// Values on `connection`, with every key under `key_prefix`.
    pub fn new(connection: ConnectionManager, key_prefix: impl Into<String>) -> Self {
        Self {
            connection,
            keys: Keys::new(key_prefix),
        }
    }
}

#[async_trait]
impl KeyValueStore for RedisKeyValueStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        redis::cmd("GET")
            .arg(self.keys.value(key))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        let mut command = redis::cmd("SET");
        command.arg(self.keys.value(key)).arg(value);
        if let Some(ttl) = ttl {
            command.arg("PX").arg(ttl_millis(ttl)?);
        }
        command
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(redis_error)
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<String>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let ttl = ttl.map(ttl_millis).transpose()?;
        let (mode, expected) = match expected {
            None => ("absent", String::new()),
            Some(expected) => ("equals", expected),
        };
        let written: i64 = COMPARE_AND_SWAP
            .key(self.keys.value(key))
            .arg(mode)
            .arg(expected)
            .arg(value)
            .arg(ttl.map(|ms| ms.to_string()).unwrap_or_default())
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)?;
        Ok(written == 1)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let deleted: u64 = redis::cmd("DEL")
            .arg(self.keys.value(key))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)?;
        Ok(deleted > 0)
    }
}
