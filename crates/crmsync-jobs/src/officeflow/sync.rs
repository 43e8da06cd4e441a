//! A whole run: the parts one after the other, each a journaled process, under the `officeflow:sync` lock;
//! `retry-failed` (the sweeper) and `stats` over the same journal.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use crmsync_domain::{NewProcess, ProcessId, ProcessStatus};
use crmsync_ports::{
    AttributeStore, FlowCounts, FlowStore, LockStore, NoProgress, OrgCounts, OrgSource, OrgStore,
    ProcessFilter, ProcessStore, Progress, StoreError,
};
use serde::Serialize;

use super::attributes::{AttributeDeps, IdentityStat, attribute_stats};
use super::job::{JobSettings, OfficeflowJob, PartSettings};
use super::part::{Part, SyncMode};
use super::processes::FlowDeps;
use super::report::{PartReport, PartStatus, SyncReport};
use crate::lock::{LockError, LockOptions, LockedError, run_locked};
use crate::shutdown::Shutdown;
use crate::stats::{KindStats, stats};
use crate::sweeper::{JobError, RetryOutcome, RetryPolicy, RetryableJob, SweepReport, Sweeper};
use crate::tracking::{RunContext, RunError, TrackOptions, Tracker};

/// The lock every run and every retry takes.
pub const LOCK_KEY: &str = "officeflow:sync";

/// How the lock is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockSettings {
    /// Lease length, renewed every third of it (2 minutes by default: a killed holder blocks the next run at most
    /// that long).
    pub ttl: Duration,
    /// How long to wait for another holder to finish; `None`: give up at once.
    pub wait: Option<Duration>,
    /// How often a waiting run asks again.
    pub poll_every: Duration,
    /// Who is asking (`host:pid` when `None`).
    pub owner: Option<&'static str>,
}

impl Default for LockSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(120),
            wait: None,
            poll_every: Duration::from_secs(1),
            owner: None,
        }
    }
}

impl LockSettings {
    fn options(&self) -> LockOptions {
        let mut options = LockOptions::new(LOCK_KEY, self.ttl);
        options.wait = self.wait;
        options.poll_every = self.poll_every;
        if let Some(owner) = self.owner {
            owner.clone_into(&mut options.owner);
        }
        options
    }
}

/// Makes the progress sink (a terminal bar, log lines) of one part.
pub type ProgressFactory = Arc<dyn Fn(Part) -> Arc<dyn Progress> + Send + Sync>;

/// Everything a run needs; built by the binary (PostgreSQL + Redis, or the sandbox).
#[derive(Clone)]
pub struct SyncDeps {
    /// The office platform.
    pub source: Arc<dyn OrgSource>,
    /// The local copy.
    pub store: Arc<dyn OrgStore>,
    /// The run journal.
    pub processes: Arc<dyn ProcessStore>,
    /// The lock service.
    pub locks: Arc<dyn LockStore>,
    /// Batch size and platforms.
    pub settings: JobSettings,
    /// The flow store and categories of the processes part; `None`: the part has nothing to read.
    pub flows: Option<FlowDeps>,
    /// The attribute source and store of the attributes part; `None`: the part has nothing to read.
    pub attributes: Option<AttributeDeps>,
    /// Heartbeat and staleness of journal entries.
    pub track: TrackOptions,
    /// Fires on SIGTERM/SIGINT.
    pub shutdown: Shutdown,
    /// Makes a sink that also receives each part's progress (a terminal bar), if set.
    pub progress: Option<ProgressFactory>,
}

impl std::fmt::Debug for SyncDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncDeps")
            .field("settings", &self.settings)
            .field("track", &self.track)
            .finish_non_exhaustive()
    }
}

impl SyncDeps {
    /// The job; with the fence of the lease the run holds, every write to the local copy carries it.
    fn job(&self, fence: Option<u64>) -> Arc<OfficeflowJob> {
        let (store, flows, attributes) = match fence {
            Some(fence) => (
                self.store.fenced(fence),
                self.flows.as_ref().map(|flows| flows.fenced(fence)),
                self.attributes.as_ref().map(|a| a.fenced(fence)),
            ),
            None => (
                self.store.clone(),
                self.flows.clone(),
                self.attributes.clone(),
            ),
        };
        Arc::new(
            OfficeflowJob::new(self.source.clone(), store, self.settings.clone())
                .with_flows(flows)
                .with_attributes(attributes),
        )
    }

