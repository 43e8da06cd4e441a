//! Where a stored flow stands: [`trace_instance`] reads an instance, its tasks and its sub-flows (and theirs)
//! from the local copy and traces them with the pure [`crmsync_domain::flow::trace`].

use std::collections::BTreeSet;

use crmsync_domain::flow::{FlowTree, Trace, trace};
use crmsync_ports::{FlowStore, StoreError};

/// How deep sub-flows are followed (a sub-flow of a sub-flow of ...); deeper ones are left out.
pub const MAX_SUB_FLOW_DEPTH: usize = 16;

/// Reads `instance_id` with its tasks and sub-flows and traces it; `None` when the local copy has no such
/// instance. Sub-flows are followed [`MAX_SUB_FLOW_DEPTH`] levels deep, each instance once.
pub async fn trace_instance(
    store: &dyn FlowStore,
    instance_id: &str,
) -> Result<Option<Trace>, StoreError> {
    let mut seen = BTreeSet::new();
    Ok(load(store, instance_id, 0, &mut seen)
        .await?
        .map(|tree| trace(&tree)))
}

/// The tree of `instance_id`, read level by level (no recursion across `await`s).
async fn load(
    store: &dyn FlowStore,
    instance_id: &str,
    depth: usize,
    seen: &mut BTreeSet<String>,
) -> Result<Option<FlowTree>, StoreError> {
    let Some(root) = store
        .instances(&[instance_id.to_owned()])
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    seen.insert(root.facts.id.clone());
    // Each level: (instance, index of its parent in `nodes`).
    let mut nodes: Vec<(FlowTree, Option<usize>)> = vec![(
        FlowTree {
            instance: root,
            tasks: Vec::new(),
            children: Vec::new(),
        },
        None,
    )];
    let mut level: Vec<usize> = vec![0];
    let mut current_depth = depth;
    while !level.is_empty() {
        let ids: Vec<String> = level
            .iter()
            .map(|&i| nodes[i].0.instance.facts.id.clone())
            .collect();
        let tasks = store.tasks_of(&ids).await?;
        for task in tasks {
            if let Some(&index) = level
                .iter()
                .find(|&&i| nodes[i].0.instance.facts.id == task.facts.instance_id)
            {
                nodes[index].0.tasks.push(task);
            }
        }
        if current_depth >= MAX_SUB_FLOW_DEPTH {
            break;
        }
        let mut next = Vec::new();
        for &parent in &level {
            let parent_id = nodes[parent].0.instance.facts.id.clone();
            for child in store.children(&parent_id).await? {
                if seen.insert(child.facts.id.clone()) {
                    nodes.push((
                        FlowTree {
                            instance: child,
                            tasks: Vec::new(),
                            children: Vec::new(),
                        },
                        Some(parent),
                    ));
                    next.push(nodes.len() - 1);
                }
            }
        }
        level = next;
        current_depth += 1;
    }
    // Attach children to parents, deepest first (children always come after their parent).
    while nodes.len() > 1 {
        let Some((tree, Some(parent))) = nodes.pop() else {
            break;
        };
        nodes[parent].0.children.insert(0, tree);
    }
    Ok(nodes.pop().map(|(tree, _)| tree))
}

#[cfg(test)]
mod tests {
    use crmsync_domain::flow::{
        Closure, InstanceFacts, ParentLink, ProcessInstance, TaskFacts, TaskKind, TaskRecord,
        TaskStatus, VisitOutcome,
    };
    use crmsync_store::memory::MemoryFlowStore;
    use serde_json::json;

    use super::*;

    fn instance(id: &str, parent: Option<&str>) -> ProcessInstance {
        ProcessInstance::running(InstanceFacts {
            id: id.into(),
            category: "office".into(),
            flow_key: "purchase".into(),
            creator: "u1".into(),
            agent: None,
            anonymous: false,
            participants: Vec::new(),
            parent: parent.map(|p| ParentLink {
                instance_id: p.into(),
                node_id: "procure".into(),
            }),
            form: json!({}),
            started_at: 5,
            updated_at: 5,
        })
    }

    fn task(id: &str, instance: &str, node: &str, closed: Option<TaskStatus>) -> TaskRecord {
        TaskRecord::restore(
            TaskFacts {
                id: id.into(),
                instance_id: instance.into(),
                node_id: node.into(),
                node_name: node.into(),
                kind: TaskKind::Approval,
                assignee: Some("u2".into()),
                notified: false,
                created_at: 5,
                updated_at: 5,
            },
            closed.map(|s| (s, 9, Closure::Listed)),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn a_stored_flow_is_traced_with_its_sub_flows_and_an_unknown_one_is_none() {
        let store = MemoryFlowStore::new();
        store
            .write_flows(
                &[
                    instance("p", None),
                    instance("c", Some("p")),
                    instance("g", Some("c")),
                ],
                &[
                    task("t1", "p", "procure", None),
                    task("t2", "c", "quote", Some(TaskStatus::Completed)),
                    task("t3", "g", "assign", None),
                ],
            )
            .await
            .unwrap();
        let trace = trace_instance(&store, "p").await.unwrap().unwrap();
        assert_eq!(trace.history.len(), 1);
        let child = &trace.history[0].sub_flows[0];
        assert_eq!(child.instance_id, "c");
        let quote = child.history.iter().find(|v| v.node_id == "quote").unwrap();
        assert_eq!(quote.outcome, VisitOutcome::Completed);
        let grandchild = &child
            .history
            .iter()
            .find(|v| !v.sub_flows.is_empty())
            .unwrap()
            .sub_flows[0];
        assert_eq!(grandchild.instance_id, "g");
        let current: Vec<&str> = trace.current.iter().map(|c| c.node_id.as_str()).collect();
        assert!(current.contains(&"assign"), "{current:?}");
        assert!(trace_instance(&store, "nope").await.unwrap().is_none());
    }
}
