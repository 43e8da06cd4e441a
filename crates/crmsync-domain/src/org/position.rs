//! Positions (岗位): the platform's list, the local positions it maps to, and who holds them where.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{OrgRecordError, check_identifier, check_name};

/// A position as the platform lists it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RemotePosition {
    /// The platform's identifier.
    pub id: String,
    /// Display name.
    pub name: String,
}

impl RemotePosition {
    /// Checks the identifier and the name.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        check_identifier("position", &self.id, "id", &self.id)?;
        check_name("position", &self.id, "name", &self.name)
    }
}

/// A local position: its own id, which never changes, and every platform id that ever mapped to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    /// Local identifier, used by the rest of the local system.
    pub id: i64,
    /// Current name.
    pub name: String,
    /// Whether the platform still lists it; disabled positions are kept, never deleted.
    pub enabled: bool,
    /// Platform ids mapped to this position, oldest mapping first.
    pub remote_ids: Vec<String>,
}

/// One user holding one local position in one department.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PositionMember {
    /// The local position.
    pub position_id: i64,
    /// The department the position is held in.
    pub department_id: String,
    /// The user.
    pub username: String,
}

/// What happened to a local position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionEventKind {
    /// Created for a new platform position.
    Added,
    /// The platform renamed it.
    Renamed,
    /// The platform stopped listing it.
    Disabled,
    /// The platform lists it again.
    Enabled,
    /// Another platform id was mapped to it (the platform re-created a position with the same name).
    Remapped,
}

impl PositionEventKind {
    /// The stored name of the event.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Renamed => "renamed",
            Self::Disabled => "disabled",
            Self::Enabled => "enabled",
            Self::Remapped => "remapped",
        }
    }

    /// Parses a stored name.
    pub fn parse(stored: &str) -> Option<Self> {
        [
            Self::Added,
            Self::Renamed,
            Self::Disabled,
            Self::Enabled,
            Self::Remapped,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == stored)
    }
}

/// One entry of a local position's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionEvent {
    /// The local position.
    pub position_id: i64,
    /// The platform id involved, when there is one.
    pub remote_id: Option<String>,
    /// What happened.
    pub kind: PositionEventKind,
    /// The position's name after the event.
    pub name: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// The form of a name used to recognise the same position under a new platform id: trimmed, inner whitespace
/// collapsed to one space, lower case.
pub fn normalise_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
