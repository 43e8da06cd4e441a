//! Departments: the platform's tree, with the configured department rules applied, replaces the local copy.

mod rules;

use std::collections::{BTreeMap, BTreeSet};

use crmsync_domain::org::{Department, DepartmentTree, OrgRecordError, TreeError};
use serde::Serialize;

pub use rules::{DepartmentRule, DepartmentRules, RuleAction, RuleEffect, RuleError, Ruled};

/// What the departments part will write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepartmentPlan {
    /// New departments.
    pub add: Vec<Department>,
    /// Departments whose name, parent, order or revocation changed.
    pub update: Vec<Department>,
    /// Ids of departments the platform no longer lists.
    pub remove: Vec<String>,
    /// Departments skipped because a field is unacceptable.
    #[serde(skip)]
    pub rejected: Vec<OrgRecordError>,
    /// Departments whose parent is not listed; kept as roots.
    pub orphans: Vec<String>,
    /// Departments revoked by this plan (active or absent before).
    pub revoked: Vec<String>,
    /// What each department rule did, in order.
    pub rules: Vec<RuleEffect>,
}

impl DepartmentPlan {
    /// Whether nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.update.is_empty() && self.remove.is_empty()
    }
}

/// Why the departments part cannot plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepartmentError {
    /// The departments do not form a tree.
    #[error("department tree: {0}")]
    Tree(#[from] TreeError),
    /// A department rule cannot be applied.
    #[error(transparent)]
    Rule(#[from] RuleError),
}

/// Compares the platform's departments with the stored ones. Fails when the departments do not form a tree
/// (a loop, or one id with two different contents): nothing is written then.
pub fn plan(
    remote: Vec<Department>,
    stored: &[Department],
) -> Result<DepartmentPlan, DepartmentError> {
    plan_with_rules(remote, stored, &DepartmentRules::default())
}

/// Like [`plan`], with `rules` applied to the valid listed departments first. A rule naming an unknown
/// department or making a loop fails the plan (nothing is written); a revoked department is kept, marked.
pub fn plan_with_rules(
    remote: Vec<Department>,
    stored: &[Department],
    rules: &DepartmentRules,
) -> Result<DepartmentPlan, DepartmentError> {
    let mut rejected = Vec::new();
    let mut rejected_ids = BTreeSet::new();
    let valid: Vec<Department> = remote
        .into_iter()
        .filter(|d| match d.validate() {
            Ok(()) => true,
            Err(error) => {
                rejected_ids.insert(d.id.clone());
                rejected.push(error);
                false
            }
        })
        .map(|mut d| {
            d.revoked_by = None;
            d
        })
        .collect();
    let tree = DepartmentTree::build(valid)?;
    let ruled = rules.apply(tree.into_departments())?;
    let tree = DepartmentTree::build(ruled.departments)?;
    let orphans = tree.orphans().to_vec();
    let stored: BTreeMap<&str, &Department> = stored.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut plan = DepartmentPlan {
        rejected,
        orphans,
        rules: ruled.effects,
        ..DepartmentPlan::default()
    };
    let listed: BTreeSet<String> = tree.iter().map(|d| d.id.clone()).collect();
    for department in tree.into_departments() {
        let known = stored.get(department.id.as_str());
        if department.revoked_by.is_some() && known.is_none_or(|k| k.revoked_by.is_none()) {
            plan.revoked.push(department.id.clone());
        }
        match known {
            None => plan.add.push(department),
            Some(known) if **known != department => plan.update.push(department),
            Some(_) => {}
        }
    }
    plan.remove = stored
        .keys()
        .filter(|id| !listed.contains(**id) && !rejected_ids.contains(**id))
        .map(|id| (*id).to_owned())
        .collect();
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: &str, name: &str, parent: Option<&str>) -> Department {
        Department {
            id: id.into(),
            name: name.into(),
            parent_id: parent.map(Into::into),
            order: 0,
            revoked_by: None,
        }
    }

    #[test]
    fn adds_updates_and_removes_against_the_stored_copy() {
        let stored = vec![
            dept("1", "School", None),
            dept("2", "Maths", Some("1")),
            dept("3", "Gone", Some("1")),
        ];
        let remote = vec![
            dept("1", "School", None),
            dept("2", "Mathematics", Some("1")),
            dept("4", "Physics", Some("2")),
            dept("", "No id", None),
        ];
        let plan = plan(remote, &stored).unwrap();
        assert_eq!(plan.add, vec![dept("4", "Physics", Some("2"))]);
        assert_eq!(plan.update, vec![dept("2", "Mathematics", Some("1"))]);
        assert_eq!(plan.remove, vec!["3".to_owned()]);
        assert_eq!(plan.rejected.len(), 1);
        assert_eq!(plan.rejected[0].field, "id");
    }

    #[test]
    fn the_same_tree_plans_nothing() {
        let tree = vec![dept("1", "School", None), dept("2", "Maths", Some("1"))];
        assert!(plan(tree.clone(), &tree).unwrap().is_empty());
    }

    #[test]
    fn a_loop_stops_the_part_before_anything_is_written() {
        let looped = vec![dept("1", "A", Some("2")), dept("2", "B", Some("1"))];
        assert!(matches!(
            plan(looped, &[]),
            Err(DepartmentError::Tree(TreeError::Cycle { .. }))
        ));
    }

    #[test]
    fn orphans_are_kept_and_reported() {
        let plan = plan(vec![dept("7", "Outside scope", Some("99"))], &[]).unwrap();
        assert_eq!(plan.add.len(), 1);
        assert_eq!(plan.orphans, vec!["7".to_owned()]);
    }
}
