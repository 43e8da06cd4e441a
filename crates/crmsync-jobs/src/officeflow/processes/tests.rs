//! The processes plan with plain values, and the part run on in-memory stores against a fake engine: a first
//! run fills, a rerun writes nothing, events close what the listing leaves open, watermarks, a dry run.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crmsync_domain::flow::{
    EngineEvent, EventKind, InstanceFacts, InstanceStatus, Notice, ProcessInstance, TaskFacts,
    TaskKind, TaskRecord, TaskStatus,
};
use crmsync_ports::{FlowSource, FlowStore, NoProgress, OrgPage, OrgStore, SourceError};
use crmsync_store::memory::{MemoryFlowStore, MemoryOrgStore};
use serde_json::json;

use super::*;
use crate::officeflow::{JobSettings, OfficeflowJob, Part, PartStatus, SyncMode};

fn instance(id: &str, updated: i64) -> ProcessInstance {
    ProcessInstance::running(InstanceFacts {
        id: id.into(),
        category: "office".into(),
        flow_key: "leave".into(),
        creator: "u1".into(),
        agent: None,
        anonymous: false,
        participants: vec!["u1".into()],
        parent: None,
        form: json!({"days": 2}),
        started_at: 1,
        updated_at: updated,
    })
}

fn task(id: &str, instance: &str, node: &str, kind: TaskKind, updated: i64) -> TaskRecord {
    TaskRecord::pending(TaskFacts {
        id: id.into(),
        instance_id: instance.into(),
        node_id: node.into(),
        node_name: node.to_uppercase(),
        kind,
        assignee: Some("u2".into()),
        notified: true,
        created_at: 2,
        updated_at: updated,
    })
}

fn aborted(id: &str, instance: &str, task: &str, node: &str, at: i64) -> EngineEvent {
    EngineEvent {
        id: id.into(),
        instance_id: instance.into(),
        at,
        kind: EventKind::TaskAborted {
            task_id: task.into(),
            node_id: node.into(),
        },
    }
}

/// Instance i1 whose node n1 has an approval task (listed aborted) and a proxy task the listing still shows
/// open, with the abort event; instance i2 running with one open task.
fn listing() -> (Vec<ProcessInstance>, Vec<TaskRecord>, Vec<EngineEvent>) {
    let mut approval = task("t1", "i1", "n1", TaskKind::Approval, 5);
    approval
        .abort(5, crmsync_domain::flow::Closure::Listed)
        .unwrap();
    (
        vec![instance("i1", 5), instance("i2", 3)],
        vec![
            approval,
            task("t2", "i1", "n1", TaskKind::Proxy, 2),
            task("t3", "i2", "n1", TaskKind::Approval, 3),
        ],
        vec![aborted("e1", "i1", "t1", "n1", 5)],
    )
}

#[test]
fn a_first_plan_adds_everything_and_closes_what_the_events_close() {
    let (instances, tasks, events) = listing();
    let listed = Listed::new(instances, tasks, events);
    let ids = listed.touched();
    assert_eq!(ids, vec!["i1".to_owned(), "i2".to_owned()]);
    let plan = plan(&ids, Vec::new(), Vec::new(), &listed);
    assert_eq!(plan.counts.instances_added, 2);
    assert_eq!(plan.counts.tasks_added, 3);
    assert_eq!(plan.counts.events_applied, 1);
    assert_eq!(plan.counts.tasks_closed_by_events, 1, "the proxy task");
    let proxy = plan.tasks.iter().find(|t| t.id() == "t2").unwrap();
    assert_eq!(proxy.status(), TaskStatus::Aborted);
    assert_eq!(proxy.notice(), Some(Notice::Ignored));

    let again = super::plan(&ids, plan.instances.clone(), plan.tasks.clone(), &listed);
    assert!(
        again.instances.is_empty() && again.tasks.is_empty(),
        "the same listing against what it produced plans nothing: {again:?}"
    );
}

#[test]
fn records_listed_twice_keep_their_latest_change_and_bad_ones_are_rejected() {
    let mut newer = instance("i1", 9);
    newer.facts.flow_key = "purchase".into();
    let mut bad = instance("", 1);
    bad.facts.creator = String::new();
    let listed = Listed::new(
        vec![newer, instance("i1", 4), bad],
        vec![task("t1", "i1", "n1", TaskKind::Approval, 1)],
        vec![
            aborted("e1", "i1", "t1", "n1", 5),
            aborted("e1", "i1", "t1", "n1", 5),
        ],
    );
    assert_eq!(listed.instances["i1"].facts.flow_key, "purchase");
    assert_eq!(listed.duplicates, 2);
    assert_eq!(listed.rejected.len(), 1);
    assert_eq!(listed.rejected[0].field, "id");
    assert_eq!(listed.event_count(), 1);
    assert_eq!(listed.newest(), (Some(9), Some(1), Some(5)));
}

