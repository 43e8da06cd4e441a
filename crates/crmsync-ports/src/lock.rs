//! `LockStore`: mutual exclusion between instances of a job, with leases and fencing numbers.

use std::time::Duration;

use async_trait::async_trait;

use crate::StoreError;

/// A held lock: proof of ownership for `extend` and `release`. Its `Debug` leaves the token out: whoever has it
/// can release the lock.
#[derive(Clone, PartialEq, Eq)]
pub struct LockLease {
    /// The lock's key.
    pub key: String,
    /// Random value that identifies this holder; only it can extend or release the lock.
    pub token: String,
    /// Who holds it (host and pid), shown to contenders.
    pub owner: String,
    /// Strictly increasing number per key: a later holder always has a larger one.
    pub fence: u64,
    /// How long the lease lasts without renewal.
    pub ttl: Duration,
}

impl std::fmt::Debug for LockLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockLease")
            .field("key", &self.key)
            .field("token", &"<redacted>")
            .field("owner", &self.owner)
            .field("fence", &self.fence)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// A lock service with expiring leases.
///
/// A holder that dies without releasing frees the lock once its TTL passes. Releasing or extending with a lease
/// that is no longer the current one is a no-op that returns `false`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LockStore: Send + Sync {
    /// Takes the lock if nobody holds it; `None` when it is held.
    async fn try_acquire(
        &self,
        key: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<LockLease>, StoreError>;

    /// Resets the lease's TTL if it is still the current holder's; `false` when the lock was lost.
    async fn extend(&self, lease: &LockLease, ttl: Duration) -> Result<bool, StoreError>;

    /// Frees the lock if `lease` still holds it; `false` otherwise.
    async fn release(&self, lease: &LockLease) -> Result<bool, StoreError>;

    /// The owner description of the current holder, if any.
    async fn holder(&self, key: &str) -> Result<Option<String>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leases_debug_leaves_the_token_out() {
        let lease = LockLease {
            key: "job".into(),
            token: "lease-secret".into(),
            owner: "host:1".into(),
            fence: 7,
            ttl: Duration::from_secs(120),
        };
        let shown = format!("{lease:?}");
        assert!(!shown.contains("lease-secret"), "{shown}");
        assert!(
            shown.contains("fence: 7") && shown.contains("host:1"),
            "{shown}"
        );
    }
}
