//! `LockStore` on Redis: `SET NX PX` leases, owner-only release and extend, and a fencing counter per key.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use crmsync_ports::{LockLease, LockStore, StoreError};
use redis::Script;
use redis::aio::ConnectionManager;

use crate::error::{redis_error, ttl_millis};
use crate::keys::Keys;

static ACQUIRE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/lock_acquire.lua")));
static RELEASE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/lock_release.lua")));
static EXTEND: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/lock_extend.lua")));

/// Separates the random token from the owner in the stored value; a UUID never contains it.
const SEPARATOR: char = '|';

/// [`LockStore`] on one Redis server.
///
/// The lock key holds `{token}|{owner}`: contenders can see the owner through [`LockStore::holder`], while only a
/// caller that knows the random token can extend or release the lock (both compare the whole value).
#[derive(Clone)]
pub struct RedisLockStore {
    connection: ConnectionManager,
    keys: Keys,
}

impl std::fmt::Debug for RedisLockStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLockStore")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl RedisLockStore {
    /// Locks on `connection`, with every key under `key_prefix`.
    pub fn new(connection: ConnectionManager, key_prefix: impl Into<String>) -> Self {
        Self {
            connection,
            keys: Keys::new(key_prefix),
        }
    }
}

fn stored_value(token: &str, owner: &str) -> String {
    format!("{token}{SEPARATOR}{owner}")
}

#[async_trait]
impl LockStore for RedisLockStore {
    async fn try_acquire(
        &self,
        key: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<LockLease>, StoreError> {
        let millis = ttl_millis(ttl)?;
        let token = uuid::Uuid::new_v4().to_string();
        let fence: u64 = ACQUIRE
            .key(self.keys.lock(key))
            .key(self.keys.lock_fence(key))
            .arg(stored_value(&token, owner))
            .arg(millis)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)?;
        Ok((fence > 0).then(|| LockLease {
            key: key.to_owned(),
            token,
            owner: owner.to_owned(),
            fence,
            ttl,
        }))
    }

    async fn extend(&self, lease: &LockLease, ttl: Duration) -> Result<bool, StoreError> {
        let millis = ttl_millis(ttl)?;
        let extended: i64 = EXTEND
            .key(self.keys.lock(&lease.key))
            .arg(stored_value(&lease.token, &lease.owner))
            .arg(millis)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)?;
        Ok(extended == 1)
    }

    async fn release(&self, lease: &LockLease) -> Result<bool, StoreError> {
        let released: i64 = RELEASE
            .key(self.keys.lock(&lease.key))
            .arg(stored_value(&lease.token, &lease.owner))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)?;
        Ok(released == 1)
    }

    async fn holder(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value: Option<String> = redis::cmd("GET")
            .arg(self.keys.lock(key))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(redis_error)?;
        value
            .map(|value| match value.split_once(SEPARATOR) {
                Some((_token, owner)) => Ok(owner.to_owned()),
                None => Err(StoreError::Corrupt {
                    what: "lock value",
                    reason: format!("no `{SEPARATOR}` between token and owner"),
                }),
            })
            .transpose()
    }
}
