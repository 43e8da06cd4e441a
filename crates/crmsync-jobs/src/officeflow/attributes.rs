//! Attributes: the identities' attribute definitions and users' values, into a registry and one JSON value per
//! user (the seed altered the user table per identity field at run time; here a new field is a registry row).
//!
//! A run reads the definitions and registers what is new or changed (a definition the platform stops listing
//! is kept, marked not listed), then reads users (changed since the watermark; everyone when the listed
//! definitions changed since the last run) and validates each user's values against the listed definitions.
//! Valid values replace the stored ones when they differ; a user with an invalid value is reported with every
//! reason and keeps what was stored. Users who left, or who carry no identity any more, lose their row.

mod run;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crmsync_domain::org::{
    AttributeDef, AttributeError, AttributeIssue, AttributeKey, AttributeRegistry, OrgRecordError,
    StoredAttributes, UserAttributes, UserStatus,
};
use crmsync_ports::{AttributeStore, RegisteredAttribute, StoreError};
use serde::Serialize;

pub use run::{AttributeDeps, MARK_ATTRIBUTES_REGISTRY, MARK_USERS_ATTRIBUTES};

/// What registering the listed definitions changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefinitionPlan {
    /// Definitions seen for the first time.
    pub added: Vec<AttributeDef>,
    /// Definitions whose label, kind, values or requiredness changed, or that are listed again.
    pub updated: Vec<AttributeDef>,
    /// Registered definitions the platform no longer lists.
    pub unlisted: Vec<AttributeKey>,
    /// The listed (valid) definitions: what users are validated against.
    pub registry: AttributeRegistry,
    /// Definitions skipped because a field is unacceptable.
    pub rejected: Vec<OrgRecordError>,
}

impl DefinitionPlan {
    /// Definitions to write (added and updated).
    pub fn upsert(&self) -> Vec<AttributeDef> {
        self.added.iter().chain(&self.updated).cloned().collect()
    }
}

/// Compares the listed definitions with the registry.
pub fn plan_definitions(
    listed: Vec<AttributeDef>,
    stored: &[RegisteredAttribute],
) -> DefinitionPlan {
    let mut plan = DefinitionPlan::default();
    let mut valid = Vec::with_capacity(listed.len());
    for definition in listed {
        match definition.validate() {
            Ok(()) => valid.push(definition),
            Err(error) => plan.rejected.push(error),
        }
    }
    plan.registry = AttributeRegistry::new(valid);
    let known: HashMap<(&str, &str), &RegisteredAttribute> = stored
        .iter()
        .map(|r| {
            (
                (r.definition.identity.as_str(), r.definition.key.as_str()),
                r,
            )
        })
        .collect();
    for definition in plan.registry.definitions() {
        match known.get(&(definition.identity.as_str(), definition.key.as_str())) {
            None => plan.added.push(definition.clone()),
            Some(r) if r.definition != *definition || !r.listed => {
                plan.updated.push(definition.clone());
            }
            Some(_) => {}
        }
    }
    for r in stored.iter().filter(|r| r.listed) {
        if plan
            .registry
            .get(&r.definition.identity, &r.definition.key)
            .is_none()
        {
            plan.unlisted
                .push((r.definition.identity.clone(), r.definition.key.clone()));
        }
    }
    plan
}

/// Fingerprint of the listed definitions: a run reads every user again when it differs from the last run's.
pub fn registry_fingerprint(registry: &AttributeRegistry) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for definition in registry.definitions() {
        let text = serde_json::to_string(definition).unwrap_or_default();
        for byte in text.as_bytes().iter().chain(&[0]) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// A user whose values are not stored, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidUser {
    /// The user.
    pub username: String,
    /// What is wrong, in key order.
    pub errors: Vec<AttributeError>,
}

impl std::fmt::Display for InvalidUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "user {:?}: ", self.username)?;
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// What the users' listing changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPlan {
    /// Users whose row is added or replaced (valid values that differ from the stored ones).
    pub upsert: Vec<StoredAttributes>,
    /// Users whose row is removed (left the platform, no identity any more, or not listed in a full run).
    pub remove: Vec<String>,
    /// Users listed with values equal to the stored ones.
    pub unchanged: u64,
    /// Users with invalid values: reported, their stored row kept.
    pub invalid: Vec<InvalidUser>,
    /// Invalid values by reason (`not_in_enum`, ...).
    pub reasons: BTreeMap<&'static str, u64>,
    /// Records skipped because an identifier is unacceptable.
    pub rejected: Vec<OrgRecordError>,
    /// Users listed more than once (the latest change kept).
    pub duplicates: u64,
}

