//! `WebhookInbox`: accepted webhook events, stored durably before the delivery is acknowledged and handed to
//! workers one claim at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::StoreError;

/// Where an inbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxState {
    /// Waiting for a worker (possibly until `available_at`, after a failed attempt).
    Pending,
    /// Claimed by a worker whose lease has not expired.
    Running,
    /// Handled.
    Done,
    /// Failed `max_attempts` times or failed for good; kept with its last error until retried or purged.
    Dead,
}

impl InboxState {
    /// Every state.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Running, Self::Done, Self::Dead];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    /// The state stored as `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for InboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of an accepted delivery, to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInboxEvent {
    /// Identifies the event across redeliveries: the same event delivered twice has the same key and is stored
    /// once.
    pub dedupe_key: String,
    /// What the event is (`lead.status`, `company.update`), for listings.
    pub kind: String,
    /// The parsed event.
    pub payload: Value,
}

/// What [`WebhookInbox::enqueue`] stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Enqueued {
    /// Events stored.
    pub stored: u64,
    /// Events already in the inbox (a redelivery), not stored again.
    pub duplicates: u64,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxItem {
    /// Row id, increasing in arrival order.
    pub id: i64,
    /// The redelivery key.
    pub dedupe_key: String,
    /// `lead.status`, `company.update`, ...
    pub kind: String,
    /// The parsed event.
    pub payload: Value,
    /// Where it stands.
    pub state: InboxState,
    /// Attempts started so far (a claim counts as one).
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was accepted.
    pub received_at: DateTime<Utc>,
    /// When a worker may take it next.
    pub available_at: DateTime<Utc>,
}

/// Rows per state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InboxCounts {
    /// Waiting.
    pub pending: u64,
    /// Claimed.
    pub running: u64,
    /// Handled.
    pub done: u64,
    /// Dead-lettered.
    pub dead: u64,
}

impl InboxCounts {
    /// Events not yet handled nor dead (the inbox depth).
    pub fn depth(&self) -> u64 {
        self.pending + self.running
    }
}

/// The durable queue of webhook events.
///
/// Any number of workers in any number of processes may claim side by side: a row is handed to one claimer at a
/// time (PostgreSQL: `FOR UPDATE SKIP LOCKED`), and a claim whose worker died is taken again once its lease ends.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookInbox: Send + Sync {
    /// Stores the events of one delivery in one transaction, skipping those whose key is already stored.
    async fn enqueue(
        &self,
        events: &[NewInboxEvent],
        at: DateTime<Utc>,
    ) -> Result<Enqueued, StoreError>;

    /// Claims up to `limit` rows that are pending and due, or running with an expired lease: each becomes
    /// `running` until `at + lease`, its attempts counted up.
    async fn claim(
        &self,
        limit: u32,
        lease: std::time::Duration,
        at: DateTime<Utc>,
    ) -> Result<Vec<InboxItem>, StoreError>;

    /// Marks a claimed row handled.
    async fn complete(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Records a failed attempt: pending again from `retry_at`, or dead when `retry_at` is `None`.
    async fn fail(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Up to `limit` rows in `state` (every state when `None`), newest first.
    async fn list(
        &self,
        state: Option<InboxState>,
        limit: u32,
    ) -> Result<Vec<InboxItem>, StoreError>;

    /// Puts a dead (or pending) row back in the queue with its attempts reset; `false` when there is no such row
    /// or it is running or done.
    async fn retry(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Deletes handled rows received before `before` and, with `dead`, dead rows too; returns how many. Rows
    /// deleted no longer catch redeliveries of their event.
    async fn purge(&self, before: DateTime<Utc>, dead: bool) -> Result<u64, StoreError>;

    /// Rows per state.
    async fn counts(&self) -> Result<InboxCounts, StoreError>;
}
