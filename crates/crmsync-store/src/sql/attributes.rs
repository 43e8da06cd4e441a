//! `AttributeStore` on a SQL database: `officeflow_attribute_defs` (the registry) and
//! `officeflow_user_attributes` (one JSON object of values per user; JSONB with a GIN index on PostgreSQL, JSON
//! text on SQLite).
//!
//! As in the flow store, a batch travels as one JSON array parameter the backend unpacks, and upserts change
//! only rows that differ, so a replayed batch counts no row. No statement here changes the schema.

use std::sync::Arc;

use async_trait::async_trait;
use crmsync_domain::org::{
    AttributeDef, AttributeKey, AttributeKind, MAX_ATTRIBUTE_KEY_LEN, StoredAttributes,
};
use crmsync_ports::{
    AttributeCounts, AttributeStore, AttributeUsage, RegisteredAttribute, StoreError,
};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::Pool;

use super::fence::Fence;
use super::{Decodes, Dialect, Stmt, begin_write, commit, connection};

/// A registry row as read: identity, key, label, kind, enum_values (JSON text), required, listed, first_seen,
/// updated_at.
pub type DefRow = (String, String, String, String, String, bool, bool, i64, i64);

/// A user row as read: username, identity, attributes (JSON text).
pub type UserRow = (String, String, String);

/// Users carrying one attribute: identity, key, users.
pub type UsageRow = (String, String, i64);

/// Users of one identity: identity, users.
pub type IdentityRow = (String, i64);

/// The statements of the attribute store. `$1` of the upserts is a JSON array of row objects with the column
/// names as keys; `$1` of the `…_IN` statements is a JSON array of usernames.
pub trait AttributeSql:
    Dialect
    + Decodes<DefRow>
    + Decodes<UserRow>
    + Decodes<UsageRow>
    + Decodes<IdentityRow>
    + Decodes<(String,)>
{
    /// Registers the definitions of `$1` (listed), first seen and updated at `$2`; a row that exists is updated
    /// (at `$2`) only when it differs.
    const UPSERT_DEFINITIONS: &'static str;
    /// Marks the listed definitions `{identity, key}` of `$1` not listed, updated at `$2`.
    const UNLIST_DEFINITIONS: &'static str;
    /// Every definition, by identity and key.
    const REGISTRY: &'static str;
    /// The user rows whose username is in `$1`, by username.
    const USERS_IN: &'static str;
    /// Inserts the user rows of `$1`, or updates those that differ.
    const UPSERT_USERS: &'static str;
    /// Deletes the user rows whose username is in `$1`.
    const DELETE_USERS_IN: &'static str;
    /// Usernames whose attribute `$1` equals the JSON scalar `$2`, of identity `$3` unless it is NULL, by
    /// username, at most `$4`.
    const USERS_WITH: &'static str;
    /// Users carrying each attribute, by identity and key.
    const USAGE: &'static str;
    /// Every username, sorted.
    const ALL_USERS: &'static str =
        "SELECT username FROM officeflow_user_attributes ORDER BY username";
    /// Users per identity.
    const BY_IDENTITY: &'static str = "SELECT identity, COUNT(*) FROM officeflow_user_attributes \
         GROUP BY identity ORDER BY identity";
}

/// [`AttributeStore`] on the attribute tables of `DB`.
#[derive(Debug, Clone)]
pub struct SqlAttributeStore<DB: sqlx::Database> {
    pool: Pool<DB>,
    fence: Option<Fence>,
}

impl<DB: sqlx::Database> SqlAttributeStore<DB> {
    /// The attribute tables on `pool` (opened and migrated by this crate); writes carry no fence.
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool, fence: None }
    }
}

#[derive(Serialize)]
struct DefOut<'a> {
    identity: &'a str,
    key: &'a str,
    label: &'a str,
    kind: &'static str,
    enum_values: &'a [String],
    required: bool,
}

#[derive(Serialize)]
struct KeyOut<'a> {
    identity: &'a str,
    key: &'a str,
}

#[derive(Serialize)]
struct UserOut<'a> {
    username: &'a str,
    identity: &'a str,
    attributes: Map<String, Value>,
}

fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        reason: reason.to_string(),
    }
}

fn json_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid {
        field: "attribute batch",
        reason: e.to_string(),
    })
}

fn def_from_row(row: DefRow) -> Result<RegisteredAttribute, StoreError> {
    let (identity, key, label, kind, values, required, listed, first_seen, updated_at) = row;
    let what = "officeflow_attribute_defs row";
    let values: Vec<String> = serde_json::from_str(&values).map_err(|e| corrupt(what, e))?;
    Ok(RegisteredAttribute {
        definition: AttributeDef {
            identity,
            key,
            label,
            kind: AttributeKind::from_parts(&kind, values).map_err(|e| corrupt(what, e))?,
            required,
        },
        listed,
        first_seen,
        updated_at,
    })
}

fn user_from_row(row: UserRow) -> Result<StoredAttributes, StoreError> {
    let (username, identity, attributes) = row;
    let what = "officeflow_user_attributes row";
    match serde_json::from_str(&attributes).map_err(|e| corrupt(what, e))? {
        Value::Object(attributes) => Ok(StoredAttributes {
            username,
            identity,
            attributes,
        }),
        _ => Err(corrupt(what, "attributes is not a JSON object")),
    }
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| crate::error::out_of_range("attribute count", value))
}

