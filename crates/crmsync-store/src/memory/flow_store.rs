//! Process instances and their task history in memory: the reference behaviour for tests and `memory:`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use crmsync_domain::flow::{InstanceStatus, Notice, ProcessInstance, TaskRecord, TaskStatus};
use crmsync_ports::{FlowCounts, FlowStore, StoreError};

use super::{FencedState, fenced_write, lock};

#[derive(Debug, Default)]
struct State {
    instances: BTreeMap<String, ProcessInstance>,
    tasks: BTreeMap<String, TaskRecord>,
    /// The newest fence that has written.
    newest_fence: u64,
}

impl FencedState for State {
    fn newest_fence(&mut self) -> &mut u64 {
        &mut self.newest_fence
    }
}

/// [`FlowStore`] in memory; clones share state.
#[derive(Debug, Clone, Default)]
pub struct MemoryFlowStore {
    state: Arc<Mutex<State>>,
    fence: Option<u64>,
}

impl MemoryFlowStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state for a write, its fence checked and recorded first.
    fn write(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        fenced_write(&self.state, self.fence)
    }
}

#[async_trait]
impl FlowStore for MemoryFlowStore {
    fn fenced(&self, fence: u64) -> Arc<dyn FlowStore> {
        Arc::new(Self {
            state: self.state.clone(),
            fence: Some(fence),
        })
    }

    async fn instances(&self, ids: &[String]) -> Result<Vec<ProcessInstance>, StoreError> {
        let state = lock(&self.state);
        let mut found: Vec<ProcessInstance> = ids
            .iter()
            .filter_map(|id| state.instances.get(id).cloned())
            .collect();
        found.sort_by(|a, b| a.facts.id.cmp(&b.facts.id));
        found.dedup_by(|a, b| a.facts.id == b.facts.id);
        Ok(found)
    }

    async fn tasks_of(&self, instance_ids: &[String]) -> Result<Vec<TaskRecord>, StoreError> {
        let state = lock(&self.state);
        Ok(state
            .tasks
            .values()
            .filter(|t| instance_ids.contains(&t.facts.instance_id))
            .cloned()
            .collect())
    }

    async fn flow_tree(
        &self,
        root: &str,
        max_depth: usize,
    ) -> Result<Vec<ProcessInstance>, StoreError> {
        let state = lock(&self.state);
        let Some(first) = state.instances.get(root) else {
            return Ok(Vec::new());
        };
        let mut tree = vec![first.clone()];
        let mut level = vec![root.to_owned()];
        for _ in 0..max_depth {
            let mut next: Vec<&ProcessInstance> = state
                .instances
                .values()
                .filter(|i| {
                    i.facts
                        .parent
                        .as_ref()
                        .is_some_and(|p| level.contains(&p.instance_id))
                })
                .collect();
            if next.is_empty() {
                break;
            }
            next.sort_by(|a, b| a.facts.id.cmp(&b.facts.id));
            level = next.iter().map(|i| i.facts.id.clone()).collect();
            tree.extend(next.into_iter().cloned());
        }
        Ok(tree)
    }

    async fn write_flows(
        &self,
        instances: &[ProcessInstance],
        tasks: &[TaskRecord],
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        let mut changed = 0;
        let upsert_instances: BTreeMap<&str, &ProcessInstance> =
            instances.iter().map(|i| (i.facts.id.as_str(), i)).collect();
        for (id, instance) in upsert_instances {
            if state.instances.get(id) != Some(instance) {
                state.instances.insert(id.to_owned(), instance.clone());
                changed += 1;
            }
        }
        let upsert_tasks: BTreeMap<&str, &TaskRecord> =
            tasks.iter().map(|t| (t.facts.id.as_str(), t)).collect();
        for (id, task) in upsert_tasks {
            if state.tasks.get(id) != Some(task) {
                state.tasks.insert(id.to_owned(), task.clone());
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn instances_of_user(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<ProcessInstance>, StoreError> {
        let state = lock(&self.state);
        let mut found: Vec<ProcessInstance> = state
            .instances
            .values()
            .filter(|i| i.facts.creator == username || i.facts.agent.as_deref() == Some(username))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            (b.facts.started_at, &b.facts.id).cmp(&(a.facts.started_at, &a.facts.id))
        });
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn flow_counts(&self) -> Result<FlowCounts, StoreError> {
        let state = lock(&self.state);
        let tasks = state.tasks.values();
        Ok(FlowCounts {
            instances: state.instances.len() as u64,
            instances_running: state
                .instances
                .values()
                .filter(|i| i.status() == InstanceStatus::Running)
                .count() as u64,
            tasks: state.tasks.len() as u64,
            tasks_pending: tasks
                .clone()
                .filter(|t| t.status() == TaskStatus::Pending)
                .count() as u64,
            notices_ignored: tasks
                .filter(|t| t.notice() == Some(Notice::Ignored))
                .count() as u64,
        })
    }
}
