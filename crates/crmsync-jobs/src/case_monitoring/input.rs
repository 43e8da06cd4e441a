//! What a case-monitoring plan is computed from: leads, the monitored list, the pending and overflow sets, the
//! job's remembered state and the options.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use crmsync_ports::MonitoredCase;
use serde::{Deserialize, Serialize};

/// One lead in the configured stage, reduced to what case monitoring needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadCase {
    /// The lead.
    pub lead_id: i64,
    /// Its responsible user, who gets the tasks about it.
    pub responsible_user_id: Option<i64>,
    /// The first value of the case-number custom field, as typed; `None` when the field is empty.
    pub value: Option<String>,
}

impl LeadCase {
    /// A lead with `value` in its case-number field.
    pub fn new(lead_id: i64, responsible_user_id: Option<i64>, value: Option<&str>) -> Self {
        Self {
            lead_id,
            responsible_user_id,
            value: value.map(str::to_owned),
        }
    }

    /// The value with surrounding blanks removed; `None` when nothing is left.
    pub fn trimmed_value(&self) -> Option<&str> {
        self.value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// Why a task was put on a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskReason {
    /// The case-number field holds something that is not a first-instance case number (or nothing).
    InvalidNumber,
    /// The monitoring service did not find the case for several runs in a row.
    NotFound,
}

/// A task the job created and remembers, so that it is not created again on every run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedTask {
    /// The lead it is on.
    pub lead_id: i64,
    /// Why it was created.
    pub reason: TaskReason,
    /// The value it is about: the field value as typed (invalid number) or the canonical case (not found).
    pub value: String,
    /// The created task.
    pub task_id: i64,
}

/// What the job remembers between runs (stored as one JSON document in a key-value store).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobState {
    /// Tasks created, one per lead and reason at most.
    #[serde(default)]
    pub tasks: Vec<RememberedTask>,
    /// Consecutive runs in which each case (canonical) was not found by the service.
    #[serde(default)]
    pub not_found_runs: BTreeMap<String, u32>,
    /// The newest event already turned into notes, per case (canonical).
    #[serde(default)]
    pub event_cursors: BTreeMap<String, i64>,
}

impl JobState {
    /// The remembered task of `lead_id` for `reason`.
    pub fn task(&self, lead_id: i64, reason: TaskReason) -> Option<&RememberedTask> {
        self.tasks
            .iter()
            .find(|t| t.lead_id == lead_id && t.reason == reason)
    }

    /// Remembers `task`, replacing an earlier one of the same lead and reason.
    pub fn remember(&mut self, task: RememberedTask) {
        self.tasks
            .retain(|t| !(t.lead_id == task.lead_id && t.reason == task.reason));
        self.tasks.push(task);
        self.tasks.sort_by_key(|t| (t.lead_id, t.reason));
    }

    /// Forgets the task of `lead_id` for `reason`.
    pub fn forget(&mut self, lead_id: i64, reason: TaskReason) {
        self.tasks
            .retain(|t| !(t.lead_id == lead_id && t.reason == reason));
    }

    /// Every remembered task id, to check which are still open.
    pub fn task_ids(&self) -> Vec<i64> {
        self.tasks.iter().map(|t| t.task_id).collect()
    }
}

/// Settings of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Whether a lead with an empty case-number field gets a task too.
    pub task_on_missing_number: bool,
    /// After how many consecutive runs of `not_found` a case gets a task on its leads (0: never).
    pub not_found_task_after: u32,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            task_on_missing_number: true,
            not_found_task_after: 3,
        }
    }
}

/// Everything [`plan`](super::plan) reads.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInput {
    /// Leads in the configured stage, in the order the CRM listed them.
    pub leads: Vec<LeadCase>,
    /// The monitored cases, oldest first.
    pub monitored: Vec<MonitoredCase>,
    /// Members of the pending set (retrievals answered `accepted`), in the order they arrived.
    pub pending: Vec<String>,
    /// Members of the overflow set (cases waiting for room), in the order they arrived.
    pub overflow: Vec<String>,
    /// How many cases may be monitored.
    pub limit: usize,
    /// What earlier runs remembered.
    pub state: JobState,
    /// The remembered tasks that are still open (not completed, not deleted).
    pub open_tasks: BTreeSet<i64>,
    /// Now, for task deadlines.
    pub now: DateTime<Utc>,
    /// Settings.
    pub options: PlanOptions,
}
