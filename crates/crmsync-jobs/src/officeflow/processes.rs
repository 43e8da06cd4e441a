//! Processes: instances and their tasks of each configured flow category, with the engine events applied, into
//! `app_session` and `task_history`.
//!
//! A run reads the category's events, then its instances and tasks changed since the watermarks (events first:
//! every task an event names was created before the event, so it is in the task listing read after it), groups
//! everything by instance and plans each group of instances against what is stored: listed records are merged
//! in (a close or an end is never undone), events are applied, and an ended instance closes its open tasks
//! (see [`crmsync_domain::flow::Flow`]). Only records that differ from the stored ones are written.

mod run;
mod trace;

use std::collections::{BTreeSet, HashMap};

use crmsync_domain::flow::{
    Applied, Closure, EngineEvent, EventIssue, EventKind, Flow, ProcessInstance, TaskRecord,
};
use crmsync_domain::org::OrgRecordError;
use serde::Serialize;

pub use crmsync_domain::flow::{
    Actor, CurrentNode, NodeVisit, TaskKind, TaskStatus, Trace, VisitOutcome,
};
pub use run::{FlowCategory, FlowDeps, MARK_PROCESSES_PREFIX};
pub use trace::{MAX_SUB_FLOW_DEPTH, trace_instance};

/// Everything a run listed for one category, validated, one record per id, grouped by instance.
#[derive(Debug, Clone, Default)]
pub struct Listed {
    /// Listed instances, by id.
    pub instances: HashMap<String, ProcessInstance>,
    /// Listed tasks, by instance id.
    pub tasks: HashMap<String, Vec<TaskRecord>>,
    /// Events, by instance id, in application order.
    pub events: HashMap<String, Vec<EngineEvent>>,
    /// Records skipped because a field is unacceptable.
    pub rejected: Vec<OrgRecordError>,
    /// Records listed more than once (the latest change kept).
    pub duplicates: u64,
}

impl Listed {
    /// Validates and groups what was listed; a record listed twice keeps its latest change.
    pub fn new(
        instances: Vec<ProcessInstance>,
        tasks: Vec<TaskRecord>,
        events: Vec<EngineEvent>,
    ) -> Self {
        let mut listed = Self::default();
        for instance in instances {
            if let Err(error) = instance.facts.validate() {
                listed.rejected.push(error);
                continue;
            }
            if let Some(known) = listed.instances.get(instance.id()) {
                listed.duplicates += 1;
                if known.facts.updated_at > instance.facts.updated_at {
                    continue;
                }
            }
            listed.instances.insert(instance.facts.id.clone(), instance);
        }
        let mut by_id: HashMap<String, TaskRecord> = HashMap::with_capacity(tasks.len());
        for task in tasks {
            if let Err(error) = task.facts.validate() {
                listed.rejected.push(error);
                continue;
            }
            if let Some(known) = by_id.get(task.id()) {
                listed.duplicates += 1;
                if known.facts.updated_at > task.facts.updated_at {
                    continue;
                }
            }
            by_id.insert(task.facts.id.clone(), task);
        }
        for task in by_id.into_values() {
            listed
                .tasks
                .entry(task.facts.instance_id.clone())
                .or_default()
                .push(task);
        }
        let mut seen = BTreeSet::new();
        for event in events {
            if let Err(error) = event.validate() {
                listed.rejected.push(error);
                continue;
            }
            if !seen.insert(event.id.clone()) {
                listed.duplicates += 1;
                continue;
            }
            listed
                .events
                .entry(event.instance_id.clone())
                .or_default()
                .push(event);
        }
        for events in listed.events.values_mut() {
            events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        }
        listed
    }

    /// Every instance something was listed for, sorted.
    pub fn touched(&self) -> Vec<String> {
        let ids: BTreeSet<&String> = self
            .instances
            .keys()
            .chain(self.tasks.keys())
            .chain(self.events.keys())
            .collect();
        ids.into_iter().cloned().collect()
    }

    /// Events listed, over all instances.
    pub fn event_count(&self) -> usize {
        self.events.values().map(Vec::len).sum()
    }

    /// The newest change time of the listed instances, tasks and events (the next watermarks).
    pub fn newest(&self) -> (Option<i64>, Option<i64>, Option<i64>) {
        (
            self.instances.values().map(|i| i.facts.updated_at).max(),
            self.tasks
                .values()
                .flatten()
                .map(|t| t.facts.updated_at)
                .max(),
            self.events.values().flatten().map(|e| e.at).max(),
        )
    }
}

/// Prefixes every id of a listing with `namespace:` — instances, tasks, events and the ids they name — so
/// records of two sources never share an id in the local tables.
pub fn namespaced(
    namespace: &str,
    instances: &mut [ProcessInstance],
    tasks: &mut [TaskRecord],
    events: &mut [EngineEvent],
) {
    let scoped = |id: &mut String| *id = format!("{namespace}:{id}");
    for instance in instances {
        scoped(&mut instance.facts.id);
        if let Some(parent) = &mut instance.facts.parent {
            scoped(&mut parent.instance_id);
        }
    }
    for task in tasks {
        scoped(&mut task.facts.id);
        scoped(&mut task.facts.instance_id);
    }
    for event in events {
        scoped(&mut event.id);
        scoped(&mut event.instance_id);
        match &mut event.kind {
            EventKind::TaskCompleted { task_id, .. }
            | EventKind::TaskAborted { task_id, .. }
            | EventKind::TaskReverted { task_id, .. } => scoped(task_id),
            EventKind::InstanceEnded { .. } => {}
        }
    }
}

