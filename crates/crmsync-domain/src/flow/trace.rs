//! Where a flow stands (the platform's Process page), computed from the task history alone: the current
//! node(s), every visit of every node with its entered/left times, duration and actors, and sub-flows placed
//! under the node of their parent that started them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{InstanceStatus, ParentLink, ProcessInstance, TaskKind, TaskRecord, TaskStatus};

/// An instance, its tasks and its sub-flows (each with theirs): what [`trace`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowTree {
    /// The instance.
    pub instance: ProcessInstance,
    /// Its tasks, in any order.
    pub tasks: Vec<TaskRecord>,
    /// The instances whose parent is this one.
    pub children: Vec<FlowTree>,
}

/// How a visit of a node ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitOutcome {
    /// A task of the visit (or its sub-flow) is still open: the flow stands here.
    Open,
    /// Done; the flow went on.
    Completed,
    /// Sent back to an earlier node.
    Reverted,
    /// Cancelled (aborted, or the instance ended meanwhile).
    Aborted,
}

/// One task of a visit: who had to act and what they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The task.
    pub task_id: String,
    /// Who had to act.
    pub assignee: Option<String>,
    /// Approval, proxy or sub-flow.
    pub kind: TaskKind,
    /// What became of the task.
    pub status: TaskStatus,
    /// When it was closed.
    pub at: Option<i64>,
}

/// One stay of the flow at a node; a node the flow came back to (after a revert) has several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeVisit {
    /// The node.
    pub node_id: String,
    /// Its display name.
    pub node_name: String,
    /// 1 for the first visit of this node, 2 after the flow came back to it, ...
    pub round: u32,
    /// When its first task was created.
    pub entered_at: i64,
    /// When its last task was closed; none while open.
    pub left_at: Option<i64>,
    /// `left_at − entered_at`.
    pub duration_ms: Option<i64>,
    /// How the visit ended.
    pub outcome: VisitOutcome,
    /// Its tasks, by creation.
    pub actors: Vec<Actor>,
    /// Sub-flows this visit started, each traced.
    pub sub_flows: Vec<Trace>,
}

/// A node the flow stands at now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentNode {
    /// The sub-flow chain leading to it, from the traced instance down (empty: the traced instance's own node).
    pub via: Vec<ParentLink>,
    /// The instance the node belongs to.
    pub instance_id: String,
    /// The node.
    pub node_id: String,
    /// Its display name.
    pub node_name: String,
    /// Since when the flow stands there.
    pub since: i64,
    /// Who has to act (pending tasks' assignees).
    pub assignees: Vec<String>,
}

/// Where a flow stands and how it got there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// The instance.
    pub instance_id: String,
    /// Its category.
    pub category: String,
    /// Its flow definition.
    pub flow_key: String,
    /// Its status.
    pub status: InstanceStatus,
    /// When it started.
    pub started_at: i64,
    /// When it ended.
    pub ended_at: Option<i64>,
    /// `ended_at − started_at`.
    pub duration_ms: Option<i64>,
    /// The node(s) it stands at, sub-flows' nodes included (several with parallel branches).
    pub current: Vec<CurrentNode>,
    /// Every visit of every node, by entry time.
    pub history: Vec<NodeVisit>,
}

struct Visit<'a> {
    tasks: Vec<&'a TaskRecord>,
    left: Option<i64>,
    open: bool,
}

fn visits_of<'a>(mut tasks: Vec<&'a TaskRecord>) -> Vec<Visit<'a>> {
    tasks.sort_by(|a, b| (a.facts.created_at, &a.facts.id).cmp(&(b.facts.created_at, &b.facts.id)));
    let mut visits: Vec<Visit<'a>> = Vec::new();
    for task in tasks {
        let joins = visits.last().is_some_and(|visit| {
            visit.open || visit.left.is_some_and(|left| task.facts.created_at <= left)
        });
        if !joins {
            visits.push(Visit {
                tasks: Vec::new(),
                left: None,
                open: false,
            });
        }
        if let Some(visit) = visits.last_mut() {
            visit.tasks.push(task);
            match task.finished_at() {
                Some(at) if task.status().is_closed() => {
                    visit.left = Some(visit.left.map_or(at, |left| left.max(at)));
                }
                _ => visit.open = true,
            }
        }
    }
    visits
}

fn outcome(tasks: &[&TaskRecord]) -> VisitOutcome {
    let has = |status: TaskStatus| tasks.iter().any(|t| t.status() == status);
    if has(TaskStatus::Pending) {
        VisitOutcome::Open
    } else if has(TaskStatus::Reverted) {
        VisitOutcome::Reverted
    } else if has(TaskStatus::Completed) {
        VisitOutcome::Completed
    } else {
        VisitOutcome::Aborted
    }
}

