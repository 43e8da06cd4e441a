//! Tags: groups, then tags, then members. Static tags take the members the platform lists; dynamic tags are
//! expanded from their rule over the department tree and the users. A static and a dynamic tag with the same
//! name are a reported conflict: the static one is synced, the dynamic one is left as it is.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crmsync_domain::org::{
    DepartmentTree, OrgRecordError, OrgUser, RemoteTag, Tag, TagGroup, TagKind, TagMember,
    normalise_name,
};
use serde::Serialize;

use super::scope::Scope;

/// A static and a dynamic tag share a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagConflict {
    /// The shared name (as the static tag spells it).
    pub name: String,
    /// The static tags of that name (synced).
    pub static_tags: Vec<String>,
    /// The dynamic tags of that name (not synced until the conflict is resolved on the platform).
    pub dynamic_tags: Vec<String>,
}

/// What the platform says, as far as this run read it.
#[derive(Debug, Clone, Copy)]
pub struct TagInputs<'a> {
    /// Every tag group.
    pub groups: &'a [TagGroup],
    /// Every tag.
    pub tags: &'a [RemoteTag],
    /// The listed members of the static tags whose member lists were read this run, by tag id.
    pub static_members: &'a HashMap<String, Vec<String>>,
    /// The department tree dynamic rules are expanded over.
    pub tree: &'a DepartmentTree,
    /// The users read this run (every user, or those changed since the watermark).
    pub users: &'a [OrgUser],
    /// Whose dynamic memberships to recompute.
    pub dynamic_scope: &'a Scope,
}

/// The local copy before the run.
#[derive(Debug, Clone, Copy)]
pub struct TagsStored<'a> {
    /// Stored groups.
    pub groups: &'a [TagGroup],
    /// Stored tags.
    pub tags: &'a [Tag],
    /// Stored members.
    pub members: &'a [TagMember],
}

/// What the tags part will write, in this order: groups, tags, members, then removals of tags and groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagPlan {
    /// New or changed groups.
    pub group_upsert: Vec<TagGroup>,
    /// Groups the platform no longer lists.
    pub group_remove: Vec<String>,
    /// New or changed tags.
    pub tag_upsert: Vec<Tag>,
    /// Tags the platform no longer lists (their members go with them).
    pub tag_remove: Vec<String>,
    /// Member rows to add, sorted.
    pub member_add: Vec<TagMember>,
    /// Member rows to remove, sorted.
    pub member_remove: Vec<TagMember>,
    /// Static/dynamic name conflicts.
    pub conflicts: Vec<TagConflict>,
    /// Repeated tags and repeated members dropped.
    pub duplicates: u64,
    /// Tags and groups skipped because a field is unacceptable.
    pub rejected: Vec<OrgRecordError>,
}

impl TagPlan {
    /// Whether nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.group_upsert.is_empty()
            && self.group_remove.is_empty()
            && self.tag_upsert.is_empty()
            && self.tag_remove.is_empty()
            && self.member_add.is_empty()
            && self.member_remove.is_empty()
    }
}

