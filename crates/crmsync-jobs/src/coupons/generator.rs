//! `CouponGenerator`: start, step, finish and resume generation runs through the journal and the coupon table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use crmsync_domain::coupon::{
    CouponSettings, PermutationKey, SettingsErrors, UniqueCodes, ValidSettings,
};
use crmsync_domain::{Message, Process, ProcessId, ProcessStatus};
use crmsync_ports::{
    ChunkCommit, ChunkOutcome, CouponStore, Expected, ProcessFilter, ProcessStore, Progress,
    StoredCoupon,
};
use rand::rngs::SysRng;

use super::checkpoint::Checkpoint;
use super::error::CouponError;
use super::plan::{GenerationPlan, KIND, kind};
use super::report::GenerationReport;
use crate::shutdown::Shutdown;

/// How runs are cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerationOptions {
    /// Codes per chunk: one insert statement and one transaction with the journal update.
    pub chunk_size: u32,
}

impl Default for GenerationOptions {
    fn default() -> Self {
        Self { chunk_size: 10_000 }
    }
}

/// How much one step may do; it also stops when the count is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepBudget {
    /// At most this many codes generated.
    pub max_codes: Option<u64>,
    /// No new chunk is started after this long.
    pub max_time: Option<Duration>,
}

impl StepBudget {
    /// The module's step: at most 1000 codes and 5 seconds.
    pub const MODULE: Self = Self {
        max_codes: Some(1000),
        max_time: Some(Duration::from_secs(5)),
    };

    /// Until the count is reached.
    pub const UNLIMITED: Self = Self {
        max_codes: None,
        max_time: None,
    };
}

/// A stored run with its checked settings.
struct Loaded {
    process: Process,
    valid: ValidSettings,
    checkpoint: Option<Checkpoint>,
}

/// Runs coupon generations on a journal and a coupon table of the same database.
#[derive(Clone)]
pub struct CouponGenerator {
    processes: Arc<dyn ProcessStore>,
    coupons: Arc<dyn CouponStore>,
    options: GenerationOptions,
}

