//! What a generation run looks like from outside: the module's report plus progress and warnings.

use chrono::{DateTime, Utc};
use crmsync_domain::coupon::CouponSettings;
use crmsync_domain::{Message, Process, ProcessId, ProcessStatus};
use serde::Serialize;

/// What the client should call next (the module's `next_action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NextAction {
    /// More codes are due: take another step.
    Step,
    /// Every code is generated: finish the run.
    Finish,
    /// The run has ended (completed, aborted), or must be resumed first (pending, failed).
    None,
}

/// The state of one generation run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerationReport {
    /// The journal entry.
    pub id: ProcessId,
    /// Its status.
    pub status: ProcessStatus,
    /// The code template.
    pub template: String,
    /// Codes requested.
    pub count: u64,
    /// Codes generated and stored.
    pub processed: u64,
    /// `processed` as a whole percentage of `count`.
    pub percent: u64,
    /// Codes drawn that already existed as coupons and were replaced.
    pub collisions: u64,
    /// How many distinct codes the template yields.
    pub capacity: String,
    /// What to call next.
    pub next_action: NextAction,
    /// When the latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the run ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why the latest attempt failed or the run was aborted.
    pub last_error: Option<String>,
    /// Advice about the settings (guessable codes, look-alike letters).
    pub warnings: Vec<Message>,
    /// The run's settings (the permutation key is not part of them).
    pub settings: CouponSettings,
}

impl GenerationReport {
    pub(crate) fn new(
        process: &Process,
        settings: &CouponSettings,
        capacity: String,
        warnings: Vec<Message>,
        next_index: Option<u128>,
    ) -> Self {
        let count = settings.count;
        let processed = process.processed();
        let next_action = match process.status() {
            ProcessStatus::Running if processed >= count => NextAction::Finish,
            ProcessStatus::Running => NextAction::Step,
            _ => NextAction::None,
        };
        let used = next_index.map_or(u128::from(processed), |n| n);
        let collisions =
            u64::try_from(used.saturating_sub(u128::from(processed))).unwrap_or(u64::MAX);
        let record = process.record();
        Self {
            id: process.id(),
            status: process.status(),
            template: settings.template.clone(),
            count,
            processed,
            percent: processed
                .saturating_mul(100)
                .checked_div(count)
                .unwrap_or(100)
                .min(100),
            collisions,
            capacity,
            next_action,
            started_at: record.started_at,
            finished_at: record.finished_at,
            last_error: record.last_error.clone(),
            warnings,
            settings: settings.clone(),
        }
    }

    /// The module's progress line: `300 of 1000 generated (30%)`.
    pub fn progress_text(&self) -> String {
        format!(
            "{} of {} generated ({}%)",
            self.processed, self.count, self.percent
        )
    }
}
