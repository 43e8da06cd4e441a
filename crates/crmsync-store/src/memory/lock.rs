//! An in-process lock service with leases and fencing numbers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use crmsync_ports::{LockLease, LockStore, StoreError};

use super::lock;

#[derive(Debug)]
struct Held {
    token: String,
    owner: String,
    expires_at: Instant,
}

#[derive(Debug, Default)]
struct State {
    held: HashMap<String, Held>,
    fences: HashMap<String, u64>,
}

/// [`LockStore`] within one process: the embedded default when only one instance runs.
#[derive(Debug, Clone, Default)]
pub struct MemoryLockStore {
    state: Arc<Mutex<State>>,
}

impl MemoryLockStore {
    /// No locks held.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl LockStore for MemoryLockStore {
    async fn try_acquire(
        &self,
        key: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<LockLease>, StoreError> {
        let now = Instant::now();
        let mut state = lock(&self.state);
        if state
            .held
            .get(key)
            .is_some_and(|held| held.expires_at > now)
        {
            return Ok(None);
        }
        let token = uuid::Uuid::new_v4().to_string();
        let fence = state.fences.entry(key.to_owned()).or_default();
        *fence += 1;
        let fence = *fence;
        state.held.insert(
            key.to_owned(),
            Held {
                token: token.clone(),
                owner: owner.to_owned(),
                expires_at: now + ttl,
            },
        );
        Ok(Some(LockLease {
            key: key.to_owned(),
            token,
            owner: owner.to_owned(),
            fence,
            ttl,
        }))
    }

    async fn extend(&self, lease: &LockLease, ttl: Duration) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut state = lock(&self.state);
        match state.held.get_mut(&lease.key) {
            Some(held) if held.token == lease.token && held.expires_at > now => {
                held.expires_at = now + ttl;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release(&self, lease: &LockLease) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut state = lock(&self.state);
        match state.held.get(&lease.key) {
            Some(held) if held.token == lease.token => {
                let was_live = held.expires_at > now;
                state.held.remove(&lease.key);
                Ok(was_live)
            }
            _ => Ok(false),
        }
    }

    async fn holder(&self, key: &str) -> Result<Option<String>, StoreError> {
        let now = Instant::now();
        Ok(lock(&self.state)
            .held
            .get(key)
            .filter(|held| held.expires_at > now)
            .map(|held| held.owner.clone()))
    }
}