#[test]
fn tasks_of_an_unknown_instance_are_kept_and_its_events_reported() {
    let listed = Listed::new(
        Vec::new(),
        vec![task("t9", "i9", "n1", TaskKind::Approval, 1)],
        vec![aborted("e9", "i9", "t9", "n1", 3)],
    );
    let plan = plan(&listed.touched(), Vec::new(), Vec::new(), &listed);
    assert_eq!(plan.counts.orphan_tasks, 1);
    assert_eq!(plan.tasks.len(), 1);
    assert!(plan.instances.is_empty());
    assert!(matches!(
        &plan.issues[..],
        [EventIssue::UnknownInstance { instance_id, .. }] if instance_id == "i9"
    ));
}

#[test]
fn a_later_listing_that_ends_an_instance_closes_its_stored_open_tasks() {
    let (instances, tasks, events) = listing();
    let first = Listed::new(instances, tasks, events);
    let ids = first.touched();
    let stored = plan(&ids, Vec::new(), Vec::new(), &first);
    let mut ended = instance("i2", 10);
    ended
        .cancel(10, crmsync_domain::flow::Closure::Listed)
        .unwrap();
    let second = Listed::new(vec![ended], Vec::new(), Vec::new());
    let plan = plan(
        &second.touched(),
        stored
            .instances
            .iter()
            .filter(|i| i.id() == "i2")
            .cloned()
            .collect(),
        stored
            .tasks
            .iter()
            .filter(|t| t.facts.instance_id == "i2")
            .cloned()
            .collect(),
        &second,
    );
    assert_eq!(plan.counts.instances_updated, 1);
    assert_eq!(plan.counts.tasks_closed_by_events, 1);
    assert_eq!(plan.tasks[0].status(), TaskStatus::Aborted);
    assert_eq!(plan.instances[0].status(), InstanceStatus::Cancelled);
}

/// Instances, tasks, events and the number of calls.
type EngineState = (Vec<ProcessInstance>, Vec<TaskRecord>, Vec<EngineEvent>, u64);

/// An engine held in memory; listings honour `updated_since` and page one record at a time.
#[derive(Debug, Default, Clone)]
struct FakeEngine(Arc<Mutex<EngineState>>);

fn one_page<T: Clone>(items: Vec<T>, cursor: Option<String>) -> OrgPage<T> {
    let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
    OrgPage {
        items: items.iter().skip(start).take(1).cloned().collect(),
        next_cursor: (start + 1 < items.len()).then(|| (start + 1).to_string()),
    }
}

