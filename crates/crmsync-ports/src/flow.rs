//! `FlowSource` (a platform's process engine: instances, tasks and engine events, read page by page) and
//! `FlowStore` (their local copy: `app_session` and `task_history`).

use std::sync::Arc;

use async_trait::async_trait;
use crmsync_domain::flow::{EngineEvent, ProcessInstance, TaskRecord};
use serde::{Deserialize, Serialize};

use crate::{OrgPage, SourceError, StoreError};

/// The process engine of one flow source (the office platform, or the source configured for a category).
///
/// Listings take `category`, the configured category they are read for; with `updated_since` they return only
/// records changed at or after that instant (milliseconds since the Unix epoch), ordered by change time, so a
/// change made while a listing is paged is never skipped. Events are immutable and listed by time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FlowSource: Send + Sync {
    /// Process instances of `category`.
    async fn instances(
        &self,
        category: &str,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<ProcessInstance>, SourceError>;

    /// Tasks of the instances of `category`.
    async fn tasks(
        &self,
        category: &str,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<TaskRecord>, SourceError>;

    /// Engine events of the instances of `category`, at or after `since`.
    async fn events(
        &self,
        category: &str,
        since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<EngineEvent>, SourceError>;
}

/// How many rows the flow tables hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowCounts {
    /// Process instances.
    pub instances: u64,
    /// Running ones.
    pub instances_running: u64,
    /// Tasks.
    pub tasks: u64,
    /// Open tasks.
    pub tasks_pending: u64,
    /// Message notices of closed tasks marked ignored.
    pub notices_ignored: u64,
}

/// The local copy of process instances and their task history.
///
/// Writes are upserts in one transaction; a row written again unchanged is not counted, so a replayed batch
/// changes nothing. Writes through [`fenced`](Self::fenced) carry the fence of the `officeflow:sync` lease, as the
/// organisation store's do: an older fence writing after a newer one is refused with [`StoreError::Fenced`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FlowStore: Send + Sync {
    /// The same tables, with every write carrying `fence`, checked and recorded in the write's transaction.
    fn fenced(&self, fence: u64) -> Arc<dyn FlowStore>;

    /// The stored instances among `ids`, by id.
    async fn instances(&self, ids: &[String]) -> Result<Vec<ProcessInstance>, StoreError>;

    /// Every task of the instances `instance_ids`, by id.
    async fn tasks_of(&self, instance_ids: &[String]) -> Result<Vec<TaskRecord>, StoreError>;

    /// The instance `root` and its sub-flows, theirs and so on, `max_depth` levels below `root` at most:
    /// `root` first, then level by level, by id within a level; empty when `root` is not stored. One read, so
    /// tracing a flow costs the same few round trips however many sub-flows it has.
    async fn flow_tree(
        &self,
        root: &str,
        max_depth: usize,
    ) -> Result<Vec<ProcessInstance>, StoreError>;

    /// Inserts or replaces `instances` and `tasks` together, in one transaction; returns the rows changed.
    async fn write_flows(
        &self,
        instances: &[ProcessInstance],
        tasks: &[TaskRecord],
    ) -> Result<u64, StoreError>;

    /// Instances `username` created or started as agent, newest first, at most `limit`.
    async fn instances_of_user(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<ProcessInstance>, StoreError>;

    /// Row counts.
    async fn flow_counts(&self) -> Result<FlowCounts, StoreError>;

    /// Refreshes the database's statistics of the flow tables after a bulk change, so that reads planned next
    /// (a trace's, the next run's) see the tables as they are now rather than as they were before the load.
    /// Nothing to do for a store without a query planner.
    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
