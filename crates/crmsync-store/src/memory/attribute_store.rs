//! The identity attribute registry and users' values in memory: the reference behaviour for tests and `memory:`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use crmsync_domain::org::{AttributeDef, AttributeKey, StoredAttributes};
use crmsync_ports::{
    AttributeCounts, AttributeStore, AttributeUsage, RegisteredAttribute, StoreError,
};
use serde_json::Value;

use super::{FencedState, fenced_write, lock};
use crate::sql::attributes::check_query;

#[derive(Debug, Default)]
struct State {
    registry: BTreeMap<AttributeKey, RegisteredAttribute>,
    users: BTreeMap<String, StoredAttributes>,
    /// The newest fence that has written.
    newest_fence: u64,
}

impl FencedState for State {
    fn newest_fence(&mut self) -> &mut u64 {
        &mut self.newest_fence
    }
}

/// [`AttributeStore`] in memory; clones share state.
#[derive(Debug, Clone, Default)]
pub struct MemoryAttributeStore {
    state: Arc<Mutex<State>>,
    fence: Option<u64>,
}

impl MemoryAttributeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state for a write, its fence checked and recorded first.
    fn write(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        fenced_write(&self.state, self.fence)
    }
}

fn key_of(definition: &AttributeDef) -> AttributeKey {
    (definition.identity.clone(), definition.key.clone())
}

/// Whether two JSON scalars are equal as the SQL stores compare them (numbers by value).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[async_trait]
impl AttributeStore for MemoryAttributeStore {
    fn fenced(&self, fence: u64) -> Arc<dyn AttributeStore> {
        Arc::new(Self {
            state: self.state.clone(),
            fence: Some(fence),
        })
    }

    async fn registry(&self) -> Result<Vec<RegisteredAttribute>, StoreError> {
        Ok(lock(&self.state).registry.values().cloned().collect())
    }

    async fn write_definitions(
        &self,
        upsert: &[AttributeDef],
        unlist: &[AttributeKey],
        at: i64,
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        let mut changed = 0;
        for definition in upsert {
            match state.registry.get_mut(&key_of(definition)) {
                Some(known) if known.definition == *definition && known.listed => {}
                Some(known) => {
                    known.definition = definition.clone();
                    known.listed = true;
                    known.updated_at = at;
                    changed += 1;
                }
                None => {
                    state.registry.insert(
                        key_of(definition),
                        RegisteredAttribute {
                            definition: definition.clone(),
                            listed: true,
                            first_seen: at,
                            updated_at: at,
                        },
                    );
                    changed += 1;
                }
            }
        }
        for key in unlist {
            if let Some(known) = state.registry.get_mut(key).filter(|k| k.listed) {
                known.listed = false;
                known.updated_at = at;
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn user_attributes(
        &self,
        usernames: &[String],
    ) -> Result<Vec<StoredAttributes>, StoreError> {
        let state = lock(&self.state);
        let mut found: Vec<StoredAttributes> = usernames
            .iter()
            .filter_map(|name| state.users.get(name).cloned())
            .collect();
        found.sort_by(|a, b| a.username.cmp(&b.username));
        found.dedup_by(|a, b| a.username == b.username);
        Ok(found)
    }

    async fn attribute_users(&self) -> Result<Vec<String>, StoreError> {
        Ok(lock(&self.state).users.keys().cloned().collect())
    }

    async fn write_user_attributes(
        &self,
        upsert: &[StoredAttributes],
        remove: &[String],
    ) -> Result<u64, StoreError> {
        let mut state = self.write()?;
        let mut changed = 0;
        for name in remove {
            if state.users.remove(name).is_some() {
                changed += 1;
            }
        }
        let mut rows: BTreeMap<&str, StoredAttributes> = BTreeMap::new();
        for user in upsert {
            rows.insert(
                &user.username,
                StoredAttributes {
                    attributes: StoredAttributes::without_nulls(&user.attributes),
                    ..user.clone()
                },
            );
        }
        for (name, row) in rows {
            if state.users.get(name) != Some(&row) {
                state.users.insert(name.to_owned(), row);
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn users_with_attribute(
        &self,
        identity: Option<String>,
        key: &str,
        value: &Value,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        check_query(key, value)?;
        let state = lock(&self.state);
        Ok(state
            .users
            .values()
            .filter(|u| identity.as_ref().is_none_or(|i| u.identity == *i))
            .filter(|u| u.attributes.get(key).is_some_and(|v| same_value(v, value)))
            .take(limit as usize)
            .map(|u| u.username.clone())
            .collect())
    }

    async fn attribute_counts(&self) -> Result<AttributeCounts, StoreError> {
        let state = lock(&self.state);
        let mut identities: BTreeMap<&str, u64> = BTreeMap::new();
        let mut usage: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for user in state.users.values() {
            *identities.entry(&user.identity).or_default() += 1;
            for key in user.attributes.keys() {
                *usage.entry((&user.identity, key)).or_default() += 1;
            }
        }
        Ok(AttributeCounts {
            users_by_identity: identities
                .into_iter()
                .map(|(identity, users)| (identity.to_owned(), users))
                .collect(),
            usage: usage
                .into_iter()
                .map(|((identity, key), users)| AttributeUsage {
                    identity: identity.to_owned(),
                    key: key.to_owned(),
                    users,
                })
                .collect(),
        })
    }
}
