//! The trace of linear flows, parallel branches, sub-flows and revert loops.

use serde_json::json;

use super::super::{Closure, InstanceFacts, TaskFacts};
use super::*;

fn instance(id: &str, started: i64, parent: Option<(&str, &str)>) -> ProcessInstance {
    ProcessInstance::running(InstanceFacts {
        id: id.into(),
        category: "office".into(),
        flow_key: "purchase".into(),
        creator: "u1".into(),
        agent: None,
        anonymous: false,
        participants: Vec::new(),
        parent: parent.map(|(instance, node)| ParentLink {
            instance_id: instance.into(),
            node_id: node.into(),
        }),
        form: json!({}),
        started_at: started,
        updated_at: started,
    })
}

/// A task of `instance` at `node`, created at `created`, closed as `status` at `closed` when given.
fn task(
    instance: &str,
    id: &str,
    node: &str,
    assignee: &str,
    created: i64,
    closed: Option<(TaskStatus, i64)>,
) -> TaskRecord {
    let facts = TaskFacts {
        id: id.into(),
        instance_id: instance.into(),
        node_id: node.into(),
        node_name: format!("{node} step"),
        kind: if assignee.is_empty() {
            TaskKind::SubFlow
        } else {
            TaskKind::Approval
        },
        assignee: (!assignee.is_empty()).then(|| assignee.into()),
        notified: true,
        created_at: created,
        updated_at: created,
    };
    TaskRecord::restore(facts, closed.map(|(s, at)| (s, at, Closure::Listed))).unwrap()
}

fn leaf(instance: ProcessInstance, tasks: Vec<TaskRecord>) -> FlowTree {
    FlowTree {
        instance,
        tasks,
        children: Vec::new(),
    }
}

/// `(node, round, entered, left, outcome)` of every visit, in order.
fn visits(trace: &Trace) -> Vec<(&str, u32, i64, Option<i64>, VisitOutcome)> {
    trace
        .history
        .iter()
        .map(|v| {
            (
                v.node_id.as_str(),
                v.round,
                v.entered_at,
                v.left_at,
                v.outcome,
            )
        })
        .collect()
}

fn current(trace: &Trace) -> Vec<(Vec<&str>, &str, &str)> {
    trace
        .current
        .iter()
        .map(|c| {
            (
                c.via.iter().map(|l| l.node_id.as_str()).collect(),
                c.instance_id.as_str(),
                c.node_id.as_str(),
            )
        })
        .collect()
}

use TaskStatus::{Aborted, Completed, Reverted};
use VisitOutcome::Open;

#[test]
fn a_linear_flow_lists_each_node_once_with_durations_and_actors() {
    let tree = leaf(
        instance("i1", 0, None),
        vec![
            task("i1", "t1", "apply", "u1", 0, Some((Completed, 5))),
            task("i1", "t2", "head", "u2", 5, Some((Completed, 50))),
            task("i1", "t3", "finance", "u3", 50, None),
        ],
    );
    let trace = trace(&tree);
    assert_eq!(
        visits(&trace),
        vec![
            ("apply", 1, 0, Some(5), VisitOutcome::Completed),
            ("head", 1, 5, Some(50), VisitOutcome::Completed),
            ("finance", 1, 50, None, Open),
        ]
    );
    assert_eq!(trace.history[1].duration_ms, Some(45));
    assert_eq!(trace.history[1].actors[0].assignee.as_deref(), Some("u2"));
    assert_eq!(current(&trace), vec![(vec![], "i1", "finance")]);
    assert_eq!(trace.current[0].assignees, vec!["u3".to_owned()]);
    assert_eq!(trace.current[0].since, 50);
}

#[test]
fn parallel_branches_stand_at_several_nodes_and_parallel_approvers_share_a_visit() {
    let tree = leaf(
        instance("i1", 0, None),
        vec![
            task("i1", "t1", "apply", "u1", 0, Some((Completed, 10))),
            task("i1", "t2", "it", "u2", 10, None),
            task("i1", "t3", "legal", "u3", 10, Some((Completed, 20))),
            task("i1", "t4", "legal", "u4", 10, None),
            task("i1", "t5", "hr", "u5", 10, Some((Completed, 30))),
        ],
    );
    let trace = trace(&tree);
    assert_eq!(
        current(&trace),
        vec![(vec![], "i1", "it"), (vec![], "i1", "legal")]
    );
    let legal = trace.history.iter().find(|v| v.node_id == "legal").unwrap();
    assert_eq!(legal.actors.len(), 2, "two approvers, one visit");
    assert_eq!(trace.current[1].assignees, vec!["u4".to_owned()]);
    assert_eq!(
        trace
            .history
            .iter()
            .find(|v| v.node_id == "hr")
            .unwrap()
            .duration_ms,
        Some(20)
    );
}