    fn tracker(&self, shutdown: Shutdown) -> Tracker {
        Tracker::new(self.processes.clone())
            .with_options(self.track)
            .with_shutdown(shutdown)
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    /// Parts, in run order.
    pub parts: Vec<Part>,
    /// Full (`--all`) or incremental.
    pub mode: SyncMode,
    /// Plan and report only: no lock, no journal, no writes.
    pub dry_run: bool,
}

/// A run could not start or was stopped before it did.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The lock is held by someone else (`already running by …`), or was lost.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A signal arrived while waiting for the lock.
    #[error("stopped by {0} while waiting for the lock")]
    Interrupted(String),
    /// The journal could not be read or written.
    #[error("run journal: {0}")]
    Store(#[from] StoreError),
}

/// Runs `request`: under the lock, each part a journaled process; a dry run only plans.
pub async fn sync(
    deps: &SyncDeps,
    request: &SyncRequest,
    lock: &LockSettings,
) -> Result<SyncReport, SyncError> {
    if request.dry_run {
        return Ok(run_parts(&deps.job(None), None, request).await);
    }
    locked(deps, lock, |stop, fence| async move {
        let job = deps.job(Some(fence));
        let tracker = deps.tracker(stop).with_fence(fence);
        Ok(run_parts(&job, Some((&tracker, deps.progress.as_ref())), request).await)
    })
    .await
}

/// Runs `work` under the lock. A signal while waiting for the lock stops the wait; once `work` runs, the
/// signal reaches it through the stop signal it is given (with a lost lock), so it can journal the
/// interruption before the lock is released.
async fn locked<T, F, Fut>(deps: &SyncDeps, lock: &LockSettings, work: F) -> Result<T, SyncError>
where
    F: FnOnce(Shutdown, u64) -> Fut,
    Fut: Future<Output = Result<T, SyncError>>,
{
    let started = std::sync::atomic::AtomicBool::new(false);
    let started = &started;
    let options = lock.options();
    let run = run_locked(deps.locks.clone(), &options, |lease, lost| {
        started.store(true, std::sync::atomic::Ordering::SeqCst);
        let stop = Shutdown::either(deps.shutdown.clone(), lost);
        async move { work(stop, lease.fence).await.map_err(Wrapped) }
    });
    tokio::pin!(run);
    let mut signal_seen = false;
    loop {
        tokio::select! {
            result = &mut run => {
                return match result {
                    Ok(value) => Ok(value),
                    Err(LockedError::Lock(error)) => Err(error.into()),
                    Err(LockedError::Job(Wrapped(error))) => Err(error),
                };
            }
            reason = deps.shutdown.requested(), if !signal_seen => {
                if !started.load(std::sync::atomic::Ordering::SeqCst) {
                    return Err(SyncError::Interrupted(reason));
                }
                signal_seen = true;
            }
        }
    }
}

/// A `SyncError` as the job error of `run_locked`.
#[derive(Debug)]
struct Wrapped(SyncError);

impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Wrapped {}

/// Runs the parts in order; after an interruption the remaining parts are skipped.
async fn run_parts(
    job: &Arc<OfficeflowJob>,
    tracker: Option<(&Tracker, Option<&ProgressFactory>)>,
    request: &SyncRequest,
) -> SyncReport {
    let mut parts = Vec::with_capacity(request.parts.len());
    let mut interrupted = false;
    for &part in &request.parts {
        if interrupted {
            parts.push(PartReport::new(part, PartStatus::Skipped));
            continue;
        }
        let started = std::time::Instant::now();
        let mut report = match tracker {
            None => match job.run_part(part, request.mode, true, &NoProgress).await {
                Ok(report) => report,
                Err(error) => failed(part, None, PartStatus::Failed, error.to_string()),
            },
            Some((tracker, progress)) => {
                let tracker = match progress {
                    Some(make) => tracker.clone().with_progress_sink(make(part)),
                    None => tracker.clone(),
                };
                let new = NewProcess {
                    kind: part.kind(),
                    settings: serde_json::to_value(PartSettings {
                        part,
                        mode: request.mode,
                    })
                    .unwrap_or_default(),
                    total: None,
                };
                let job = job.clone();
                let mode = request.mode;
                let outcome = tracker
                    .run(new, |context| async move {
                        job.run_part(part, mode, false, context.progress()).await
                    })
                    .await;
                match outcome {
                    Ok(tracked) => {
                        let mut report = tracked.output;
                        report.process = Some(tracked.id);
                        report
                    }
                    Err(RunError::Job { id, source }) => {
                        failed(part, Some(id), PartStatus::Failed, source.to_string())
                    }
                    Err(RunError::Interrupted { id, reason }) => {
                        interrupted = true;
                        failed(
                            part,
                            Some(id),
                            PartStatus::Interrupted,
                            format!("interrupted: {reason}"),
                        )
                    }
                    Err(other) => failed(part, None, PartStatus::Failed, other.to_string()),
                }
            }
        };
        report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        parts.push(report);
    }
    let writes = parts.iter().map(|p| p.writes).sum();
    SyncReport {
        dry_run: request.dry_run,
        mode: request.mode,
        parts,
        writes,
    }
}

fn failed(part: Part, process: Option<ProcessId>, status: PartStatus, error: String) -> PartReport {
    let mut report = PartReport::new(part, status);
    report.process = process;
    report.error = Some(error);
    report
}

/// Re-runs one part from its journal entry (for the sweeper).
struct PartJob {
    job: Arc<OfficeflowJob>,
    processes: Arc<dyn ProcessStore>,
    part: Part,
}

#[async_trait]
impl RetryableJob for PartJob {
    async fn run(&self, context: RunContext) -> Result<(), JobError> {
        let settings: PartSettings = serde_json::from_value(context.settings().clone())
            .map_err(|e| format!("settings of process {}: {e}", context.id()))?;
        let newest_success = self
            .processes
            .list(&ProcessFilter {
                kind: Some(self.part.kind()),
                status: Some(ProcessStatus::Completed),
                limit: Some(1),
            })
            .await?;
        if let Some(newer) = newest_success.first().filter(|p| p.id() > context.id()) {
            let message = format!("superseded by process {}", newer.id());
            tracing::info!(process = %context.id(), superseded_by = %newer.id(), "retry not needed");
            context.progress().message(&message);
            return Ok(());
        }
        self.job
            .run_part(self.part, settings.mode, false, context.progress())
            .await?;
        Ok(())
    }
}

/// What `retry-failed` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetryReport {
    /// Entries recorded but never started (the run died between recording and starting) that were started.
    pub started_pending: Vec<RetryOutcome>,
    /// The sweep over failed and silent entries.
    pub sweep: SweepReport,
}

