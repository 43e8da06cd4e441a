//! Engine events and how they are applied to an instance and its tasks (the platform's EngineEventHandler).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{
    Closure, FlowTransitionError, InstanceStatus, ProcessInstance, TaskRecord, TaskStatus,
};
use crate::org::{OrgRecordError, check_identifier};

/// What the engine reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A task was done by its assignee.
    TaskCompleted {
        /// The task.
        task_id: String,
        /// Its node.
        node_id: String,
    },
    /// A task was cancelled: the other open tasks of its node (proxy tasks included) go with it.
    TaskAborted {
        /// The task.
        task_id: String,
        /// Its node.
        node_id: String,
    },
    /// A task's assignee sent the flow back: the other open tasks of its node go with it.
    TaskReverted {
        /// The task.
        task_id: String,
        /// Its node.
        node_id: String,
        /// The node the flow went back to, when the engine says.
        to_node: Option<String>,
    },
    /// The instance ended: its open tasks are closed.
    InstanceEnded {
        /// How it ended (an ended status).
        status: InstanceStatus,
    },
}

/// One engine event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EngineEvent {
    /// The platform's id (events are immutable; the same id is the same event).
    pub id: String,
    /// The instance concerned.
    pub instance_id: String,
    /// When it happened (milliseconds since the Unix epoch).
    pub at: i64,
    /// What happened.
    pub kind: EventKind,
}

impl EngineEvent {
    /// Checks the identifiers and that an instance end names an ended status.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        let id = self.id.as_str();
        check_identifier("event", id, "id", id)?;
        check_identifier("event", id, "instance_id", &self.instance_id)?;
        match &self.kind {
            EventKind::TaskCompleted { task_id, node_id }
            | EventKind::TaskAborted { task_id, node_id }
            | EventKind::TaskReverted {
                task_id, node_id, ..
            } => {
                check_identifier("event", id, "task_id", task_id)?;
                check_identifier("event", id, "node_id", node_id)
            }
            EventKind::InstanceEnded { status } if status.is_ended() => Ok(()),
            EventKind::InstanceEnded { status } => Err(OrgRecordError {
                entity: "event",
                id: id.to_owned(),
                field: "status",
                reason: format!("{status} is not an ended status"),
            }),
        }
    }

    /// The order events are applied in: by time, then id.
    pub fn order_key(&self) -> (i64, &str) {
        (self.at, &self.id)
    }
}

/// Something an event could not do, reported rather than failing the sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "issue", rename_all = "snake_case")]
pub enum EventIssue {
    /// The event names a task the instance does not have (yet): its node's other tasks were still handled.
    UnknownTask {
        /// The event.
        event_id: String,
        /// The task it names.
        task_id: String,
    },
    /// The event is about an instance that is neither listed nor stored; it is not applied.
    UnknownInstance {
        /// The event.
        event_id: String,
        /// The instance it names.
        instance_id: String,
    },
    /// The event is about another instance.
    WrongInstance {
        /// The event.
        event_id: String,
    },
    /// Two explicit accounts of one task or instance disagree; the earlier was kept.
    Conflict {
        /// The event.
        event_id: String,
        /// The task or instance.
        id: String,
        /// The outcome kept.
        kept: String,
        /// The outcome not kept.
        other: String,
    },
    /// The event asked for something the life cycle refuses (closing before the start, ...).
    Refused {
        /// The event.
        event_id: String,
        /// Why.
        reason: String,
    },
}

/// What applying events or listings changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Whether the instance changed.
    pub instance: bool,
    /// Tasks that changed, by id.
    pub tasks: BTreeSet<String>,
    /// What could not be done.
    pub issues: Vec<EventIssue>,
}

impl Applied {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.instance && self.tasks.is_empty()
    }

    /// Adds what `other` changed.
    pub fn extend(&mut self, other: Applied) {
        self.instance |= other.instance;
        self.tasks.extend(other.tasks);
        self.issues.extend(other.issues);
    }
}

/// An instance with its tasks, kept consistent as engine events and listings arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// The instance.
    pub instance: ProcessInstance,
    /// Its tasks, by id.
    pub tasks: BTreeMap<String, TaskRecord>,
}

impl Flow {
    /// `instance` with `tasks` (tasks of other instances are ignored).
    pub fn new(instance: ProcessInstance, tasks: impl IntoIterator<Item = TaskRecord>) -> Self {
        let tasks = tasks
            .into_iter()
            .filter(|t| t.facts.instance_id == instance.facts.id)
            .map(|t| (t.facts.id.clone(), t))
            .collect();
        Self { instance, tasks }
    }