impl std::fmt::Debug for CouponGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CouponGenerator")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl CouponGenerator {
    /// A generator on `processes` and `coupons`, which must share one database (see `CouponStores`).
    pub fn new(processes: Arc<dyn ProcessStore>, coupons: Arc<dyn CouponStore>) -> Self {
        Self {
            processes,
            coupons,
            options: GenerationOptions::default(),
        }
    }

    /// Uses `options`.
    #[must_use]
    pub fn with_options(mut self, options: GenerationOptions) -> Self {
        self.options = options;
        self
    }

    /// The options in use.
    pub fn options(&self) -> GenerationOptions {
        self.options
    }

    /// Records a run of `plan` with a key from the operating system's CSPRNG and starts it (the module's
    /// `generation_start`).
    pub async fn start(&self, plan: &GenerationPlan) -> Result<GenerationReport, CouponError> {
        let key =
            PermutationKey::random(&mut SysRng).map_err(|e| CouponError::Random(e.to_string()))?;
        self.start_with_key(plan, key).await
    }

    /// [`CouponGenerator::start`] with a given key (tests use a fixed one for reproducible codes).
    pub async fn start_with_key(
        &self,
        plan: &GenerationPlan,
        key: PermutationKey,
    ) -> Result<GenerationReport, CouponError> {
        let rejected = self
            .coupons
            .check_settings(&plan.settings, plan.code_chars)
            .await?;
        if !rejected.is_empty() {
            return Err(CouponError::Settings(SettingsErrors(rejected)));
        }
        let new = plan.new_process().map_err(|e| CouponError::Corrupt {
            id: ProcessId(0),
            reason: e.to_string(),
        })?;
        let created = self.processes.create(new).await?;
        let id = created.id();
        let mut running = created.clone();
        running.start(Utc::now())?;
        let checkpoint = Checkpoint::start(key);
        running.set_checkpoint(checkpoint.to_json())?;
        if !self
            .processes
            .save(&running, Expected::from(&created))
            .await?
        {
            return Err(CouponError::Conflict { id });
        }
        tracing::info!(process = %id, count = plan.settings.count, "coupon generation started");
        Ok(report(
            &running,
            &plan.settings,
            &plan.capacity.to_string(),
            plan.warnings.clone(),
            Some(&checkpoint),
        ))
    }

    /// Generates codes of a running run until `budget` is used or the count is reached (the module's
    /// `generation_step`).
    pub async fn step(
        &self,
        id: ProcessId,
        budget: StepBudget,
    ) -> Result<GenerationReport, CouponError> {
        self.advance(id, budget, None, None).await
    }

    /// Completes a run that generated its whole count (the module's `generation_finish`); a completed run is
    /// reported as it is.
    pub async fn finish(&self, id: ProcessId) -> Result<GenerationReport, CouponError> {
        let Loaded {
            process,
            valid,
            checkpoint,
        } = self.load(id).await?;
        match process.status() {
            ProcessStatus::Completed => {}
            ProcessStatus::Running => {
                if process.processed() < valid.settings.count {
                    return Err(CouponError::InProgress {
                        id,
                        processed: process.processed(),
                        total: valid.settings.count,
                    });
                }
                let mut done = process.clone();
                done.complete(Utc::now())?;
                if !self
                    .coupons
                    .end_run(&done, Expected::from(&process))
                    .await?
                {
                    return Err(CouponError::Conflict { id });
                }
                tracing::info!(process = %id, processed = done.processed(), "coupon generation completed");
                return Ok(self.report_of(&done, &valid, checkpoint.as_ref()));
            }
            status => {
                return Err(CouponError::NotRunning {
                    id,
                    status,
                    action: "finish",
                });
            }
        }
        Ok(self.report_of(&process, &valid, checkpoint.as_ref()))
    }

    /// Stops run `id` for good: a pending, running or failed run becomes aborted with `reason`; its coupons stay
    /// (see [`Self::delete_unused`]). An aborted run is reported as it is.
    pub async fn abort(
        &self,
        id: ProcessId,
        reason: &str,
    ) -> Result<GenerationReport, CouponError> {
        let Loaded {
            process,
            valid,
            checkpoint,
        } = self.load(id).await?;
        let mut next = process.clone();
        match process.status() {
            ProcessStatus::Aborted => {
                return Ok(self.report_of(&process, &valid, checkpoint.as_ref()));
            }
            ProcessStatus::Failed => {
                next.requeue()?;
                next.abort(reason, Utc::now())?;
            }
            ProcessStatus::Pending | ProcessStatus::Running => next.abort(reason, Utc::now())?,
            status @ ProcessStatus::Completed => {
                return Err(CouponError::NotRunning {
                    id,
                    status,
                    action: "abort",
                });
            }
        }
        if !self.processes.save(&next, Expected::from(&process)).await? {
            return Err(CouponError::Conflict { id });
        }
        tracing::info!(process = %id, processed = next.processed(), "coupon generation aborted");
        Ok(self.report_of(&next, &valid, checkpoint.as_ref()))
    }

    /// Deletes the coupons of run `id` that were never used; returns how many. A run still generating (pending
    /// or running) is refused: abort it first.
    pub async fn delete_unused(&self, id: ProcessId) -> Result<u64, CouponError> {
        let Loaded { process, valid, .. } = self.load(id).await?;
        if matches!(
            process.status(),
            ProcessStatus::Pending | ProcessStatus::Running
        ) {
            return Err(CouponError::InProgress {
                id,
                processed: process.processed(),
                total: valid.settings.count,
            });
        }
        let deleted = self.coupons.delete_unused(id).await?;
        tracing::info!(process = %id, deleted, "unused coupons deleted");
        Ok(deleted)
    }

    /// The run's current state.
    pub async fn status(&self, id: ProcessId) -> Result<GenerationReport, CouponError> {
        let loaded = self.load(id).await?;
        Ok(self.report_of(&loaded.process, &loaded.valid, loaded.checkpoint.as_ref()))
    }

    /// The latest `limit` generation runs, newest first.
    pub async fn list(&self, limit: u32) -> Result<Vec<GenerationReport>, CouponError> {
        let filter = ProcessFilter {
            kind: Some(kind()),
            status: None,
            limit: Some(limit),
        };
        let mut reports = Vec::new();
        for process in self.processes.list(&filter).await? {
            let (valid, checkpoint) = read_state(&process)?;
            reports.push(self.report_of(&process, &valid, checkpoint.as_ref()));
        }
        Ok(reports)
    }

    /// The newest generation run, if any.
    pub async fn latest(&self) -> Result<Option<ProcessId>, CouponError> {
        let filter = ProcessFilter {
            kind: Some(kind()),
            status: None,
            limit: Some(1),
        };
        Ok(self.processes.list(&filter).await?.first().map(Process::id))
    }

    /// Up to `limit` coupons of run `id` after coupon id `after_id`, in generation order.
    pub async fn coupons_page(
        &self,
        id: ProcessId,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredCoupon>, CouponError> {
        self.load(id).await?;
        Ok(self.coupons.list_by_process(id, after_id, limit).await?)
    }

    /// Makes run `id` running again so it can continue from its checkpoint: a failed run is retried as a new
    /// attempt, a pending one started; a running one (whose runner was killed) is continued as it is; a
    /// completed one is left as it is.
    pub async fn reopen(&self, id: ProcessId) -> Result<GenerationReport, CouponError> {
        let Loaded {
            process,
            valid,
            checkpoint,
        } = self.load(id).await?;
        let mut next = process.clone();
        match process.status() {
            ProcessStatus::Running => {
                let silent_for = process
                    .record()
                    .heartbeat_at
                    .map(|beat| (Utc::now() - beat).num_seconds());
                tracing::info!(process = %id, silent_for_s = ?silent_for, "continuing a running generation");
                return Ok(self.report_of(&process, &valid, checkpoint.as_ref()));
            }
            ProcessStatus::Completed => {
                return Ok(self.report_of(&process, &valid, checkpoint.as_ref()));
            }
            ProcessStatus::Aborted => {
                return Err(CouponError::NotResumable {
                    id,
                    status: process.status(),
                });
            }
            ProcessStatus::Failed => {
                next.requeue()?;
                next.start(Utc::now())?;
            }
            ProcessStatus::Pending => next.start(Utc::now())?,
        }
        let checkpoint = match checkpoint {
            Some(checkpoint) => checkpoint,
            None => {
                let key = PermutationKey::random(&mut SysRng)
                    .map_err(|e| CouponError::Random(e.to_string()))?;
                let fresh = Checkpoint::start(key);
                next.set_checkpoint(fresh.to_json())?;
                fresh
            }
        };
        if !self.processes.save(&next, Expected::from(&process)).await? {
            return Err(CouponError::Conflict { id });
        }
        tracing::info!(process = %id, attempt = next.attempts(), "coupon generation resumed");
        Ok(self.report_of(&next, &valid, Some(&checkpoint)))
    }

    /// Steps run `id` until its count is reached, then finishes it; `progress` sees every committed chunk.
    /// When `shutdown` fires, the run is journaled `Failed` between two chunks and can be resumed.
    pub async fn run_to_end(
        &self,
        id: ProcessId,
        progress: &dyn Progress,
        shutdown: &Shutdown,
    ) -> Result<GenerationReport, CouponError> {
        self.advance(id, StepBudget::UNLIMITED, Some(progress), Some(shutdown))
            .await?;
        self.finish(id).await
    }

    async fn advance(
        &self,
        id: ProcessId,
        budget: StepBudget,
        progress: Option<&dyn Progress>,
        shutdown: Option<&Shutdown>,
    ) -> Result<GenerationReport, CouponError> {
        let Loaded {
            mut process,
            valid,
            checkpoint,
        } = self.load(id).await?;
        if process.status() != ProcessStatus::Running {
            return Err(CouponError::NotRunning {
                id,
                status: process.status(),
                action: "take a step",
            });
        }
        let mut checkpoint = checkpoint.ok_or_else(|| CouponError::Corrupt {
            id,
            reason: "a running generation has no checkpoint".into(),
        })?;
        let total = valid.settings.count;
        if let Some(progress) = progress {
            progress.set_total(total);
            progress.advance(process.processed());
        }
        let codes = UniqueCodes::new(&valid.template, &checkpoint.key);
        let started = Instant::now();
        let mut generated_now: u64 = 0;
        let chunk_size = u64::from(self.options.chunk_size.max(1));
        loop {
            let processed = process.processed();
            if processed >= total
                || budget.max_codes.is_some_and(|max| generated_now >= max)
                || budget.max_time.is_some_and(|max| started.elapsed() >= max)
            {
                break;
            }
            if let Some(reason) = shutdown.and_then(Shutdown::reason) {
                return Err(self.interrupt(process, reason).await);
            }
            let available = codes.len().saturating_sub(checkpoint.next_index);
            if available == 0 {
                return Err(self.exhaust(process, &valid, &checkpoint).await);
            }
            let wanted = chunk_size
                .min(total - processed)
                .min(budget.max_codes.map_or(u64::MAX, |max| max - generated_now));
            let take = u128::from(wanted).min(available);
            let start = checkpoint.next_index;
            let batch = codes
                .range(start..start + take)
                .map_err(|e| CouponError::Corrupt {
                    id,
                    reason: e.to_string(),
                })?;
            let next = checkpoint.advanced(take);
            let (expected_json, next_json) = (checkpoint.to_json(), next.to_json());
            let at = Utc::now();
            let outcome = self
                .coupons
                .commit_chunk(&ChunkCommit {
                    process: id,
                    attempts: process.attempts(),
                    expected_checkpoint: &expected_json,
                    next_checkpoint: &next_json,
                    fields: &valid.settings.coupon,
                    codes: &batch,
                    at,
                })
                .await?;
            let ChunkOutcome::Committed { inserted } = outcome else {
                return Err(CouponError::Conflict { id });
            };
            process.progress(processed + inserted, None, None, at)?;
            process.set_checkpoint(next_json)?;
            checkpoint = next;
            generated_now += inserted;
            if let Some(progress) = progress {
                progress.advance(inserted);
            }
            tracing::debug!(process = %id, inserted, collided = take - u128::from(inserted), "chunk committed");
        }
        Ok(self.report_of(&process, &valid, Some(&checkpoint)))
    }

    /// Journals a stop between chunks as `Failed` (resumable) and returns the error to report.
    async fn interrupt(&self, process: Process, reason: String) -> CouponError {
        let id = process.id();
        let processed = process.processed();
        let mut failed = process.clone();
        let ended = match failed.fail(format!("interrupted: {reason}"), Utc::now()) {
            Ok(()) => {
                self.coupons
                    .end_run(&failed, Expected::from(&process))
                    .await
            }
            Err(error) => return error.into(),
        };
        match ended {
            Ok(true) => {
                tracing::warn!(process = %id, processed, %reason, "coupon generation interrupted");
                CouponError::Interrupted {
                    id,
                    reason,
                    processed,
                }
            }
            Ok(false) => CouponError::Conflict { id },
            Err(error) => error.into(),
        }
    }

    /// Aborts a run whose template has no unused index left, reporting how many codes were possible.
    async fn exhaust(
        &self,
        process: Process,
        valid: &ValidSettings,
        checkpoint: &Checkpoint,
    ) -> CouponError {
        let id = process.id();
        let generated = process.processed();
        let collisions = u64::try_from(checkpoint.next_index.saturating_sub(u128::from(generated)))
            .unwrap_or(u64::MAX);
        let error = CouponError::Exhausted {
            id,
            generated,
            requested: valid.settings.count,
            capacity: valid.capacity.to_string(),
            collisions,
        };
        let mut aborted = process.clone();
        let ended = match aborted.abort(error.to_string(), Utc::now()) {
            Ok(()) => {
                self.coupons
                    .end_run(&aborted, Expected::from(&process))
                    .await
            }
            Err(transition) => return transition.into(),
        };
        match ended {
            Ok(true) => {
                tracing::warn!(process = %id, generated, collisions, "coupon generation aborted: template exhausted");
                error
            }
            Ok(false) => CouponError::Conflict { id },
            Err(store) => store.into(),
        }
    }

    async fn load(&self, id: ProcessId) -> Result<Loaded, CouponError> {
        let process = self
            .processes
            .get(id)
            .await?
            .ok_or(CouponError::NotFound { id })?;
        if process.kind().as_str() != KIND {
            return Err(CouponError::WrongKind {
                id,
                kind: process.kind().to_string(),
            });
        }
        let (valid, checkpoint) = read_state(&process)?;
        Ok(Loaded {
            process,
            valid,
            checkpoint,
        })
    }

    fn report_of(
        &self,
        process: &Process,
        valid: &ValidSettings,
        checkpoint: Option<&Checkpoint>,
    ) -> GenerationReport {
        report(
            process,
            &valid.settings,
            &valid.capacity.to_string(),
            valid.warnings.clone(),
            checkpoint,
        )
    }
}

fn report(
    process: &Process,
    settings: &CouponSettings,
    capacity: &str,
    warnings: Vec<Message>,
    checkpoint: Option<&Checkpoint>,
) -> GenerationReport {
    GenerationReport::new(
        process,
        settings,
        capacity.to_owned(),
        warnings,
        checkpoint.map(|c| c.next_index),
    )
}

/// The stored settings (checked again) and checkpoint of a run.
fn read_state(process: &Process) -> Result<(ValidSettings, Option<Checkpoint>), CouponError> {
    let id = process.id();
    let corrupt = |reason: String| CouponError::Corrupt { id, reason };
    let settings: CouponSettings = serde_json::from_value(process.settings().clone())
        .map_err(|e| corrupt(format!("settings: {e}")))?;
    let valid = settings
        .validate()
        .map_err(|e| corrupt(format!("settings no longer valid: {e}")))?;
    let checkpoint = process
        .checkpoint()
        .map(Checkpoint::from_json)
        .transpose()
        .map_err(|e| corrupt(format!("checkpoint: {e}")))?;
    Ok((valid, checkpoint))
}
