//! The account and its users: `GET /api/v4/account` with its `with=` parts, `GET /api/v4/users` (and one user)
//! with the documented rights object, and the loss reasons, as typed structs.

use serde::Deserialize;
use serde_json::Value;

use crate::client::AmoCrmClient;
use crate::decode::{self, DecodedPage};
use crmsync_ports::CrmError;

/// What `with=` may ask `GET /api/v4/account` for.
pub const ACCOUNT_WITH: [&str; 10] = [
    "amojo_id",
    "amojo_rights",
    "uuid",
    "version",
    "users_groups",
    "task_types",
    "datetime_settings",
    "entity_names",
    "drive_url",
    "is_api_filter_enabled",
];

/// The account (`GET /api/v4/account`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Account {
    /// Account id.
    pub id: i64,
    /// Account name.
    #[serde(default)]
    pub name: String,
    /// Subdomain (`example` of `example.amocrm.ru`).
    #[serde(default)]
    pub subdomain: String,
    /// Country code.
    #[serde(default)]
    pub country: Option<String>,
    /// Currency code.
    #[serde(default)]
    pub currency: Option<String>,
    /// The user the token acts as.
    #[serde(default)]
    pub current_user_id: Option<i64>,
    /// `disabled`, `segments`, `dynamic`, `periodicity` or `unavailable`.
    #[serde(default)]
    pub customers_mode: Option<String>,
    /// Whether incoming leads go to "unsorted".
    #[serde(default)]
    pub is_unsorted_on: bool,
    /// Whether loss reasons are on.
    #[serde(default)]
    pub is_loss_reason_enabled: bool,
    /// The chat (amojo) id, with `with=amojo_id`.
    #[serde(default)]
    pub amojo_id: Option<String>,
    /// The account's UUID, with `with=uuid`.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The account's version, with `with=version`.
    #[serde(default)]
    pub version: Option<i64>,
    /// The embedded parts `with=` asked for.
    #[serde(default, rename = "_embedded", deserialize_with = "object_or_empty")]
    pub embedded: AccountEmbedded,
}

/// `_embedded` of the account.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct AccountEmbedded {
    /// Task types, with `with=task_types`.
    #[serde(default)]
    pub task_types: Vec<TaskType>,
    /// User groups, with `with=users_groups`.
    #[serde(default)]
    pub users_groups: Vec<UsersGroup>,
    /// Date and time settings, with `with=datetime_settings`.
    #[serde(default)]
    pub datetime_settings: Option<DatetimeSettings>,
    /// Chat rights, with `with=amojo_rights`.
    #[serde(default)]
    pub amojo_rights: Option<Value>,
    /// Entity names by language, with `with=entity_names`.
    #[serde(default)]
    pub entity_names: Option<Value>,
}

/// A task type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TaskType {
    /// Id (1 follow-up, 2 meeting, then custom ones).
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// `FOLLOW_UP`, `MEETING` or none for custom types.
    #[serde(default)]
    pub code: Option<String>,
}

/// A group of users.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UsersGroup {
    /// Id (0 is the default group).
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// The account's date and time settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DatetimeSettings {
    /// IANA time zone (`Europe/Moscow`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Offset (`+03:00`).
    #[serde(default)]
    pub timezone_offset: Option<String>,
    /// PHP date pattern of date and time (`d.m.Y H:i`).
    #[serde(default)]
    pub date_pattern: Option<String>,
}

/// A user (`GET /api/v4/users`).
#[derive(Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// User id.
    pub id: i64,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Login e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Interface language.
    #[serde(default)]
    pub lang: Option<String>,
    /// Rights.
    #[serde(default)]
    pub rights: UserRights,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("rights", &self.rights)
            .finish_non_exhaustive()
    }
}

/// A user's rights: per-entity rights (`A` all, `G` group, `M` own, `D` denied), access flags, status rights.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct UserRights {
    /// Rights on leads.
    #[serde(default)]
    pub leads: Option<EntityRights>,
    /// Rights on contacts.
    #[serde(default)]
    pub contacts: Option<EntityRights>,
    /// Rights on companies.
    #[serde(default)]
    pub companies: Option<EntityRights>,
    /// Rights on tasks (`edit`, `delete`).
    #[serde(default)]
    pub tasks: Option<EntityRights>,
    /// Mail access.
    #[serde(default)]
    pub mail_access: bool,
    /// Catalog access.
    #[serde(default)]
    pub catalog_access: bool,
    /// Files access.
    #[serde(default)]
    pub files_access: bool,
    /// Rights per lead status.
    #[serde(default)]
    pub status_rights: Vec<StatusRight>,
    /// Administrator.
    #[serde(default)]
    pub is_admin: bool,
    /// A free (read-only) seat.
    #[serde(default)]
    pub is_free: bool,
    /// Active.
    #[serde(default)]
    pub is_active: bool,
    /// Group id.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// Role id.
    #[serde(default)]
    pub role_id: Option<i64>,
}

