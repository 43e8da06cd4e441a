//! The JSON shapes of the process-engine listings (`docs/officeflow-api.md`, "Process engine") and their
//! conversion to domain values; a record that breaks the contract is named in a protocol error.

use crmsync_domain::flow::{
    Closure, EngineEvent, EventKind, InstanceFacts, InstanceStatus, ParentLink, ProcessInstance,
    TaskFacts, TaskKind, TaskRecord, TaskStatus,
};
use crmsync_ports::OrgPage;
use serde::Deserialize;
use serde_json::Value;

use crate::wire::Id;

fn cursor(next: Option<String>) -> Option<String> {
    next.filter(|c| !c.is_empty())
}

#[derive(Deserialize)]
pub(crate) struct InstancePage {
    #[serde(default)]
    instances: Vec<WireInstance>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireParent {
    instance_id: Id,
    node_id: Id,
}

#[derive(Deserialize)]
struct WireInstance {
    instance_id: Id,
    flow_key: String,
    status: String,
    creator: Id,
    #[serde(default)]
    agent: Option<Id>,
    #[serde(default)]
    anonymous: bool,
    #[serde(default)]
    participants: Vec<Id>,
    #[serde(default)]
    parent: Option<WireParent>,
    #[serde(default)]
    form: Value,
    started_at: i64,
    #[serde(default)]
    ended_at: Option<i64>,
    #[serde(default)]
    updated_at: i64,
}

impl InstancePage {
    /// The page for `category`, or why a record breaks the contract.
    pub(crate) fn into_page(self, category: &str) -> Result<OrgPage<ProcessInstance>, String> {
        let mut items = Vec::with_capacity(self.instances.len());
        for w in self.instances {
            let id = w.instance_id.0;
            let status: InstanceStatus = w
                .status
                .parse()
                .map_err(|e| format!("instance {id:?}: {e}"))?;
            let end = match (status.is_ended(), w.ended_at) {
                (false, _) => None,
                (true, Some(at)) => Some((status, at, Closure::Listed)),
                (true, None) => {
                    return Err(format!("instance {id:?} is {status} without ended_at"));
                }
            };
            let facts = InstanceFacts {
                id: id.clone(),
                category: category.to_owned(),
                flow_key: w.flow_key,
                creator: w.creator.0,
                agent: w.agent.map(|a| a.0).filter(|a| !a.is_empty()),
                anonymous: w.anonymous,
                participants: w.participants.into_iter().map(|p| p.0).collect(),
                parent: w.parent.map(|p| ParentLink {
                    instance_id: p.instance_id.0,
                    node_id: p.node_id.0,
                }),
                form: if w.form.is_null() {
                    Value::Object(serde_json::Map::new())
                } else {
                    w.form
                },
                started_at: w.started_at,
                updated_at: w.updated_at,
            };
            items.push(
                ProcessInstance::restore(facts, end)
                    .map_err(|e| format!("instance {id:?}: {e}"))?,
            );
        }
        Ok(OrgPage {
            items,
            next_cursor: cursor(self.next_cursor),
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct TaskPage {
    #[serde(default)]
    tasks: Vec<WireTask>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireTask {
    task_id: Id,
    instance_id: Id,
    node_id: Id,
    node_name: String,
    task_type: String,
    #[serde(default)]
    assignee: Option<Id>,
    #[serde(default)]
    notice: bool,
    status: String,
    created_at: i64,
    #[serde(default)]
    finished_at: Option<i64>,
    #[serde(default)]
    updated_at: i64,
}

impl TaskPage {
    /// The page, or why a record breaks the contract.
    pub(crate) fn into_page(self) -> Result<OrgPage<TaskRecord>, String> {
        let mut items = Vec::with_capacity(self.tasks.len());
        for w in self.tasks {
            let id = w.task_id.0;
            let kind: TaskKind = w
                .task_type
                .parse()
                .map_err(|e| format!("task {id:?}: {e}"))?;
            let status: TaskStatus = w.status.parse().map_err(|e| format!("task {id:?}: {e}"))?;
            let close = match (status.is_closed(), w.finished_at) {
                (false, _) => None,
                (true, Some(at)) => Some((status, at, Closure::Listed)),
                (true, None) => return Err(format!("task {id:?} is {status} without finished_at")),
            };
            let facts = TaskFacts {
                id: id.clone(),
                instance_id: w.instance_id.0,
                node_id: w.node_id.0,
                node_name: w.node_name,
                kind,
                assignee: w.assignee.map(|a| a.0).filter(|a| !a.is_empty()),
                notified: w.notice,
                created_at: w.created_at,
                updated_at: w.updated_at,
            };
            items.push(TaskRecord::restore(facts, close).map_err(|e| format!("task {id:?}: {e}"))?);
        }
        Ok(OrgPage {
            items,
            next_cursor: cursor(self.next_cursor),
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct EventPage {
    #[serde(default)]
    events: Vec<WireEvent>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireEvent {
    event_id: Id,
    instance_id: Id,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    task_id: Option<Id>,
    #[serde(default)]
    node_id: Option<Id>,
    #[serde(default)]
    to_node: Option<Id>,
    #[serde(default)]
    status: Option<String>,
    at: i64,
}

impl EventPage {
    /// The page, or why an event breaks the contract.
    pub(crate) fn into_page(self) -> Result<OrgPage<EngineEvent>, String> {
        let mut items = Vec::with_capacity(self.events.len());
        for w in self.events {
            let id = w.event_id.0;
            let missing = |field: &str| format!("event {id:?} ({}) has no {field}", w.kind);
            let task = || -> Result<(String, String), String> {
                Ok((
                    w.task_id.clone().ok_or_else(|| missing("task_id"))?.0,
                    w.node_id.clone().ok_or_else(|| missing("node_id"))?.0,
                ))
            };
            let kind = match w.kind.as_str() {
                "task_completed" => {
                    let (task_id, node_id) = task()?;
                    EventKind::TaskCompleted { task_id, node_id }
                }
                "task_aborted" => {
                    let (task_id, node_id) = task()?;
                    EventKind::TaskAborted { task_id, node_id }
                }
                "task_reverted" => {
                    let (task_id, node_id) = task()?;
                    EventKind::TaskReverted {
                        task_id,
                        node_id,
                        to_node: w.to_node.clone().map(|n| n.0),
                    }
                }
                "instance_ended" => {
                    let status: InstanceStatus = w
                        .status
                        .as_deref()
                        .ok_or_else(|| missing("status"))?
                        .parse()
                        .map_err(|e| format!("event {id:?}: {e}"))?;
                    EventKind::InstanceEnded { status }
                }
                other => return Err(format!("event {id:?} has unknown type {other:?}")),
            };
            items.push(EngineEvent {
                id,
                instance_id: w.instance_id.0,
                at: w.at,
                kind,
            });
        }
        Ok(OrgPage {
            items,
            next_cursor: cursor(self.next_cursor),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_closes_and_ends_carry_their_times_and_missing_ones_are_named() {
        let page: TaskPage = serde_json::from_str(
            r#"{"tasks":[{"task_id":"t1","instance_id":7,"node_id":"n","node_name":"N","task_type":"proxy","assignee":"u","notice":true,"status":"aborted","created_at":1,"finished_at":4,"updated_at":4}]}"#,
        )
        .unwrap();
        let page = page.into_page().unwrap();
        assert_eq!(page.items[0].status(), TaskStatus::Aborted);
        assert_eq!(page.items[0].closed_by(), Some(&Closure::Listed));
        assert_eq!(page.items[0].facts.instance_id, "7");

        let page: InstancePage = serde_json::from_str(
            r#"{"instances":[{"instance_id":"i","flow_key":"leave","status":"rejected","creator":"u","started_at":1}]}"#,
        )
        .unwrap();
        let error = page.into_page("office").unwrap_err();
        assert!(error.contains("without ended_at"), "{error}");

        let page: EventPage = serde_json::from_str(
            r#"{"events":[{"event_id":"e","instance_id":"i","type":"task_reverted","node_id":"n","at":3}]}"#,
        )
        .unwrap();
        let error = page.into_page().unwrap_err();
        assert!(error.contains("task_id"), "{error}");
    }

    #[test]
    fn an_unknown_event_type_or_status_is_a_protocol_error() {
        let page: EventPage = serde_json::from_str(
            r#"{"events":[{"event_id":"e","instance_id":"i","type":"task_paused","at":3}]}"#,
        )
        .unwrap();
        assert!(page.into_page().unwrap_err().contains("task_paused"));
        let page: TaskPage = serde_json::from_str(
            r#"{"tasks":[{"task_id":"t","instance_id":"i","node_id":"n","node_name":"N","task_type":"approval","status":"paused","created_at":1}]}"#,
        )
        .unwrap();
        assert!(page.into_page().unwrap_err().contains("paused"));
    }
}
