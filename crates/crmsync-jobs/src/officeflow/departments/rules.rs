//! Department rules: the special handling some schools need, as configuration — map a source department to
//! another id, merge departments into one, move a subtree, revoke a department (disabled in the local copy with
//! its subtree; the members' position mappings of those departments are left as they are, as history).
//!
//! [`DepartmentRules::check`] validates the rules alone (at config load); [`DepartmentRules::apply`] applies them
//! in order to the listed departments, failing on an id no department has or a rule that would make a loop —
//! the error names the rule.

use std::collections::{BTreeMap, BTreeSet};

use crmsync_domain::org::Department;
use serde::{Deserialize, Serialize};

/// What one rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleAction {
    /// Store source department `from` under the id `to`; its children follow it.
    Map {
        /// The source department.
        from: String,
        /// The id it is stored under (no listed department may have it).
        to: String,
    },
    /// Fold the departments `from` into `into`: their children move under `into`, they are no longer stored.
    Merge {
        /// The departments folded away.
        from: Vec<String>,
        /// The department that takes them in.
        into: String,
    },
    /// Move the subtree rooted at `department` under `parent`.
    Move {
        /// The subtree's root.
        department: String,
        /// Its new parent.
        parent: String,
    },
    /// Disable `department` and its subtree in the local copy (kept, marked revoked by this rule).
    Revoke {
        /// The subtree's root.
        department: String,
    },
}

/// One named rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentRule {
    /// The rule's name, unique; errors and the plan name it.
    pub name: String,
    /// What it does.
    #[serde(flatten)]
    pub action: RuleAction,
}

/// The rules of the departments part, applied in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DepartmentRules(pub Vec<DepartmentRule>);

/// A rule that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The rule has no name, or the name of an earlier rule.
    #[error("department rule #{index} ({name:?}): {reason}")]
    Name {
        /// 1-based position of the rule.
        index: usize,
        /// Its name.
        name: String,
        /// Why.
        reason: String,
    },
    /// A field is empty or names the department it acts on.
    #[error("department rule {rule:?}: {reason}")]
    Invalid {
        /// The rule.
        rule: String,
        /// Why.
        reason: String,
    },
    /// The rule names a department that is not listed (or was mapped or merged away by an earlier rule).
    #[error("department rule {rule:?}: unknown department {id:?}")]
    Unknown {
        /// The rule.
        rule: String,
        /// The id.
        id: String,
    },
    /// The rule would make a loop: a department mapped back to itself through other rules, or a subtree moved
    /// or merged under itself.
    #[error("department rule {rule:?}: makes a cycle ({path})")]
    Cycle {
        /// The rule.
        rule: String,
        /// The loop, as ids.
        path: String,
    },
    /// A map's target id is already a listed department.
    #[error("department rule {rule:?}: department {id:?} already exists (use a merge)")]
    Taken {
        /// The rule.
        rule: String,
        /// The id.
        id: String,
    },
}

/// What one rule did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleEffect {
    /// The rule.
    pub rule: String,
    /// What it did, in words.
    pub effect: String,
    /// Departments it touched.
    pub departments: usize,
}

/// The listed departments with the rules applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruled {
    /// Every department to store, revoked ones included (marked).
    pub departments: Vec<Department>,
    /// Source id → the id it is stored under, for mapped and merged departments.
    pub renamed: BTreeMap<String, String>,
    /// What each rule did, in order.
    pub effects: Vec<RuleEffect>,
}

/// Follows `map` from `id` until an id it does not map; `Err(path)` when the chain comes back.
fn follow<'a>(map: &'a BTreeMap<&'a str, &'a str>, id: &'a str) -> Result<&'a str, String> {
    let mut seen = vec![id];
    let mut at = id;
    while let Some(next) = map.get(at) {
        if seen.contains(next) {
            seen.push(next);
            return Err(seen.join(" → "));
        }
        seen.push(next);
        at = next;
    }
    Ok(at)
}

