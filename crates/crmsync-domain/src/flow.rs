//! Process instances (the platform's AppSession), their task history (TaskHistory), the engine events that keep
//! the two consistent, and the trace of where a flow stands.
//!
//! Statuses change only through methods ([`ProcessInstance::end`], [`TaskRecord::complete`],
//! [`TaskRecord::abort`], [`TaskRecord::revert`]), which refuse what the life cycle does not allow with a
//! [`FlowTransitionError`]. Closing something already closed is not an error but a reconciliation: every closed
//! record remembers *what* closed it ([`Closure`]), and of two accounts the one with the smaller
//! [`Closure::rank`] wins. Because that choice is a minimum, applying the same facts (listings and engine events)
//! in any order, any number of times, ends in the same state: [`Flow::apply`] is idempotent and
//! order-independent.

mod event;
mod instance;
mod task;
pub mod trace;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use event::{Applied, EngineEvent, EventIssue, EventKind, Flow};
pub use instance::{InstanceFacts, InstanceStatus, ParentLink, ProcessInstance};
pub use task::{Notice, TaskFacts, TaskKind, TaskRecord, TaskStatus};
pub use trace::{Actor, CurrentNode, FlowTree, NodeVisit, Trace, VisitOutcome, trace};

/// What closed a task or ended an instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "by", content = "event", rename_all = "snake_case")]
pub enum Closure {
    /// Its own engine event (`task completed`, `task aborted`, `task reverted`, `instance ended`).
    Event(String),
    /// The platform listed it closed.
    Listed,
    /// Another task of its node was aborted or reverted by this event, so it was cancelled with it.
    Node(String),
    /// Its instance ended (at the instance's end time) while it was still open.
    InstanceEnd,
}

impl Closure {
    /// Whether this account concerns the record itself (its own event or listing) rather than something that
    /// happened around it.
    pub fn is_explicit(&self) -> bool {
        matches!(self, Self::Event(_) | Self::Listed)
    }

    /// The order of precedence of two accounts of one closing, smallest first: explicit before implied, then the
    /// earlier, then an event before a listing, then by event id.
    pub fn rank(&self, at: i64) -> (u8, i64, u8, &str) {
        match self {
            Self::Event(id) => (0, at, 0, id),
            Self::Listed => (0, at, 1, ""),
            Self::Node(id) => (1, at, 0, id),
            Self::InstanceEnd => (1, at, 1, ""),
        }
    }

    /// The stored form: `listed`, `event:ID`, `node:ID`, `end`.
    pub fn to_stored(&self) -> String {
        match self {
            Self::Listed => "listed".to_owned(),
            Self::Event(id) => format!("event:{id}"),
            Self::Node(id) => format!("node:{id}"),
            Self::InstanceEnd => "end".to_owned(),
        }
    }
}

impl fmt::Display for Closure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_stored())
    }
}

/// A stored value that does not name a status, kind or closure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownValue {
    /// What was parsed (`instance status`, `task status`, ...).
    pub what: &'static str,
    /// The value read.
    pub value: String,
}

impl FromStr for Closure {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownValue {
            what: "closure",
            value: s.to_owned(),
        };
        match s {
            "listed" => return Ok(Self::Listed),
            "end" => return Ok(Self::InstanceEnd),
            _ => {}
        }
        let (kind, id) = s.split_once(':').ok_or_else(unknown)?;
        if id.is_empty() {
            return Err(unknown());
        }
        match kind {
            "event" => Ok(Self::Event(id.to_owned())),
            "node" => Ok(Self::Node(id.to_owned())),
            _ => Err(unknown()),
        }
    }
}

/// An operation the life cycle of an instance or a task does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowTransitionError {
    /// Ending an instance needs an ended status (`completed`, `terminated`, `cancelled`, `rejected`).
    #[error("instance {id}: cannot end it as {status}, which is not an ended status")]
    NotAnEnd {
        /// The instance.
        id: String,
        /// The status asked for.
        status: InstanceStatus,
    },
    /// A task can only be closed as completed, aborted or reverted.
    #[error("task {id}: cannot close it as {status}")]
    NotAClose {
        /// The task.
        id: String,
        /// The status asked for.
        status: TaskStatus,
    },
    /// Something cannot end or close before it started.
    #[error("{entity} {id}: cannot close it at {at}, before it started at {started}")]
    BeforeStart {
        /// `instance` or `task`.
        entity: &'static str,
        /// Its id.
        id: String,
        /// When it was to close.
        at: i64,
        /// When it started.
        started: i64,
    },
}

/// What a close or an end did to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed<S> {
    /// Whether the record changed (a new status, time or account).
    pub changed: bool,
    /// Another explicit account that gave a different outcome (the winner is kept; both are facts to report).
    pub conflict: Option<S>,
}

impl<S> Closed<S> {
    fn unchanged(conflict: Option<S>) -> Self {
        Self {
            changed: false,
            conflict,
        }
    }

    fn changed(conflict: Option<S>) -> Self {
        Self {
            changed: true,
            conflict,
        }
    }
}

/// Decides between the current closing (if any) and a new account of it; returns whether the new one wins and
/// the conflicting outcome when two explicit accounts disagree.
fn settle<S: Copy + PartialEq>(
    current: Option<(S, i64, &Closure)>,
    new: (S, i64, &Closure),
) -> (bool, Option<S>) {
    let Some((status, at, closure)) = current else {
        return (true, None);
    };
    let (new_status, new_at, new_closure) = new;
    if status == new_status && at == new_at && closure == new_closure {
        return (false, None);
    }
    let conflict = (closure.is_explicit() && new_closure.is_explicit() && status != new_status)
        .then_some(if new_closure.rank(new_at) < closure.rank(at) {
            status
        } else {
            new_status
        });
    (new_closure.rank(new_at) < closure.rank(at), conflict)
}

#[cfg(test)]
mod tests;
