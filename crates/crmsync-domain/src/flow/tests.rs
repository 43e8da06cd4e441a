//! Plan tables of engine-event application: abort, revert and end in every order, duplicates, out-of-order
//! delivery, listings that lag behind, and the transitions the life cycle refuses.

use serde_json::json;

use super::*;

fn instance(id: &str) -> ProcessInstance {
    ProcessInstance::running(InstanceFacts {
        id: id.into(),
        category: "office".into(),
        flow_key: "leave".into(),
        creator: "u1".into(),
        agent: None,
        anonymous: false,
        participants: vec!["u1".into()],
        parent: None,
        form: json!({"days": 3}),
        started_at: 0,
        updated_at: 0,
    })
}

fn task(id: &str, node: &str, kind: TaskKind, assignee: &str, created: i64) -> TaskRecord {
    TaskRecord::pending(TaskFacts {
        id: id.into(),
        instance_id: "i1".into(),
        node_id: node.into(),
        node_name: format!("Node {node}"),
        kind,
        assignee: Some(assignee.into()),
        notified: true,
        created_at: created,
        updated_at: created,
    })
}

/// Node n1 has an approver's task t1, its proxy t2 and a second approver t3; parallel node n2 has t4.
fn flow() -> Flow {
    Flow::new(
        instance("i1"),
        [
            task("t1", "n1", TaskKind::Approval, "alice", 10),
            task("t2", "n1", TaskKind::Proxy, "bob", 10),
            task("t3", "n1", TaskKind::Approval, "carol", 10),
            task("t4", "n2", TaskKind::Approval, "dave", 10),
        ],
    )
}

fn event(id: &str, at: i64, kind: EventKind) -> EngineEvent {
    EngineEvent {
        id: id.into(),
        instance_id: "i1".into(),
        at,
        kind,
    }
}

fn abort(id: &str, at: i64, task: &str, node: &str) -> EngineEvent {
    event(
        id,
        at,
        EventKind::TaskAborted {
            task_id: task.into(),
            node_id: node.into(),
        },
    )
}

fn revert(id: &str, at: i64, task: &str, node: &str) -> EngineEvent {
    event(
        id,
        at,
        EventKind::TaskReverted {
            task_id: task.into(),
            node_id: node.into(),
            to_node: Some("n0".into()),
        },
    )
}

fn complete(id: &str, at: i64, task: &str, node: &str) -> EngineEvent {
    event(
        id,
        at,
        EventKind::TaskCompleted {
            task_id: task.into(),
            node_id: node.into(),
        },
    )
}

fn end(id: &str, at: i64, status: InstanceStatus) -> EngineEvent {
    event(id, at, EventKind::InstanceEnded { status })
}

/// `(task, status, finished_at, closure)` of every task.
fn states(flow: &Flow) -> Vec<(String, TaskStatus, Option<i64>, Option<Closure>)> {
    flow.tasks
        .values()
        .map(|t| {
            (
                t.facts.id.clone(),
                t.status(),
                t.finished_at(),
                t.closed_by().cloned(),
            )
        })
        .collect()
}

fn row(
    id: &str,
    status: TaskStatus,
    at: Option<i64>,
    closure: Option<Closure>,
) -> (String, TaskStatus, Option<i64>, Option<Closure>) {
    (id.into(), status, at, closure)
}

fn ev(id: &str) -> Option<Closure> {
    Some(Closure::Event(id.into()))
}

fn node(id: &str) -> Option<Closure> {
    Some(Closure::Node(id.into()))
}

fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for index in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(index);
        for mut tail in permutations(&rest) {
            tail.insert(0, first.clone());
            all.push(tail);
        }
    }
    all
}

struct Case {
    name: &'static str,
    events: Vec<EngineEvent>,
    instance: InstanceStatus,
    tasks: Vec<(String, TaskStatus, Option<i64>, Option<Closure>)>,
}

