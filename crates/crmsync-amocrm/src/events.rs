//! The account's event list (`GET /api/v4/events`, at most 100 per page): what happened to which entity, by
//! whom and when, with filters by type, entity, author, id and time, and the event types
//! (`GET /api/v4/events/types`).

use chrono::{DateTime, Utc};
use crmsync_ports::{CrmError, Page, PageCursor, TimeRange};
use futures_util::stream::BoxStream;
use serde::Deserialize;
use serde_json::Value;

use crate::client::AmoCrmClient;
use crate::lenient;
use crate::port::stream_pages;
use crate::query::Query;

/// Most events amoCRM returns per page.
pub const MAX_EVENTS_PAGE: u32 = 100;

/// `_embedded.entity` of an event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
struct EventEmbedded {
    #[serde(default, deserialize_with = "lenient::object")]
    entity: EventEntityName,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
struct EventEntityName {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// Event id (a string such as `01pz58t6p04vdgnqhtjzbgvxt3`).
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// Event type (`lead_added`, `lead_status_changed`, `entity_tag_added`, `incoming_call`...).
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub event_type: String,
    /// The entity it happened to.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub entity_id: i64,
    /// Its type (`lead`, `contact`, `company`, `customer`, `task`...).
    #[serde(default, deserialize_with = "lenient::string")]
    pub entity_type: String,
    /// Who did it (0 for the system or a robot).
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub created_by: i64,
    /// When, in unix seconds.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub created_at: i64,
    /// The value after the change; its shape depends on the type.
    #[serde(default)]
    pub value_after: Value,
    /// The value before the change.
    #[serde(default)]
    pub value_before: Value,
    /// The account.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub account_id: Option<i64>,
    #[serde(default, rename = "_embedded", deserialize_with = "lenient::object")]
    embedded: EventEmbedded,
}

/// A lead's stage as an event names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageRef {
    /// Pipeline id.
    pub pipeline_id: i64,
    /// Status id.
    pub status_id: i64,
}

fn stage(value: &Value) -> Option<StageRef> {
    let status = value.get(0)?.get("lead_status")?;
    let int = |key: &str| {
        status
            .get(key)
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
    };
    Some(StageRef {
        pipeline_id: int("pipeline_id")?,
        status_id: int("id")?,
    })
}

impl Event {
    /// The entity's name, when the list was asked `with` its `*_name`.
    pub fn entity_name(&self) -> Option<&str> {
        self.embedded.entity.name.as_deref()
    }

    /// When it happened.
    pub fn created(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.created_at, 0)
    }

    /// For `lead_status_changed`: the stage before and after.
    pub fn status_change(&self) -> Option<(StageRef, StageRef)> {
        (self.event_type == "lead_status_changed")
            .then(|| Some((stage(&self.value_before)?, stage(&self.value_after)?)))
            .flatten()
    }
}

/// The entity types events are filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventEntity {
    /// Leads.
    Lead,
    /// Contacts.
    Contact,
    /// Companies.
    Company,
    /// Customers.
    Customer,
    /// Tasks.
    Task,
    /// Elements of the catalog with this id.
    Catalog(i64),
}

impl EventEntity {
    fn name(self) -> String {
        match self {
            Self::Lead => "lead".into(),
            Self::Contact => "contact".into(),
            Self::Company => "company".into(),
            Self::Customer => "customer".into(),
            Self::Task => "task".into(),
            Self::Catalog(id) => format!("catalog_{id}"),
        }
    }
}

/// Which events to list. Empty lists do not filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventFilter {
    /// Only these event ids.
    pub ids: Vec<String>,
    /// Only these types (`lead_added`, `lead_status_changed`...).
    pub types: Vec<String>,
    /// Only events of these entity types.
    pub entities: Vec<EventEntity>,
    /// Only events of these entity ids (with one entity type).
    pub entity_ids: Vec<i64>,
    /// Only events by these users.
    pub created_by: Vec<i64>,
    /// Only events within this time range.
    pub created_at: Option<TimeRange>,
    /// Add the entity's name to each event (`with=lead_name,contact_name,company_name`).
    pub with_names: bool,
    /// Page size (at most 100).
    pub limit: Option<u32>,
}

impl EventFilter {
    /// Events of the types `types`.
    pub fn of_types<I: IntoIterator<Item = S>, S: Into<String>>(types: I) -> Self {
        Self {
            types: types.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    fn query(&self) -> Result<Query, CrmError> {
        if !self.entity_ids.is_empty() && self.entities.len() != 1 {
            return Err(CrmError::InvalidInput {
                field: "filter.entity_ids".into(),
                reason: "filtering by entity id needs exactly one entity type".into(),
            });
        }
        let mut q = Query::default();
        if self.with_names {
            q.push(
                "with",
                "lead_name,contact_name,company_name,customer_name,catalog_element_name",
            );
        }
        q.list("filter[id]", &self.ids);
        q.list("filter[type]", &self.types);
        q.list(
            "filter[entity]",
            self.entities.iter().map(|e| e.name()).collect::<Vec<_>>(),
        );
        q.list("filter[entity_id]", &self.entity_ids);
        q.list("filter[created_by]", &self.created_by);
        q.range("filter[created_at]", self.created_at);
        Ok(q)
    }
}

/// One event type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct EventType {
    /// Its key (`lead_added`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub key: String,
    /// Its number.
    #[serde(rename = "type", default, deserialize_with = "lenient::i64_or_zero")]
    pub type_number: i64,
    /// Its name in the language asked for.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub lang: Option<String>,
}

impl AmoCrmClient {
    /// One page of events (`GET /api/v4/events`), newest first.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Event>, CrmError> {
        let q = filter.query()?;
        self.list_page(
            "/api/v4/events",
            &q,
            "events",
            filter.limit,
            MAX_EVENTS_PAGE,
            cursor,
        )
        .await
    }

    /// Every event matching `filter`.
    pub async fn all_events(&self, filter: &EventFilter) -> Result<Vec<Event>, CrmError> {
        let q = filter.query()?;
        self.list_all("/api/v4/events", &q, "events", MAX_EVENTS_PAGE)
            .await
    }

    /// Every event matching `filter`, as a stream of pages of up to 100.
    pub fn stream_events(
        &self,
        filter: EventFilter,
    ) -> BoxStream<'static, Result<Event, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_events(&filter, cursor).await }
        })
    }

    /// One event by id (`GET /api/v4/events/{id}`), `None` when there is none.
    pub async fn get_event(&self, id: &str) -> Result<Option<Event>, CrmError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(CrmError::InvalidInput {
                field: "id".into(),
                reason: "an event id is letters and digits".into(),
            });
        }
        self.get_typed(&format!("/api/v4/events/{id}")).await
    }

    /// The event types with their names in `language` (`ru`, `en`, `es`, `pt`).
    pub async fn event_types(&self, language: &str) -> Result<Vec<EventType>, CrmError> {
        let mut q = Query::default();
        if !language.is_empty() {
            q.push("language_code", language);
        }
        self.list_all("/api/v4/events/types", &q, "events_types", 250)
            .await
    }
}
