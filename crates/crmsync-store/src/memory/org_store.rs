//! The organisation's local copy in memory: the reference behaviour for tests and the `memory:` backend.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::Utc;
use crmsync_domain::org::{
    Department, Position, PositionEvent, PositionEventKind, PositionMember, Tag, TagGroup,
    TagMember, UserOpenId,
};
use crmsync_ports::{OrgCounts, OrgStore, PositionChanges, PositionsWritten, StoreError};

use super::{FencedState, fenced_write, lock};

#[derive(Debug, Clone)]
struct StoredPosition {
    name: String,
    enabled: bool,
}

#[derive(Debug, Default)]
struct State {
    departments: BTreeMap<String, Department>,
    positions: BTreeMap<i64, StoredPosition>,
    next_position: i64,
    /// remote id → (local id, mapping order).
    remote_ids: BTreeMap<String, (i64, u64)>,
    next_mapping: u64,
    history: Vec<PositionEvent>,
    position_members: BTreeSet<PositionMember>,
    tag_groups: BTreeMap<String, TagGroup>,
    tags: BTreeMap<String, Tag>,
    tag_members: BTreeSet<TagMember>,
    /// (platform, openid) → username.
    openids: BTreeMap<(String, String), String>,
    conflict_claims: BTreeSet<UserOpenId>,
    marks: BTreeMap<String, i64>,
    /// The newest fence that has written.
    newest_fence: u64,
}

impl FencedState for State {
    fn newest_fence(&mut self) -> &mut u64 {
        &mut self.newest_fence
    }
}

impl State {
    fn event(&mut self, position_id: i64, remote_id: Option<&str>, kind: PositionEventKind) -> u64 {
        let name = self
            .positions
            .get(&position_id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        self.history.push(PositionEvent {
            position_id,
            remote_id: remote_id.map(str::to_owned),
            kind,
            name,
            at: Utc::now(),
        });
        1
    }

    fn map_remote(&mut self, remote_id: &str, position_id: i64) -> u64 {
        if self
            .remote_ids
            .get(remote_id)
            .is_some_and(|(current, _)| *current == position_id)
        {
            return 0;
        }
        self.next_mapping += 1;
        self.remote_ids
            .insert(remote_id.to_owned(), (position_id, self.next_mapping));
        1
    }
}

fn unknown_position(id: i64) -> StoreError {
    StoreError::Invalid {
        field: "position_id",
        reason: format!("no local position {id}"),
    }
}

/// [`OrgStore`] in memory; clones share the data.
#[derive(Debug, Clone, Default)]
pub struct MemoryOrgStore {
    state: Arc<Mutex<State>>,
    fence: Option<u64>,
}

impl MemoryOrgStore {
    /// An empty organisation.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state for a write, its fence checked and recorded first.
    fn write(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        fenced_write(&self.state, self.fence)
    }
}

fn replace_if_changed<K: Ord + Clone, V: PartialEq + Clone>(
    map: &mut BTreeMap<K, V>,
    key: &K,
    value: &V,
) -> u64 {
    if map.get(key) == Some(value) {
        0
    } else {
        map.insert(key.clone(), value.clone());
        1
    }
}

#[async_trait]
impl OrgStore for MemoryOrgStore {
    fn fenced(&self, fence: u64) -> Arc<dyn OrgStore> {
        Arc::new(Self {
            state: self.state.clone(),
            fence: Some(fence),
        })
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        Ok(lock(&self.state).departments.values().cloned().collect())
    }