impl DepartmentRules {
    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the rules alone: unique non-empty names, non-empty ids, no rule acting on itself, and no cycle
    /// among the renames (maps and merges) of all rules together.
    pub fn check(&self) -> Result<(), RuleError> {
        let mut names = BTreeSet::new();
        let mut renames: BTreeMap<&str, &str> = BTreeMap::new();
        let mut renamed_by: BTreeMap<&str, &str> = BTreeMap::new();
        for (index, rule) in self.0.iter().enumerate() {
            let name = rule.name.trim();
            if name.is_empty() {
                return Err(RuleError::Name {
                    index: index + 1,
                    name: rule.name.clone(),
                    reason: "has no name".into(),
                });
            }
            if !names.insert(name) {
                return Err(RuleError::Name {
                    index: index + 1,
                    name: rule.name.clone(),
                    reason: "has the name of an earlier rule".into(),
                });
            }
            let invalid = |reason: &str| RuleError::Invalid {
                rule: rule.name.clone(),
                reason: reason.into(),
            };
            let ids: Vec<&str> = match &rule.action {
                RuleAction::Map { from, to } => vec![from, to],
                RuleAction::Merge { from, into } => {
                    if from.is_empty() {
                        return Err(invalid("merges no department (from is empty)"));
                    }
                    from.iter().chain([into]).map(String::as_str).collect()
                }
                RuleAction::Move { department, parent } => vec![department, parent],
                RuleAction::Revoke { department } => vec![department],
            };
            if ids.iter().any(|id| id.trim().is_empty()) {
                return Err(invalid("names an empty department id"));
            }
            let pairs: Vec<(&str, &str)> = match &rule.action {
                RuleAction::Map { from, to } => vec![(from, to)],
                RuleAction::Merge { from, into } => {
                    from.iter().map(|f| (f.as_str(), into.as_str())).collect()
                }
                RuleAction::Move { department, parent } if department == parent => {
                    return Err(RuleError::Cycle {
                        rule: rule.name.clone(),
                        path: format!("{department} → {parent}"),
                    });
                }
                _ => Vec::new(),
            };
            for (from, to) in pairs {
                if let Some(earlier) = renamed_by.get(from) {
                    return Err(invalid(&format!(
                        "department {from:?} is already mapped or merged by rule {earlier:?}"
                    )));
                }
                renames.insert(from, to);
                renamed_by.insert(from, name);
                if let Err(path) = follow(&renames, from) {
                    return Err(RuleError::Cycle {
                        rule: rule.name.clone(),
                        path,
                    });
                }
            }
        }
        Ok(())
    }

