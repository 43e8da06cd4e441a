//! The organisation synced from the office platform (Officeflow): departments, users, positions, tags and the
//! OpenIDs users have on each messaging platform.
//!
//! Remote records are plain values; `validate` methods say which field of which record is unacceptable, so a
//! job can skip a bad record and report it instead of failing the whole sync.

mod attributes;
mod department;
mod openid;
mod position;
mod tag;
mod user;

pub use attributes::{
    AttributeDef, AttributeError, AttributeIssue, AttributeKey, AttributeKind, AttributeRegistry,
    MAX_ATTRIBUTE_KEY_LEN, MAX_TEXT_VALUE_LEN, StoredAttributes, UserAttributes,
};
pub use department::{Department, DepartmentTree, TreeError};
pub use openid::{UserOpenId, UserOpenIds, check_platform};
pub use position::{
    Position, PositionEvent, PositionEventKind, PositionMember, RemotePosition, normalise_name,
};
pub use tag::{RemoteTag, Tag, TagGroup, TagKind, TagMember, TagRule};
pub use user::{OrgUser, Seat, UserStatus};

/// Longest identifier (department id, username, openid, ...) accepted from the platform.
pub const MAX_IDENTIFIER_LEN: usize = 128;
/// Longest display name accepted from the platform.
pub const MAX_NAME_LEN: usize = 255;

/// Why a record read from the platform is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entity} {id:?}: field `{field}` {reason}")]
pub struct OrgRecordError {
    /// What kind of record (`department`, `user`, `tag`, ...).
    pub entity: &'static str,
    /// The record's identifier as received (may be empty when that is the problem).
    pub id: String,
    /// The offending field.
    pub field: &'static str,
    /// Why it was rejected.
    pub reason: String,
}

impl OrgRecordError {
    fn new(entity: &'static str, id: &str, field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            entity,
            id: id.to_owned(),
            field,
            reason: reason.into(),
        }
    }
}

/// Checks an identifier: non-empty, at most [`MAX_IDENTIFIER_LEN`] characters, no surrounding whitespace and no
/// control characters.
pub fn check_identifier(
    entity: &'static str,
    id: &str,
    field: &'static str,
    value: &str,
) -> Result<(), OrgRecordError> {
    if value.is_empty() {
        return Err(OrgRecordError::new(entity, id, field, "is empty"));
    }
    if value.chars().count() > MAX_IDENTIFIER_LEN {
        return Err(OrgRecordError::new(
            entity,
            id,
            field,
            format!("is longer than {MAX_IDENTIFIER_LEN} characters"),
        ));
    }
    if value.trim() != value || value.chars().any(char::is_control) {
        return Err(OrgRecordError::new(
            entity,
            id,
            field,
            "has surrounding whitespace or control characters",
        ));
    }
    Ok(())
}

/// Checks a display name: not blank, at most [`MAX_NAME_LEN`] characters, no control characters.
pub fn check_name(
    entity: &'static str,
    id: &str,
    field: &'static str,
    value: &str,
) -> Result<(), OrgRecordError> {
    if value.trim().is_empty() {
        return Err(OrgRecordError::new(entity, id, field, "is blank"));
    }
    if value.chars().count() > MAX_NAME_LEN {
        return Err(OrgRecordError::new(
            entity,
            id,
            field,
            format!("is longer than {MAX_NAME_LEN} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(OrgRecordError::new(
            entity,
            id,
            field,
            "contains control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
