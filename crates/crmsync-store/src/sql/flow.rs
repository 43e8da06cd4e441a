//! `FlowStore` on a SQL database: `app_session` and `task_history`.
//!
//! A batch travels as one JSON array parameter that the backend unpacks (`jsonb_to_recordset` on PostgreSQL,
//! `json_each` on SQLite), so one statement writes a whole batch on every backend and the Rust side binds a
//! single value. Upserts change only rows that differ, so a replayed batch counts no row.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use crmsync_domain::flow::{
    Closure, InstanceFacts, InstanceStatus, ParentLink, ProcessInstance, TaskFacts, TaskKind,
    TaskRecord, TaskStatus,
};
use crmsync_ports::{FlowCounts, FlowStore, StoreError};
use serde::Serialize;
use serde_json::Value;
use sqlx::Pool;

use super::fence::Fence;
use super::{Decodes, Dialect, Stmt, begin_write, commit, connection};

/// The columns of an `app_session` row as read: id, category, flow_key, status, creator, agent, anonymous,
/// participants (JSON text), parent_id, parent_node, form (JSON text), started_at, ended_at, closed_by,
/// updated_at.
pub type InstanceRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

/// The columns of a `task_history` row as read: id, sess_id, node_id, node_name, task_type, assignee,
/// notified, status, created_at, finished_at, closed_by, updated_at.
pub type TaskRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    String,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

/// Instances, running instances, tasks, pending tasks, ignored notices.
pub type CountsRow = (i64, i64, i64, i64, i64);

/// The statements of the flow store. `$1` of the upserts is a JSON array of row objects with the column names
/// as keys; `$1` of the `…_IN` reads is a JSON array of ids.
pub trait FlowSql: Dialect + Decodes<InstanceRow> + Decodes<TaskRow> + Decodes<CountsRow> {
    /// Inserts the instances of `$1`, or updates those that differ.
    const UPSERT_INSTANCES: &'static str;
    /// Inserts the tasks of `$1`, or updates those that differ.
    const UPSERT_TASKS: &'static str;
    /// The instances whose id is in `$1`, by id.
    const INSTANCES_IN: &'static str;
    /// The tasks whose instance is in `$1`, by id.
    const TASKS_OF_INSTANCES_IN: &'static str;
    /// The instance `$1` and its descendants at most `$2` levels below it, by level and id.
    const TREE: &'static str;
    /// The instances `$1` created or started as agent, newest first, at most `$2`.
    const OF_USER: &'static str;
    /// Refreshes the planner's statistics of both tables.
    const ANALYZE: &'static str;
    /// The row counts.
    const COUNTS: &'static str = "SELECT (SELECT COUNT(*) FROM app_session), \
         (SELECT COUNT(*) FROM app_session WHERE status = 'running'), \
         (SELECT COUNT(*) FROM task_history), \
         (SELECT COUNT(*) FROM task_history WHERE status = 'pending'), \
         (SELECT COUNT(*) FROM task_history WHERE notice = 'ignored')";
}

/// [`FlowStore`] on the `app_session` and `task_history` tables of `DB`.
#[derive(Debug, Clone)]
pub struct SqlFlowStore<DB: sqlx::Database> {
    pool: Pool<DB>,
    fence: Option<Fence>,
}

impl<DB: sqlx::Database> SqlFlowStore<DB> {
    /// The flow tables on `pool` (opened and migrated by this crate); writes carry no fence.
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool, fence: None }
    }
}

#[derive(Serialize)]
struct InstanceOut<'a> {
    id: &'a str,
    category: &'a str,
    flow_key: &'a str,
    status: &'static str,
    creator: &'a str,
    agent: Option<&'a str>,
    anonymous: bool,
    participants: &'a [String],
    parent_id: Option<&'a str>,
    parent_node: Option<&'a str>,
    form: &'a Value,
    started_at: i64,
    ended_at: Option<i64>,
    closed_by: Option<String>,
    updated_at: i64,
}

impl<'a> From<&'a ProcessInstance> for InstanceOut<'a> {
    fn from(instance: &'a ProcessInstance) -> Self {
        let facts = &instance.facts;
        Self {
            id: &facts.id,
            category: &facts.category,
            flow_key: &facts.flow_key,
            status: instance.status().as_str(),
            creator: &facts.creator,
            agent: facts.agent.as_deref(),
            anonymous: facts.anonymous,
            participants: &facts.participants,
            parent_id: facts.parent.as_ref().map(|p| p.instance_id.as_str()),
            parent_node: facts.parent.as_ref().map(|p| p.node_id.as_str()),
            form: &facts.form,
            started_at: facts.started_at,
            ended_at: instance.ended_at(),
            closed_by: instance.closed_by().map(Closure::to_stored),
            updated_at: facts.updated_at,
        }
    }
}