/// What one group of instances will write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowPlan {
    /// Instances to insert or replace.
    pub instances: Vec<ProcessInstance>,
    /// Tasks to insert or replace.
    pub tasks: Vec<TaskRecord>,
    /// What the plan does, by name.
    pub counts: FlowPlanCounts,
    /// What events and listings could not do.
    pub issues: Vec<EventIssue>,
}

/// Planned changes of the processes part, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FlowPlanCounts {
    /// New instances.
    pub instances_added: u64,
    /// Changed instances (facts, or ended).
    pub instances_updated: u64,
    /// New tasks.
    pub tasks_added: u64,
    /// Changed tasks.
    pub tasks_updated: u64,
    /// Engine events applied.
    pub events_applied: u64,
    /// Tasks the platform still listed open that events or an instance end closed (pending and proxy tasks of
    /// aborted or reverted nodes, open tasks of ended instances): their notices are marked ignored.
    pub tasks_closed_by_events: u64,
    /// Tasks whose instance is neither listed nor stored (kept as listed; their events wait for the instance).
    pub orphan_tasks: u64,
}

impl FlowPlanCounts {
    /// Adds `other`.
    pub fn add(&mut self, other: &Self) {
        self.instances_added += other.instances_added;
        self.instances_updated += other.instances_updated;
        self.tasks_added += other.tasks_added;
        self.tasks_updated += other.tasks_updated;
        self.events_applied += other.events_applied;
        self.tasks_closed_by_events += other.tasks_closed_by_events;
        self.orphan_tasks += other.orphan_tasks;
    }
}

fn implied(task: &TaskRecord) -> bool {
    matches!(
        task.closed_by(),
        Some(Closure::Node(_) | Closure::InstanceEnd)
    )
}

/// Plans the instances `ids` against the stored instances and tasks of those ids.
pub fn plan(
    ids: &[String],
    stored_instances: Vec<ProcessInstance>,
    stored_tasks: Vec<TaskRecord>,
    listed: &Listed,
) -> FlowPlan {
    let mut stored_by_id: HashMap<String, ProcessInstance> = stored_instances
        .into_iter()
        .map(|i| (i.facts.id.clone(), i))
        .collect();
    let mut tasks_by_instance: HashMap<String, Vec<TaskRecord>> = HashMap::new();
    for task in stored_tasks {
        tasks_by_instance
            .entry(task.facts.instance_id.clone())
            .or_default()
            .push(task);
    }
    let mut plan = FlowPlan::default();
    for id in ids {
        let stored = stored_by_id.remove(id);
        let stored_tasks = tasks_by_instance.remove(id).unwrap_or_default();
        let listed_instance = listed.instances.get(id);
        let listed_tasks = listed.tasks.get(id).map_or(&[][..], Vec::as_slice);
        let events = listed.events.get(id).map_or(&[][..], Vec::as_slice);
        let Some(base) = stored.clone().or_else(|| listed_instance.cloned()) else {
            orphans(&mut plan, stored_tasks, listed_tasks, events);
            continue;
        };
        let before: HashMap<String, TaskRecord> = stored_tasks
            .iter()
            .map(|t| (t.facts.id.clone(), t.clone()))
            .collect();
        let mut flow = Flow::new(base, stored_tasks);
        let mut applied = Applied::default();
        if let (Some(_), Some(listed)) = (&stored, listed_instance) {
            applied.extend(flow.merge_listed_instance(listed));
        }
        for task in listed_tasks {
            applied.extend(flow.merge_listed_task(task.clone()));
        }
        for event in events {
            applied.extend(flow.apply(event));
            plan.counts.events_applied += 1;
        }
        applied.extend(flow.settle_end());
        plan.issues.extend(applied.issues);
        match &stored {
            None => {
                plan.counts.instances_added += 1;
                plan.instances.push(flow.instance);
            }
            Some(known) if *known != flow.instance => {
                plan.counts.instances_updated += 1;
                plan.instances.push(flow.instance);
            }
            Some(_) => {}
        }
        for (task_id, task) in flow.tasks {
            match before.get(&task_id) {
                Some(known) if *known == task => continue,
                Some(known) => {
                    plan.counts.tasks_updated += 1;
                    if implied(&task) && !implied(known) {
                        plan.counts.tasks_closed_by_events += 1;
                    }
                }
                None => {
                    plan.counts.tasks_added += 1;
                    if implied(&task) {
                        plan.counts.tasks_closed_by_events += 1;
                    }
                }
            }
            plan.tasks.push(task);
        }
    }
    plan
}

/// Tasks whose instance is unknown: merged with what is stored, kept until the instance arrives.
fn orphans(
    plan: &mut FlowPlan,
    stored: Vec<TaskRecord>,
    listed: &[TaskRecord],
    events: &[EngineEvent],
) {
    let mut stored: HashMap<String, TaskRecord> = stored
        .into_iter()
        .map(|t| (t.facts.id.clone(), t))
        .collect();
    for task in listed {
        plan.counts.orphan_tasks += 1;
        let merged = match stored.remove(task.id()) {
            Some(mut known) => {
                let before = known.clone();
                if let Err(error) = known.merge_listed(task) {
                    plan.issues.push(EventIssue::Refused {
                        event_id: "listing".into(),
                        reason: error.to_string(),
                    });
                }
                if known == before {
                    continue;
                }
                plan.counts.tasks_updated += 1;
                known
            }
            None => {
                plan.counts.tasks_added += 1;
                task.clone()
            }
        };
        plan.tasks.push(merged);
    }
    for event in events {
        plan.issues.push(EventIssue::UnknownInstance {
            event_id: event.id.clone(),
            instance_id: event.instance_id.clone(),
        });
    }
}

#[cfg(test)]
mod tests;