fn cases() -> Vec<Case> {
    use TaskStatus::{Aborted, Completed, Pending, Reverted};
    vec![
        Case {
            name: "an abort takes the pending and proxy tasks of its node, not the parallel node",
            events: vec![abort("e1", 20, "t1", "n1")],
            instance: InstanceStatus::Running,
            tasks: vec![
                row("t1", Aborted, Some(20), ev("e1")),
                row("t2", Aborted, Some(20), node("e1")),
                row("t3", Aborted, Some(20), node("e1")),
                row("t4", Pending, None, None),
            ],
        },
        Case {
            name: "a revert closes its task as reverted and aborts the rest of its node",
            events: vec![revert("e2", 25, "t3", "n1")],
            instance: InstanceStatus::Running,
            tasks: vec![
                row("t1", Aborted, Some(25), node("e2")),
                row("t2", Aborted, Some(25), node("e2")),
                row("t3", Reverted, Some(25), ev("e2")),
                row("t4", Pending, None, None),
            ],
        },
        Case {
            name: "an end closes every open task",
            events: vec![end("e3", 30, InstanceStatus::Terminated)],
            instance: InstanceStatus::Terminated,
            tasks: vec![
                row("t1", Aborted, Some(30), Some(Closure::InstanceEnd)),
                row("t2", Aborted, Some(30), Some(Closure::InstanceEnd)),
                row("t3", Aborted, Some(30), Some(Closure::InstanceEnd)),
                row("t4", Aborted, Some(30), Some(Closure::InstanceEnd)),
            ],
        },
        Case {
            name: "abort, revert and end: each task keeps its own account, else the earliest implied one",
            events: vec![
                abort("e1", 20, "t1", "n1"),
                revert("e2", 25, "t3", "n1"),
                end("e3", 30, InstanceStatus::Terminated),
            ],
            instance: InstanceStatus::Terminated,
            tasks: vec![
                row("t1", Aborted, Some(20), ev("e1")),
                row("t2", Aborted, Some(20), node("e1")),
                row("t3", Reverted, Some(25), ev("e2")),
                row("t4", Aborted, Some(30), Some(Closure::InstanceEnd)),
            ],
        },
        Case {
            name: "a completion delivered after the end still counts (out of order)",
            events: vec![
                end("e3", 30, InstanceStatus::Completed),
                complete("e4", 15, "t4", "n2"),
            ],
            instance: InstanceStatus::Completed,
            tasks: vec![
                row("t1", Aborted, Some(30), Some(Closure::InstanceEnd)),
                row("t2", Aborted, Some(30), Some(Closure::InstanceEnd)),
                row("t3", Aborted, Some(30), Some(Closure::InstanceEnd)),
                row("t4", Completed, Some(15), ev("e4")),
            ],
        },
        Case {
            name: "a completed task is not taken by a later abort of its node",
            events: vec![complete("e4", 12, "t3", "n1"), abort("e1", 20, "t1", "n1")],
            instance: InstanceStatus::Running,
            tasks: vec![
                row("t1", Aborted, Some(20), ev("e1")),
                row("t2", Aborted, Some(20), node("e1")),
                row("t3", Completed, Some(12), ev("e4")),
                row("t4", Pending, None, None),
            ],
        },
        Case {
            name: "duplicated deliveries change nothing more",
            events: vec![
                abort("e1", 20, "t1", "n1"),
                abort("e1", 20, "t1", "n1"),
                end("e3", 30, InstanceStatus::Rejected),
                abort("e1", 20, "t1", "n1"),
                end("e3", 30, InstanceStatus::Rejected),
            ],
            instance: InstanceStatus::Rejected,
            tasks: vec![
                row("t1", Aborted, Some(20), ev("e1")),
                row("t2", Aborted, Some(20), node("e1")),
                row("t3", Aborted, Some(20), node("e1")),
                row("t4", Aborted, Some(30), Some(Closure::InstanceEnd)),
            ],
        },
    ]
}

