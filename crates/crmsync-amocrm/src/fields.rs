//! Custom field definitions written through the API (add, change, delete, one by id) and custom field groups
//! (list, read, add, change, delete). Listing every field of an entity type is the port's `custom_fields`.

use crmsync_domain::crm::EntityKind;
use crmsync_ports::CrmError;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::call::Effect;
use crate::catalogs::without_id;
use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;
use crate::rest::Ignored;

/// One choice of a select, multiselect, radiobutton or multitext field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FieldEnum {
    /// Enum id (absent for a new choice).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_i64"
    )]
    pub id: Option<i64>,
    /// The choice's text.
    #[serde(default, deserialize_with = "lenient::string")]
    pub value: String,
    /// Sort order.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_i64"
    )]
    pub sort: Option<i64>,
}

impl FieldEnum {
    /// A new choice `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            id: None,
            value: value.into(),
            sort: None,
        }
    }
}

/// A custom field definition as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CustomField {
    /// Field id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Type (`text`, `select`, `multitext`... new types are kept as sent).
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub field_type: String,
    /// Code (`PHONE`, `EMAIL`...).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub code: Option<String>,
    /// Sort order.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub sort: i64,
    /// Whether only the API may change its values.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_api_only: bool,
    /// Its group.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub group_id: Option<String>,
    /// Choices.
    #[serde(default, deserialize_with = "lenient::list")]
    pub enums: Vec<FieldEnum>,
    /// Whether it can be deleted.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_deletable: bool,
    /// The request id of an add or update answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
}

/// A custom field to add, or the new values of one (`id` set).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FieldInput {
    /// The field to change (`None` to add).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Name (required to add).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Type (required to add; cannot change).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub field_type: Option<String>,
    /// Code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
    /// Whether only the API may change its values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_api_only: Option<bool>,
    /// Its group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Choices (the whole list; existing ones keep their `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enums: Option<Vec<FieldEnum>>,
    /// Correlation key echoed back on add; the client assigns the index when `None`.
    #[serde(skip)]
    pub request_id: Option<String>,
}

impl FieldInput {
    /// A new field named `name` of type `field_type`.
    pub fn new(name: impl Into<String>, field_type: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            field_type: Some(field_type.into()),
            ..Self::default()
        }
    }
}

/// A custom field group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FieldGroup {
    /// Group id (a string such as `leads_1591087237`).
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Sort order.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub sort: i64,
    /// Whether it is one of amoCRM's own groups.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_predefined: bool,
    /// The fields it holds, when the answer lists them.
    #[serde(default, deserialize_with = "lenient::list")]
    pub fields: Vec<i64>,
    /// The request id of an add answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
}

/// A group to add, or the new values of one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GroupInput {
    /// Name (required to add).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
    /// Fields to put in the group (on change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<i64>>,
    /// Correlation key echoed back on add; the client assigns the index when `None`.
    #[serde(skip)]
    pub request_id: Option<String>,
}

fn fields_path(entity: EntityKind) -> String {
    format!("/api/v4/{}/custom_fields", entity.api_name())
}

fn check_group_id(id: &str) -> Result<(), CrmError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(CrmError::InvalidInput {
            field: "group_id".into(),
            reason: "a group id is letters, digits and '_'".into(),
        });
    }
    Ok(())
}

impl AmoCrmClient {
    /// One custom field definition, `None` when there is none.
    pub async fn custom_field(
        &self,
        entity: EntityKind,
        id: i64,
    ) -> Result<Option<CustomField>, CrmError> {
        self.get_typed(&format!("{}/{id}", fields_path(entity)))
            .await
    }

    /// Adds custom fields to an entity type. A create whose outcome is unknown is `Ambiguous`.
    pub async fn add_custom_fields(
        &self,
        entity: EntityKind,
        fields: &[FieldInput],
    ) -> Result<Vec<CustomField>, CrmError> {
        if let Some(i) = fields.iter().position(|f| {
            f.id.is_some()
                || f.name.as_deref().is_none_or(|n| n.trim().is_empty())
                || f.field_type.as_deref().is_none_or(str::is_empty)
        }) {
            return Err(CrmError::InvalidInput {
                field: format!("fields[{i}]"),
                reason: "a new field needs a name, a type and no id".into(),
            });
        }
        let rids = fields.iter().map(|f| f.request_id.clone());
        self.create_typed(&fields_path(entity), "custom_fields", fields, rids)
            .await
    }