/// Checks the key and value of an attribute query (the key is spliced into a JSON path on SQLite).
pub(crate) fn check_query(key: &str, value: &Value) -> Result<(), StoreError> {
    let key_ok = !key.is_empty()
        && key.len() <= MAX_ATTRIBUTE_KEY_LEN
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !key_ok {
        return Err(StoreError::Invalid {
            field: "attribute key",
            reason: "must be ASCII letters, digits, `_` or `-`".into(),
        });
    }
    if matches!(value, Value::Null | Value::Array(_) | Value::Object(_)) {
        return Err(StoreError::Invalid {
            field: "attribute value",
            reason: "must be a string, number or boolean".into(),
        });
    }
    Ok(())
}

/// The batch of user rows, one per username (the last given wins), with `null` values dropped.
fn user_rows(upsert: &[StoredAttributes]) -> Vec<UserOut<'_>> {
    let mut rows: std::collections::BTreeMap<&str, UserOut<'_>> = std::collections::BTreeMap::new();
    for user in upsert {
        rows.insert(
            &user.username,
            UserOut {
                username: &user.username,
                identity: &user.identity,
                attributes: StoredAttributes::without_nulls(&user.attributes),
            },
        );
    }
    rows.into_values().collect()
}

impl<DB: AttributeSql> SqlAttributeStore<DB> {
    async fn write(
        &self,
        statements: Vec<(&'static str, String, Option<i64>)>,
    ) -> Result<u64, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        if let Some(fence) = &self.fence {
            fence.check::<DB>(&mut tx).await?;
        }
        let mut changed = 0;
        for (sql, batch, at) in statements {
            let mut stmt = Stmt::<DB>::new(sql).bind(batch);
            if let Some(at) = at {
                stmt = stmt.bind(at);
            }
            changed += stmt.execute(&mut *tx).await?;
        }
        commit(tx).await?;
        Ok(changed)
    }
}

#[async_trait]
impl<DB: AttributeSql> AttributeStore for SqlAttributeStore<DB> {
    fn fenced(&self, fence: u64) -> Arc<dyn AttributeStore> {
        Arc::new(Self {
            pool: self.pool.clone(),
            fence: Some(Fence {
                scope: crate::org::FENCE_SCOPE,
                fence,
            }),
        })
    }

    async fn registry(&self) -> Result<Vec<RegisteredAttribute>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<DefRow> = Stmt::<DB>::new(DB::REGISTRY).fetch_all(&mut *conn).await?;
        rows.into_iter().map(def_from_row).collect()
    }

    async fn write_definitions(
        &self,
        upsert: &[AttributeDef],
        unlist: &[AttributeKey],
        at: i64,
    ) -> Result<u64, StoreError> {
        let mut statements = Vec::new();
        if !upsert.is_empty() {
            let rows: Vec<DefOut<'_>> = upsert
                .iter()
                .map(|d| DefOut {
                    identity: &d.identity,
                    key: &d.key,
                    label: &d.label,
                    kind: d.kind.as_str(),
                    enum_values: d.kind.values(),
                    required: d.required,
                })
                .collect();
            statements.push((DB::UPSERT_DEFINITIONS, json_text(&rows)?, Some(at)));
        }
        if !unlist.is_empty() {
            let rows: Vec<KeyOut<'_>> = unlist
                .iter()
                .map(|(identity, key)| KeyOut { identity, key })
                .collect();
            statements.push((DB::UNLIST_DEFINITIONS, json_text(&rows)?, Some(at)));
        }
        if statements.is_empty() {
            return Ok(0);
        }
        self.write(statements).await
    }

    async fn user_attributes(
        &self,
        usernames: &[String],
    ) -> Result<Vec<StoredAttributes>, StoreError> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<UserRow> = Stmt::<DB>::new(DB::USERS_IN)
            .bind(json_text(&usernames)?)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(user_from_row).collect()
    }

    async fn attribute_users(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<(String,)> = Stmt::<DB>::new(DB::ALL_USERS).fetch_all(&mut *conn).await?;
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    async fn write_user_attributes(
        &self,
        upsert: &[StoredAttributes],
        remove: &[String],
    ) -> Result<u64, StoreError> {
        let mut statements = Vec::new();
        if !remove.is_empty() {
            statements.push((DB::DELETE_USERS_IN, json_text(&remove)?, None));
        }
        if !upsert.is_empty() {
            statements.push((DB::UPSERT_USERS, json_text(&user_rows(upsert))?, None));
        }
        if statements.is_empty() {
            return Ok(0);
        }
        self.write(statements).await
    }

    async fn users_with_attribute(
        &self,
        identity: Option<String>,
        key: &str,
        value: &Value,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        check_query(key, value)?;
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<(String,)> = Stmt::<DB>::new(DB::USERS_WITH)
            .bind(key.to_owned())
            .bind(json_text(value)?)
            .bind(identity)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    async fn attribute_counts(&self) -> Result<AttributeCounts, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let identities: Vec<IdentityRow> = Stmt::<DB>::new(DB::BY_IDENTITY)
            .fetch_all(&mut *conn)
            .await?;
        let usage: Vec<UsageRow> = Stmt::<DB>::new(DB::USAGE).fetch_all(&mut *conn).await?;
        Ok(AttributeCounts {
            users_by_identity: identities
                .into_iter()
                .map(|(identity, users)| Ok((identity, count(users)?)))
                .collect::<Result<_, StoreError>>()?,
            usage: usage
                .into_iter()
                .map(|(identity, key, users)| {
                    Ok(AttributeUsage {
                        identity,
                        key,
                        users: count(users)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
        })
    }
}
