//! Incoming leads ("unsorted", `/api/v4/leads/unsorted`): listed while pending, summarised, added from web
//! forms and calls (SIP) with their lead, contacts and company, and accepted, declined or linked to a lead.

use std::collections::BTreeMap;

use crmsync_domain::crm::{NewCompany, NewContact, NewLead};
use crmsync_ports::{CrmError, Page, PageCursor, SortDirection, TimeRange};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::call::Effect;
use crate::client::AmoCrmClient;
use crate::encode;
use crate::lenient;
use crate::query::Query;
use crate::rest::IdOnly;

const PATH: &str = "/api/v4/leads/unsorted";

/// Where an incoming lead came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnsortedCategory {
    /// A web form.
    Forms,
    /// A phone call.
    Sip,
    /// A chat.
    Chats,
    /// An e-mail.
    Mail,
    /// A category this client does not know yet.
    #[serde(other)]
    Unknown,
}

impl UnsortedCategory {
    fn name(self) -> &'static str {
        match self {
            Self::Forms => "forms",
            Self::Sip => "sip",
            Self::Chats => "chats",
            Self::Mail => "mail",
            Self::Unknown => "unknown",
        }
    }
}

/// What a web form sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormMetadata {
    /// The form's id on your site.
    pub form_id: String,
    /// The form's name.
    pub form_name: String,
    /// The page it is on.
    pub form_page: String,
    /// When it was sent, in unix seconds.
    pub form_sent_at: i64,
    /// The visitor's IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The page the visitor came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referer: Option<String>,
}

/// What a phone call brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipMetadata {
    /// The call's unique id.
    pub uniq: String,
    /// Duration in seconds.
    pub duration: i64,
    /// The telephony widget's code.
    pub service_code: String,
    /// A link to the recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The caller's phone.
    pub phone: String,
    /// When the call was, in unix seconds.
    pub called_at: i64,
    /// Who called (the caller's name or number as the telephony shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// The metadata of a new incoming lead, which decides its category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsortedMetadata {
    /// From a web form.
    Form(FormMetadata),
    /// From a call.
    Sip(SipMetadata),
}

/// An incoming lead to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnsorted {
    /// Your id of the request (a form submission id, a call id).
    pub source_uid: String,
    /// Your source's name.
    pub source_name: String,
    /// The pipeline (default: the main one).
    pub pipeline_id: Option<i64>,
    /// When it arrived, in unix seconds (default: now).
    pub created_at: Option<i64>,
    /// Form or call details.
    pub metadata: UnsortedMetadata,
    /// The lead to create (a blank one when `None`).
    pub lead: Option<NewLead>,
    /// Contacts to create.
    pub contacts: Vec<NewContact>,
    /// A company to create.
    pub company: Option<NewCompany>,
    /// Correlation key echoed back; the client assigns the index when `None`.
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
struct Refs {
    #[serde(default, deserialize_with = "lenient::list")]
    leads: Vec<IdOnly>,
    #[serde(default, deserialize_with = "lenient::list")]
    contacts: Vec<IdOnly>,
    #[serde(default, deserialize_with = "lenient::list")]
    companies: Vec<IdOnly>,
}

/// The entities of an incoming lead.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnsortedEntities {
    /// Its lead(s).
    pub leads: Vec<i64>,
    /// Its contacts.
    pub contacts: Vec<i64>,
    /// Its company.
    pub companies: Vec<i64>,
}

impl From<Refs> for UnsortedEntities {
    fn from(refs: Refs) -> Self {
        let ids = |list: Vec<IdOnly>| list.into_iter().map(|r| r.id).collect();
        Self {
            leads: ids(refs.leads),
            contacts: ids(refs.contacts),
            companies: ids(refs.companies),
        }
    }
}

#[derive(Deserialize)]
struct RawUnsorted {
    #[serde(deserialize_with = "lenient::string")]
    uid: String,
    #[serde(default, deserialize_with = "lenient::string")]
    source_uid: String,
    #[serde(default, deserialize_with = "lenient::string")]
    source_name: String,
    #[serde(default = "unknown_category")]
    category: UnsortedCategory,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pipeline_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    created_at: i64,
    #[serde(default)]
    metadata: Value,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    request_id: Option<String>,
    #[serde(default, rename = "_embedded", deserialize_with = "lenient::object")]
    embedded: Refs,
}

fn unknown_category() -> UnsortedCategory {
    UnsortedCategory::Unknown
}

/// An incoming lead as listed, or the answer of an add, accept or link.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawUnsorted")]
#[non_exhaustive]
pub struct Unsorted {
    /// Its uid.
    pub uid: String,
    /// Your id of the request.
    pub source_uid: String,
    /// Your source's name.
    pub source_name: String,
    /// Form, call, chat or mail.
    pub category: UnsortedCategory,
    /// The pipeline.
    pub pipeline_id: Option<i64>,
    /// When it arrived, in unix seconds.
    pub created_at: i64,
    /// Form or call details as sent.
    pub metadata: Value,
    /// The request id of an add answer.
    pub request_id: Option<String>,
    /// Its lead, contacts and company.
    pub entities: UnsortedEntities,
}