    /// Changes custom fields (each with its `id`).
    pub async fn update_custom_fields(
        &self,
        entity: EntityKind,
        fields: &[FieldInput],
    ) -> Result<Vec<CustomField>, CrmError> {
        if let Some(i) = fields.iter().position(|f| f.id.is_none()) {
            return Err(CrmError::InvalidInput {
                field: format!("fields[{i}].id"),
                reason: "an update needs the field's id".into(),
            });
        }
        self.update_typed(&fields_path(entity), "custom_fields", fields, |f| {
            f.id.unwrap_or_default().to_string()
        })
        .await
    }

    /// Changes one custom field (`PATCH /api/v4/{entity}/custom_fields/{id}`).
    pub async fn update_custom_field(
        &self,
        entity: EntityKind,
        field: &FieldInput,
    ) -> Result<CustomField, CrmError> {
        let Some(id) = field.id else {
            return Err(CrmError::InvalidInput {
                field: "field.id".into(),
                reason: "an update needs the field's id".into(),
            });
        };
        let path = format!("{}/{id}", fields_path(entity));
        self.send_typed(
            Method::PATCH,
            &path,
            Some(&without_id(field)?),
            Effect::Update,
        )
        .await?
        .ok_or_else(|| CrmError::NotFound {
            detail: format!("PATCH {path}: no such field"),
        })
    }

    /// Deletes a custom field and its values everywhere.
    pub async fn delete_custom_field(&self, entity: EntityKind, id: i64) -> Result<(), CrmError> {
        let path = format!("{}/{id}", fields_path(entity));
        self.send_typed::<Ignored>(Method::DELETE, &path, None, Effect::Update)
            .await
            .map(drop)
    }

    /// The custom field groups of an entity type.
    pub async fn field_groups(&self, entity: EntityKind) -> Result<Vec<FieldGroup>, CrmError> {
        let path = format!("{}/groups", fields_path(entity));
        self.list_all(&path, &Query::default(), "custom_field_groups", 250)
            .await
    }

    /// One group, `None` when there is none.
    pub async fn field_group(
        &self,
        entity: EntityKind,
        id: &str,
    ) -> Result<Option<FieldGroup>, CrmError> {
        check_group_id(id)?;
        self.get_typed(&format!("{}/groups/{id}", fields_path(entity)))
            .await
    }

    /// Adds groups. A create whose outcome is unknown is `Ambiguous`.
    pub async fn add_field_groups(
        &self,
        entity: EntityKind,
        groups: &[GroupInput],
    ) -> Result<Vec<FieldGroup>, CrmError> {
        if let Some(i) = groups
            .iter()
            .position(|g| g.name.as_deref().is_none_or(|n| n.trim().is_empty()))
        {
            return Err(CrmError::InvalidInput {
                field: format!("groups[{i}].name"),
                reason: "a group needs a name".into(),
            });
        }
        let rids = groups.iter().map(|g| g.request_id.clone());
        let path = format!("{}/groups", fields_path(entity));
        self.create_typed(&path, "custom_field_groups", groups, rids)
            .await
    }

    /// Changes a group: its name, sort, and the fields it holds.
    pub async fn update_field_group(
        &self,
        entity: EntityKind,
        id: &str,
        group: &GroupInput,
    ) -> Result<FieldGroup, CrmError> {
        check_group_id(id)?;
        let path = format!("{}/groups/{id}", fields_path(entity));
        let body = serde_json::to_value(group).map_err(|e| CrmError::InvalidInput {
            field: "group".into(),
            reason: e.to_string(),
        })?;
        self.send_typed(Method::PATCH, &path, Some(&body), Effect::Update)
            .await?
            .ok_or_else(|| CrmError::NotFound {
                detail: format!("PATCH {path}: no such group"),
            })
    }

    /// Deletes a group (its fields stay, without a group).
    pub async fn delete_field_group(&self, entity: EntityKind, id: &str) -> Result<(), CrmError> {
        check_group_id(id)?;
        let path = format!("{}/groups/{id}", fields_path(entity));
        self.send_typed::<Ignored>(Method::DELETE, &path, None, Effect::Update)
            .await
            .map(drop)
    }
}
