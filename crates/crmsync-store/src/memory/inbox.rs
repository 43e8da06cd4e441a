//! AMONITION's webhook inbox in memory (sandbox and tests).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_ports::{
    Enqueued, InboxCounts, InboxItem, InboxState, NewInboxEvent, StoreError, WebhookInbox,
};

use super::lock;

#[derive(Debug, Default)]
struct State {
    rows: BTreeMap<i64, (InboxItem, Option<DateTime<Utc>>)>,
    keys: HashSet<String>,
    next: i64,
}

/// [`WebhookInbox`] in memory; clones share state.
#[derive(Debug, Clone, Default)]
pub struct MemoryWebhookInbox {
    state: Arc<Mutex<State>>,
}

impl MemoryWebhookInbox {
    /// An empty inbox.
    pub fn new() -> Self {
        Self::default()
    }
}

fn lease_end(at: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX)
}

#[async_trait]
impl WebhookInbox for MemoryWebhookInbox {
    async fn enqueue(
        &self,
        events: &[NewInboxEvent],
        at: DateTime<Utc>,
    ) -> Result<Enqueued, StoreError> {
        let mut state = lock(&self.state);
        let mut out = Enqueued::default();
        for event in events {
            if !state.keys.insert(event.dedupe_key.clone()) {
                out.duplicates += 1;
                continue;
            }
            state.next += 1;
            let id = state.next;
            let item = InboxItem {
                id,
                dedupe_key: event.dedupe_key.clone(),
                kind: event.kind.clone(),
                payload: event.payload.clone(),
                state: InboxState::Pending,
                attempts: 0,
                last_error: None,
                received_at: at,
                available_at: at,
            };
            state.rows.insert(id, (item, None));
            out.stored += 1;
        }
        Ok(out)
    }

    async fn claim(
        &self,
        limit: u32,
        lease: Duration,
        at: DateTime<Utc>,
    ) -> Result<Vec<InboxItem>, StoreError> {
        let mut state = lock(&self.state);
        let mut out = Vec::new();
        for (item, locked_until) in state.rows.values_mut() {
            if out.len() >= limit as usize {
                break;
            }
            let due = match item.state {
                InboxState::Pending => item.available_at <= at,
                InboxState::Running => locked_until.is_some_and(|until| until < at),
                InboxState::Done | InboxState::Dead => false,
            };
            if due {
                item.state = InboxState::Running;
                item.attempts += 1;
                *locked_until = Some(lease_end(at, lease));
                out.push(item.clone());
            }
        }
        Ok(out)
    }

    async fn complete(&self, id: i64, _at: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some((item, _)) = lock(&self.state).rows.get_mut(&id) {
            item.state = InboxState::Done;
        }
        Ok(())
    }

    async fn fail(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        if let Some((item, locked_until)) = lock(&self.state).rows.get_mut(&id) {
            item.last_error = Some(error.to_owned());
            *locked_until = None;
            match retry_at {
                Some(at) => {
                    item.state = InboxState::Pending;
                    item.available_at = at;
                }
                None => item.state = InboxState::Dead,
            }
        }
        Ok(())
    }

    async fn list(
        &self,
        state: Option<InboxState>,
        limit: u32,
    ) -> Result<Vec<InboxItem>, StoreError> {
        Ok(lock(&self.state)
            .rows
            .values()
            .rev()
            .filter(|(item, _)| state.is_none_or(|s| item.state == s))
            .take(limit as usize)
            .map(|(item, _)| item.clone())
            .collect())
    }

    async fn retry(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        match lock(&self.state).rows.get_mut(&id) {
            Some((item, _)) if matches!(item.state, InboxState::Dead | InboxState::Pending) => {
                item.state = InboxState::Pending;
                item.attempts = 0;
                item.available_at = at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn purge(&self, before: DateTime<Utc>, dead: bool) -> Result<u64, StoreError> {
        let mut state = lock(&self.state);
        let gone: Vec<(i64, String)> = state
            .rows
            .values()
            .filter(|(item, _)| {
                item.received_at < before
                    && (item.state == InboxState::Done || (dead && item.state == InboxState::Dead))
            })
            .map(|(item, _)| (item.id, item.dedupe_key.clone()))
            .collect();
        for (id, key) in &gone {
            state.rows.remove(id);
            state.keys.remove(key);
        }
        Ok(gone.len() as u64)
    }

    async fn counts(&self) -> Result<InboxCounts, StoreError> {
        let state = lock(&self.state);
        let mut counts = InboxCounts::default();
        for (item, _) in state.rows.values() {
            match item.state {
                InboxState::Pending => counts.pending += 1,
                InboxState::Running => counts.running += 1,
                InboxState::Done => counts.done += 1,
                InboxState::Dead => counts.dead += 1,
            }
        }
        Ok(counts)
    }
}