    async fn write_departments(
        &self,
        upsert: &[Department],
        remove: &[String],
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        let mut changed = 0;
        for department in upsert {
            changed += replace_if_changed(&mut state.departments, &department.id, department);
        }
        for id in remove {
            changed += u64::from(state.departments.remove(id).is_some());
        }
        Ok(changed)
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        let state = lock(&self.state);
        let mut remote: BTreeMap<i64, Vec<(u64, String)>> = BTreeMap::new();
        for (remote_id, (position_id, order)) in &state.remote_ids {
            remote
                .entry(*position_id)
                .or_default()
                .push((*order, remote_id.clone()));
        }
        Ok(state
            .positions
            .iter()
            .map(|(id, stored)| {
                let mut ids = remote.remove(id).unwrap_or_default();
                ids.sort();
                Position {
                    id: *id,
                    name: stored.name.clone(),
                    enabled: stored.enabled,
                    remote_ids: ids.into_iter().map(|(_, remote_id)| remote_id).collect(),
                }
            })
            .collect())
    }

    async fn write_positions(
        &self,
        changes: &PositionChanges,
    ) -> Result<PositionsWritten, StoreError> {
        let mut state = self.write()?;
        for id in changes
            .remap
            .iter()
            .map(|r| r.position_id)
            .chain(changes.rename.iter().map(|r| r.position_id))
            .chain(changes.enable.iter().copied())
            .chain(changes.disable.iter().copied())
        {
            if !state.positions.contains_key(&id) {
                return Err(unknown_position(id));
            }
        }
        let mut written = PositionsWritten::default();
        for new in &changes.add {
            state.next_position += 1;
            let id = state.next_position;
            state.positions.insert(
                id,
                StoredPosition {
                    name: new.name.clone(),
                    enabled: true,
                },
            );
            written.rows += 1 + state.map_remote(&new.id, id);
            written.rows += state.event(id, Some(&new.id), PositionEventKind::Added);
            written.added.push((new.id.clone(), id));
        }
        for remap in &changes.remap {
            if state.map_remote(&remap.remote_id, remap.position_id) > 0 {
                written.rows += 1 + state.event(
                    remap.position_id,
                    Some(&remap.remote_id),
                    PositionEventKind::Remapped,
                );
            }
        }
        for rename in &changes.rename {
            if let Some(stored) = state.positions.get_mut(&rename.position_id)
                && stored.name != rename.name
            {
                stored.name.clone_from(&rename.name);
                written.rows +=
                    1 + state.event(rename.position_id, None, PositionEventKind::Renamed);
            }
        }
        for (ids, enabled, kind) in [
            (&changes.enable, true, PositionEventKind::Enabled),
            (&changes.disable, false, PositionEventKind::Disabled),
        ] {
            for id in ids {
                if let Some(stored) = state.positions.get_mut(id)
                    && stored.enabled != enabled
                {
                    stored.enabled = enabled;
                    written.rows += 1 + state.event(*id, None, kind);
                }
            }
        }
        Ok(written)
    }

    async fn position_history(&self, position_id: i64) -> Result<Vec<PositionEvent>, StoreError> {
        Ok(lock(&self.state)
            .history
            .iter()
            .filter(|event| event.position_id == position_id)
            .cloned()
            .collect())
    }

    async fn position_members(&self) -> Result<Vec<PositionMember>, StoreError> {
        Ok(lock(&self.state).position_members.iter().cloned().collect())
    }

    async fn write_position_members(
        &self,
        add: &[PositionMember],
        remove: &[PositionMember],
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        if let Some(missing) = add
            .iter()
            .find(|m| !state.positions.contains_key(&m.position_id))
        {
            return Err(unknown_position(missing.position_id));
        }
        let mut changed = 0;
        for member in remove {
            changed += u64::from(state.position_members.remove(member));
        }
        for member in add {
            changed += u64::from(state.position_members.insert(member.clone()));
        }
        Ok(changed)
    }

    async fn tag_groups(&self) -> Result<Vec<TagGroup>, StoreError> {
        Ok(lock(&self.state).tag_groups.values().cloned().collect())
    }

    async fn write_tag_groups(
        &self,
        upsert: &[TagGroup],
        remove: &[String],
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        let mut changed = 0;
        for group in upsert {
            changed += replace_if_changed(&mut state.tag_groups, &group.id, group);
        }
        for id in remove {
            changed += u64::from(state.tag_groups.remove(id).is_some());
        }
        Ok(changed)
    }

