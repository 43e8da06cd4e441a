//! Expiring key-value pairs held in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use crmsync_ports::{KeyValueStore, StoreError};

use super::lock;

#[derive(Debug, Clone)]
struct Entry {
    value: String,
    expires_at: Option<Instant>,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// [`KeyValueStore`] in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryKeyValueStore {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl MemoryKeyValueStore {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }
}

fn entry(value: &str, ttl: Option<Duration>, now: Instant) -> Entry {
    Entry {
        value: value.to_owned(),
        expires_at: ttl.map(|ttl| now + ttl),
    }
}

#[async_trait]
impl KeyValueStore for MemoryKeyValueStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let now = Instant::now();
        Ok(lock(&self.entries)
            .get(key)
            .filter(|e| e.is_live(now))
            .map(|e| e.value.clone()))
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        lock(&self.entries).insert(key.to_owned(), entry(value, ttl, Instant::now()));
        Ok(())
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<String>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        let current = entries
            .get(key)
            .filter(|e| e.is_live(now))
            .map(|e| e.value.as_str());
        if current != expected.as_deref() {
            return Ok(false);
        }
        entries.insert(key.to_owned(), entry(value, ttl, now));
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let now = Instant::now();
        Ok(lock(&self.entries)
            .remove(key)
            .is_some_and(|e| e.is_live(now)))
    }
}
