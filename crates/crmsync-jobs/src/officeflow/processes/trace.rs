//! Where a stored flow stands: [`trace_instance`] reads an instance, its tasks and its sub-flows (and theirs)
//! from the local copy and traces them with the pure [`crmsync_domain::flow::trace`].

use std::collections::HashMap;

use crmsync_domain::flow::{FlowTree, ProcessInstance, TaskRecord, Trace, trace};
use crmsync_ports::{FlowStore, StoreError};

/// How deep sub-flows are followed (a sub-flow of a sub-flow of ...); deeper ones are left out.
pub const MAX_SUB_FLOW_DEPTH: usize = 16;

/// Reads `instance_id` with its tasks and sub-flows and traces it; `None` when the local copy has no such
/// instance. Sub-flows are followed [`MAX_SUB_FLOW_DEPTH`] levels deep, each instance once. Two reads whatever
/// the flow's shape: the instance tree, then the tasks of all its instances.
pub async fn trace_instance(
    store: &dyn FlowStore,
    instance_id: &str,
) -> Result<Option<Trace>, StoreError> {
    let instances = store.flow_tree(instance_id, MAX_SUB_FLOW_DEPTH).await?;
    if instances.is_empty() {
        return Ok(None);
    }
    let ids: Vec<String> = instances.iter().map(|i| i.facts.id.clone()).collect();
    let tasks = store.tasks_of(&ids).await?;
    Ok(assemble(instances, tasks).map(|tree| trace(&tree)))
}

/// The tree of the first of `instances` (root first, every other one after its parent), with `tasks` hung on
/// their instances. An instance listed twice (a parent cycle) is kept once, under its first parent.
fn assemble(instances: Vec<ProcessInstance>, tasks: Vec<TaskRecord>) -> Option<FlowTree> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(instances.len());
    // Each node with the index of its parent; parents always come before their children.
    let mut nodes: Vec<(FlowTree, Option<usize>)> = Vec::with_capacity(instances.len());
    for instance in instances {
        if index.contains_key(&instance.facts.id) {
            continue;
        }
        let parent = if nodes.is_empty() {
            None
        } else {
            match instance
                .facts
                .parent
                .as_ref()
                .and_then(|p| index.get(&p.instance_id))
            {
                Some(&parent) => Some(parent),
                None => continue,
            }
        };
        index.insert(instance.facts.id.clone(), nodes.len());
        nodes.push((
            FlowTree {
                instance,
                tasks: Vec::new(),
                children: Vec::new(),
            },
            parent,
        ));
    }
    for task in tasks {
        if let Some(&at) = index.get(&task.facts.instance_id) {
            nodes[at].0.tasks.push(task);
        }
    }
    // Attach children to parents, last first (children always come after their parent).
    while nodes.len() > 1 {
        let (tree, parent) = nodes.pop()?;
        let parent = parent?;
        nodes[parent].0.children.insert(0, tree);
    }
    nodes.pop().map(|(tree, _)| tree)
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