    async fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        Ok(lock(&self.state).tags.values().cloned().collect())
    }

    async fn write_tags(&self, upsert: &[Tag], remove: &[String]) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        let mut changed = 0;
        for id in remove {
            if state.tags.remove(id).is_some() {
                changed += 1;
                let before = state.tag_members.len();
                state.tag_members.retain(|m| &m.tag_id != id);
                changed += (before - state.tag_members.len()) as u64;
            }
        }
        for tag in upsert {
            changed += replace_if_changed(&mut state.tags, &tag.id, tag);
        }
        Ok(changed)
    }

    async fn tag_members(&self) -> Result<Vec<TagMember>, StoreError> {
        Ok(lock(&self.state).tag_members.iter().cloned().collect())
    }

    async fn write_tag_members(
        &self,
        add: &[TagMember],
        remove: &[TagMember],
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        if let Some(missing) = add.iter().find(|m| !state.tags.contains_key(&m.tag_id)) {
            return Err(StoreError::Invalid {
                field: "tag_id",
                reason: format!("no tag {:?}", missing.tag_id),
            });
        }
        let mut changed = 0;
        for member in remove {
            changed += u64::from(state.tag_members.remove(member));
        }
        for member in add {
            changed += u64::from(state.tag_members.insert(member.clone()));
        }
        Ok(changed)
    }

    async fn user_openids(&self, platform: &str) -> Result<Vec<UserOpenId>, StoreError> {
        Ok(lock(&self.state)
            .openids
            .range((platform.to_owned(), String::new())..)
            .take_while(|((p, _), _)| p == platform)
            .map(|((platform, openid), username)| UserOpenId {
                platform: platform.clone(),
                openid: openid.clone(),
                username: username.clone(),
            })
            .collect())
    }

    async fn write_user_openids(
        &self,
        add: &[UserOpenId],
        remove: &[UserOpenId],
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        let mut changed = 0;
        for binding in remove {
            let key = (binding.platform.clone(), binding.openid.clone());
            if state.openids.get(&key) == Some(&binding.username) {
                state.openids.remove(&key);
                changed += 1;
            }
        }
        for binding in add {
            let key = (binding.platform.clone(), binding.openid.clone());
            if let std::collections::btree_map::Entry::Vacant(slot) = state.openids.entry(key) {
                slot.insert(binding.username.clone());
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn openid_conflict_claims(&self, platform: &str) -> Result<Vec<UserOpenId>, StoreError> {
        Ok(lock(&self.state)
            .conflict_claims
            .iter()
            .filter(|c| c.platform == platform)
            .cloned()
            .collect())
    }

    async fn write_openid_conflict_claims(
        &self,
        add: &[UserOpenId],
        remove: &[UserOpenId],
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        let mut changed = 0;
        for claim in remove {
            changed += u64::from(state.conflict_claims.remove(claim));
        }
        for claim in add {
            changed += u64::from(state.conflict_claims.insert(claim.clone()));
        }
        Ok(changed)
    }

    async fn sync_mark(&self, key: &str) -> Result<Option<i64>, StoreError> {
        Ok(lock(&self.state).marks.get(key).copied())
    }

    async fn set_sync_mark(&self, key: &str, value: i64) -> Result<(), StoreError> {
        self.write()?.marks.insert(key.to_owned(), value);
        Ok(())
    }

    async fn counts(&self) -> Result<OrgCounts, StoreError> {
        let state = lock(&self.state);
        let len = |n: usize| n as u64;
        Ok(OrgCounts {
            departments: len(state.departments.len()),
            positions: len(state.positions.len()),
            positions_enabled: len(state.positions.values().filter(|p| p.enabled).count()),
            position_members: len(state.position_members.len()),
            tag_groups: len(state.tag_groups.len()),
            tags: len(state.tags.len()),
            tag_members: len(state.tag_members.len()),
            user_openids: len(state.openids.len()),
            openid_conflict_claims: len(state.conflict_claims.len()),
        })
    }
}