#[async_trait]
impl FlowSource for FakeEngine {
    async fn instances(
        &self,
        category: &str,
        since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<ProcessInstance>, SourceError> {
        let mut state = self.0.lock().unwrap();
        state.3 += 1;
        let items = state
            .0
            .iter()
            .filter(|i| {
                i.facts.category == category && since.is_none_or(|s| i.facts.updated_at >= s)
            })
            .cloned()
            .collect();
        Ok(one_page(items, cursor))
    }

    async fn tasks(
        &self,
        _category: &str,
        since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<TaskRecord>, SourceError> {
        let mut state = self.0.lock().unwrap();
        state.3 += 1;
        let items = state
            .1
            .iter()
            .filter(|t| since.is_none_or(|s| t.facts.updated_at >= s))
            .cloned()
            .collect();
        Ok(one_page(items, cursor))
    }

    async fn events(
        &self,
        _category: &str,
        since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<EngineEvent>, SourceError> {
        let mut state = self.0.lock().unwrap();
        state.3 += 1;
        let items = state
            .2
            .iter()
            .filter(|e| since.is_none_or(|s| e.at >= s))
            .cloned()
            .collect();
        Ok(one_page(items, cursor))
    }
}

struct Rig {
    engine: FakeEngine,
    flows: MemoryFlowStore,
    org: MemoryOrgStore,
}

impl Rig {
    fn new() -> Self {
        let (instances, tasks, events) = listing();
        Self {
            engine: FakeEngine(Arc::new(Mutex::new((instances, tasks, events, 0)))),
            flows: MemoryFlowStore::new(),
            org: MemoryOrgStore::new(),
        }
    }

    fn job(&self) -> OfficeflowJob {
        let source: Arc<dyn crmsync_ports::OrgSource> =
            Arc::new(crmsync_ports::MockOrgSource::new());
        OfficeflowJob::new(
            source,
            Arc::new(self.org.clone()),
            JobSettings {
                batch_size: 10,
                ..JobSettings::default()
            },
        )
        .with_flows(Some(FlowDeps {
            store: Arc::new(self.flows.clone()),
            categories: vec![FlowCategory {
                name: "office".into(),
                source_name: "officeflow".into(),
                source: Arc::new(self.engine.clone()),
                namespace: None,
            }],
        }))
    }

    async fn run(&self, mode: SyncMode, dry_run: bool) -> crate::officeflow::PartReport {
        self.job()
            .run_part(Part::Processes, mode, dry_run, &NoProgress)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn the_part_fills_then_writes_nothing_and_reads_only_what_changed() {
    let rig = Rig::new();
    let dry = rig.run(SyncMode::Incremental, true).await;
    assert_eq!(dry.status, PartStatus::Planned);
    assert_eq!(dry.changes["tasks.added"], 3);
    assert_eq!(
        rig.flows.flow_counts().await.unwrap().tasks,
        0,
        "a dry run writes nothing"
    );
    assert_eq!(
        rig.org.sync_mark("processes:office:events").await.unwrap(),
        None
    );

    let first = rig.run(SyncMode::Incremental, false).await;
    assert_eq!(first.writes, 5, "{first:?}");
    assert_eq!(first.changes["tasks.closed_by_events"], 1);
    assert_eq!(first.mode, "office from officeflow: full");
    let counts = rig.flows.flow_counts().await.unwrap();
    assert_eq!(
        (counts.instances, counts.tasks, counts.tasks_pending),
        (2, 3, 1)
    );
    assert_eq!(
        counts.notices_ignored, 2,
        "the aborted task and its node's proxy"
    );
    assert_eq!(
        rig.org.sync_mark("processes:office:tasks").await.unwrap(),
        Some(5)
    );

    for mode in [SyncMode::Incremental, SyncMode::Full] {
        let again = rig.run(mode, false).await;
        assert_eq!(again.writes, 0, "{mode:?}: {again:?}");
    }
    let incremental = rig.run(SyncMode::Incremental, false).await;
    assert_eq!(
        incremental.fetched, 3,
        "only the records at the watermarks are read again"
    );

    rig.engine.0.lock().unwrap().2.push(EngineEvent {
        id: "e2".into(),
        instance_id: "i2".into(),
        at: 7,
        kind: EventKind::InstanceEnded {
            status: InstanceStatus::Terminated,
        },
    });
    let ended = rig.run(SyncMode::Incremental, false).await;
    assert_eq!(ended.writes, 2, "the instance and its open task: {ended:?}");
    let counts = rig.flows.flow_counts().await.unwrap();
    assert_eq!(
        (counts.instances_running, counts.tasks_pending),
        (1, 0),
        "i1 runs on (an abort ends no instance); i2 ended with its task"
    );
}

#[tokio::test]
async fn without_categories_the_part_reads_nothing() {
    let rig = Rig::new();
    let job = OfficeflowJob::new(
        Arc::new(crmsync_ports::MockOrgSource::new()),
        Arc::new(rig.org.clone()),
        JobSettings::default(),
    );
    let report = job
        .run_part(Part::Processes, SyncMode::Full, false, &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.writes, 0);
    assert!(report.notes[0].contains("no flow category"), "{report:?}");
}

#[test]
fn a_namespace_prefixes_every_id_and_every_reference() {
    let (mut instances, mut tasks, mut events) = listing();
    instances[1].facts.parent = Some(crmsync_domain::flow::ParentLink {
        instance_id: "i1".into(),
        node_id: "n1".into(),
    });
    namespaced("outing", &mut instances, &mut tasks, &mut events);
    assert_eq!(instances[0].id(), "outing:i1");
    assert_eq!(
        instances[1].facts.parent.as_ref().unwrap().instance_id,
        "outing:i1"
    );
    assert_eq!(tasks[0].id(), "outing:t1");
    assert_eq!(tasks[0].facts.instance_id, "outing:i1");
    assert_eq!(events[0].id, "outing:e1");
    assert!(
        matches!(&events[0].kind, EventKind::TaskAborted { task_id, node_id } if task_id == "outing:t1" && node_id == "n1")
    );
}
