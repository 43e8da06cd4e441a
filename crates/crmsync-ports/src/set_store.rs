//! `SetStore`: named sets of strings that remember the order members arrived in.

use async_trait::async_trait;

use crate::StoreError;

/// Named sets (pending retrievals, overflow queues, ...).
///
/// Members are unique within a set; [`SetStore::members`] lists them in the order they were first added, so a
/// set doubles as a deduplicated FIFO queue.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SetStore: Send + Sync {
    /// Adds members, keeping the position of those already present; returns how many were new.
    async fn add(&self, set: &str, members: &[String]) -> Result<u64, StoreError>;

    /// Removes members; returns how many were present.
    async fn remove(&self, set: &str, members: &[String]) -> Result<u64, StoreError>;

    /// All members, in first-added order.
    async fn members(&self, set: &str) -> Result<Vec<String>, StoreError>;

    /// Whether `member` is in the set.
    async fn contains(&self, set: &str, member: &str) -> Result<bool, StoreError>;

    /// Number of members.
    async fn len(&self, set: &str) -> Result<u64, StoreError>;

    /// Removes every member; returns how many there were.
    async fn clear(&self, set: &str) -> Result<u64, StoreError>;
}
