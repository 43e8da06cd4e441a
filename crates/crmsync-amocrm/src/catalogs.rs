//! Catalogs (lists, products, invoices) and their elements: `/api/v4/catalogs` and
//! `/api/v4/catalogs/{id}/elements`, listed, read, added and updated.

use crmsync_domain::crm::CustomFieldValue;
use crmsync_ports::{CrmError, Page, PageCursor};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::call::Effect;
use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;

/// A catalog.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Catalog {
    /// Catalog id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// `regular`, `invoices` or `products`.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub catalog_type: String,
    /// Sort order.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub sort: i64,
    /// Whether elements can be added in the interface.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub can_add_elements: bool,
    /// Whether several elements can be linked to one entity.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub can_link_multiple: bool,
    /// When it was created, in unix seconds.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub created_at: i64,
    /// When it last changed.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub updated_at: i64,
    /// The request id of an add or update answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
}

/// A catalog to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCatalog {
    /// Name.
    pub name: String,
    /// `regular` (default), `invoices` or `products`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub catalog_type: Option<String>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
    /// Whether elements can be added in the interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_add_elements: Option<bool>,
    /// Whether several elements can be linked to one entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_link_multiple: Option<bool>,
    /// Correlation key echoed back; the client assigns the index when `None`.
    #[serde(skip)]
    pub request_id: Option<String>,
}

impl NewCatalog {
    /// A regular catalog named `name`.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            catalog_type: None,
            sort: None,
            can_add_elements: None,
            can_link_multiple: None,
            request_id: None,
        }
    }
}

/// Changes to a catalog; `None` fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CatalogUpdate {
    /// The catalog.
    pub id: i64,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
    /// Whether elements can be added in the interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_add_elements: Option<bool>,
    /// Whether several elements can be linked to one entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_link_multiple: Option<bool>,
}

/// An element of a catalog.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct CatalogElement {
    /// Element id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Its catalog.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub catalog_id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Custom field values as sent (`null` when none).
    #[serde(default)]
    pub custom_fields_values: Value,
    /// Whether it was deleted.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_deleted: bool,
    /// When it was created, in unix seconds.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub created_at: i64,
    /// When it last changed.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub updated_at: i64,
    /// The request id of an add or update answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
}

/// An element to add, or the new values of one (`id` set).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ElementInput {
    /// The element to change (`None` to add).
    pub id: Option<i64>,
    /// Name (required to add).
    pub name: Option<String>,
    /// Custom field values (SKU, price, ...).
    pub custom_fields: Vec<CustomFieldValue>,
    /// Correlation key echoed back on add; the client assigns the index when `None`.
    pub request_id: Option<String>,
}

impl ElementInput {
    /// A new element named `name`.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    fn body(&self, at: &str) -> Result<Map<String, Value>, CrmError> {
        let mut map = Map::new();
        if let Some(id) = self.id {
            map.insert("id".into(), json!(id));
        }
        if let Some(name) = &self.name {
            map.insert("name".into(), json!(name));
        }
        if let Some(values) = crate::encode::custom_fields(&self.custom_fields, at)? {
            map.insert("custom_fields_values".into(), values);
        }
        Ok(map)
    }
}

/// Which elements to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ElementFilter {
    /// Only these ids.
    pub ids: Vec<i64>,
    /// Elements whose name (or field values) contain this text.
    pub query: Option<String>,
    /// Page size (at most 250).
    pub limit: Option<u32>,
}

impl AmoCrmClient {
    /// Every catalog of the account.
    pub async fn catalogs(&self) -> Result<Vec<Catalog>, CrmError> {
        self.list_all("/api/v4/catalogs", &Query::default(), "catalogs", 250)
            .await
    }

    /// One catalog, `None` when there is none.
    pub async fn catalog(&self, id: i64) -> Result<Option<Catalog>, CrmError> {
        self.get_typed(&format!("/api/v4/catalogs/{id}")).await
    }

    /// Adds catalogs. A create whose outcome is unknown is `Ambiguous`, never resent.
    pub async fn add_catalogs(&self, catalogs: &[NewCatalog]) -> Result<Vec<Catalog>, CrmError> {
        if let Some(i) = catalogs.iter().position(|c| c.name.trim().is_empty()) {
            return Err(CrmError::InvalidInput {
                field: format!("catalogs[{i}].name"),
                reason: "a catalog needs a name".into(),
            });
        }
        let rids = catalogs.iter().map(|c| c.request_id.clone());
        self.create_typed("/api/v4/catalogs", "catalogs", catalogs, rids)
            .await
    }