impl From<RawUnsorted> for Unsorted {
    fn from(raw: RawUnsorted) -> Self {
        Self {
            uid: raw.uid,
            source_uid: raw.source_uid,
            source_name: raw.source_name,
            category: raw.category,
            pipeline_id: raw.pipeline_id,
            created_at: raw.created_at,
            metadata: raw.metadata,
            request_id: raw.request_id,
            entities: raw.embedded.into(),
        }
    }
}

/// Totals of incoming leads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct UnsortedSummary {
    /// All incoming leads in the range.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub total: i64,
    /// Accepted ones.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub accepted: i64,
    /// Declined ones.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub declined: i64,
    /// Average seconds until sorted.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub average_sort_time: i64,
    /// Count per category.
    #[serde(default, deserialize_with = "lenient::object")]
    pub categories: BTreeMap<String, i64>,
}

/// Which incoming leads to list or summarise. Empty lists do not filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnsortedFilter {
    /// Only these uids.
    pub uids: Vec<String>,
    /// Only these categories (list only).
    pub categories: Vec<UnsortedCategory>,
    /// Only these pipelines.
    pub pipeline_ids: Vec<i64>,
    /// Only those that arrived within this range (summary only).
    pub created_at: Option<TimeRange>,
    /// Order by arrival.
    pub order: Option<SortDirection>,
    /// Page size (at most 250).
    pub limit: Option<u32>,
}

impl UnsortedFilter {
    fn query(&self) -> Query {
        let mut q = Query::default();
        q.list("filter[uid]", &self.uids);
        q.list(
            "filter[category]",
            self.categories.iter().map(|c| c.name()).collect::<Vec<_>>(),
        );
        q.list("filter[pipeline_id]", &self.pipeline_ids);
        q.range("filter[created_at]", self.created_at);
        if let Some(direction) = self.order {
            let dir = match direction {
                SortDirection::Asc => "asc",
                SortDirection::Desc => "desc",
            };
            q.push("order[created_at]", dir);
        }
        q
    }
}

fn check_uid(uid: &str) -> Result<(), CrmError> {
    if uid.is_empty()
        || !uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CrmError::InvalidInput {
            field: "uid".into(),
            reason: "an incoming lead's uid is letters, digits, '-' and '_'".into(),
        });
    }
    Ok(())
}

fn body(item: &NewUnsorted, at: &str) -> Result<Map<String, Value>, CrmError> {
    for (field, value) in [
        ("source_uid", &item.source_uid),
        ("source_name", &item.source_name),
    ] {
        if value.trim().is_empty() {
            return Err(CrmError::InvalidInput {
                field: format!("{at}.{field}"),
                reason: "cannot be blank".into(),
            });
        }
    }
    let metadata = match &item.metadata {
        UnsortedMetadata::Form(m) => serde_json::to_value(m),
        UnsortedMetadata::Sip(m) => serde_json::to_value(m),
    }
    .map_err(|e| CrmError::InvalidInput {
        field: format!("{at}.metadata"),
        reason: e.to_string(),
    })?;
    let lead = match &item.lead {
        Some(lead) => vec![Value::Object(encode::new_lead(
            lead,
            &format!("{at}.lead"),
        )?)],
        None => Vec::new(),
    };
    let contacts = item
        .contacts
        .iter()
        .enumerate()
        .map(|(i, c)| encode::new_contact(c, &format!("{at}.contacts[{i}]")).map(Value::Object))
        .collect::<Result<Vec<_>, _>>()?;
    let companies = match &item.company {
        Some(c) => vec![Value::Object(encode::new_company(
            c,
            &format!("{at}.company"),
        )?)],
        None => Vec::new(),
    };
    let mut map = Map::new();
    map.insert("source_uid".into(), json!(item.source_uid));
    map.insert("source_name".into(), json!(item.source_name));
    if let Some(pipeline) = item.pipeline_id {
        map.insert("pipeline_id".into(), json!(pipeline));
    }
    if let Some(at) = item.created_at {
        map.insert("created_at".into(), json!(at));
    }
    map.insert("metadata".into(), metadata);
    map.insert(
        "_embedded".into(),
        json!({ "leads": lead, "contacts": contacts, "companies": companies }),
    );
    Ok(map)
}