#[derive(Serialize)]
struct TaskOut<'a> {
    id: &'a str,
    sess_id: &'a str,
    node_id: &'a str,
    node_name: &'a str,
    task_type: &'static str,
    assignee: Option<&'a str>,
    notified: bool,
    status: &'static str,
    notice: Option<&'static str>,
    created_at: i64,
    finished_at: Option<i64>,
    closed_by: Option<String>,
    updated_at: i64,
}

impl<'a> From<&'a TaskRecord> for TaskOut<'a> {
    fn from(task: &'a TaskRecord) -> Self {
        let facts = &task.facts;
        Self {
            id: &facts.id,
            sess_id: &facts.instance_id,
            node_id: &facts.node_id,
            node_name: &facts.node_name,
            task_type: facts.kind.as_str(),
            assignee: facts.assignee.as_deref(),
            notified: facts.notified,
            status: task.status().as_str(),
            notice: task.notice().map(|n| n.as_str()),
            created_at: facts.created_at,
            finished_at: task.finished_at(),
            closed_by: task.closed_by().map(Closure::to_stored),
            updated_at: facts.updated_at,
        }
    }
}

fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        reason: reason.to_string(),
    }
}

fn json_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid {
        field: "flow batch",
        reason: e.to_string(),
    })
}

fn closure(stored: Option<String>, what: &'static str) -> Result<Closure, StoreError> {
    stored
        .unwrap_or_default()
        .parse()
        .map_err(|e| corrupt(what, e))
}

fn instance_from_row(row: InstanceRow) -> Result<ProcessInstance, StoreError> {
    let (
        id,
        category,
        flow_key,
        status,
        creator,
        agent,
        anonymous,
        participants,
        parent_id,
        parent_node,
        form,
        started_at,
        ended_at,
        closed_by,
        updated_at,
    ) = row;
    let what = "app_session row";
    let status: InstanceStatus = status.parse().map_err(|e| corrupt(what, e))?;
    let end = match ended_at {
        Some(at) if status.is_ended() => Some((status, at, closure(closed_by, what)?)),
        _ => None,
    };
    let facts = InstanceFacts {
        id,
        category,
        flow_key,
        creator,
        agent,
        anonymous,
        participants: serde_json::from_str(&participants).map_err(|e| corrupt(what, e))?,
        parent: match (parent_id, parent_node) {
            (Some(instance_id), Some(node_id)) => Some(ParentLink {
                instance_id,
                node_id,
            }),
            _ => None,
        },
        form: serde_json::from_str(&form).map_err(|e| corrupt(what, e))?,
        started_at,
        updated_at,
    };
    ProcessInstance::restore(facts, end).map_err(|e| corrupt(what, e))
}

fn task_from_row(row: TaskRow) -> Result<TaskRecord, StoreError> {
    let (
        id,
        instance_id,
        node_id,
        node_name,
        kind,
        assignee,
        notified,
        status,
        created_at,
        finished_at,
        closed_by,
        updated_at,
    ) = row;
    let what = "task_history row";
    let status: TaskStatus = status.parse().map_err(|e| corrupt(what, e))?;
    let close = match finished_at {
        Some(at) if status.is_closed() => Some((status, at, closure(closed_by, what)?)),
        _ => None,
    };
    let facts = TaskFacts {
        id,
        instance_id,
        node_id,
        node_name,
        kind: kind.parse::<TaskKind>().map_err(|e| corrupt(what, e))?,
        assignee,
        notified,
        created_at,
        updated_at,
    };
    TaskRecord::restore(facts, close).map_err(|e| corrupt(what, e))
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| crate::error::out_of_range("flow count", value))
}

#[async_trait]
impl<DB: FlowSql> FlowStore for SqlFlowStore<DB> {
    fn fenced(&self, fence: u64) -> Arc<dyn FlowStore> {
        Arc::new(Self {
            pool: self.pool.clone(),
            fence: Some(Fence {
                scope: crate::org::FENCE_SCOPE,
                fence,
            }),
        })
    }