    /// Updates catalogs.
    pub async fn update_catalogs(
        &self,
        updates: &[CatalogUpdate],
    ) -> Result<Vec<Catalog>, CrmError> {
        self.update_typed("/api/v4/catalogs", "catalogs", updates, |u| {
            u.id.to_string()
        })
        .await
    }

    /// Updates one catalog (`PATCH /api/v4/catalogs/{id}`).
    pub async fn update_catalog(&self, update: &CatalogUpdate) -> Result<Catalog, CrmError> {
        let path = format!("/api/v4/catalogs/{}", update.id);
        let body = without_id(update)?;
        self.send_typed(Method::PATCH, &path, Some(&body), Effect::Update)
            .await?
            .ok_or_else(|| CrmError::NotFound {
                detail: format!("PATCH {path}: no such catalog"),
            })
    }

    /// One page of a catalog's elements.
    pub async fn list_elements(
        &self,
        catalog_id: i64,
        filter: &ElementFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<CatalogElement>, CrmError> {
        let mut q = Query::default();
        q.list("filter[id]", &filter.ids);
        q.query(filter.query.as_ref());
        let path = format!("/api/v4/catalogs/{catalog_id}/elements");
        self.list_page(&path, &q, "elements", filter.limit, 250, cursor)
            .await
    }

    /// Every element of a catalog matching `filter`.
    pub async fn all_elements(
        &self,
        catalog_id: i64,
        filter: &ElementFilter,
    ) -> Result<Vec<CatalogElement>, CrmError> {
        let mut q = Query::default();
        q.list("filter[id]", &filter.ids);
        q.query(filter.query.as_ref());
        let path = format!("/api/v4/catalogs/{catalog_id}/elements");
        self.list_all(&path, &q, "elements", 250).await
    }

    /// One element, `None` when there is none.
    pub async fn element(
        &self,
        catalog_id: i64,
        id: i64,
    ) -> Result<Option<CatalogElement>, CrmError> {
        self.get_typed(&format!("/api/v4/catalogs/{catalog_id}/elements/{id}"))
            .await
    }

    /// Adds elements to a catalog. A create whose outcome is unknown is `Ambiguous`.
    pub async fn add_elements(
        &self,
        catalog_id: i64,
        elements: &[ElementInput],
    ) -> Result<Vec<CatalogElement>, CrmError> {
        let bodies = elements
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let at = format!("elements[{i}]");
                if e.id.is_some() || e.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    return Err(CrmError::InvalidInput {
                        field: at,
                        reason: "a new element needs a name and no id".into(),
                    });
                }
                e.body(&at)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let path = format!("/api/v4/catalogs/{catalog_id}/elements");
        self.create_bodies(
            &path,
            "elements",
            bodies,
            elements.iter().map(|e| e.request_id.clone()),
        )
        .await
    }

    /// Updates elements of a catalog (each with its `id`).
    pub async fn update_elements(
        &self,
        catalog_id: i64,
        elements: &[ElementInput],
    ) -> Result<Vec<CatalogElement>, CrmError> {
        let items = elements
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let at = format!("elements[{i}]");
                match e.id {
                    Some(_) => e.body(&at).map(Value::Object),
                    None => Err(CrmError::InvalidInput {
                        field: format!("{at}.id"),
                        reason: "an update needs the element's id".into(),
                    }),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let path = format!("/api/v4/catalogs/{catalog_id}/elements");
        self.update_typed(&path, "elements", &items, |v| {
            v.get("id").map(Value::to_string).unwrap_or_default()
        })
        .await
    }

    /// Updates one element (`PATCH /api/v4/catalogs/{id}/elements/{id}`).
    pub async fn update_element(
        &self,
        catalog_id: i64,
        element: &ElementInput,
    ) -> Result<CatalogElement, CrmError> {
        let Some(id) = element.id else {
            return Err(CrmError::InvalidInput {
                field: "element.id".into(),
                reason: "an update needs the element's id".into(),
            });
        };
        let mut body = element.body("element")?;
        body.remove("id");
        let path = format!("/api/v4/catalogs/{catalog_id}/elements/{id}");
        self.send_typed(
            Method::PATCH,
            &path,
            Some(&Value::Object(body)),
            Effect::Update,
        )
        .await?
        .ok_or_else(|| CrmError::NotFound {
            detail: format!("PATCH {path}: no such element"),
        })
    }
}

/// A single-object PATCH body: the update without its `id` (which the path names).
pub(crate) fn without_id<T: Serialize>(update: &T) -> Result<Value, CrmError> {
    let mut body = serde_json::to_value(update).map_err(|e| CrmError::InvalidInput {
        field: "body".into(),
        reason: e.to_string(),
    })?;
    if let Some(obj) = body.as_object_mut() {
        obj.remove("id");
    }
    Ok(body)
}