impl AmoCrmClient {
    /// One page of pending incoming leads.
    pub async fn list_unsorted(
        &self,
        filter: &UnsortedFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Unsorted>, CrmError> {
        self.list_page(PATH, &filter.query(), "unsorted", filter.limit, 250, cursor)
            .await
    }

    /// Every pending incoming lead matching `filter`.
    pub async fn all_unsorted(&self, filter: &UnsortedFilter) -> Result<Vec<Unsorted>, CrmError> {
        self.list_all(PATH, &filter.query(), "unsorted", 250).await
    }

    /// One incoming lead by uid, `None` when there is none.
    pub async fn unsorted(&self, uid: &str) -> Result<Option<Unsorted>, CrmError> {
        check_uid(uid)?;
        self.get_typed(&format!("{PATH}/{uid}")).await
    }

    /// Totals of incoming leads (`GET /api/v4/leads/unsorted/summary`).
    pub async fn unsorted_summary(
        &self,
        filter: &UnsortedFilter,
    ) -> Result<UnsortedSummary, CrmError> {
        let path = filter.query().to_path(&format!("{PATH}/summary"));
        Ok(self.get_typed(&path).await?.unwrap_or_default())
    }

    /// Adds incoming leads from web forms (`POST /api/v4/leads/unsorted/forms`); every item needs
    /// [`UnsortedMetadata::Form`]. A create whose outcome is unknown is `Ambiguous`, never resent.
    pub async fn add_unsorted_forms(
        &self,
        items: &[NewUnsorted],
    ) -> Result<Vec<Unsorted>, CrmError> {
        self.add_unsorted(items, UnsortedCategory::Forms).await
    }

    /// Adds incoming leads from calls (`POST /api/v4/leads/unsorted/sip`); every item needs
    /// [`UnsortedMetadata::Sip`].
    pub async fn add_unsorted_sip(&self, items: &[NewUnsorted]) -> Result<Vec<Unsorted>, CrmError> {
        self.add_unsorted(items, UnsortedCategory::Sip).await
    }

    async fn add_unsorted(
        &self,
        items: &[NewUnsorted],
        category: UnsortedCategory,
    ) -> Result<Vec<Unsorted>, CrmError> {
        let bodies = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let matches = matches!(
                    (&item.metadata, category),
                    (UnsortedMetadata::Form(_), UnsortedCategory::Forms)
                        | (UnsortedMetadata::Sip(_), UnsortedCategory::Sip)
                );
                if !matches {
                    return Err(CrmError::InvalidInput {
                        field: format!("unsorted[{i}].metadata"),
                        reason: format!("{} metadata is needed here", category.name()),
                    });
                }
                body(item, &format!("unsorted[{i}]"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let path = format!("{PATH}/{}", category.name());
        self.create_bodies(
            &path,
            "unsorted",
            bodies,
            items.iter().map(|i| i.request_id.clone()),
        )
        .await
    }

    /// Accepts an incoming lead: its lead moves to `status_id` (default: the pipeline's first stage), as
    /// `user_id` when given. Not resent when its outcome is unknown (`Ambiguous`).
    pub async fn accept_unsorted(
        &self,
        uid: &str,
        user_id: Option<i64>,
        status_id: Option<i64>,
    ) -> Result<Unsorted, CrmError> {
        check_uid(uid)?;
        let mut body = Map::new();
        if let Some(user) = user_id {
            body.insert("user_id".into(), json!(user));
        }
        if let Some(status) = status_id {
            body.insert("status_id".into(), json!(status));
        }
        self.sort_unsorted(
            Method::POST,
            &format!("{PATH}/{uid}/accept"),
            Value::Object(body),
        )
        .await
    }

    /// Declines an incoming lead (amoCRM removes its lead).
    pub async fn decline_unsorted(
        &self,
        uid: &str,
        user_id: Option<i64>,
    ) -> Result<Unsorted, CrmError> {
        check_uid(uid)?;
        let body = user_id.map_or_else(|| json!({}), |u| json!({ "user_id": u }));
        self.sort_unsorted(Method::DELETE, &format!("{PATH}/{uid}/decline"), body)
            .await
    }

    /// Links an incoming lead to the existing lead `lead_id` (its contacts join that lead).
    pub async fn link_unsorted(
        &self,
        uid: &str,
        lead_id: i64,
        user_id: Option<i64>,
    ) -> Result<Unsorted, CrmError> {
        check_uid(uid)?;
        let mut body = json!({ "link": { "entity_id": lead_id, "entity_type": "leads" } });
        if let Some(user) = user_id {
            body["user_id"] = json!(user);
        }
        self.sort_unsorted(Method::POST, &format!("{PATH}/{uid}/link"), body)
            .await
    }

    async fn sort_unsorted(
        &self,
        method: Method,
        path: &str,
        body: Value,
    ) -> Result<Unsorted, CrmError> {
        self.send_typed(method.clone(), path, Some(&body), Effect::Create)
            .await?
            .ok_or_else(|| CrmError::NotFound {
                detail: format!("{method} {path}: no such incoming lead"),
            })
    }
}