/// Rights on one entity type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct EntityRights {
    /// View.
    #[serde(default)]
    pub view: Option<String>,
    /// Edit.
    #[serde(default)]
    pub edit: Option<String>,
    /// Add.
    #[serde(default)]
    pub add: Option<String>,
    /// Delete.
    #[serde(default)]
    pub delete: Option<String>,
    /// Export.
    #[serde(default)]
    pub export: Option<String>,
}

/// Rights in one lead status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StatusRight {
    /// `leads`.
    #[serde(default)]
    pub entity_type: String,
    /// Pipeline id.
    pub pipeline_id: i64,
    /// Status id.
    pub status_id: i64,
    /// `view`, `edit`, `delete`.
    #[serde(default)]
    pub rights: EntityRights,
}

/// A reason a lead was lost.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LossReason {
    /// Reason id.
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Sort order.
    #[serde(default)]
    pub sort: i64,
}

/// PHP sends `[]` for an empty object.
fn object_or_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    match value {
        Value::Array(items) if items.is_empty() => Ok(T::default()),
        Value::Null => Ok(T::default()),
        other => serde_json::from_value(other).map_err(serde::de::Error::custom),
    }
}

#[derive(Deserialize, Default)]
struct UsersEmbedded {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Deserialize)]
struct UsersPage {
    #[serde(default, rename = "_embedded", deserialize_with = "object_or_empty")]
    embedded: UsersEmbedded,
    #[serde(default, rename = "_links")]
    links: Value,
}

pub(crate) fn account(body: &[u8]) -> Result<Account, CrmError> {
    serde_json::from_slice(body).map_err(|e| decode::decode_error("GET /api/v4/account", body, &e))
}

pub(crate) fn users_page(body: &[u8]) -> Result<DecodedPage<User>, CrmError> {
    let page: UsersPage = serde_json::from_slice(body)
        .map_err(|e| decode::decode_error("GET /api/v4/users", body, &e))?;
    let next = page
        .links
        .pointer("/next/href")
        .and_then(Value::as_str)
        .and_then(decode::local_path);
    Ok(DecodedPage {
        items: page.embedded.users,
        next,
    })
}

impl AmoCrmClient {
    /// The account, with the parts of [`ACCOUNT_WITH`] named in `with` (unknown names are refused).
    pub async fn account(&self, with: &[&str]) -> Result<Account, CrmError> {
        if let Some(unknown) = with.iter().find(|w| !ACCOUNT_WITH.contains(w)) {
            return Err(CrmError::InvalidInput {
                field: "with".into(),
                reason: format!("`{unknown}` is not one of {}", ACCOUNT_WITH.join(", ")),
            });
        }
        let path = if with.is_empty() {
            "/api/v4/account".to_owned()
        } else {
            format!("/api/v4/account?with={}", with.join(","))
        };
        self.one(&path, &account)
            .await?
            .ok_or_else(|| CrmError::NotFound {
                detail: "GET /api/v4/account answered 204".into(),
            })
    }

    /// One user with their rights, `None` when there is none.
    pub async fn user(&self, id: i64) -> Result<Option<User>, CrmError> {
        let context = "GET /api/v4/users/{id}";
        let decode = move |body: &[u8]| -> Result<User, CrmError> {
            serde_json::from_slice(body).map_err(|e| decode::decode_error(context, body, &e))
        };
        self.one(&format!("/api/v4/users/{id}"), &decode).await
    }

    /// The account's loss reasons (why leads were lost).
    pub async fn loss_reasons(&self) -> Result<Vec<LossReason>, CrmError> {
        self.list_all(
            "/api/v4/leads/loss_reasons",
            &crate::query::Query::default(),
            "loss_reasons",
            250,
        )
        .await
    }

    /// Every user of the account, with their rights.
    pub async fn users(&self) -> Result<Vec<User>, CrmError> {
        self.all_pages(&|limit| format!("/api/v4/users?limit={limit}"), &users_page)
            .await
    }
}