    async fn instances(&self, ids: &[String]) -> Result<Vec<ProcessInstance>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<InstanceRow> = Stmt::<DB>::new(DB::INSTANCES_IN)
            .bind(json_text(&ids)?)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(instance_from_row).collect()
    }

    async fn tasks_of(&self, instance_ids: &[String]) -> Result<Vec<TaskRecord>, StoreError> {
        if instance_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<TaskRow> = Stmt::<DB>::new(DB::TASKS_OF_INSTANCES_IN)
            .bind(json_text(&instance_ids)?)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(task_from_row).collect()
    }

    async fn flow_tree(
        &self,
        root: &str,
        max_depth: usize,
    ) -> Result<Vec<ProcessInstance>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<InstanceRow> = Stmt::<DB>::new(DB::TREE)
            .bind(root.to_owned())
            .bind(i64::try_from(max_depth).unwrap_or(i64::MAX))
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(instance_from_row).collect()
    }

    async fn write_flows(
        &self,
        instances: &[ProcessInstance],
        tasks: &[TaskRecord],
    ) -> Result<u64, StoreError> {
        if instances.is_empty() && tasks.is_empty() {
            return Ok(0);
        }
        // One row per id (the last given wins): an upsert may not touch a row twice.
        let instances: BTreeMap<&str, InstanceOut<'_>> = instances
            .iter()
            .map(|i| (i.facts.id.as_str(), InstanceOut::from(i)))
            .collect();
        let tasks: BTreeMap<&str, TaskOut<'_>> = tasks
            .iter()
            .map(|t| (t.facts.id.as_str(), TaskOut::from(t)))
            .collect();
        let mut tx = begin_write(&self.pool).await?;
        if let Some(fence) = &self.fence {
            fence.check::<DB>(&mut tx).await?;
        }
        let mut changed = 0;
        if !instances.is_empty() {
            let rows: Vec<&InstanceOut<'_>> = instances.values().collect();
            changed += Stmt::<DB>::new(DB::UPSERT_INSTANCES)
                .bind(json_text(&rows)?)
                .execute(&mut *tx)
                .await?;
        }
        if !tasks.is_empty() {
            let rows: Vec<&TaskOut<'_>> = tasks.values().collect();
            changed += Stmt::<DB>::new(DB::UPSERT_TASKS)
                .bind(json_text(&rows)?)
                .execute(&mut *tx)
                .await?;
        }
        commit(tx).await?;
        Ok(changed)
    }

    async fn instances_of_user(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<ProcessInstance>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<InstanceRow> = Stmt::<DB>::new(DB::OF_USER)
            .bind(username.to_owned())
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(instance_from_row).collect()
    }

    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        let mut conn = connection(&self.pool).await?;
        Stmt::<DB>::new(DB::ANALYZE).execute(&mut *conn).await?;
        Ok(())
    }

    async fn flow_counts(&self) -> Result<FlowCounts, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let row: Option<CountsRow> = Stmt::<DB>::new(DB::COUNTS)
            .fetch_optional(&mut *conn)
            .await?;
        let (instances, running, tasks, pending, ignored) = row.unwrap_or_default();
        Ok(FlowCounts {
            instances: count(instances)?,
            instances_running: count(running)?,
            tasks: count(tasks)?,
            tasks_pending: count(pending)?,
            notices_ignored: count(ignored)?,
        })
    }
}

/// The column list of an `app_session` read, with `$json` wrapping the JSON columns (`::text` on PostgreSQL).
macro_rules! instance_columns {
    ($json:literal) => {
        concat!(
            "id, category, flow_key, status, creator, agent, anonymous, participants",
            $json,
            ", parent_id, parent_node, form",
            $json,
            ", started_at, ended_at, closed_by, updated_at"
        )
    };
}
pub(crate) use instance_columns;

/// `$1`'s tree as `tree`: the `app_session` rows of the instance `$1` at `depth` 0 and of each sub-flow one level
/// below its parent, down to depth `$2`. The rows are carried whole, not joined back to `app_session` by id:
/// PostgreSQL's generic plan of that join hashes the whole table. A parent cycle (which the platform never
/// lists) ends at the depth limit.
macro_rules! tree_cte {
    () => {
        "WITH RECURSIVE tree AS (SELECT a.*, 0 AS depth FROM app_session AS a WHERE a.id = $1 \
         UNION ALL SELECT s.*, t.depth + 1 FROM app_session AS s JOIN tree AS t ON s.parent_id = t.id \
         WHERE t.depth < $2) "
    };
}
pub(crate) use tree_cte;

/// The column list of a `task_history` read.
macro_rules! task_columns {
    () => {
        "id, sess_id, node_id, node_name, task_type, assignee, notified, status, created_at, finished_at, \
         closed_by, updated_at"
    };
}
pub(crate) use task_columns;