/// Plans the users of a listing against `stored` (the stored rows of the listed users, plus, in a full run,
/// every stored username in `everyone_stored` so users no longer listed are removed).
pub fn plan_users(
    listed: Vec<UserAttributes>,
    registry: &AttributeRegistry,
    stored: &[StoredAttributes],
    everyone_stored: Option<&[String]>,
) -> UserPlan {
    let mut plan = UserPlan::default();
    let mut latest: BTreeMap<String, UserAttributes> = BTreeMap::new();
    for user in listed {
        if let Some(known) = latest.get(&user.username) {
            plan.duplicates += 1;
            if known.updated_at > user.updated_at {
                continue;
            }
        }
        latest.insert(user.username.clone(), user);
    }
    let stored: HashMap<&str, &StoredAttributes> =
        stored.iter().map(|s| (s.username.as_str(), s)).collect();
    let mut keep: BTreeSet<&str> = BTreeSet::new();
    for user in latest.values() {
        if let Err(error) = user.validate() {
            plan.rejected.push(error);
            keep.insert(&user.username);
            continue;
        }
        let known = stored.get(user.username.as_str()).copied();
        let values = StoredAttributes::without_nulls(&user.attributes);
        let identity = match (&user.status, &user.identity) {
            (UserStatus::Deleted, _) => None,
            (_, None) if values.is_empty() => None,
            (_, None) => {
                let error = AttributeError {
                    identity: String::new(),
                    key: String::new(),
                    issue: AttributeIssue::UnknownIdentity,
                };
                plan.invalid(&user.username, vec![error]);
                keep.insert(&user.username);
                continue;
            }
            (_, Some(identity)) => Some(identity),
        };
        let Some(identity) = identity else {
            if known.is_some() {
                plan.remove.push(user.username.clone());
            }
            continue;
        };
        keep.insert(&user.username);
        if let Err(errors) = registry.validate(identity, &values) {
            plan.invalid(&user.username, errors);
            continue;
        }
        let row = StoredAttributes {
            username: user.username.clone(),
            identity: identity.clone(),
            attributes: values,
        };
        if known == Some(&row) {
            plan.unchanged += 1;
        } else {
            plan.upsert.push(row);
        }
    }
    if let Some(everyone) = everyone_stored {
        for name in everyone {
            if !latest.contains_key(name) && !keep.contains(name.as_str()) {
                plan.remove.push(name.clone());
            }
        }
    }
    plan.remove.sort();
    plan.remove.dedup();
    plan
}

impl UserPlan {
    fn invalid(&mut self, username: &str, errors: Vec<AttributeError>) {
        for error in &errors {
            *self.reasons.entry(error.issue.code()).or_default() += 1;
        }
        self.invalid.push(InvalidUser {
            username: username.to_owned(),
            errors,
        });
    }
}

/// One attribute in `stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeStat {
    /// Its key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// `text`, `number`, `bool`, `date` or `enum`.
    pub kind: &'static str,
    /// The values of an enum.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Whether every user of the identity must have it.
    pub required: bool,
    /// Whether the platform still lists it.
    pub listed: bool,
    /// Users carrying a value.
    pub users: u64,
}

/// One identity in `stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityStat {
    /// The identity.
    pub identity: String,
    /// Users stored with it.
    pub users: u64,
    /// Its registered attributes, by key.
    pub attributes: Vec<AttributeStat>,
}

fn identity_stat<'a>(
    identities: &'a mut BTreeMap<String, IdentityStat>,
    identity: &str,
) -> &'a mut IdentityStat {
    identities
        .entry(identity.to_owned())
        .or_insert_with(|| IdentityStat {
            identity: identity.to_owned(),
            users: 0,
            attributes: Vec::new(),
        })
}

/// The registry per identity, with how many users carry each attribute.
pub async fn attribute_stats(store: &dyn AttributeStore) -> Result<Vec<IdentityStat>, StoreError> {
    let registry = store.registry().await?;
    let counts = store.attribute_counts().await?;
    let mut identities: BTreeMap<String, IdentityStat> = BTreeMap::new();
    for (identity, users) in &counts.users_by_identity {
        identity_stat(&mut identities, identity).users = *users;
    }
    let usage: HashMap<(&str, &str), u64> = counts
        .usage
        .iter()
        .map(|u| ((u.identity.as_str(), u.key.as_str()), u.users))
        .collect();
    for r in registry {
        let d = r.definition;
        let users = usage
            .get(&(d.identity.as_str(), d.key.as_str()))
            .copied()
            .unwrap_or(0);
        identity_stat(&mut identities, &d.identity)
            .attributes
            .push(AttributeStat {
                key: d.key,
                label: d.label,
                kind: d.kind.as_str(),
                values: d.kind.values().to_vec(),
                required: d.required,
                listed: r.listed,
                users,
            });
    }
    Ok(identities.into_values().collect())
}

#[cfg(test)]
mod tests;
