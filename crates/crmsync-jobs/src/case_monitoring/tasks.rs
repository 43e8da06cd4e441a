//! Which leads get a task, and the rule that keeps a task from being created again on every run.

use std::collections::BTreeSet;

use serde::Serialize;

use super::input::{JobState, TaskReason};

/// A task the job wants to put on a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskIntent {
    /// The lead.
    pub lead_id: i64,
    /// Who gets the task: the lead's responsible user.
    pub responsible_user_id: Option<i64>,
    /// Why.
    pub reason: TaskReason,
    /// The value it is about (the field value as typed, or the canonical case not found). Not serialised: a
    /// mistyped field may hold anything.
    #[serde(skip_serializing)]
    pub value: String,
    /// A human explanation: why the number is invalid, or how many runs the case was not found.
    pub detail: String,
}

/// Whether `lead_id` needs a task for `reason` about `value`: it has none remembered, the value changed since, or
/// the remembered task was completed (or deleted) while the value stayed the same.
pub fn needs_task(
    state: &JobState,
    open_tasks: &BTreeSet<i64>,
    lead_id: i64,
    reason: TaskReason,
    value: &str,
) -> bool {
    match state.task(lead_id, reason) {
        None => true,
        Some(task) if task.value != value => true,
        Some(task) => !open_tasks.contains(&task.task_id),
    }
}

/// An open task that already exists in the CRM for a lead, as found when reconciling before creating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingTask {
    /// The task.
    pub task_id: i64,
    /// The lead it is on.
    pub lead_id: i64,
    /// Its text.
    pub text: String,
}

/// Splits `intents` into those to create and those an open task with exactly the intended text already answers
/// (created by a run that stopped before remembering it); the second list pairs each intent with that task.
pub fn reconcile(
    intents: Vec<TaskIntent>,
    existing: &[ExistingTask],
    text_of: impl Fn(&TaskIntent) -> String,
) -> (Vec<TaskIntent>, Vec<(TaskIntent, i64)>) {
    let mut create = Vec::new();
    let mut adopt = Vec::new();
    for intent in intents {
        let text = text_of(&intent);
        match existing
            .iter()
            .find(|task| task.lead_id == intent.lead_id && task.text == text)
        {
            Some(task) => adopt.push((intent, task.task_id)),
            None => create.push(intent),
        }
    }
    (create, adopt)
}
