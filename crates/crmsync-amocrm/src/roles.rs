//! Roles (`/api/v4/roles`): listed with their users, read, added, changed and deleted. A role's `rights` has
//! the shape of a user's ([`crate::account::UserRights`]).

use crmsync_ports::CrmError;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::account::UserRights;
use crate::call::Effect;
use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;
use crate::rest::{IdOnly, Ignored};

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
struct RoleUsers {
    #[serde(default, deserialize_with = "lenient::list")]
    users: Vec<IdOnly>,
}

/// A role.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Role {
    /// Role id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Its rights.
    #[serde(default, deserialize_with = "lenient::object")]
    pub rights: UserRights,
    /// The request id of an add or update answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
    #[serde(default, rename = "_embedded", deserialize_with = "lenient::object")]
    embedded: RoleUsers,
}

impl Role {
    /// The users holding it (when listed `with` users).
    pub fn users(&self) -> Vec<i64> {
        self.embedded.users.iter().map(|u| u.id).collect()
    }
}

/// A role to add or the new values of one; `rights` is sent as given (the documented rights object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleInput {
    /// The role to change (`None` to add).
    pub id: Option<i64>,
    /// Name (required to add).
    pub name: Option<String>,
    /// Rights.
    pub rights: Option<Value>,
    /// Correlation key echoed back on add; the client assigns the index when `None`.
    pub request_id: Option<String>,
}

impl RoleInput {
    fn body(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        if let Some(id) = self.id {
            map.insert("id".into(), json!(id));
        }
        if let Some(name) = &self.name {
            map.insert("name".into(), json!(name));
        }
        if let Some(rights) = &self.rights {
            map.insert("rights".into(), rights.clone());
        }
        map
    }
}

impl AmoCrmClient {
    /// Every role, with the ids of the users holding it.
    pub async fn roles(&self) -> Result<Vec<Role>, CrmError> {
        let mut q = Query::default();
        q.push("with", "users");
        self.list_all("/api/v4/roles", &q, "roles", 250).await
    }

    /// One role, `None` when there is none.
    pub async fn role(&self, id: i64) -> Result<Option<Role>, CrmError> {
        self.get_typed(&format!("/api/v4/roles/{id}?with=users"))
            .await
    }

    /// Adds roles. A create whose outcome is unknown is `Ambiguous`.
    pub async fn add_roles(&self, roles: &[RoleInput]) -> Result<Vec<Role>, CrmError> {
        if let Some(i) = roles
            .iter()
            .position(|r| r.id.is_some() || r.name.as_deref().is_none_or(|n| n.trim().is_empty()))
        {
            return Err(CrmError::InvalidInput {
                field: format!("roles[{i}]"),
                reason: "a new role needs a name and no id".into(),
            });
        }
        let bodies = roles.iter().map(RoleInput::body).collect();
        let rids = roles.iter().map(|r| r.request_id.clone());
        self.create_bodies("/api/v4/roles", "roles", bodies, rids)
            .await
    }

    /// Changes roles (each with its `id`).
    pub async fn update_roles(&self, roles: &[RoleInput]) -> Result<Vec<Role>, CrmError> {
        if let Some(i) = roles.iter().position(|r| r.id.is_none()) {
            return Err(CrmError::InvalidInput {
                field: format!("roles[{i}].id"),
                reason: "an update needs the role's id".into(),
            });
        }
        let items: Vec<Value> = roles.iter().map(|r| Value::Object(r.body())).collect();
        self.update_typed("/api/v4/roles", "roles", &items, |v| {
            v.get("id").map(Value::to_string).unwrap_or_default()
        })
        .await
    }

    /// Changes one role (`PATCH /api/v4/roles/{id}`).
    pub async fn update_role(&self, role: &RoleInput) -> Result<Role, CrmError> {
        let Some(id) = role.id else {
            return Err(CrmError::InvalidInput {
                field: "role.id".into(),
                reason: "an update needs the role's id".into(),
            });
        };
        let mut body = role.body();
        body.remove("id");
        let path = format!("/api/v4/roles/{id}");
        self.send_typed(
            Method::PATCH,
            &path,
            Some(&Value::Object(body)),
            Effect::Update,
        )
        .await?
        .ok_or_else(|| CrmError::NotFound {
            detail: format!("PATCH {path}: no such role"),
        })
    }

    /// Deletes a role.
    pub async fn delete_role(&self, id: i64) -> Result<(), CrmError> {
        self.send_typed::<Ignored>(
            Method::DELETE,
            &format!("/api/v4/roles/{id}"),
            None,
            Effect::Update,
        )
        .await
        .map(drop)
    }
}