#[test]
fn a_revert_loop_gives_the_node_a_second_round() {
    let tree = leaf(
        instance("i1", 0, None),
        vec![
            task("i1", "t1", "apply", "u1", 0, Some((Completed, 10))),
            task("i1", "t2", "head", "u2", 10, Some((Reverted, 20))),
            task("i1", "t3", "apply", "u1", 20, Some((Completed, 30))),
            task("i1", "t4", "head", "u2", 30, Some((Completed, 35))),
            task("i1", "t5", "end", "u9", 35, Some((Aborted, 40))),
        ],
    );
    let trace = trace(&tree);
    assert_eq!(
        visits(&trace),
        vec![
            ("apply", 1, 0, Some(10), VisitOutcome::Completed),
            ("head", 1, 10, Some(20), VisitOutcome::Reverted),
            ("apply", 2, 20, Some(30), VisitOutcome::Completed),
            ("head", 2, 30, Some(35), VisitOutcome::Completed),
            ("end", 1, 35, Some(40), VisitOutcome::Aborted),
        ]
    );
    assert!(trace.current.is_empty());
}

#[test]
fn a_sub_flow_is_placed_under_the_visit_of_its_parent_node_that_started_it() {
    let child = leaf(
        instance("c1", 12, Some(("i1", "procure"))),
        vec![
            task("c1", "s1", "quote", "u7", 12, Some((Completed, 15))),
            task("c1", "s2", "sign", "u8", 15, None),
        ],
    );
    let earlier_child = {
        let mut done = instance("c0", 3, Some(("i1", "procure")));
        done.complete(6, Closure::Listed).unwrap();
        leaf(
            done,
            vec![task("c0", "s0", "quote", "u7", 3, Some((Completed, 6)))],
        )
    };
    let tree = FlowTree {
        instance: instance("i1", 0, None),
        tasks: vec![
            task("i1", "t1", "procure", "", 2, Some((Reverted, 8))),
            task("i1", "t2", "apply", "u1", 8, Some((Completed, 11))),
            task("i1", "t3", "procure", "", 11, Some((Completed, 16))),
        ],
        children: vec![child, earlier_child],
    };
    let trace = trace(&tree);
    let procure: Vec<&NodeVisit> = trace
        .history
        .iter()
        .filter(|v| v.node_id == "procure")
        .collect();
    assert_eq!(procure.len(), 2);
    assert_eq!(procure[0].sub_flows[0].instance_id, "c0");
    assert_eq!(procure[1].sub_flows[0].instance_id, "c1");
    assert_eq!(
        procure[1].outcome, Open,
        "the node waits while its sub-flow runs, whatever its own task says"
    );
    assert_eq!(
        current(&trace),
        vec![(vec![], "i1", "procure"), (vec!["procure"], "c1", "sign")]
    );
    assert_eq!(trace.current[1].via[0].instance_id, "i1");
}

#[test]
fn a_sub_flow_whose_parent_node_has_no_task_gets_a_visit_of_its_own() {
    let mut done = instance("c1", 4, Some(("i1", "audit")));
    done.reject(9, Closure::Listed).unwrap();
    let tree = FlowTree {
        instance: instance("i1", 0, None),
        tasks: vec![task("i1", "t1", "apply", "u1", 0, Some((Completed, 4)))],
        children: vec![leaf(done, Vec::new())],
    };
    let trace = trace(&tree);
    assert_eq!(
        visits(&trace),
        vec![
            ("apply", 1, 0, Some(4), VisitOutcome::Completed),
            ("audit", 1, 4, Some(9), VisitOutcome::Reverted),
        ]
    );
    assert_eq!(trace.history[1].sub_flows[0].duration_ms, Some(5));
}
