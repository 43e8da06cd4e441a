//! Users of the platform as the sync needs them: where they work and which positions they hold.

use serde::{Deserialize, Serialize};

use super::{OrgRecordError, check_identifier};

/// Whether a user counts for positions and dynamic tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Working; holds positions and dynamic-tag memberships.
    Active,
    /// Suspended or not activated; listed, but holds nothing.
    Disabled,
    /// Removed from the platform (a tombstone in incremental listings); holds nothing.
    Deleted,
}

/// A position a user holds in one department.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Seat {
    /// The platform's position id.
    pub position_id: String,
    /// The department the position is held in.
    pub department_id: String,
}

/// One user of the platform (no names, phones or emails: the sync never needs them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrgUser {
    /// The user's login name on the platform; the key every local table uses.
    pub username: String,
    /// Departments the user belongs to.
    pub department_ids: Vec<String>,
    /// Positions the user holds.
    pub seats: Vec<Seat>,
    /// Active, disabled or deleted.
    pub status: UserStatus,
    /// When the platform last changed this user (milliseconds since the Unix epoch).
    pub updated_at: i64,
}

impl OrgUser {
    /// Checks the username and every department and position identifier.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        check_identifier("user", &self.username, "username", &self.username)?;
        for department in &self.department_ids {
            check_identifier("user", &self.username, "department", department)?;
        }
        for seat in &self.seats {
            check_identifier(
                "user",
                &self.username,
                "positions.position_id",
                &seat.position_id,
            )?;
            check_identifier(
                "user",
                &self.username,
                "positions.department_id",
                &seat.department_id,
            )?;
        }
        Ok(())
    }

    /// Whether the user holds positions and dynamic-tag memberships.
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }
}
