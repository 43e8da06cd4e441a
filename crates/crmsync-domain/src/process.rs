//! The run journal entry shared by every job: one `Process` per run, with legal status transitions.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Identifier of a journaled run, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProcessId(pub i64);

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ProcessId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Self)
    }
}

/// Why a string is not a process kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "process kind {kind:?} is invalid: use 1 to 64 characters from a-z, 0-9, `.`, `_`, `-` and `:`"
)]
pub struct ProcessKindError {
    /// The rejected kind.
    pub kind: String,
}

/// What a run does, such as `coupons.generate` or `officeflow.positions`; the key of retries and statistics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProcessKind(String);

impl ProcessKind {
    /// Validates a kind name.
    pub fn new(kind: impl Into<String>) -> Result<Self, ProcessKindError> {
        let kind = kind.into();
        let valid = !kind.is_empty()
            && kind.len() <= 64
            && kind.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | ':')
            });
        if valid {
            Ok(Self(kind))
        } else {
            Err(ProcessKindError { kind })
        }
    }

    /// The kind as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProcessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProcessKind {
    type Error = ProcessKindError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ProcessKind> for String {
    fn from(kind: ProcessKind) -> Self {
        kind.0
    }
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessStatus {
    /// Recorded, not started (or queued again for a retry).
    Pending,
    /// Started and heart-beating.
    Running,
    /// Finished successfully.
    Completed,
    /// Finished with an error, or stopped heart-beating; may be retried.
    Failed,
    /// Stopped on purpose; never retried.
    Aborted,
}

impl ProcessStatus {
    /// All statuses, in life-cycle order.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Aborted,
    ];

    /// The lower-case name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Aborted => "aborted",
        }
    }

    /// Whether no further transition is possible.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Aborted)
    }
}

impl fmt::Display for ProcessStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored status name that is not one of [`ProcessStatus`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown process status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for ProcessStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// An operation the current status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("process {id}: cannot {action} a {from} process")]
pub struct TransitionError {
    /// The process concerned.
    pub id: ProcessId,
    /// Its status when the operation was attempted.
    pub from: ProcessStatus,
    /// What was attempted (`start`, `complete`, ...).
    pub action: &'static str,
}

/// What a job asks the journal to record before it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewProcess {
    /// What the run does.
    pub kind: ProcessKind,
    /// The run's settings, enough to run it again.
    pub settings: Value,
    /// How many units of work are expected, when known up front.
    pub total: Option<u64>,
}

/// Every stored field of a journal entry; what stores read and write.
///
/// Build a [`Process`] from it with [`Process::restore`]; change it only through `Process` methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessRecord {
    /// Store-assigned id.
    pub id: ProcessId,
    /// What the run does.
    pub kind: ProcessKind,
    /// The run's settings.
    pub settings: Value,
    /// Current status.
    pub status: ProcessStatus,
    /// When the entry was recorded.
    pub created_at: DateTime<Utc>,
    /// When the latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the latest attempt ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Last sign of life of the running attempt.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// Units of work done.
    pub processed: u64,
    /// Units of work expected, when known.
    pub total: Option<u64>,
    /// How many times the run was started.
    pub attempts: u32,
    /// The error of the latest failed attempt.
    pub last_error: Option<String>,
    /// The latest progress message.
    pub message: Option<String>,
    /// Job-specific state that lets a resumed run continue where it stopped.
    pub checkpoint: Option<Value>,
    /// The fencing number of the lock lease the latest attempt ran under, when it ran under one.
    pub fence: Option<u64>,
}

/// A journal entry whose status only changes through legal transitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Process {
    record: ProcessRecord,
}

impl Process {
    /// A fresh `Pending` entry, as a store records it.
    pub fn new(id: ProcessId, new: NewProcess, now: DateTime<Utc>) -> Self {
        Self {
            record: ProcessRecord {
                id,
                kind: new.kind,
                settings: new.settings,
                status: ProcessStatus::Pending,
                created_at: now,
                started_at: None,
                finished_at: None,
                heartbeat_at: None,
                processed: 0,
                total: new.total,
                attempts: 0,
                last_error: None,
                message: None,
                checkpoint: None,
                fence: None,
            },
        }
    }

    /// Rebuilds an entry from what a store read.
    pub fn restore(record: ProcessRecord) -> Self {
        Self { record }
    }

    /// All fields, read-only.
    pub fn record(&self) -> &ProcessRecord {
        &self.record
    }

    /// The entry's id.
    pub fn id(&self) -> ProcessId {
        self.record.id
    }

    /// What the run does.
    pub fn kind(&self) -> &ProcessKind {
        &self.record.kind
    }