#[test]
fn every_case_ends_in_its_table_state_in_every_order_and_twice() {
    for case in cases() {
        for order in permutations(&case.events) {
            let mut flow = flow();
            for event in &order {
                flow.apply(event);
            }
            assert_eq!(flow.instance.status(), case.instance, "{}", case.name);
            assert_eq!(states(&flow), case.tasks, "{}: order {order:?}", case.name);
            let settled = flow.clone();
            for event in &order {
                assert!(
                    flow.apply(event).is_empty(),
                    "{}: a second delivery of {} changed something",
                    case.name,
                    event.id
                );
            }
            assert_eq!(flow, settled, "{}", case.name);
        }
    }
}

#[test]
fn no_pending_or_proxy_task_of_an_aborted_or_reverted_node_is_left() {
    for closing in [abort("e1", 20, "t2", "n1"), revert("e2", 20, "t1", "n1")] {
        let mut flow = flow();
        flow.apply(&closing);
        let open: Vec<&str> = flow
            .tasks
            .values()
            .filter(|t| t.facts.node_id == "n1" && t.status() == TaskStatus::Pending)
            .map(TaskRecord::id)
            .collect();
        assert!(open.is_empty(), "{closing:?} left {open:?}");
    }
}

#[test]
fn notices_of_closed_tasks_are_ignored_and_of_completed_ones_handled() {
    let mut flow = flow();
    flow.apply(&complete("e4", 12, "t4", "n2"));
    flow.apply(&abort("e1", 20, "t1", "n1"));
    let notice = |id: &str| flow.tasks[id].notice();
    assert_eq!(notice("t4"), Some(Notice::Handled));
    assert_eq!(notice("t1"), Some(Notice::Ignored));
    assert_eq!(
        notice("t2"),
        Some(Notice::Ignored),
        "the proxy task's notice"
    );
    let mut quiet = task("t9", "n3", TaskKind::Approval, "eve", 10);
    quiet.facts.notified = false;
    assert_eq!(quiet.notice(), None);
    assert_eq!(
        task("t8", "n3", TaskKind::Approval, "eve", 10).notice(),
        Some(Notice::Pending)
    );
}

#[test]
fn a_revert_does_not_close_tasks_of_a_later_visit_of_its_node() {
    let mut flow = flow();
    let revert = revert("e2", 25, "t3", "n1");
    flow.apply(&revert);
    flow.merge_listed_task(task("t5", "n1", TaskKind::Approval, "alice", 40));
    assert!(flow.apply(&revert).is_empty(), "replayed");
    assert_eq!(flow.tasks["t5"].status(), TaskStatus::Pending);
}

#[test]
fn an_event_for_an_unknown_task_still_closes_its_node_and_is_reported() {
    let mut flow = flow();
    let applied = flow.apply(&abort("e1", 20, "t-gone", "n1"));
    assert_eq!(
        applied.issues,
        vec![EventIssue::UnknownTask {
            event_id: "e1".into(),
            task_id: "t-gone".into()
        }]
    );
    assert_eq!(applied.tasks.len(), 3, "t1, t2 and t3 of node n1");
    let other = EngineEvent {
        instance_id: "i2".into(),
        ..end("e9", 30, InstanceStatus::Completed)
    };
    let applied = flow.apply(&other);
    assert!(applied.is_empty());
    assert!(matches!(
        applied.issues[..],
        [EventIssue::WrongInstance { .. }]
    ));
}