impl RetryReport {
    /// Whether every retry that ran succeeded.
    pub fn succeeded(&self) -> bool {
        self.started_pending
            .iter()
            .chain(&self.sweep.retried)
            .all(|outcome| outcome.error.is_none())
    }
}

/// Retries officeflow parts that failed or stopped heart-beating, under the lock, with `policy`'s attempt
/// limit and backoff (the seed's BatchTaskFailedRetry); entries recorded but never started for longer than
/// the staleness threshold are started too.
pub async fn retry_failed(
    deps: &SyncDeps,
    policy: RetryPolicy,
    lock: &LockSettings,
) -> Result<RetryReport, SyncError> {
    locked(deps, lock, |stop, fence| async move {
        let job = deps.job(Some(fence));
        let tracker = deps.tracker(stop).with_fence(fence);
        let mut report = RetryReport::default();
        let cutoff = Utc::now()
            - chrono::Duration::from_std(policy.stale_after).unwrap_or(chrono::Duration::MAX);
        for part in Part::ALL {
            let pending = deps
                .processes
                .list(&ProcessFilter {
                    kind: Some(part.kind()),
                    status: Some(ProcessStatus::Pending),
                    limit: Some(100),
                })
                .await?;
            for entry in pending.iter().filter(|p| p.record().created_at < cutoff) {
                let retry = PartJob {
                    job: job.clone(),
                    processes: deps.processes.clone(),
                    part,
                };
                let result = tracker
                    .resume(entry.id(), |context| async move {
                        retry.run(context).await.map_err(Boxed)
                    })
                    .await;
                let error = match result {
                    Ok(_) => None,
                    Err(RunError::LostOwnership { .. } | RunError::NotResumable { .. }) => continue,
                    Err(other) => Some(other.to_string()),
                };
                report.started_pending.push(RetryOutcome {
                    id: entry.id(),
                    kind: part.kind(),
                    attempt: entry.attempts() + 1,
                    error,
                });
            }
        }
        let mut sweeper = Sweeper::new(tracker, policy);
        for part in Part::ALL {
            sweeper = sweeper.register(
                part.kind(),
                Arc::new(PartJob {
                    job: job.clone(),
                    processes: deps.processes.clone(),
                    part,
                }),
            );
        }
        let mut sweep = sweeper.sweep(Utc::now()).await?;
        sweep.unknown_kind.clear();
        report.sweep = sweep;
        Ok(report)
    })
    .await
}

#[derive(Debug)]
struct Boxed(JobError);

impl std::fmt::Display for Boxed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Boxed {}

/// The journal summary of the officeflow parts and the size of the local copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficeflowStats {
    /// Per part: runs by status, last run, last success, recent errors.
    pub parts: Vec<KindStats>,
    /// Rows per table.
    pub counts: OrgCounts,
    /// Rows of the flow tables (`app_session`, `task_history`), when the processes part is wired.
    pub flows: Option<FlowCounts>,
    /// The attribute registry per identity and how many users carry each attribute, when the attributes part
    /// is wired (see [`OfficeflowStats::with_attributes`]).
    pub attributes: Option<Vec<IdentityStat>>,
}

impl OfficeflowStats {
    /// The same statistics, with the attribute registry of `store` and its usage.
    pub async fn with_attributes(mut self, store: &dyn AttributeStore) -> Result<Self, StoreError> {
        self.attributes = Some(attribute_stats(store).await?);
        Ok(self)
    }
}

/// Summarises the newest `window` journal entries of the officeflow parts and counts the local copy.
pub async fn officeflow_stats(
    processes: &dyn ProcessStore,
    store: &dyn OrgStore,
    flows: Option<&dyn FlowStore>,
    window: u32,
) -> Result<OfficeflowStats, StoreError> {
    let parts = stats(processes, window)
        .await?
        .into_iter()
        .filter(|k| Part::from_kind(&k.kind).is_some())
        .collect();
    let flows = match flows {
        Some(store) => Some(store.flow_counts().await?),
        None => None,
    };
    Ok(OfficeflowStats {
        parts,
        counts: store.counts().await?,
        flows,
        attributes: None,
    })
}