    /// Applies the rules, in order, to `listed` (valid departments, one per id). Nothing is applied when a rule
    /// fails.
    pub fn apply(&self, listed: Vec<Department>) -> Result<Ruled, RuleError> {
        self.check()?;
        let mut nodes: BTreeMap<String, Department> =
            listed.into_iter().map(|d| (d.id.clone(), d)).collect();
        let mut ruled = Ruled::default();
        for rule in &self.0 {
            let unknown = |id: &str| RuleError::Unknown {
                rule: rule.name.clone(),
                id: id.to_owned(),
            };
            let (effect, count) = match &rule.action {
                RuleAction::Map { from, to } => {
                    let Some(mut department) = nodes.remove(from) else {
                        return Err(unknown(from));
                    };
                    if nodes.contains_key(to) {
                        return Err(RuleError::Taken {
                            rule: rule.name.clone(),
                            id: to.clone(),
                        });
                    }
                    department.id.clone_from(to);
                    nodes.insert(to.clone(), department);
                    let children = reparent(&mut nodes, from, to);
                    rename(&mut ruled.renamed, from, to);
                    (format!("department {from} stored as {to}"), 1 + children)
                }
                RuleAction::Merge { from, into } => {
                    if !nodes.contains_key(into) {
                        return Err(unknown(into));
                    }
                    for id in from {
                        if !nodes.contains_key(id) {
                            return Err(unknown(id));
                        }
                        if let Some(path) = ancestry_through(&nodes, into, id) {
                            return Err(RuleError::Cycle {
                                rule: rule.name.clone(),
                                path,
                            });
                        }
                    }
                    let mut children = 0;
                    for id in from {
                        nodes.remove(id);
                        children += reparent(&mut nodes, id, into);
                        rename(&mut ruled.renamed, id, into);
                    }
                    (
                        format!("departments {} merged into {into}", from.join(", ")),
                        from.len() + children,
                    )
                }
                RuleAction::Move { department, parent } => {
                    if !nodes.contains_key(parent) {
                        return Err(unknown(parent));
                    }
                    if !nodes.contains_key(department) {
                        return Err(unknown(department));
                    }
                    if let Some(path) = ancestry_through(&nodes, parent, department) {
                        return Err(RuleError::Cycle {
                            rule: rule.name.clone(),
                            path,
                        });
                    }
                    if let Some(moved) = nodes.get_mut(department) {
                        moved.parent_id = Some(parent.clone());
                    }
                    let size = subtree(&nodes, department).len();
                    (
                        format!("department {department} moved under {parent}"),
                        size,
                    )
                }
                RuleAction::Revoke { department } => {
                    if !nodes.contains_key(department) {
                        return Err(unknown(department));
                    }
                    let ids = subtree(&nodes, department);
                    for id in &ids {
                        if let Some(revoked) = nodes.get_mut(id) {
                            revoked.revoked_by = Some(rule.name.clone());
                        }
                    }
                    (
                        format!("department {department} revoked with its subtree"),
                        ids.len(),
                    )
                }
            };
            ruled.effects.push(RuleEffect {
                rule: rule.name.clone(),
                effect,
                departments: count,
            });
        }
        ruled.departments = nodes.into_values().collect();
        Ok(ruled)
    }
}

/// Points the children of `from` at `to`; how many there were.
fn reparent(nodes: &mut BTreeMap<String, Department>, from: &str, to: &str) -> usize {
    let mut moved = 0;
    for department in nodes.values_mut() {
        if department.parent_id.as_deref() == Some(from) {
            department.parent_id = Some(to.to_owned());
            moved += 1;
        }
    }
    moved
}

/// Records `from → to`, and points earlier renames to `from` at `to`.
fn rename(renamed: &mut BTreeMap<String, String>, from: &str, to: &str) {
    for target in renamed.values_mut() {
        if target == from {
            *target = to.to_owned();
        }
    }
    renamed.insert(from.to_owned(), to.to_owned());
}

/// The chain of parents from `start` when it reaches `root` (so `root` would become its own ancestor), as ids.
fn ancestry_through(
    nodes: &BTreeMap<String, Department>,
    start: &str,
    root: &str,
) -> Option<String> {
    let mut path = vec![start.to_owned()];
    let mut at = start;
    loop {
        if at == root {
            return Some(path.join(" → "));
        }
        let parent = nodes.get(at)?.parent_id.as_deref()?;
        if path.iter().any(|p| p == parent) || path.len() > nodes.len() {
            return None;
        }
        path.push(parent.to_owned());
        at = parent;
    }
}

/// `root` and every department under it.
fn subtree(nodes: &BTreeMap<String, Department>, root: &str) -> Vec<String> {
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for department in nodes.values() {
        if let Some(parent) = department.parent_id.as_deref() {
            children.entry(parent).or_default().push(&department.id);
        }
    }
    let mut out = vec![root.to_owned()];
    let mut index = 0;
    while index < out.len() {
        if let Some(kids) = children.get(out[index].as_str()) {
            for kid in kids {
                if !out.iter().any(|o| o == kid) {
                    out.push((*kid).to_owned());
                }
            }
        }
        index += 1;
    }
    out
}

#[cfg(test)]
mod tests;