fn child_outcome(status: InstanceStatus) -> VisitOutcome {
    match status {
        InstanceStatus::Running => VisitOutcome::Open,
        InstanceStatus::Completed => VisitOutcome::Completed,
        InstanceStatus::Rejected => VisitOutcome::Reverted,
        InstanceStatus::Terminated | InstanceStatus::Cancelled => VisitOutcome::Aborted,
    }
}

/// Traces `tree`: a pure function of the stored history.
///
/// A node's tasks form one visit while any of them is open or as long as the next one is created before the
/// last one closed; a task created after that starts the next visit (the flow came back). A sub-flow joins
/// the visit of its parent node that was open when it started (or a visit of its own when its parent node has
/// no task).
pub fn trace(tree: &FlowTree) -> Trace {
    let instance = &tree.instance;
    let mut by_node: BTreeMap<&str, Vec<&TaskRecord>> = BTreeMap::new();
    for task in tree
        .tasks
        .iter()
        .filter(|t| t.facts.instance_id == instance.facts.id)
    {
        by_node.entry(&task.facts.node_id).or_default().push(task);
    }
    let mut history: Vec<NodeVisit> = Vec::new();
    for (node_id, tasks) in by_node {
        for (index, visit) in visits_of(tasks).into_iter().enumerate() {
            let entered_at = visit.tasks.first().map_or(0, |t| t.facts.created_at);
            let outcome = outcome(&visit.tasks);
            let left_at = if outcome == VisitOutcome::Open {
                None
            } else {
                visit.left
            };
            history.push(NodeVisit {
                node_id: node_id.to_owned(),
                node_name: visit
                    .tasks
                    .first()
                    .map_or_else(|| node_id.to_owned(), |t| t.facts.node_name.clone()),
                round: u32::try_from(index + 1).unwrap_or(u32::MAX),
                entered_at,
                left_at,
                duration_ms: left_at.map(|left| left - entered_at),
                outcome,
                actors: visit
                    .tasks
                    .iter()
                    .map(|t| Actor {
                        task_id: t.facts.id.clone(),
                        assignee: t.facts.assignee.clone(),
                        kind: t.facts.kind,
                        status: t.status(),
                        at: t.finished_at(),
                    })
                    .collect(),
                sub_flows: Vec::new(),
            });
        }
    }
    for child in &tree.children {
        let Some(link) = child
            .instance
            .facts
            .parent
            .as_ref()
            .filter(|link| link.instance_id == instance.facts.id)
        else {
            continue;
        };
        let started = child.instance.facts.started_at;
        let sub = trace(child);
        let holder = history
            .iter_mut()
            .filter(|v| v.node_id == link.node_id && v.entered_at <= started)
            .max_by_key(|v| v.entered_at);
        match holder {
            Some(visit) => {
                if sub.status.is_running() {
                    visit.outcome = VisitOutcome::Open;
                    visit.left_at = None;
                    visit.duration_ms = None;
                }
                visit.sub_flows.push(sub);
            }
            None => {
                let rounds = history.iter().filter(|v| v.node_id == link.node_id).count();
                history.push(NodeVisit {
                    node_id: link.node_id.clone(),
                    node_name: link.node_id.clone(),
                    round: u32::try_from(rounds + 1).unwrap_or(u32::MAX),
                    entered_at: started,
                    left_at: sub.ended_at,
                    duration_ms: sub.duration_ms,
                    outcome: child_outcome(sub.status),
                    actors: Vec::new(),
                    sub_flows: vec![sub],
                });
            }
        }
    }
    history.sort_by(|a, b| {
        (a.entered_at, &a.node_id, a.round).cmp(&(b.entered_at, &b.node_id, b.round))
    });
    let mut current = Vec::new();
    for visit in history.iter().filter(|v| v.outcome == VisitOutcome::Open) {
        current.push(CurrentNode {
            via: Vec::new(),
            instance_id: instance.facts.id.clone(),
            node_id: visit.node_id.clone(),
            node_name: visit.node_name.clone(),
            since: visit.entered_at,
            assignees: visit
                .actors
                .iter()
                .filter(|a| a.status == TaskStatus::Pending)
                .filter_map(|a| a.assignee.clone())
                .collect(),
        });
        for sub in &visit.sub_flows {
            for node in &sub.current {
                let mut via = vec![ParentLink {
                    instance_id: instance.facts.id.clone(),
                    node_id: visit.node_id.clone(),
                }];
                via.extend(node.via.iter().cloned());
                current.push(CurrentNode {
                    via,
                    ..node.clone()
                });
            }
        }
    }
    Trace {
        instance_id: instance.facts.id.clone(),
        category: instance.facts.category.clone(),
        flow_key: instance.facts.flow_key.clone(),
        status: instance.status(),
        started_at: instance.facts.started_at,
        ended_at: instance.ended_at(),
        duration_ms: instance
            .ended_at()
            .map(|ended| ended - instance.facts.started_at),
        current,
        history,
    }
}

#[cfg(test)]
mod tests;
