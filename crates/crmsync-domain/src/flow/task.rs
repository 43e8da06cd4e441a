//! One task of a process instance's node (a TaskHistory row): who had to act, and how it was closed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Closed, Closure, FlowTransitionError, UnknownValue, settle};
use crate::org::{OrgRecordError, check_identifier, check_name};

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for its assignee.
    Pending,
    /// Done by its assignee.
    Completed,
    /// Cancelled (by its own abort, another task of its node, or the end of its instance).
    Aborted,
    /// Sent back to an earlier node by its assignee.
    Reverted,
}

impl TaskStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Completed,
        Self::Aborted,
        Self::Reverted,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Aborted => "aborted",
            Self::Reverted => "reverted",
        }
    }

    /// Whether the task is closed.
    pub fn is_closed(self) -> bool {
        self != Self::Pending
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskStatus {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownValue {
                what: "task status",
                value: s.to_owned(),
            })
    }
}

/// What kind of task it is (the task type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// An approver's task.
    Approval,
    /// A stand-in's copy of an approver's task (the proxy task).
    Proxy,
    /// The node waits for a sub-flow (an instance whose parent is this node).
    SubFlow,
}

impl TaskKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Approval, Self::Proxy, Self::SubFlow];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approval => "approval",
            Self::Proxy => "proxy",
            Self::SubFlow => "sub_flow",
        }
    }
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownValue {
                what: "task type",
                value: s.to_owned(),
            })
    }
}

/// The state of the message notice sent for a task (the assignee's to-do message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The task is open: the notice asks its assignee to act.
    Pending,
    /// The assignee completed the task.
    Handled,
    /// The task was closed otherwise (aborted, reverted, its instance ended): the notice no longer applies.
    Ignored,
}

impl Notice {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Handled => "handled",
            Self::Ignored => "ignored",
        }
    }

    /// The notice state a task of `status` has.
    pub fn of(status: TaskStatus) -> Self {
        match status {
            TaskStatus::Pending => Self::Pending,
            TaskStatus::Completed => Self::Handled,
            TaskStatus::Aborted | TaskStatus::Reverted => Self::Ignored,
        }
    }
}

/// What a task is, apart from its status: set when it is created, refreshed from listings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskFacts {
    /// The platform's id.
    pub id: String,
    /// Its instance.
    pub instance_id: String,
    /// The node of the flow definition.
    pub node_id: String,
    /// The node's display name.
    pub node_name: String,
    /// Approval, proxy or sub-flow.
    pub kind: TaskKind,
    /// Who has to act (username); none for a sub-flow task.
    pub assignee: Option<String>,
    /// Whether a message notice was sent for it.
    pub notified: bool,
    /// When it was created (milliseconds since the Unix epoch).
    pub created_at: i64,
    /// When the platform last changed it.
    pub updated_at: i64,
}

impl TaskFacts {
    /// Checks the identifiers and the node name.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        let id = self.id.as_str();
        check_identifier("task", id, "id", id)?;
        check_identifier("task", id, "instance_id", &self.instance_id)?;
        check_identifier("task", id, "node_id", &self.node_id)?;
        check_name("task", id, "node_name", &self.node_name)?;
        if let Some(assignee) = &self.assignee {
            check_identifier("task", id, "assignee", assignee)?;
        }
        Ok(())
    }
}

/// A task; its status changes only through [`TaskRecord::complete`], [`TaskRecord::abort`] and
/// [`TaskRecord::revert`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskRecord {
    /// What it is.
    pub facts: TaskFacts,
    status: TaskStatus,
    finished_at: Option<i64>,
    closed_by: Option<Closure>,
}

impl TaskRecord {
    /// An open task.
    pub fn pending(facts: TaskFacts) -> Self {
        Self {
            facts,
            status: TaskStatus::Pending,
            finished_at: None,
            closed_by: None,
        }
    }

    /// A task as listed or stored: open, or closed as `status` at `at` by `closure`.
    pub fn restore(
        facts: TaskFacts,
        close: Option<(TaskStatus, i64, Closure)>,
    ) -> Result<Self, FlowTransitionError> {
        let mut task = Self::pending(facts);
        if let Some((status, at, closure)) = close {
            task.close(status, at, closure)?;
        }
        Ok(task)
    }

    /// The platform's id.
    pub fn id(&self) -> &str {
        &self.facts.id
    }

    /// Its status.
    pub fn status(&self) -> TaskStatus {
        self.status
    }

    /// When it was closed.
    pub fn finished_at(&self) -> Option<i64> {
        self.finished_at
    }

    /// What closed it.
    pub fn closed_by(&self) -> Option<&Closure> {
        self.closed_by.as_ref()
    }

    /// The state of its message notice, if one was sent.
    pub fn notice(&self) -> Option<Notice> {
        self.facts.notified.then(|| Notice::of(self.status))
    }

    /// Closes the task as `status` at `at`, as `closure` tells. Closing a closed task again is a
    /// reconciliation: the account of higher precedence ([`Closure::rank`]) is kept, so an explicit account
    /// replaces an implied one and the earlier of two accounts wins.
    pub fn close(
        &mut self,
        status: TaskStatus,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<TaskStatus>, FlowTransitionError> {
        if !status.is_closed() {
            return Err(FlowTransitionError::NotAClose {
                id: self.facts.id.clone(),
                status,
            });
        }
        if at < self.facts.created_at {
            return Err(FlowTransitionError::BeforeStart {
                entity: "task",
                id: self.facts.id.clone(),
                at,
                started: self.facts.created_at,
            });
        }
        let current = match (&self.closed_by, self.finished_at) {
            (Some(closure), Some(finished)) => Some((self.status, finished, closure)),
            _ => None,
        };
        let (wins, conflict) = settle(current, (status, at, &closure));
        if !wins {
            return Ok(Closed::unchanged(conflict));
        }
        self.status = status;
        self.finished_at = Some(at);
        self.closed_by = Some(closure);
        Ok(Closed::changed(conflict))
    }

    /// The assignee did the task.
    pub fn complete(
        &mut self,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<TaskStatus>, FlowTransitionError> {
        self.close(TaskStatus::Completed, at, closure)
    }

    /// The task was cancelled.
    pub fn abort(
        &mut self,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<TaskStatus>, FlowTransitionError> {
        self.close(TaskStatus::Aborted, at, closure)
    }

    /// The assignee sent the flow back.
    pub fn revert(
        &mut self,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<TaskStatus>, FlowTransitionError> {
        self.close(TaskStatus::Reverted, at, closure)
    }

    /// Takes in what a listing says of this task: the facts are replaced (the newer change time kept), a close
    /// is reconciled with the stored one, and a listing that still shows a closed task open changes nothing (a
    /// close is never undone). Returns the conflicting outcome when the listing and the stored close disagree.
    pub fn merge_listed(
        &mut self,
        listed: &TaskRecord,
    ) -> Result<Option<TaskStatus>, FlowTransitionError> {
        let updated_at = self.facts.updated_at.max(listed.facts.updated_at);
        self.facts = listed.facts.clone();
        self.facts.updated_at = updated_at;
        match (listed.status.is_closed(), listed.finished_at) {
            (true, Some(at)) => Ok(self.close(listed.status, at, Closure::Listed)?.conflict),
            _ => Ok(None),
        }
    }
}