    /// Applies one engine event, as the platform's event handler does:
    ///
    /// - a completed task is closed as completed;
    /// - an aborted or reverted task is closed so, and every other task of its node created by then — pending
    ///   and proxy tasks alike — is aborted with it (its notice ignored);
    /// - an ended instance ends, and every task still open is aborted (its notice ignored).
    ///
    /// Idempotent, and order-independent with other events and listings (see [`super::Closure::rank`]).
    pub fn apply(&mut self, event: &EngineEvent) -> Applied {
        let mut applied = Applied::default();
        if event.instance_id != self.instance.facts.id {
            applied.issues.push(EventIssue::WrongInstance {
                event_id: event.id.clone(),
            });
            return applied;
        }
        let own = Closure::Event(event.id.clone());
        match &event.kind {
            EventKind::TaskCompleted { task_id, .. } => {
                self.close_task(event, task_id, TaskStatus::Completed, &mut applied);
            }
            EventKind::TaskAborted { task_id, node_id }
            | EventKind::TaskReverted {
                task_id, node_id, ..
            } => {
                let status = match event.kind {
                    EventKind::TaskAborted { .. } => TaskStatus::Aborted,
                    _ => TaskStatus::Reverted,
                };
                self.close_task(event, task_id, status, &mut applied);
                let siblings: Vec<String> = self
                    .tasks
                    .values()
                    .filter(|t| {
                        t.facts.node_id == *node_id
                            && t.facts.id != *task_id
                            && t.facts.created_at <= event.at
                    })
                    .map(|t| t.facts.id.clone())
                    .collect();
                for sibling in siblings {
                    if let Some(task) = self.tasks.get_mut(&sibling) {
                        let closure = Closure::Node(event.id.clone());
                        let result = task.close(TaskStatus::Aborted, event.at, closure);
                        record(&event.id, task, result, &mut applied);
                    }
                }
            }
            EventKind::InstanceEnded { status } => {
                match self.instance.end(*status, event.at, own) {
                    Ok(closed) => {
                        applied.instance = closed.changed;
                        if let Some(other) = closed.conflict {
                            applied.issues.push(EventIssue::Conflict {
                                event_id: event.id.clone(),
                                id: self.instance.facts.id.clone(),
                                kept: self.instance.status().to_string(),
                                other: other.to_string(),
                            });
                        }
                    }
                    Err(error) => applied.issues.push(refused(&event.id, &error)),
                }
                applied.extend(self.settle_end());
            }
        }
        applied
    }

    fn close_task(
        &mut self,
        event: &EngineEvent,
        task_id: &str,
        status: TaskStatus,
        applied: &mut Applied,
    ) {
        match self.tasks.get_mut(task_id) {
            Some(task) => {
                let result = task.close(status, event.at, Closure::Event(event.id.clone()));
                record(&event.id, task, result, applied);
            }
            None => applied.issues.push(EventIssue::UnknownTask {
                event_id: event.id.clone(),
                task_id: task_id.to_owned(),
            }),
        }
    }

    /// When the instance has ended, aborts every task created by then that is still open (or was closed by a
    /// later implied account). Called after events and after listings.
    pub fn settle_end(&mut self) -> Applied {
        let mut applied = Applied::default();
        let Some(ended) = self.instance.ended_at() else {
            return applied;
        };
        for task in self.tasks.values_mut() {
            if task.facts.created_at > ended {
                continue;
            }
            let result = task.close(TaskStatus::Aborted, ended, Closure::InstanceEnd);
            record("instance end", task, result, &mut applied);
        }
        applied
    }

    /// Takes in a listed instance (see [`ProcessInstance::merge_listed`]).
    pub fn merge_listed_instance(&mut self, listed: &ProcessInstance) -> Applied {
        let mut applied = Applied::default();
        let before = self.instance.clone();
        match self.instance.merge_listed(listed) {
            Ok(conflict) => {
                if let Some(other) = conflict {
                    applied.issues.push(EventIssue::Conflict {
                        event_id: "listing".into(),
                        id: self.instance.facts.id.clone(),
                        kept: self.instance.status().to_string(),
                        other: other.to_string(),
                    });
                }
            }
            Err(error) => applied.issues.push(refused("listing", &error)),
        }
        applied.instance = self.instance != before;
        applied
    }

    /// Takes in a listed task (see [`TaskRecord::merge_listed`]); a task new to the flow is added as listed.
    pub fn merge_listed_task(&mut self, listed: TaskRecord) -> Applied {
        let mut applied = Applied::default();
        let id = listed.facts.id.clone();
        match self.tasks.get_mut(&id) {
            None => {
                self.tasks.insert(id.clone(), listed);
                applied.tasks.insert(id);
            }
            Some(task) => {
                let before = task.clone();
                match task.merge_listed(&listed) {
                    Ok(Some(other)) => applied.issues.push(EventIssue::Conflict {
                        event_id: "listing".into(),
                        id: id.clone(),
                        kept: task.status().to_string(),
                        other: other.to_string(),
                    }),
                    Ok(None) => {}
                    Err(error) => applied.issues.push(refused("listing", &error)),
                }
                if *task != before {
                    applied.tasks.insert(id);
                }
            }
        }
        applied
    }
}

fn refused(event_id: &str, error: &FlowTransitionError) -> EventIssue {
    EventIssue::Refused {
        event_id: event_id.to_owned(),
        reason: error.to_string(),
    }
}

/// Notes what closing `task` did.
fn record(
    event_id: &str,
    task: &TaskRecord,
    result: Result<super::Closed<TaskStatus>, FlowTransitionError>,
    applied: &mut Applied,
) {
    match result {
        Ok(closed) => {
            if closed.changed {
                applied.tasks.insert(task.facts.id.clone());
            }
            if let Some(other) = closed.conflict {
                applied.issues.push(EventIssue::Conflict {
                    event_id: event_id.to_owned(),
                    id: task.facts.id.clone(),
                    kept: task.status().to_string(),
                    other: other.to_string(),
                });
            }
        }
        Err(error) => applied.issues.push(refused(event_id, &error)),
    }
}
