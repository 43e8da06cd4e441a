//! Positions: the platform's list against the local positions and their mapping history (add new, rename,
//! disable vanished, re-enable returned), then the position–department–user rows.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crmsync_domain::org::{
    OrgRecordError, OrgUser, Position, PositionMember, RemotePosition, normalise_name,
};
use crmsync_ports::{PositionChanges, PositionRemap, PositionRename};

use super::scope::Scope;

/// What the positions part will write to the positions themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PositionPlan {
    /// Adds, renames, remaps, enables and disables.
    pub changes: PositionChanges,
    /// Platform id → local id of every listed position that maps to an existing local position.
    pub mapped: HashMap<String, i64>,
    /// Positions skipped because a field is unacceptable.
    pub rejected: Vec<OrgRecordError>,
    /// Listed more than once (the first listing is used).
    pub duplicates: u64,
}

/// Compares the platform's positions with the local ones.
///
/// - A platform id already mapped to a local position keeps it: renamed if the name changed, re-enabled if it
///   was disabled.
/// - A new platform id takes over a local position with the same name (normalised) that no listed id claims —
///   the platform re-created a position — and is otherwise added as a new local position.
/// - Enabled local positions no listed id claims are disabled; local positions are never deleted.
/// - A position listed with an unacceptable field is skipped and its local copy left as it is.
pub fn plan_positions(remote: Vec<RemotePosition>, stored: &[Position]) -> PositionPlan {
    let mut plan = PositionPlan::default();
    let mut listed: BTreeMap<String, RemotePosition> = BTreeMap::new();
    let mut rejected_ids = HashSet::new();
    for position in remote {
        if let Err(error) = position.validate() {
            rejected_ids.insert(position.id.clone());
            plan.rejected.push(error);
        } else if listed.contains_key(&position.id) {
            plan.duplicates += 1;
        } else {
            listed.insert(position.id.clone(), position);
        }
    }
    let by_remote_id: HashMap<&str, &Position> = stored
        .iter()
        .flat_map(|p| p.remote_ids.iter().map(move |r| (r.as_str(), p)))
        .collect();
    let mut claimed: HashSet<i64> = HashSet::new();
    let mut unmapped: Vec<&RemotePosition> = Vec::new();
    for remote in listed.values() {
        match by_remote_id.get(remote.id.as_str()) {
            Some(local) if claimed.insert(local.id) => {
                plan.mapped.insert(remote.id.clone(), local.id);
                keep_current(&mut plan.changes, local, &remote.name);
            }
            _ => unmapped.push(remote),
        }
    }

    let mut by_name: HashMap<String, Vec<&Position>> = HashMap::new();
    for local in stored {
        by_name
            .entry(normalise_name(&local.name))
            .or_default()
            .push(local);
    }
    for candidates in by_name.values_mut() {
        candidates.sort_by_key(|p| (!p.enabled, p.id));
    }
    for remote in unmapped {
        let reusable = by_name
            .get(&normalise_name(&remote.name))
            .and_then(|candidates| candidates.iter().find(|p| !claimed.contains(&p.id)));
        match reusable {
            Some(local) => {
                claimed.insert(local.id);
                plan.mapped.insert(remote.id.clone(), local.id);
                plan.changes.remap.push(PositionRemap {
                    remote_id: remote.id.clone(),
                    position_id: local.id,
                });
                keep_current(&mut plan.changes, local, &remote.name);
            }
            None => plan.changes.add.push(remote.clone()),
        }
    }
    plan.changes.disable = stored
        .iter()
        .filter(|p| p.enabled && !claimed.contains(&p.id))
        .filter(|p| !p.remote_ids.iter().any(|r| rejected_ids.contains(r)))
        .map(|p| p.id)
        .collect();
    plan
}

/// Re-enables and renames `local` so it matches the listed `name`.
fn keep_current(changes: &mut PositionChanges, local: &Position, name: &str) {
    if !local.enabled {
        changes.enable.push(local.id);
    }
    if local.name != name {
        changes.rename.push(PositionRename {
            position_id: local.id,
            name: name.to_owned(),
        });
    }
}

/// What the positions part will write to the position–department–user rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberPlan {
    /// Rows to add, sorted.
    pub add: Vec<PositionMember>,
    /// Rows to remove, sorted.
    pub remove: Vec<PositionMember>,
    /// Seats naming a position the platform does not list (skipped).
    pub unknown_positions: u64,
}

/// The rows active `users` should have, given where each platform position maps locally (`local`), against the
/// `stored` rows of the users in `scope`.
pub fn plan_members(
    users: &[OrgUser],
    local: &HashMap<String, i64>,
    stored: &[PositionMember],
    scope: &Scope,
) -> MemberPlan {
    let mut unknown_positions = 0;
    let mut desired: BTreeSet<PositionMember> = BTreeSet::new();
    for user in users
        .iter()
        .filter(|u| u.is_active() && scope.covers(&u.username))
    {
        for seat in &user.seats {
            match local.get(&seat.position_id) {
                Some(position_id) => {
                    desired.insert(PositionMember {
                        position_id: *position_id,
                        department_id: seat.department_id.clone(),
                        username: user.username.clone(),
                    });
                }
                None => unknown_positions += 1,
            }
        }
    }
    let in_scope: BTreeSet<&PositionMember> = stored
        .iter()
        .filter(|m| scope.covers(&m.username))
        .collect();
    MemberPlan {
        add: desired
            .iter()
            .filter(|m| !in_scope.contains(m))
            .cloned()
            .collect(),
        remove: in_scope
            .into_iter()
            .filter(|m| !desired.contains(*m))
            .cloned()
            .collect(),
        unknown_positions,
    }
}

#[cfg(test)]
mod tests;
