//! `AuditLog`: who changed what, and with what outcome — every state-changing call of an API or a command.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::ProcessId;
use serde::Serialize;

use crate::StoreError;

/// How a state-changing call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Done.
    Ok,
    /// Refused for lack of a role.
    Denied,
    /// Tried and failed.
    Failed,
}

impl AuditOutcome {
    /// The stored name: `ok`, `denied`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }

    /// Reads [`AuditOutcome::as_str`] back.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Ok, Self::Denied, Self::Failed]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// One audited call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who: an API token's name (`token:NAME`) or an operating-system user (`user:NAME`); never a secret.
    pub actor: String,
    /// What (`start`, `step`, `finish`, `resume`, `abort`, `delete_unused`, `generate`, …).
    pub action: String,
    /// The run concerned, when there is one.
    pub process: Option<ProcessId>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// A short note (the error of a failed call, the role a denied call lacked); no personal data.
    pub detail: Option<String>,
}

/// A stored [`AuditEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Store-assigned id, increasing.
    pub id: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which entries to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuditFilter {
    /// Only this run's.
    pub process: Option<ProcessId>,
    /// At most this many, newest first.
    pub limit: Option<u32>,
}

/// The audit table: append-only.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends `entry`.
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// Entries matching `filter`, newest first.
    async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError>;
}
