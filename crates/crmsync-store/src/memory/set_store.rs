//! Named ordered sets held in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crmsync_ports::{SetStore, StoreError};

use super::lock;

/// [`SetStore`] in memory.
#[derive(Debug, Clone, Default)]
pub struct MemorySetStore {
    sets: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl MemorySetStore {
    /// No sets.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl SetStore for MemorySetStore {
    async fn add(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        let mut sets = lock(&self.sets);
        let entry = sets.entry(set.to_owned()).or_default();
        let mut added = 0;
        for member in members {
            if !entry.contains(member) {
                entry.push(member.clone());
                added += 1;
            }
        }
        Ok(added)
    }

    async fn remove(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        let mut sets = lock(&self.sets);
        let Some(entry) = sets.get_mut(set) else {
            return Ok(0);
        };
        let before = entry.len();
        entry.retain(|m| !members.contains(m));
        Ok((before - entry.len()) as u64)
    }

    async fn members(&self, set: &str) -> Result<Vec<String>, StoreError> {
        Ok(lock(&self.sets).get(set).cloned().unwrap_or_default())
    }

    async fn contains(&self, set: &str, member: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.sets)
            .get(set)
            .is_some_and(|m| m.iter().any(|x| x == member)))
    }

    async fn len(&self, set: &str) -> Result<u64, StoreError> {
        Ok(lock(&self.sets).get(set).map_or(0, |m| m.len() as u64))
    }

    async fn clear(&self, set: &str) -> Result<u64, StoreError> {
        Ok(lock(&self.sets).remove(set).map_or(0, |m| m.len() as u64))
    }
}
