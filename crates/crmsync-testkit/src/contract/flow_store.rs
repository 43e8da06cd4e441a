//! What every `FlowStore` must do: instances and tasks read back as written (JSON form and participants
//! included), upserts that count only changed rows, a flow's tree of sub-flows level by level, a user's instances newest first.

use crmsync_domain::flow::{
    Closure, InstanceFacts, InstanceStatus, Notice, ParentLink, ProcessInstance, TaskFacts,
    TaskKind, TaskRecord, TaskStatus,
};
use crmsync_ports::{FlowCounts, FlowStore, StoreError};
use serde_json::json;

fn instance(id: &str, creator: &str, agent: Option<&str>, started: i64) -> ProcessInstance {
    ProcessInstance::running(InstanceFacts {
        id: id.into(),
        category: "office".into(),
        flow_key: "purchase".into(),
        creator: creator.into(),
        agent: agent.map(Into::into),
        anonymous: agent.is_some(),
        participants: vec![creator.into(), "zed".into(), "amy".into()],
        parent: None,
        form: json!({"amount": 1200, "items": [{"sku": "A-1", "qty": 2}], "note": "ünïcode ✓", "urgent": true}),
        started_at: started,
        updated_at: started,
    })
}

fn task(id: &str, instance: &str, node: &str, created: i64) -> TaskRecord {
    TaskRecord::pending(TaskFacts {
        id: id.into(),
        instance_id: instance.into(),
        node_id: node.into(),
        node_name: format!("Node {node}"),
        kind: TaskKind::Approval,
        assignee: Some("bob".into()),
        notified: true,
        created_at: created,
        updated_at: created,
    })
}

/// Runs every check against an empty `store`.
pub async fn flow_store(store: &dyn FlowStore) {
    assert_eq!(store.flow_counts().await.unwrap(), FlowCounts::default());

    let mut first = instance("i1", "alice", None, 100);
    let second = instance("i2", "carol", Some("alice"), 200);
    let mut child = instance("i3", "dave", None, 150);
    child.facts.parent = Some(ParentLink {
        instance_id: "i1".into(),
        node_id: "procure".into(),
    });
    let mut proxy = task("t2", "i1", "head", 110);
    proxy.facts.kind = TaskKind::Proxy;
    proxy.facts.assignee = None;
    proxy.facts.notified = false;
    let tasks = vec![
        task("t1", "i1", "head", 110),
        proxy,
        task("t3", "i2", "head", 210),
    ];
    let written = store
        .write_flows(&[first.clone(), second.clone(), child.clone()], &tasks)
        .await
        .unwrap();
    assert_eq!(written, 6);
    assert_eq!(
        store.write_flows(&[first.clone()], &tasks).await.unwrap(),
        0,
        "unchanged rows are not counted"
    );

    let ids = vec!["i2".to_owned(), "i1".to_owned(), "nope".to_owned()];
    assert_eq!(
        store.instances(&ids).await.unwrap(),
        vec![first.clone(), second.clone()],
        "read back as written, by id"
    );
    let read = store.tasks_of(&["i1".to_owned()]).await.unwrap();
    assert_eq!(read, tasks[..2].to_vec());
    assert!(store.tasks_of(&[]).await.unwrap().is_empty());

    let mut closed = tasks[0].clone();
    closed.revert(120, Closure::Event("e7".into())).unwrap();
    let mut implied = tasks[1].clone();
    implied.abort(120, Closure::Node("e7".into())).unwrap();
    first.terminate(130, Closure::Listed).unwrap();
    let mut replay = closed.clone();
    replay.facts.updated_at = 1;
    let changed = store
        .write_flows(&[first.clone()], &[replay, closed.clone(), implied.clone()])
        .await
        .unwrap();
    assert_eq!(changed, 3, "one row per id, the last given wins");
    let read = store.tasks_of(&["i1".to_owned()]).await.unwrap();
    assert_eq!(read, vec![closed.clone(), implied.clone()]);
    assert_eq!(read[0].notice(), Some(Notice::Ignored));
    assert_eq!(read[0].status(), TaskStatus::Reverted);
    assert_eq!(
        store.instances(&["i1".to_owned()]).await.unwrap()[0].status(),
        InstanceStatus::Terminated
    );

    assert_eq!(
        store.flow_tree("i1", 16).await.unwrap(),
        vec![first.clone(), child.clone()]
    );
    assert_eq!(store.flow_tree("i1", 0).await.unwrap(), vec![first.clone()]);
    assert!(store.flow_tree("nope", 16).await.unwrap().is_empty());

    let alices: Vec<String> = store
        .instances_of_user("alice", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.facts.id)
        .collect();
    assert_eq!(
        alices,
        vec!["i2".to_owned(), "i1".to_owned()],
        "agent or creator, newest first"
    );
    assert_eq!(store.instances_of_user("alice", 1).await.unwrap().len(), 1);

    fences(store).await;
    assert_eq!(
        store.flow_counts().await.unwrap(),
        FlowCounts {
            instances: 3,
            instances_running: 2,
            tasks: 3,
            tasks_pending: 1,
            notices_ignored: 1,
        }
    );
    trees(store, &first, &child).await;
    store.refresh_statistics().await.unwrap();
    assert_eq!(
        store.flow_counts().await.unwrap().instances,
        5,
        "refreshing statistics changes no row"
    );
}

/// `flow_tree` reads a root and its sub-flows level by level, by id within a level, down to the depth asked.
async fn trees(store: &dyn FlowStore, root: &ProcessInstance, child: &ProcessInstance) {
    let under = |id: &str, parent: &str| {
        let mut sub = instance(id, "erin", None, 160);
        sub.facts.parent = Some(ParentLink {
            instance_id: parent.into(),
            node_id: "procure".into(),
        });
        sub
    };
    let grandchild = under("i4", "i3");
    let sibling = under("i5", "i1");
    store
        .write_flows(&[grandchild.clone(), sibling.clone()], &[])
        .await
        .unwrap();
    assert_eq!(
        store.flow_tree("i1", 16).await.unwrap(),
        vec![
            root.clone(),
            child.clone(),
            sibling.clone(),
            grandchild.clone()
        ]
    );
    assert_eq!(
        store.flow_tree("i1", 1).await.unwrap(),
        vec![root.clone(), child.clone(), sibling],
        "one level below the root"
    );
    assert_eq!(
        store.flow_tree("i3", 16).await.unwrap(),
        vec![child.clone(), grandchild],
        "a sub-flow is a root of its own tree"
    );
}

/// A write with an older fence than one that has written is refused and changes nothing.
async fn fences(store: &dyn FlowStore) {
    let older = store.fenced(70);
    let newer = store.fenced(71);
    let mut later = instance("i2", "carol", Some("alice"), 200);
    later.facts.form = json!({"amount": 1});
    assert_eq!(older.write_flows(&[], &[]).await.unwrap(), 0);
    assert_eq!(newer.write_flows(&[later.clone()], &[]).await.unwrap(), 1);
    let mut stale = later.clone();
    stale.facts.form = json!({"amount": 2});
    assert!(matches!(
        older.write_flows(&[stale], &[]).await.unwrap_err(),
        StoreError::Fenced { scope, fence: 70, newest: 71 } if scope == "officeflow:sync"
    ));
    assert_eq!(
        store.instances(&["i2".to_owned()]).await.unwrap(),
        vec![later]
    );
}
