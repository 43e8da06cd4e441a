//! Links between entities: lead ↔ contact (with the main contact), lead ↔ company, contact ↔ company, and
//! catalog elements on an entity. Per entity (`/api/v4/{entity}/{id}/link`, `/unlink`, `/links`) and in bulk
//! (`/api/v4/{entity}/link`, `/unlink`, `/links`).

use crmsync_domain::crm::{EntityKind, EntityRef};
use crmsync_ports::CrmError;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::call::Effect;
use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;
use crate::rest::{Write, by_position};

/// What a link points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinkedType {
    /// A lead.
    Leads,
    /// A contact.
    Contacts,
    /// A company.
    Companies,
    /// A customer.
    Customers,
    /// An element of a catalog (a product, for example).
    CatalogElements,
    /// A type this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Extra data of a link: the main contact of a lead; the catalog and quantity of a catalog element.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LinkMetadata {
    /// Whether the contact is the lead's main contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_main: Option<bool>,
    /// The catalog of a linked element.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_i64"
    )]
    pub catalog_id: Option<i64>,
    /// How many of a linked element.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_f64"
    )]
    pub quantity: Option<f64>,
    /// The price field of a linked element.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_i64"
    )]
    pub price_id: Option<i64>,
}

impl LinkMetadata {
    /// Metadata marking the lead's main contact.
    pub fn main_contact() -> Self {
        Self {
            is_main: Some(true),
            ..Self::default()
        }
    }

    /// Metadata of `quantity` elements of `catalog_id`.
    pub fn quantity(catalog_id: i64, quantity: f64) -> Self {
        Self {
            catalog_id: Some(catalog_id),
            quantity: Some(quantity),
            ..Self::default()
        }
    }
}

/// One link: from an entity to another entity or catalog element.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Link {
    /// The entity the link is read from.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub entity_id: i64,
    /// Its type, as the answer names it.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub entity_type: Option<String>,
    /// What it points at.
    #[serde(deserialize_with = "lenient::id")]
    pub to_entity_id: i64,
    /// The type of what it points at.
    pub to_entity_type: LinkedType,
    /// Extra data.
    #[serde(default, deserialize_with = "lenient::object")]
    pub metadata: LinkMetadata,
}

/// A link to make or remove from a given entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkTo {
    /// What to link to.
    pub to_entity_id: i64,
    /// Its type.
    pub to_entity_type: LinkedType,
    /// Extra data (`is_main`, `quantity`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<LinkMetadata>,
}

impl LinkTo {
    /// A link to the contact `id`.
    pub fn contact(id: i64) -> Self {
        Self::plain(id, LinkedType::Contacts)
    }

    /// A link to the company `id`.
    pub fn company(id: i64) -> Self {
        Self::plain(id, LinkedType::Companies)
    }

    /// A link to the lead `id`.
    pub fn lead(id: i64) -> Self {
        Self::plain(id, LinkedType::Leads)
    }

    /// `quantity` of the catalog element `id` of catalog `catalog_id`.
    pub fn element(id: i64, catalog_id: i64, quantity: f64) -> Self {
        Self {
            to_entity_id: id,
            to_entity_type: LinkedType::CatalogElements,
            metadata: Some(LinkMetadata::quantity(catalog_id, quantity)),
        }
    }

    fn plain(id: i64, to: LinkedType) -> Self {
        Self {
            to_entity_id: id,
            to_entity_type: to,
            metadata: None,
        }
    }

    /// The same link, marked as the main contact.
    #[must_use]
    pub fn as_main(mut self) -> Self {
        self.metadata = Some(LinkMetadata::main_contact());
        self
    }
}

/// Which links of the listed entities to read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkFilter {
    /// Only links to this type.
    pub to_entity_type: Option<LinkedType>,
    /// Only links to these ids.
    pub to_entity_ids: Vec<i64>,
}

impl LinkFilter {
    fn push(&self, q: &mut Query) {
        if let Some(to) = self.to_entity_type
            && let Ok(Value::String(name)) = serde_json::to_value(to)
        {
            q.push("filter[to_entity_type]", name);
        }
        q.list("filter[to_entity_id]", &self.to_entity_ids);
    }
}

/// The request item of `link`, with `entity_id` in bulk requests.
fn item(entity_id: Option<i64>, link: &LinkTo) -> Result<Value, CrmError> {
    let mut body = serde_json::to_value(link).map_err(|e| CrmError::InvalidInput {
        field: "links".into(),
        reason: e.to_string(),
    })?;
    if let Some(id) = entity_id {
        body["entity_id"] = json!(id);
    }
    Ok(body)
}

