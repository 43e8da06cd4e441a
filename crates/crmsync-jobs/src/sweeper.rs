//! The retry sweeper: declares silent runs stale and re-runs failed ones, with a maximum number of attempts and
//! exponential backoff (the batch-task retry of the office-platform sync).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::{ProcessId, ProcessKind, ProcessStatus};
use crmsync_ports::{Expected, ProcessFilter, StoreError};
use serde::Serialize;

use crate::tracking::{RunContext, RunError, Tracker};

/// An error a retryable job returns.
pub type JobError = Box<dyn std::error::Error + Send + Sync>;

/// A job the sweeper can run again from its journal entry (settings and checkpoint).
#[async_trait]
pub trait RetryableJob: Send + Sync {
    /// Runs one attempt.
    async fn run(&self, context: RunContext) -> Result<(), JobError>;
}

/// When and how often failed runs are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first run included.
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub base_backoff: Duration,
    /// The longest wait.
    pub max_backoff: Duration,
    /// A running attempt silent for this long is declared failed.
    pub stale_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(3600),
            stale_after: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt of a run that has failed after `attempts` attempts.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(31);
        self.base_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Running entries declared failed because their heartbeat stopped.
    pub marked_stale: Vec<ProcessId>,
    /// Entries re-run, with the outcome.
    pub retried: Vec<RetryOutcome>,
    /// Failed entries still in their backoff, with when they become due.
    pub waiting: Vec<(ProcessId, DateTime<Utc>)>,
    /// Failed entries that used all their attempts.
    pub exhausted: Vec<ProcessId>,
    /// Failed entries of a kind no job is registered for.
    pub unknown_kind: Vec<ProcessId>,
}

/// One retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetryOutcome {
    /// The entry.
    pub id: ProcessId,
    /// Its kind.
    pub kind: ProcessKind,
    /// Which attempt this was.
    pub attempt: u32,
    /// `None` on success, the error otherwise.
    pub error: Option<String>,
}

/// Finds runs to retry and retries them through registered jobs.
pub struct Sweeper {
    tracker: Tracker,
    policy: RetryPolicy,
    jobs: BTreeMap<ProcessKind, Arc<dyn RetryableJob>>,
}

impl std::fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeper")
            .field("policy", &self.policy)
            .field("kinds", &self.jobs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Sweeper {
    /// A sweeper running retries through `tracker` under `policy`.
    pub fn new(tracker: Tracker, policy: RetryPolicy) -> Self {
        Self {
            tracker,
            policy,
            jobs: BTreeMap::new(),
        }
    }

    /// Retries entries of `kind` with `job`.
    #[must_use]
    pub fn register(mut self, kind: ProcessKind, job: Arc<dyn RetryableJob>) -> Self {
        self.jobs.insert(kind, job);
        self
    }

    /// One pass at time `now`: marks silent runs failed, then re-runs the failed runs that are due, one by one.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<SweepReport, StoreError> {
        let store = self.tracker.store();
        let mut report = SweepReport::default();
        let stale_before = now
            - chrono::Duration::from_std(self.policy.stale_after).unwrap_or(chrono::Duration::MAX);
        for mut process in store.find_stale(stale_before, 1_000).await? {
            let before = Expected::from(&process);
            if process.mark_stale(now).is_ok() && store.save(&process, before).await? {
                tracing::warn!(process = %process.id(), kind = %process.kind(), "run stopped heart-beating; marked failed");
                report.marked_stale.push(process.id());
            }
        }

        for process in store
            .retry_candidates(self.policy.max_attempts, 1_000)
            .await?
        {
            let Some(job) = self.jobs.get(process.kind()) else {
                report.unknown_kind.push(process.id());
                continue;
            };
            let failed_at = process
                .record()
                .finished_at
                .unwrap_or(process.record().created_at);
            let wait = chrono::Duration::from_std(self.policy.backoff(process.attempts()))
                .unwrap_or(chrono::Duration::MAX);
            let due = failed_at
                .checked_add_signed(wait)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if due > now {
                report.waiting.push((process.id(), due));
                continue;
            }
            let job = job.clone();
            let result = self
                .tracker
                .resume(process.id(), move |context| async move {
                    job.run(context).await.map_err(BoxedError)
                })
                .await;
            let error = match result {
                Ok(_) => None,
                Err(RunError::LostOwnership { .. } | RunError::NotResumable { .. }) => continue,
                Err(RunError::Job { source, .. }) => Some(source.to_string()),
                Err(RunError::Store(error)) => return Err(error),
                Err(other) => Some(other.to_string()),
            };
            report.retried.push(RetryOutcome {
                id: process.id(),
                kind: process.kind().clone(),
                attempt: process.attempts() + 1,
                error,
            });
        }

        let failed = ProcessFilter {
            status: Some(ProcessStatus::Failed),
            ..ProcessFilter::default()
        };
        report.exhausted = store
            .list(&failed)
            .await?
            .iter()
            .filter(|p| p.attempts() >= self.policy.max_attempts)
            .map(|p| p.id())
            .collect();
        Ok(report)
    }
}

/// A boxed job error as a concrete `Error` type for the tracker.
#[derive(Debug)]
struct BoxedError(JobError);

impl std::fmt::Display for BoxedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for BoxedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

#[cfg(test)]
mod tests;