/// The static tags whose member lists must be read: every one without a watermark, otherwise those changed
/// at or after it and those not stored as static yet.
pub fn static_tags_to_read(tags: &[RemoteTag], stored: &[Tag], since: Option<i64>) -> Vec<String> {
    let stored: HashMap<&str, &Tag> = stored.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut ids: Vec<String> = tags
        .iter()
        .filter(|t| t.tag.kind == TagKind::Static)
        .filter(|t| {
            since.is_none_or(|since| t.updated_at >= since)
                || stored
                    .get(t.tag.id.as_str())
                    .is_none_or(|s| s.kind != TagKind::Static)
        })
        .map(|t| t.tag.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Whether dynamic memberships must be recomputed for every user: a dynamic tag is new, changed its rule or
/// its kind, or the department tree changed shape since the last expansion (`tree_mark`). Dynamic tags in a
/// name conflict are not synced and do not count.
pub fn dynamic_needs_everyone(
    tags: &[RemoteTag],
    stored: &[Tag],
    tree: &DepartmentTree,
    tree_mark: Option<i64>,
) -> bool {
    if tree_mark != Some(tree_fingerprint(tree)) {
        return true;
    }
    let listed: BTreeMap<&str, &Tag> = tags
        .iter()
        .filter(|t| t.tag.validate().is_ok())
        .map(|t| (t.tag.id.as_str(), &t.tag))
        .collect();
    let excluded = conflicts(&listed, &mut Vec::new());
    let stored: HashMap<&str, &Tag> = stored.iter().map(|t| (t.id.as_str(), t)).collect();
    tags.iter()
        .filter(|t| matches!(t.tag.kind, TagKind::Dynamic { .. }))
        .filter(|t| !excluded.contains(&t.tag.id))
        .any(|t| {
            stored
                .get(t.tag.id.as_str())
                .is_none_or(|s| s.kind != t.tag.kind)
        })
}

/// The tree's shape digest as a stored mark.
pub fn tree_fingerprint(tree: &DepartmentTree) -> i64 {
    i64::from_ne_bytes(tree.fingerprint().to_ne_bytes())
}

/// Compares what the platform says with the local copy.
pub fn plan(inputs: TagInputs<'_>, stored: TagsStored<'_>) -> TagPlan {
    let mut plan = TagPlan::default();
    plan_groups(inputs.groups, stored.groups, &mut plan);

    let mut listed: BTreeMap<&str, &Tag> = BTreeMap::new();
    let mut rejected_ids = BTreeSet::new();
    for remote in inputs.tags {
        if let Err(error) = remote.tag.validate() {
            rejected_ids.insert(remote.tag.id.as_str());
            plan.rejected.push(error);
        } else if listed.insert(&remote.tag.id, &remote.tag).is_some() {
            plan.duplicates += 1;
        }
    }
    let excluded = conflicts(&listed, &mut plan.conflicts);
    let stored_tags: HashMap<&str, &Tag> = stored.tags.iter().map(|t| (t.id.as_str(), t)).collect();
    for (id, tag) in &listed {
        if !excluded.contains(*id) && stored_tags.get(id) != Some(tag) {
            plan.tag_upsert.push((*tag).clone());
        }
    }
    plan.tag_remove = stored
        .tags
        .iter()
        .filter(|t| !listed.contains_key(t.id.as_str()) && !rejected_ids.contains(t.id.as_str()))
        .map(|t| t.id.clone())
        .collect();

    let mut stored_members: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for member in stored.members {
        stored_members
            .entry(member.tag_id.as_str())
            .or_default()
            .insert(member.username.as_str());
    }
    let mut add = BTreeSet::new();
    let mut remove = BTreeSet::new();
    for (id, tag) in &listed {
        if excluded.contains(*id) {
            continue;
        }
        let current = stored_members.get(id).cloned().unwrap_or_default();
        let (desired, scope): (BTreeSet<&str>, &Scope) = match &tag.kind {
            TagKind::Static => {
                let Some(listed_members) = inputs.static_members.get(*id) else {
                    continue;
                };
                let unique: BTreeSet<&str> = listed_members.iter().map(String::as_str).collect();
                plan.duplicates += (listed_members.len() - unique.len()) as u64;
                (unique, &Scope::Everyone)
            }
            TagKind::Dynamic { rule } => {
                let covered = rule.departments(inputs.tree);
                let members = inputs
                    .users
                    .iter()
                    .filter(|u| {
                        inputs.dynamic_scope.covers(&u.username) && rule.matches(u, &covered)
                    })
                    .map(|u| u.username.as_str())
                    .collect();
                (members, inputs.dynamic_scope)
            }
        };
        for username in desired.difference(&current) {
            add.insert(TagMember {
                tag_id: (*id).to_owned(),
                username: (*username).to_owned(),
            });
        }
        for username in current
            .iter()
            .filter(|u| scope.covers(u) && !desired.contains(*u))
        {
            remove.insert(TagMember {
                tag_id: (*id).to_owned(),
                username: (*username).to_owned(),
            });
        }
    }
    plan.member_add = add.into_iter().collect();
    plan.member_remove = remove.into_iter().collect();
    plan
}

fn plan_groups(remote: &[TagGroup], stored: &[TagGroup], plan: &mut TagPlan) {
    let mut listed: BTreeMap<&str, &TagGroup> = BTreeMap::new();
    let mut rejected_ids = BTreeSet::new();
    for group in remote {
        if let Err(error) = group.validate() {
            rejected_ids.insert(group.id.as_str());
            plan.rejected.push(error);
        } else if listed.insert(&group.id, group).is_some() {
            plan.duplicates += 1;
        }
    }
    let stored: HashMap<&str, &TagGroup> = stored.iter().map(|g| (g.id.as_str(), g)).collect();
    plan.group_upsert = listed
        .values()
        .filter(|g| stored.get(g.id.as_str()) != Some(*g))
        .map(|g| (*g).clone())
        .collect();
    let mut removed: Vec<String> = stored
        .keys()
        .filter(|id| !listed.contains_key(*id) && !rejected_ids.contains(*id))
        .map(|id| (*id).to_owned())
        .collect();
    removed.sort();
    plan.group_remove = removed;
}

/// Finds names shared by a static and a dynamic tag; returns the dynamic tags to leave alone.
fn conflicts(listed: &BTreeMap<&str, &Tag>, found: &mut Vec<TagConflict>) -> BTreeSet<String> {
    let mut by_name: BTreeMap<String, (Vec<&Tag>, Vec<&Tag>)> = BTreeMap::new();
    for tag in listed.values() {
        let entry = by_name.entry(normalise_name(&tag.name)).or_default();
        match tag.kind {
            TagKind::Static => entry.0.push(tag),
            TagKind::Dynamic { .. } => entry.1.push(tag),
        }
    }
    let mut excluded = BTreeSet::new();
    for (statics, dynamics) in by_name.into_values() {
        if let Some(first) = statics.first()
            && !dynamics.is_empty()
        {
            excluded.extend(dynamics.iter().map(|t| t.id.clone()));
            found.push(TagConflict {
                name: first.name.clone(),
                static_tags: statics.iter().map(|t| t.id.clone()).collect(),
                dynamic_tags: dynamics.iter().map(|t| t.id.clone()).collect(),
            });
        }
    }
    excluded
}

#[cfg(test)]
mod tests;
