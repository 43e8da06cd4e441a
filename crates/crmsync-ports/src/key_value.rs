//! `KeyValueStore`: small string values with optional expiry (tokens, cursors, checkpoints).

use std::time::Duration;

use async_trait::async_trait;

use crate::StoreError;

/// String values by key, each with an optional time to live.
///
/// An expired value behaves exactly like a missing one.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait KeyValueStore: Send + Sync {
    /// The live value of `key`.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Sets `key`, replacing any value; `ttl: None` keeps it until deleted.
    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError>;

    /// Sets `key` only if it holds `expected` (`None`: only if it has no live value); `true` when written.
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<String>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError>;

    /// Removes `key`; `true` if it had a live value.
    async fn delete(&self, key: &str) -> Result<bool, StoreError>;
}
