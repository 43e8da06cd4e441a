//! `AttributeSource` (the identities' field definitions and users' attribute values on the office platform) and
//! `AttributeStore` (their local copy: a registry of definitions and one JSON attributes value per user).

use std::sync::Arc;

use async_trait::async_trait;
use crmsync_domain::org::{AttributeDef, AttributeKey, StoredAttributes, UserAttributes};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{OrgPage, SourceError, StoreError};

/// The identities of the office platform with their attribute definitions, and users' attribute values.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AttributeSource: Send + Sync {
    /// Every attribute definition of every identity.
    async fn attribute_definitions(&self) -> Result<Vec<AttributeDef>, SourceError>;

    /// Users' identities and attribute values, by change time; with `updated_since` only those changed at or
    /// after it (tombstones included).
    async fn user_attributes(
        &self,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<UserAttributes>, SourceError>;
}

/// A definition in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredAttribute {
    /// The definition as last listed.
    pub definition: AttributeDef,
    /// Whether the platform listed it on the last registration (definitions it stopped listing are kept, not
    /// listed, and no longer used for validation).
    pub listed: bool,
    /// When it was first registered (milliseconds since the Unix epoch).
    pub first_seen: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// How many users carry one attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeUsage {
    /// The identity.
    pub identity: String,
    /// The key.
    pub key: String,
    /// Users of the identity with a value for it.
    pub users: u64,
}

/// Row counts of the attribute tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeCounts {
    /// Users with a stored identity, per identity: `(identity, users)`, by identity.
    pub users_by_identity: Vec<(String, u64)>,
    /// Users carrying each attribute, by identity then key (only attributes some user carries).
    pub usage: Vec<AttributeUsage>,
}

/// The local copy of the attribute registry and users' values.
///
/// Every write runs in one transaction and returns how many rows it changed; a row written again unchanged is
/// not counted, so a replayed batch changes nothing. Writes through [`fenced`](Self::fenced) carry the fence of
/// the `officeflow:sync` lease: an older fence writing after a newer one is refused with [`StoreError::Fenced`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AttributeStore: Send + Sync {
    /// The same tables, with every write carrying `fence`.
    fn fenced(&self, fence: u64) -> Arc<dyn AttributeStore>;

    /// Every registered definition, by identity then key.
    async fn registry(&self) -> Result<Vec<RegisteredAttribute>, StoreError>;

    /// Registers `upsert` (new definitions first seen at `at`; changed or re-listed ones updated at `at`) and
    /// marks `unlist` as no longer listed.
    async fn write_definitions(
        &self,
        upsert: &[AttributeDef],
        unlist: &[AttributeKey],
        at: i64,
    ) -> Result<u64, StoreError>;

    /// The stored values of the users among `usernames`, by username.
    async fn user_attributes(
        &self,
        usernames: &[String],
    ) -> Result<Vec<StoredAttributes>, StoreError>;

    /// Every username with stored values, sorted.
    async fn attribute_users(&self) -> Result<Vec<String>, StoreError>;

    /// Inserts or replaces `upsert` and deletes the users `remove`.
    async fn write_user_attributes(
        &self,
        upsert: &[StoredAttributes],
        remove: &[String],
    ) -> Result<u64, StoreError>;

    /// Users of `identity` (any identity when `None`) whose attribute `key` equals `value`, sorted, at most
    /// `limit`.
    async fn users_with_attribute(
        &self,
        identity: Option<String>,
        key: &str,
        value: &Value,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;

    /// Users per identity and per attribute.
    async fn attribute_counts(&self) -> Result<AttributeCounts, StoreError>;
}