fn check(links: &[(i64, LinkTo)]) -> Result<(), CrmError> {
    match links
        .iter()
        .position(|(_, l)| l.to_entity_type == LinkedType::Unknown)
    {
        Some(index) => Err(CrmError::InvalidInput {
            field: format!("links[{index}].to_entity_type"),
            reason: "name the type to link to".into(),
        }),
        None => Ok(()),
    }
}

impl AmoCrmClient {
    /// The links of one entity (`GET /api/v4/{entity}/{id}/links`).
    pub async fn links_of(
        &self,
        entity: EntityRef,
        filter: &LinkFilter,
    ) -> Result<Vec<Link>, CrmError> {
        let mut q = Query::default();
        filter.push(&mut q);
        let path = format!("/api/v4/{}/{}/links", entity.kind.api_name(), entity.id);
        self.list_all(&path, &q, "links", 250).await
    }

    /// The links of several entities of one type (`GET /api/v4/{entity}/links?filter[entity_id][]=…`), 250
    /// entities per request.
    pub async fn list_links(
        &self,
        entity: EntityKind,
        ids: &[i64],
        filter: &LinkFilter,
    ) -> Result<Vec<Link>, CrmError> {
        let path = format!("/api/v4/{}/links", entity.api_name());
        let mut all = Vec::new();
        for chunk in ids.chunks(250) {
            let mut q = Query::default();
            q.list("filter[entity_id]", chunk);
            filter.push(&mut q);
            all.extend(self.list_all::<Link>(&path, &q, "links", 250).await?);
        }
        Ok(all)
    }

    /// Links `entity` to `links` (`POST /api/v4/{entity}/{id}/link`); linking twice changes nothing.
    pub async fn link_one(
        &self,
        entity: EntityRef,
        links: &[LinkTo],
    ) -> Result<Vec<Link>, CrmError> {
        let pairs: Vec<(i64, LinkTo)> = links.iter().map(|l| (entity.id, l.clone())).collect();
        check(&pairs)?;
        let path = format!("/api/v4/{}/{}/link", entity.kind.api_name(), entity.id);
        let bodies = links
            .iter()
            .map(|l| item(None, l))
            .collect::<Result<_, _>>()?;
        self.write_links(&path, bodies, true).await
    }

    /// Removes links of `entity` (`POST /api/v4/{entity}/{id}/unlink`).
    pub async fn unlink_one(&self, entity: EntityRef, links: &[LinkTo]) -> Result<(), CrmError> {
        let pairs: Vec<(i64, LinkTo)> = links.iter().map(|l| (entity.id, l.clone())).collect();
        check(&pairs)?;
        let path = format!("/api/v4/{}/{}/unlink", entity.kind.api_name(), entity.id);
        let bodies = links
            .iter()
            .map(|l| item(None, l))
            .collect::<Result<_, _>>()?;
        self.write_links(&path, bodies, false).await.map(drop)
    }

    /// Links many entities of one type at once (`POST /api/v4/{entity}/link`), `(entity id, link)` pairs.
    pub async fn link(
        &self,
        entity: EntityKind,
        links: &[(i64, LinkTo)],
    ) -> Result<Vec<Link>, CrmError> {
        check(links)?;
        let path = format!("/api/v4/{}/link", entity.api_name());
        let bodies = links
            .iter()
            .map(|(id, l)| item(Some(*id), l))
            .collect::<Result<_, _>>()?;
        self.write_links(&path, bodies, true).await
    }

    /// Removes links of many entities of one type at once (`POST /api/v4/{entity}/unlink`).
    pub async fn unlink(
        &self,
        entity: EntityKind,
        links: &[(i64, LinkTo)],
    ) -> Result<(), CrmError> {
        check(links)?;
        let path = format!("/api/v4/{}/unlink", entity.api_name());
        let bodies = links
            .iter()
            .map(|(id, l)| item(Some(*id), l))
            .collect::<Result<_, _>>()?;
        self.write_links(&path, bodies, false).await.map(drop)
    }

    /// Links and unlinks set relations rather than create entities, so repeating them is safe: they are sent
    /// as updates (retried on 5xx and lost answers).
    async fn write_links(
        &self,
        path: &str,
        bodies: Vec<Value>,
        link: bool,
    ) -> Result<Vec<Link>, CrmError> {
        let write = Write {
            method: Method::POST,
            path,
            key: "links",
            effect: Effect::Update,
            by_id: false,
        };
        let answers: Vec<Link> = self.write_batch(write, by_position(bodies)).await?;
        Ok(if link { answers } else { Vec::new() })
    }
}
