//! Departments and the tree they form.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{OrgRecordError, check_identifier, check_name};

/// One department as the platform lists it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Department {
    /// The platform's identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The parent department; `None` for a root.
    pub parent_id: Option<String>,
    /// Sort key among siblings (larger first, as on WeCom).
    pub order: i64,
    /// In the local copy, the department rule that revoked it (disabled, kept with its members' mappings as
    /// history); `None` while active and as the platform lists it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
}

impl Department {
    /// Checks the identifiers and the name.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        check_identifier("department", &self.id, "id", &self.id)?;
        check_name("department", &self.id, "name", &self.name)?;
        if let Some(parent) = &self.parent_id {
            check_identifier("department", &self.id, "parent_id", parent)?;
        }
        Ok(())
    }
}

/// Why a set of departments is not a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// Two departments share an identifier.
    #[error("department {id:?} is listed twice with different contents")]
    Duplicate {
        /// The shared identifier.
        id: String,
    },
    /// Following parents from a department leads back to it.
    #[error("department {id:?} is its own ancestor (parent chain loops)")]
    Cycle {
        /// A department on the loop.
        id: String,
    },
}

/// Departments indexed by id, with their children; every department reaches a root without loops.
///
/// A department whose parent is not in the set (outside the app's visibility scope, for instance) is kept as
/// a root and listed in [`DepartmentTree::orphans`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentTree {
    nodes: BTreeMap<String, Department>,
    children: BTreeMap<String, Vec<String>>,
    roots: Vec<String>,
    orphans: Vec<String>,
}

impl DepartmentTree {
    /// Builds the tree; an exact duplicate of a department is dropped, a conflicting one is an error.
    pub fn build(departments: impl IntoIterator<Item = Department>) -> Result<Self, TreeError> {
        let mut nodes: BTreeMap<String, Department> = BTreeMap::new();
        for department in departments {
            match nodes.get(&department.id) {
                Some(known) if *known == department => {}
                Some(_) => {
                    return Err(TreeError::Duplicate { id: department.id });
                }
                None => {
                    nodes.insert(department.id.clone(), department);
                }
            }
        }
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut roots = Vec::new();
        let mut orphans = Vec::new();
        for department in nodes.values() {
            match &department.parent_id {
                Some(parent) if nodes.contains_key(parent) => children
                    .entry(parent.clone())
                    .or_default()
                    .push(department.id.clone()),
                Some(_) => {
                    orphans.push(department.id.clone());
                    roots.push(department.id.clone());
                }
                None => roots.push(department.id.clone()),
            }
        }
        let tree = Self {
            nodes,
            children,
            roots,
            orphans,
        };
        tree.check_acyclic()?;
        Ok(tree)
    }

    fn check_acyclic(&self) -> Result<(), TreeError> {
        let mut reachable: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<&str> = self.roots.iter().map(String::as_str).collect();
        while let Some(id) = stack.pop() {
            if reachable.insert(id)
                && let Some(kids) = self.children.get(id)
            {
                stack.extend(kids.iter().map(String::as_str));
            }
        }
        match self
            .nodes
            .keys()
            .find(|id| !reachable.contains(id.as_str()))
        {
            Some(id) => Err(TreeError::Cycle { id: id.clone() }),
            None => Ok(()),
        }
    }

    /// The department with `id`.
    pub fn get(&self, id: &str) -> Option<&Department> {
        self.nodes.get(id)
    }

    /// Whether `id` is in the tree.
    pub fn contains(&self, id: &str) -> bool {
        self.nodes.contains_key(id)
    }

    /// Number of departments.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree has no department.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every department, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Department> {
        self.nodes.values()
    }

    /// Departments without a known parent, by id.
    pub fn roots(&self) -> &[String] {
        &self.roots
    }

    /// Departments whose parent is not in the tree, by id.
    pub fn orphans(&self) -> &[String] {
        &self.orphans
    }

    /// Direct children of `id`, by id.
    pub fn children(&self, id: &str) -> &[String] {
        self.children.get(id).map_or(&[], Vec::as_slice)
    }

    /// `id` and all its descendants; empty when `id` is unknown.
    pub fn subtree(&self, id: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        if !self.contains(id) {
            return found;
        }
        let mut stack = vec![id];
        while let Some(current) = stack.pop() {
            if found.insert(current.to_owned()) {
                stack.extend(self.children(current).iter().map(String::as_str));
            }
        }
        found
    }

    /// A stable 64-bit digest of the tree's shape (ids and parents, not names): equal shapes, equal digests.
    pub fn fingerprint(&self) -> u64 {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut hash = OFFSET;
        let mut feed = |bytes: &[u8]| {
            for byte in bytes {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(PRIME);
            }
        };
        for department in self.nodes.values() {
            feed(department.id.as_bytes());
            feed(&[0]);
            feed(department.parent_id.as_deref().unwrap_or("").as_bytes());
            feed(&[1]);
        }
        hash
    }

    /// The departments, by id.
    pub fn into_departments(self) -> Vec<Department> {
        self.nodes.into_values().collect()
    }
}