    /// Current status.
    pub fn status(&self) -> ProcessStatus {
        self.record.status
    }

    /// The run's settings.
    pub fn settings(&self) -> &Value {
        &self.record.settings
    }

    /// Units of work done.
    pub fn processed(&self) -> u64 {
        self.record.processed
    }

    /// Units of work expected.
    pub fn total(&self) -> Option<u64> {
        self.record.total
    }

    /// How many times the run was started.
    pub fn attempts(&self) -> u32 {
        self.record.attempts
    }

    /// The checkpoint a resumed run continues from.
    pub fn checkpoint(&self) -> Option<&Value> {
        self.record.checkpoint.as_ref()
    }

    fn require(
        &self,
        allowed: &[ProcessStatus],
        action: &'static str,
    ) -> Result<(), TransitionError> {
        if allowed.contains(&self.record.status) {
            Ok(())
        } else {
            Err(TransitionError {
                id: self.record.id,
                from: self.record.status,
                action,
            })
        }
    }

    /// `Pending → Running`: counts an attempt and starts the heartbeat clock.
    pub fn start(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Pending], "start")?;
        let r = &mut self.record;
        r.status = ProcessStatus::Running;
        r.started_at = Some(now);
        r.heartbeat_at = Some(now);
        r.finished_at = None;
        r.fence = None;
        r.attempts = r.attempts.saturating_add(1);
        Ok(())
    }

    /// Records the fencing number of the lease a running attempt holds.
    pub fn set_fence(&mut self, fence: u64) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Running], "set_fence")?;
        self.record.fence = Some(fence);
        Ok(())
    }

    /// Records a sign of life of a running attempt.
    pub fn heartbeat(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Running], "heartbeat")?;
        self.record.heartbeat_at = Some(now);
        Ok(())
    }

    /// Records progress of a running attempt; `total` is kept when `None`.
    pub fn progress(
        &mut self,
        processed: u64,
        total: Option<u64>,
        message: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Running], "record progress of")?;
        let r = &mut self.record;
        r.processed = processed;
        if total.is_some() {
            r.total = total;
        }
        if message.is_some() {
            r.message = message;
        }
        r.heartbeat_at = Some(now);
        Ok(())
    }

    /// Stores the state a resumed run continues from.
    pub fn set_checkpoint(&mut self, checkpoint: Value) -> Result<(), TransitionError> {
        self.require(
            &[ProcessStatus::Pending, ProcessStatus::Running],
            "checkpoint",
        )?;
        self.record.checkpoint = Some(checkpoint);
        Ok(())
    }

    /// `Running → Completed`.
    pub fn complete(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Running], "complete")?;
        let r = &mut self.record;
        r.status = ProcessStatus::Completed;
        r.finished_at = Some(now);
        r.heartbeat_at = Some(now);
        r.last_error = None;
        Ok(())
    }

    /// `Running → Failed`, keeping the error for the journal and the retry sweeper.
    pub fn fail(
        &mut self,
        error: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Running], "fail")?;
        let r = &mut self.record;
        r.status = ProcessStatus::Failed;
        r.finished_at = Some(now);
        r.last_error = Some(error.into());
        Ok(())
    }

    /// `Running → Failed` for an attempt whose heartbeat stopped before `now - threshold`.
    pub fn mark_stale(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Running], "mark stale")?;
        let since = self
            .record
            .heartbeat_at
            .or(self.record.started_at)
            .unwrap_or(self.record.created_at);
        self.fail(format!("heartbeat lost since {}", since.to_rfc3339()), now)
    }

    /// `Pending | Running → Aborted`: stopped on purpose, never retried.
    pub fn abort(
        &mut self,
        reason: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Pending, ProcessStatus::Running], "abort")?;
        let r = &mut self.record;
        r.status = ProcessStatus::Aborted;
        r.finished_at = Some(now);
        r.last_error = Some(reason.into());
        Ok(())
    }

    /// `Failed → Pending`: queues a retry; progress and checkpoint are kept so the job can resume.
    pub fn requeue(&mut self) -> Result<(), TransitionError> {
        self.require(&[ProcessStatus::Failed], "requeue")?;
        self.record.status = ProcessStatus::Pending;
        Ok(())
    }

    /// Whether a running attempt last beat before `deadline`.
    pub fn is_stale(&self, deadline: DateTime<Utc>) -> bool {
        self.record.status == ProcessStatus::Running
            && self
                .record
                .heartbeat_at
                .or(self.record.started_at)
                .is_none_or(|beat| beat < deadline)
    }
}

#[cfg(test)]
mod tests;
