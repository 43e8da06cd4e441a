//! Tags: groups, static tags with explicit members and dynamic tags whose members follow a rule.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{DepartmentTree, OrgRecordError, OrgUser, check_identifier, check_name};

/// A group of tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TagGroup {
    /// The platform's identifier.
    pub id: String,
    /// Display name.
    pub name: String,
}

impl TagGroup {
    /// Checks the identifier and the name.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        check_identifier("tag group", &self.id, "id", &self.id)?;
        check_name("tag group", &self.id, "name", &self.name)
    }
}

/// Which users a dynamic tag holds: active users in the listed departments (and their sub-departments when
/// `include_children`), restricted to holders of the listed positions when there are any.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TagRule {
    /// Departments whose users belong to the tag.
    pub department_ids: Vec<String>,
    /// Whether users of sub-departments belong too.
    pub include_children: bool,
    /// When not empty, only users holding one of these platform positions belong.
    #[serde(default)]
    pub position_ids: Vec<String>,
}

impl TagRule {
    /// The departments the rule covers in `tree`, sub-departments included when asked for.
    pub fn departments(&self, tree: &DepartmentTree) -> BTreeSet<String> {
        let mut covered = BTreeSet::new();
        for id in &self.department_ids {
            if self.include_children {
                covered.extend(tree.subtree(id));
            } else if tree.contains(id) {
                covered.insert(id.clone());
            }
        }
        covered
    }

    /// Whether `user` belongs, given the departments the rule covers (from [`TagRule::departments`]).
    pub fn matches(&self, user: &OrgUser, covered: &BTreeSet<String>) -> bool {
        user.is_active()
            && user.department_ids.iter().any(|d| covered.contains(d))
            && (self.position_ids.is_empty()
                || user
                    .seats
                    .iter()
                    .any(|seat| self.position_ids.contains(&seat.position_id)))
    }
}

/// Static tags list their members; dynamic tags compute them from a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TagKind {
    /// Members are listed explicitly by the platform.
    Static,
    /// Members follow the rule.
    Dynamic {
        /// The membership rule.
        rule: TagRule,
    },
}

impl TagKind {
    /// `static` or `dynamic`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Dynamic { .. } => "dynamic",
        }
    }

    /// The rule of a dynamic tag.
    pub fn rule(&self) -> Option<&TagRule> {
        match self {
            Self::Static => None,
            Self::Dynamic { rule } => Some(rule),
        }
    }
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tag {
    /// The platform's identifier.
    pub id: String,
    /// The group it belongs to, if any.
    pub group_id: Option<String>,
    /// Display name; unique among tags of the platform.
    pub name: String,
    /// Static or dynamic.
    pub kind: TagKind,
}

impl Tag {
    /// Checks identifiers, the name and, for a dynamic tag, that its rule names at least one department.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        check_identifier("tag", &self.id, "id", &self.id)?;
        check_name("tag", &self.id, "name", &self.name)?;
        if let Some(group) = &self.group_id {
            check_identifier("tag", &self.id, "group_id", group)?;
        }
        if let TagKind::Dynamic { rule } = &self.kind {
            if rule.department_ids.is_empty() {
                return Err(OrgRecordError {
                    entity: "tag",
                    id: self.id.clone(),
                    field: "rule.department_ids",
                    reason: "is empty: a dynamic tag must name at least one department".into(),
                });
            }
            for id in rule.department_ids.iter().chain(&rule.position_ids) {
                check_identifier("tag", &self.id, "rule", id)?;
            }
        }
        Ok(())
    }
}

/// A tag as the platform lists it, with when its definition or member list last changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RemoteTag {
    /// The tag.
    pub tag: Tag,
    /// Milliseconds since the Unix epoch.
    pub updated_at: i64,
}

/// A user carrying a tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TagMember {
    /// The tag.
    pub tag_id: String,
    /// The user.
    pub username: String,
}
