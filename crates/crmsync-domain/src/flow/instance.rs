//! A process instance (AppSession): who started which flow, where its form stands and how it ended.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Closed, Closure, FlowTransitionError, UnknownValue, settle};
use crate::org::{OrgRecordError, check_identifier};

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    /// Started, not ended.
    Running,
    /// Went through to its end node.
    Completed,
    /// Stopped by an administrator or the engine.
    Terminated,
    /// Withdrawn by its creator.
    Cancelled,
    /// Refused by an approver.
    Rejected,
}

impl InstanceStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Running,
        Self::Completed,
        Self::Terminated,
        Self::Cancelled,
        Self::Rejected,
    ];
    /// The running set of the platform (AppSession's "running" statuses).
    pub const RUNNING: [Self; 1] = [Self::Running];
    /// The ended set of the platform (AppSession's "ended" statuses).
    pub const ENDED: [Self; 4] = [
        Self::Completed,
        Self::Terminated,
        Self::Cancelled,
        Self::Rejected,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Terminated => "terminated",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
        }
    }

    /// Whether it is in the running set.
    pub fn is_running(self) -> bool {
        Self::RUNNING.contains(&self)
    }

    /// Whether it is in the ended set.
    pub fn is_ended(self) -> bool {
        Self::ENDED.contains(&self)
    }
}

impl fmt::Display for InstanceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InstanceStatus {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownValue {
                what: "instance status",
                value: s.to_owned(),
            })
    }
}

/// The node of a parent instance a sub-flow runs for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ParentLink {
    /// The parent instance.
    pub instance_id: String,
    /// The parent's node that started this sub-flow.
    pub node_id: String,
}

/// What an instance is, apart from its status: set when it starts, refreshed from listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceFacts {
    /// The platform's id.
    pub id: String,
    /// The configured category it was synced under (`office`, `outing`, ...).
    pub category: String,
    /// The flow definition it runs (`leave`, `purchase`, ...).
    pub flow_key: String,
    /// Who the flow is for (username).
    pub creator: String,
    /// Who started it on the creator's behalf, if not the creator.
    pub agent: Option<String>,
    /// Whether the creator is hidden from approvers.
    pub anonymous: bool,
    /// Everyone who took part so far (usernames).
    pub participants: Vec<String>,
    /// The parent instance and node, for a sub-flow.
    pub parent: Option<ParentLink>,
    /// The form as filled in when the flow last changed (a snapshot, kept as JSON).
    pub form: Value,
    /// When it started (milliseconds since the Unix epoch).
    pub started_at: i64,
    /// When the platform last changed it.
    pub updated_at: i64,
}

impl InstanceFacts {
    /// Checks the identifiers.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        let id = self.id.as_str();
        check_identifier("instance", id, "id", id)?;
        check_identifier("instance", id, "category", &self.category)?;
        check_identifier("instance", id, "flow_key", &self.flow_key)?;
        check_identifier("instance", id, "creator", &self.creator)?;
        if let Some(agent) = &self.agent {
            check_identifier("instance", id, "agent", agent)?;
        }
        for participant in &self.participants {
            check_identifier("instance", id, "participants", participant)?;
        }
        if let Some(parent) = &self.parent {
            check_identifier("instance", id, "parent.instance_id", &parent.instance_id)?;
            check_identifier("instance", id, "parent.node_id", &parent.node_id)?;
        }
        Ok(())
    }
}

/// A process instance; its status changes only through [`ProcessInstance::end`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessInstance {
    /// What it is.
    pub facts: InstanceFacts,
    status: InstanceStatus,
    ended_at: Option<i64>,
    closed_by: Option<Closure>,
}

impl ProcessInstance {
    /// A running instance.
    pub fn running(facts: InstanceFacts) -> Self {
        Self {
            facts,
            status: InstanceStatus::Running,
            ended_at: None,
            closed_by: None,
        }
    }

    /// An instance as listed or stored: running, or ended as `status` at `at` by `closure`.
    pub fn restore(
        facts: InstanceFacts,
        end: Option<(InstanceStatus, i64, Closure)>,
    ) -> Result<Self, FlowTransitionError> {
        let mut instance = Self::running(facts);
        if let Some((status, at, closure)) = end {
            instance.end(status, at, closure)?;
        }
        Ok(instance)
    }

    /// The platform's id.
    pub fn id(&self) -> &str {
        &self.facts.id
    }

    /// Its status.
    pub fn status(&self) -> InstanceStatus {
        self.status
    }

    /// When it ended.
    pub fn ended_at(&self) -> Option<i64> {
        self.ended_at
    }

    /// What ended it.
    pub fn closed_by(&self) -> Option<&Closure> {
        self.closed_by.as_ref()
    }

    /// Ends the instance as `status` (an ended status) at `at`, as `closure` tells. Ending an ended instance
    /// again is a reconciliation: the account of higher precedence ([`Closure::rank`]) is kept.
    pub fn end(
        &mut self,
        status: InstanceStatus,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<InstanceStatus>, FlowTransitionError> {
        if !status.is_ended() {
            return Err(FlowTransitionError::NotAnEnd {
                id: self.facts.id.clone(),
                status,
            });
        }
        if at < self.facts.started_at {
            return Err(FlowTransitionError::BeforeStart {
                entity: "instance",
                id: self.facts.id.clone(),
                at,
                started: self.facts.started_at,
            });
        }
        let current = match (&self.closed_by, self.ended_at) {
            (Some(closure), Some(ended)) => Some((self.status, ended, closure)),
            _ => None,
        };
        let (wins, conflict) = settle(current, (status, at, &closure));
        if !wins {
            return Ok(Closed::unchanged(conflict));
        }
        self.status = status;
        self.ended_at = Some(at);
        self.closed_by = Some(closure);
        Ok(Closed::changed(conflict))
    }

    /// Completes the instance (its end node was reached).
    pub fn complete(
        &mut self,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<InstanceStatus>, FlowTransitionError> {
        self.end(InstanceStatus::Completed, at, closure)
    }

    /// Terminates the instance.
    pub fn terminate(
        &mut self,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<InstanceStatus>, FlowTransitionError> {
        self.end(InstanceStatus::Terminated, at, closure)
    }

    /// Cancels the instance.
    pub fn cancel(
        &mut self,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<InstanceStatus>, FlowTransitionError> {
        self.end(InstanceStatus::Cancelled, at, closure)
    }

    /// Rejects the instance.
    pub fn reject(
        &mut self,
        at: i64,
        closure: Closure,
    ) -> Result<Closed<InstanceStatus>, FlowTransitionError> {
        self.end(InstanceStatus::Rejected, at, closure)
    }

    /// Takes in what a listing says of this instance: the facts are replaced (the newer change time kept), an
    /// end is reconciled with the stored one, and a listing that still shows an ended instance running changes
    /// nothing (an end is never undone). Returns the conflicting outcome when the listing and the stored end
    /// disagree.
    pub fn merge_listed(
        &mut self,
        listed: &ProcessInstance,
    ) -> Result<Option<InstanceStatus>, FlowTransitionError> {
        let updated_at = self.facts.updated_at.max(listed.facts.updated_at);
        self.facts = listed.facts.clone();
        self.facts.updated_at = updated_at;
        match (listed.status.is_ended(), listed.ended_at) {
            (true, Some(at)) => Ok(self.end(listed.status, at, Closure::Listed)?.conflict),
            _ => Ok(None),
        }
    }
}
