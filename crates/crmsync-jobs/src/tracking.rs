//! `Tracker`: runs a job as a journaled [`Process`] — start, heartbeat, progress, checkpoint, finish.

mod progress;

pub use progress::{JournalProgress, ProgressSnapshot};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessStatus, TransitionError};
use crmsync_ports::{Expected, Heartbeat, ProcessStore, Progress, StoreError};
use serde_json::Value;
use tokio::sync::{Mutex, watch};

use crate::shutdown::Shutdown;

/// How a tracked run reports to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackOptions {
    /// How often progress and a heartbeat are written while the job runs.
    pub heartbeat_every: Duration,
    /// A `Running` entry whose heartbeat is older than this may be taken over by [`Tracker::resume`].
    pub stale_after: Duration,
}

impl Default for TrackOptions {
    fn default() -> Self {
        Self {
            heartbeat_every: Duration::from_secs(15),
            stale_after: Duration::from_secs(600),
        }
    }
}

/// Why a tracked run did not produce its output.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E: std::error::Error + 'static> {
    /// The journal could not be read or written.
    #[error("run journal: {0}")]
    Store(#[from] StoreError),
    /// The entry does not allow the change (a bug, or a concurrent writer).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// No entry has this id.
    #[error("process {id} does not exist")]
    NotFound {
        /// The id asked for.
        id: ProcessId,
    },
    /// Only pending, failed and stale runs can be resumed.
    #[error("process {id} is {status} and cannot be resumed")]
    NotResumable {
        /// The entry.
        id: ProcessId,
        /// Its status.
        status: ProcessStatus,
    },
    /// Another runner started or took over this entry; this runner stopped without writing.
    #[error("process {id} was taken over by another runner")]
    LostOwnership {
        /// The entry.
        id: ProcessId,
    },
    /// A stop was asked for (signal, lost lock); the entry is journaled `Failed` so it can be retried.
    #[error("process {id} was interrupted: {reason}")]
    Interrupted {
        /// The entry.
        id: ProcessId,
        /// Why.
        reason: String,
    },
    /// The job itself failed; the entry is journaled `Failed` with this error.
    #[error("process {id} failed: {source}")]
    Job {
        /// The entry.
        id: ProcessId,
        /// The job's error.
        #[source]
        source: E,
    },
}

/// A finished run: its journal id and the job's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked<T> {
    /// The journal entry.
    pub id: ProcessId,
    /// What the job returned.
    pub output: T,
}

