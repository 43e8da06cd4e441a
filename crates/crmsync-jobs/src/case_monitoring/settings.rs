//! What a case-monitoring run is configured with: where the leads are, the limit, the set keys, task texts.

use std::time::Duration;

use crmsync_domain::crm::{FieldId, StatusRef, TaskTypeId};

use super::input::PlanOptions;
use super::{DEFAULT_LIMIT, DEFAULT_OVERFLOW_SET, DEFAULT_PENDING_SET, DEFAULT_STATE_KEY};

/// Texts and timing of the tasks the job puts on leads. `{value}` and `{reason}` are replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSettings {
    /// Text of the task on a lead with an invalid case number.
    pub invalid_number_text: String,
    /// Text of the task on a lead whose case the service did not find for several runs.
    pub not_found_text: String,
    /// How long after the run the task is due.
    pub due_in: Duration,
    /// The task type; amoCRM's follow-up when `None`.
    pub task_type_id: Option<TaskTypeId>,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self {
            invalid_number_text: "Fix the arbitration case number \"{value}\": {reason}".to_owned(),
            not_found_text: "Check the arbitration case number {value}: {reason}".to_owned(),
            due_in: Duration::from_secs(24 * 3600),
            task_type_id: None,
        }
    }
}

impl TaskSettings {
    /// The text of a task about `value` for `reason` from `template`.
    pub fn render(template: &str, value: &str, reason: &str) -> String {
        template
            .replace("{value}", value)
            .replace("{reason}", reason)
    }
}

/// Everything a run needs besides its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSettings {
    /// The stages (pipeline, status) whose leads carry cases to monitor.
    pub stages: Vec<StatusRef>,
    /// The lead custom field holding the case number.
    pub case_field: FieldId,
    /// How many cases may be monitored (the service's own limit, when lower, wins).
    pub limit: usize,
    /// Key of the pending set (retrievals answered `accepted`).
    pub pending_set: String,
    /// Key of the overflow set (cases waiting for room).
    pub overflow_set: String,
    /// Key of the remembered state (tasks, not-found counters, event cursors).
    pub state_key: String,
    /// Plan settings (tasks on empty fields, not-found threshold).
    pub plan: PlanOptions,
    /// Task texts and timing.
    pub tasks: TaskSettings,
    /// Whether the update step copies new case events into lead notes.
    pub notes: bool,
}

impl JobSettings {
    /// Defaults for leads in `stages` with the case number in `case_field`.
    pub fn new(stages: Vec<StatusRef>, case_field: FieldId) -> Self {
        Self {
            stages,
            case_field,
            limit: DEFAULT_LIMIT,
            pending_set: DEFAULT_PENDING_SET.to_owned(),
            overflow_set: DEFAULT_OVERFLOW_SET.to_owned(),
            state_key: DEFAULT_STATE_KEY.to_owned(),
            plan: PlanOptions::default(),
            tasks: TaskSettings::default(),
            notes: true,
        }
    }
}