#[test]
fn a_lagging_listing_never_reopens_and_an_explicit_listing_replaces_an_implied_close() {
    let mut flow = flow();
    flow.apply(&abort("e1", 20, "t1", "n1"));
    let stale = task("t2", "n1", TaskKind::Proxy, "bob", 10);
    assert!(
        flow.merge_listed_task(stale).is_empty(),
        "still pending on the platform"
    );
    assert_eq!(flow.tasks["t2"].status(), TaskStatus::Aborted);

    let mut done = task("t3", "n1", TaskKind::Approval, "carol", 10);
    done.complete(15, Closure::Listed).unwrap();
    let applied = flow.merge_listed_task(done);
    assert!(applied.tasks.contains("t3"));
    assert_eq!(flow.tasks["t3"].status(), TaskStatus::Completed);
    assert_eq!(flow.tasks["t3"].closed_by(), Some(&Closure::Listed));
}

#[test]
fn a_listed_end_closes_open_tasks_like_the_event_would() {
    let mut listed = flow();
    let mut ended = instance("i1");
    ended.cancel(30, Closure::Listed).unwrap();
    listed.merge_listed_instance(&ended);
    listed.settle_end();
    let mut by_event = flow();
    by_event.apply(&end("e3", 30, InstanceStatus::Cancelled));
    assert_eq!(states(&listed), states(&by_event));
    assert_eq!(listed.instance.status(), InstanceStatus::Cancelled);

    let mut running = instance("i1");
    running.facts.updated_at = 99;
    assert!(listed.merge_listed_instance(&running).instance);
    assert_eq!(
        listed.instance.status(),
        InstanceStatus::Cancelled,
        "an end is never undone"
    );
}

#[test]
fn disagreeing_accounts_keep_the_earlier_and_are_reported() {
    let mut flow = flow();
    flow.apply(&complete("e4", 20, "t4", "n2"));
    let applied = flow.apply(&abort("e5", 18, "t4", "n2"));
    assert_eq!(
        flow.tasks["t4"].status(),
        TaskStatus::Aborted,
        "the earlier"
    );
    assert!(
        matches!(&applied.issues[..], [EventIssue::Conflict { id, other, .. }] if id == "t4" && other == "completed"),
        "{:?}",
        applied.issues
    );
}

#[test]
fn the_life_cycle_refuses_reopening_and_closing_before_the_start() {
    let mut t = task("t1", "n1", TaskKind::Approval, "alice", 10);
    assert!(matches!(
        t.close(TaskStatus::Pending, 20, Closure::Listed),
        Err(FlowTransitionError::NotAClose { .. })
    ));
    assert!(matches!(
        t.complete(5, Closure::Listed),
        Err(FlowTransitionError::BeforeStart {
            at: 5,
            started: 10,
            ..
        })
    ));
    assert_eq!(
        t.status(),
        TaskStatus::Pending,
        "a refused transition changes nothing"
    );
    let mut i = instance("i1");
    assert!(matches!(
        i.end(InstanceStatus::Running, 5, Closure::Listed),
        Err(FlowTransitionError::NotAnEnd { .. })
    ));
    assert!(i.terminate(5, Closure::Listed).unwrap().changed);
    assert!(
        !i.terminate(5, Closure::Listed).unwrap().changed,
        "idempotent"
    );
    assert!(i.status().is_ended() && !i.status().is_running());
}

#[test]
fn stored_names_read_back() {
    for closure in [
        Closure::Listed,
        Closure::InstanceEnd,
        Closure::Event("e:1".into()),
        Closure::Node("e2".into()),
    ] {
        assert_eq!(closure.to_stored().parse::<Closure>().unwrap(), closure);
    }
    assert!("node:".parse::<Closure>().is_err());
    for status in InstanceStatus::ALL {
        assert_eq!(status.as_str().parse::<InstanceStatus>().unwrap(), status);
    }
    for status in TaskStatus::ALL {
        assert_eq!(status.as_str().parse::<TaskStatus>().unwrap(), status);
    }
    for kind in TaskKind::ALL {
        assert_eq!(kind.as_str().parse::<TaskKind>().unwrap(), kind);
    }
    assert_eq!(
        InstanceStatus::RUNNING.len() + InstanceStatus::ENDED.len(),
        InstanceStatus::ALL.len()
    );
}