/// What a tracked job receives: its identity, settings, checkpoint and progress reporter.
#[derive(Clone)]
pub struct RunContext {
    id: ProcessId,
    attempt: u32,
    settings: Value,
    checkpoint: Option<Value>,
    progress: Arc<JournalProgress>,
    state: Arc<Mutex<Process>>,
    store: Arc<dyn ProcessStore>,
    shutdown: Shutdown,
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("id", &self.id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl RunContext {
    /// The journal entry of this run.
    pub fn id(&self) -> ProcessId {
        self.id
    }

    /// 1 for the first attempt, 2 for the first retry, ...
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The settings the run was recorded with.
    pub fn settings(&self) -> &Value {
        &self.settings
    }

    /// The checkpoint an earlier attempt saved, to resume from.
    pub fn checkpoint(&self) -> Option<&Value> {
        self.checkpoint.as_ref()
    }

    /// Where to report progress; it reaches the journal at the next heartbeat.
    pub fn progress(&self) -> &JournalProgress {
        &self.progress
    }

    /// A signal that fires when the run is asked to stop; long jobs may check it between steps.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Writes `checkpoint` and the current progress to the journal now.
    pub async fn save_checkpoint(&self, checkpoint: Value) -> Result<(), CheckpointError> {
        let mut state = self.state.lock().await;
        let before = state.clone();
        let mut next = before.clone();
        self.progress.apply_to(&mut next, Utc::now())?;
        next.set_checkpoint(checkpoint)?;
        if !self.store.save(&next, Expected::from(&before)).await? {
            return Err(CheckpointError::LostOwnership { id: self.id });
        }
        *state = next;
        Ok(())
    }
}

/// A checkpoint could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The journal could not be written.
    #[error("run journal: {0}")]
    Store(#[from] StoreError),
    /// The entry is no longer running.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Another runner took the entry over.
    #[error("process {id} was taken over by another runner")]
    LostOwnership {
        /// The entry.
        id: ProcessId,
    },
}

/// Runs jobs as journaled processes.
#[derive(Clone)]
pub struct Tracker {
    store: Arc<dyn ProcessStore>,
    options: TrackOptions,
    shutdown: Shutdown,
    sink: Option<Arc<dyn Progress>>,
    fence: Option<u64>,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Tracker {
    /// A tracker writing to `store` with default options and no stop signal.
    pub fn new(store: Arc<dyn ProcessStore>) -> Self {
        Self {
            store,
            options: TrackOptions::default(),
            shutdown: Shutdown::never(),
            sink: None,
            fence: None,
        }
    }

    /// Uses `options` for heartbeats and staleness.
    #[must_use]
    pub fn with_options(mut self, options: TrackOptions) -> Self {
        self.options = options;
        self
    }

    /// Stops runs (journaled `Failed`, retryable) when `shutdown` fires.
    #[must_use]
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Records `fence` (the fencing number of the lock lease the runs hold) on every entry it starts.
    #[must_use]
    pub fn with_fence(mut self, fence: u64) -> Self {
        self.fence = Some(fence);
        self
    }

    /// Also forwards progress to `sink` (a progress bar, a log line).
    #[must_use]
    pub fn with_progress_sink(mut self, sink: Arc<dyn Progress>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// The journal this tracker writes to.
    pub fn store(&self) -> &Arc<dyn ProcessStore> {
        &self.store
    }

    /// The options in use.
    pub fn options(&self) -> TrackOptions {
        self.options
    }

    /// Records a new entry for `new` and runs `job` as its first attempt.
    pub async fn run<T, E, F, Fut>(
        &self,
        new: NewProcess,
        job: F,
    ) -> Result<Tracked<T>, RunError<E>>
    where
        E: std::error::Error + 'static,
        F: FnOnce(RunContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let process = self.store.create(new).await?;
        tracing::info!(process = %process.id(), kind = %process.kind(), "run recorded");
        self.drive(process, job).await
    }

    /// Runs `job` again for entry `id`: a pending or failed entry, or a running one whose heartbeat is older
    /// than [`TrackOptions::stale_after`]. The job sees the settings and checkpoint of the earlier attempt.
    pub async fn resume<T, E, F, Fut>(
        &self,
        id: ProcessId,
        job: F,
    ) -> Result<Tracked<T>, RunError<E>>
    where
        E: std::error::Error + 'static,
        F: FnOnce(RunContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut process = self.store.get(id).await?.ok_or(RunError::NotFound { id })?;
        let now = Utc::now();
        if process.status() == ProcessStatus::Running
            && process.is_stale(stale_deadline(now, self.options))
        {
            let before = process.clone();
            process.mark_stale(now)?;
            if !self.store.save(&process, Expected::from(&before)).await? {
                return Err(RunError::LostOwnership { id });
            }
        }
        match process.status() {
            ProcessStatus::Pending => {}
            ProcessStatus::Failed => process.requeue()?,
            status => return Err(RunError::NotResumable { id, status }),
        }
        self.drive(process, job).await
    }

    async fn drive<T, E, F, Fut>(&self, pending: Process, job: F) -> Result<Tracked<T>, RunError<E>>
    where
        E: std::error::Error + 'static,
        F: FnOnce(RunContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let id = pending.id();
        let expected = self.stored_expectation(&pending).await?;
        let mut running = pending.clone();
        running.start(Utc::now())?;
        if let Some(fence) = self.fence {
            running.set_fence(fence)?;
        }
        if !self.store.save(&running, expected).await? {
            return Err(RunError::LostOwnership { id });
        }
        tracing::info!(process = %id, kind = %running.kind(), attempt = running.attempts(), "run started");

        let progress = Arc::new(JournalProgress::new(
            running.processed(),
            running.total(),
            self.sink.clone(),
        ));
        let state = Arc::new(Mutex::new(running.clone()));
        let (lost_tx, mut lost_rx) = watch::channel(false);
        let heartbeat = tokio::spawn(heartbeat_loop(
            self.store.clone(),
            state.clone(),
            progress.clone(),
            self.options.heartbeat_every,
            lost_tx,
        ));
        let context = RunContext {
            id,
            attempt: running.attempts(),
            settings: running.settings().clone(),
            checkpoint: running.checkpoint().cloned(),
            progress: progress.clone(),
            state: state.clone(),
            store: self.store.clone(),
            shutdown: self.shutdown.clone(),
        };

        let outcome = tokio::select! {
            result = job(context) => Outcome::Finished(result),
            reason = self.shutdown.requested() => Outcome::Interrupted(reason),
            _ = lost_rx.wait_for(|lost| *lost) => Outcome::Lost,
        };
        heartbeat.abort();
        let _ = heartbeat.await;
        self.finish(id, &state, &progress, outcome).await
    }

    /// The stored status and attempts of an entry about to start (a requeued entry is stored as `Failed`).
    async fn stored_expectation<E: std::error::Error + 'static>(
        &self,
        pending: &Process,
    ) -> Result<Expected, RunError<E>> {
        let stored = self
            .store
            .get(pending.id())
            .await?
            .ok_or(RunError::NotFound { id: pending.id() })?;
        let expected = Expected::from(&stored);
        let resumable = matches!(
            expected.status,
            ProcessStatus::Pending | ProcessStatus::Failed
        );
        if !resumable || expected.attempts != pending.attempts() {
            return Err(RunError::LostOwnership { id: pending.id() });
        }
        Ok(expected)
    }

    async fn finish<T, E: std::error::Error + 'static>(
        &self,
        id: ProcessId,
        state: &Mutex<Process>,
        progress: &JournalProgress,
        outcome: Outcome<T, E>,
    ) -> Result<Tracked<T>, RunError<E>> {
        if matches!(outcome, Outcome::Lost) {
            tracing::warn!(process = %id, "run taken over by another runner; stopped without writing");
            return Err(RunError::LostOwnership { id });
        }
        let mut state = state.lock().await;
        let before = state.clone();
        let mut done = before.clone();
        let now = Utc::now();
        progress.apply_to(&mut done, now)?;
        let result = match outcome {
            Outcome::Finished(Ok(output)) => {
                done.complete(now)?;
                Ok(Tracked { id, output })
            }
            Outcome::Finished(Err(source)) => {
                done.fail(source.to_string(), now)?;
                Err(RunError::Job { id, source })
            }
            Outcome::Interrupted(reason) => {
                let error = if reason == crate::lock::LOCK_LOST {
                    reason.clone()
                } else {
                    format!("interrupted: {reason}")
                };
                done.fail(error, now)?;
                Err(RunError::Interrupted { id, reason })
            }
            Outcome::Lost => Err(RunError::LostOwnership { id }),
        };
        if !self.store.save(&done, Expected::from(&before)).await? {
            return Err(RunError::LostOwnership { id });
        }
        *state = done;
        match &result {
            Ok(_) => tracing::info!(process = %id, processed = state.processed(), "run completed"),
            Err(error) => tracing::warn!(process = %id, %error, "run failed"),
        }
        result
    }
}

enum Outcome<T, E> {
    Finished(Result<T, E>),
    Interrupted(String),
    Lost,
}

fn stale_deadline(now: DateTime<Utc>, options: TrackOptions) -> DateTime<Utc> {
    chrono::Duration::from_std(options.stale_after)
        .map_or(DateTime::<Utc>::MIN_UTC, |after| now - after)
}

async fn heartbeat_loop(
    store: Arc<dyn ProcessStore>,
    state: Arc<Mutex<Process>>,
    progress: Arc<JournalProgress>,
    every: Duration,
    lost: watch::Sender<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let mut state = state.lock().await;
        let now = Utc::now();
        let snapshot = progress.snapshot();
        let beat = Heartbeat {
            id: state.id(),
            processed: snapshot.processed,
            total: snapshot.total,
            message: snapshot.message.clone(),
            at: now,
        };
        match store.heartbeat(&beat, Expected::from(&*state)).await {
            Ok(true) => {
                let _ = state.progress(snapshot.processed, snapshot.total, snapshot.message, now);
            }
            Ok(false) => {
                let _ = lost.send(true);
                return;
            }
            Err(error) => {
                tracing::warn!(process = %state.id(), %error, "heartbeat not written; will retry")
            }
        }
    }
}

#[cfg(test)]
mod tests;
