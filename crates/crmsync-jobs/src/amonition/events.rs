//! amoCRM webhook events: which ones AMONITION acts on ([`route`], pure) and what it does ([`handle`]).
//!
//! - **Profile transfer**: a lead entering one of the configured statuses ("ready to upload manually") → the
//!   foreign account URL and the phone from the lead's custom fields (read from amoCRM when the event lacks
//!   them) → the profile-transfer service, with the inbox row's key as idempotency key.
//! - **Company refresh**: a company event with the configured "refresh" checkbox set → the seller's fresh
//!   aggregate and feed → that company updated (the checkbox cleared, so the update's own event is ignored).
//! - **Feed upload**: a company event with the configured "upload feed" checkbox set → feed URL and user id from
//!   the company → the user must exist (otherwise a note on the company and a dead letter) → the `companies` row
//!   ensured → a periodic feed load requested → the checkbox cleared.

use crmsync_domain::Phone;
use crmsync_domain::crm::{
    CompanyId, CompanyUpdate, CustomFieldValue, CustomFields, EntityRef, EventAction, EventEntity,
    FieldId, LeadId, NewNote, StatusId, WebhookEvent,
};
use crmsync_domain::seller::{CompanyLink, SellerFields, SellerId};
use crmsync_ports::{
    CompanyStore, CrmClient, CrmError, FeedService, ProfileTransfer, SellerSource, ServiceError,
    StoreError, TransferRequest,
};
use serde::{Deserialize, Serialize};

/// Which events mean what (configuration `[routing]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    /// Lead statuses that ask for a profile transfer ("ready to upload manually").
    pub transfer_status_ids: Vec<StatusId>,
    /// The lead field holding the seller's account URL on the other classifieds site.
    pub lead_url_field: FieldId,
    /// The lead field holding the seller's phone.
    pub lead_phone_field: FieldId,
    /// The company checkbox that asks for a refresh from the marketplace (`None`: refresh is off).
    pub refresh_field: Option<FieldId>,
    /// The company checkbox that asks for a feed upload (`None`: feed upload is off).
    pub feed_field: Option<FieldId>,
    /// The company fields of a seller (the seller id and the feed URL are read from them).
    pub fields: SellerFields,
}

/// What an event asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case")]
pub enum Route {
    /// Start a profile transfer for a lead.
    Transfer {
        /// The lead.
        lead_id: i64,
    },
    /// Refresh a company from the marketplace.
    Refresh {
        /// The company.
        company_id: i64,
    },
    /// Request a periodic feed load for a company's seller.
    FeedUpload {
        /// The company.
        company_id: i64,
    },
    /// Nothing to do.
    Ignore {
        /// Why.
        reason: String,
    },
}

fn checked(fields: &CustomFields, field: Option<FieldId>) -> bool {
    field
        .and_then(|f| fields.by_id(f))
        .and_then(|v| v.values.first())
        .and_then(|v| v.value.as_ref())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// What `event` asks for under `routing`.
pub fn route(event: &WebhookEvent, routing: &Routing) -> Route {
    let ignore = |reason: &str| Route::Ignore {
        reason: reason.to_owned(),
    };
    let Some(id) = event.id.filter(|id| *id > 0) else {
        return ignore("the event names no entity id");
    };
    match (event.entity, event.action) {
        (EventEntity::Lead, EventAction::Status | EventAction::Add) => match event.status_id {
            Some(status) if routing.transfer_status_ids.contains(&status) => {
                Route::Transfer { lead_id: id }
            }
            _ => ignore("the lead did not enter a transfer status"),
        },
        (EventEntity::Company, EventAction::Add | EventAction::Update) => {
            if checked(&event.custom_fields, routing.feed_field) {
                Route::FeedUpload { company_id: id }
            } else if checked(&event.custom_fields, routing.refresh_field) {
                Route::Refresh { company_id: id }
            } else {
                ignore("no action checkbox is set on the company")
            }
        }
        _ => ignore("AMONITION does not act on this entity and action"),
    }
}

/// What handling an event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Handled {
    /// A profile transfer was started (or had been for the same key).
    TransferStarted {
        /// The lead.
        lead_id: i64,
        /// The service's transfer id.
        transfer_id: String,
    },
    /// A company was refreshed.
    Refreshed {
        /// The company.
        company_id: i64,
    },
    /// A periodic feed load was requested.
    FeedRequested {
        /// The company.
        company_id: i64,
    },
    /// The event asks for nothing.
    Ignored {
        /// Why.
        reason: String,
    },
}

/// Why an event could not be handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// A system was unavailable; a later attempt may succeed.
    #[error("{0}")]
    Retryable(String),
    /// The event cannot be handled as it is (missing field, a phone that is no phone, an unknown user...).
    #[error("{0}")]
    Permanent(String),
}

impl EventError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable(_))
    }
}

impl From<CrmError> for EventError {
    fn from(error: CrmError) -> Self {
        if error.is_transient() {
            Self::Retryable(format!("amoCRM: {error}"))
        } else {
            Self::Permanent(format!("amoCRM: {error}"))
        }
    }
}

impl From<ServiceError> for EventError {
    fn from(error: ServiceError) -> Self {
        if error.is_retryable() {
            Self::Retryable(error.to_string())
        } else {
            Self::Permanent(error.to_string())
        }
    }
}

impl From<StoreError> for EventError {
    fn from(error: StoreError) -> Self {
        Self::Retryable(format!("storage: {error}"))
    }
}

/// What the handlers need.
#[derive(Clone, Copy)]
pub struct EventPorts<'a> {
    /// amoCRM.
    pub crm: &'a dyn CrmClient,
    /// The marketplace's sellers.
    pub sellers: &'a dyn SellerSource,
    /// The feed service.
    pub feeds: &'a dyn FeedService,
    /// The profile-transfer service.
    pub transfer: &'a dyn ProfileTransfer,
    /// Seller ↔ company links.
    pub companies: &'a dyn CompanyStore,
}

/// Handles `event`; `key` (the inbox row's redelivery key) makes repeated attempts start one transfer.
pub async fn handle(
    event: &WebhookEvent,
    routing: &Routing,
    ports: EventPorts<'_>,
    key: &str,
) -> Result<Handled, EventError> {
    match route(event, routing) {
        Route::Transfer { lead_id } => transfer(event, lead_id, routing, ports, key).await,
        Route::Refresh { company_id } => {
            refresh(event, CompanyId(company_id), routing, ports).await
        }
        Route::FeedUpload { company_id } => {
            feed_upload(event, CompanyId(company_id), routing, ports).await
        }
        Route::Ignore { reason } => Ok(Handled::Ignored { reason }),
    }
}

async fn transfer(
    event: &WebhookEvent,
    lead_id: i64,
    routing: &Routing,
    ports: EventPorts<'_>,
    key: &str,
) -> Result<Handled, EventError> {
    let mut url = event.custom_fields.text(routing.lead_url_field);
    let mut phone = event.custom_fields.text(routing.lead_phone_field);
    if url.is_none() || phone.is_none() {
        let lead = ports
            .crm
            .get_lead(LeadId(lead_id), false)
            .await?
            .ok_or_else(|| {
                EventError::Permanent(format!("lead {lead_id} does not exist in amoCRM"))
            })?;
        url = url.or_else(|| lead.custom_fields.text(routing.lead_url_field));
        phone = phone.or_else(|| lead.custom_fields.text(routing.lead_phone_field));
    }
    let url = url.ok_or_else(|| {
        EventError::Permanent(format!(
            "lead {lead_id} has no account URL in field {}",
            routing.lead_url_field.0
        ))
    })?;
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2048 {
        return Err(EventError::Permanent(format!(
            "lead {lead_id}: field {} is not an http(s) URL",
            routing.lead_url_field.0
        )));
    }
    let phone = phone.ok_or_else(|| {
        EventError::Permanent(format!(
            "lead {lead_id} has no phone in field {}",
            routing.lead_phone_field.0
        ))
    })?;
    let phone = Phone::parse(&phone).map_err(|_| {
        EventError::Permanent(format!(
            "lead {lead_id}: field {} holds something that cannot be a phone",
            routing.lead_phone_field.0
        ))
    })?;
    let started = ports
        .transfer
        .start(&TransferRequest {
            account_url: url,
            phone,
            lead_id,
            idempotency_key: key.to_owned(),
        })
        .await?;
    Ok(Handled::TransferStarted {
        lead_id,
        transfer_id: started.transfer_id,
    })
}

/// The seller id and (when `need_feed`) the feed URL of a company: from the event when it carries them, else
/// from amoCRM.
async fn company_values(
    event: &WebhookEvent,
    company: CompanyId,
    fields: &SellerFields,
    need_feed: bool,
    ports: EventPorts<'_>,
) -> Result<(Option<String>, Option<String>), EventError> {
    let seller = event.custom_fields.text(fields.seller_id);
    let feed = fields.feed_url.and_then(|f| event.custom_fields.text(f));
    if seller.is_some() && (feed.is_some() || fields.feed_url.is_none() || !need_feed) {
        return Ok((seller, feed));
    }
    let stored = ports.crm.get_company(company).await?.ok_or_else(|| {
        EventError::Permanent(format!("company {} does not exist in amoCRM", company.0))
    })?;
    Ok((
        seller.or_else(|| stored.custom_fields.text(fields.seller_id)),
        feed.or_else(|| fields.feed_url.and_then(|f| stored.custom_fields.text(f))),
    ))
}

async fn seller_of(
    event: &WebhookEvent,
    company: CompanyId,
    fields: &SellerFields,
    need_feed: bool,
    ports: EventPorts<'_>,
) -> Result<(SellerId, Option<String>), EventError> {
    let (seller, feed) = company_values(event, company, fields, need_feed, ports).await?;
    let seller = match seller {
        Some(text) => SellerId::parse(&text).map_err(|e| {
            EventError::Permanent(format!(
                "company {}: field {} is no seller id ({e})",
                company.0, fields.seller_id.0
            ))
        })?,
        None => match ports
            .companies
            .by_companies(&[company])
            .await?
            .into_iter()
            .next()
        {
            Some(link) => link.seller_id,
            None => {
                return Err(EventError::Permanent(format!(
                    "company {} has no seller id in field {} and no stored link",
                    company.0, fields.seller_id.0
                )));
            }
        },
    };
    Ok((seller, feed))
}

async fn refresh(
    event: &WebhookEvent,
    company: CompanyId,
    routing: &Routing,
    ports: EventPorts<'_>,
) -> Result<Handled, EventError> {
    let (seller_id, _) = seller_of(event, company, &routing.fields, false, ports).await?;
    let mut seller = ports.sellers.seller(&seller_id).await?.ok_or_else(|| {
        EventError::Permanent(format!(
            "seller {seller_id} does not exist on the marketplace"
        ))
    })?;
    if let Some(feed) = ports
        .feeds
        .feeds(std::slice::from_ref(&seller_id))
        .await?
        .remove(&seller_id)
    {
        seller.feed = feed;
    }
    let mut update = seller.company_update(company, &routing.fields);
    if let Some(field) = routing.refresh_field {
        update.custom_fields.push(CustomFieldValue::clear(field));
    }
    ports.crm.update_companies(&[update]).await?;
    ports
        .companies
        .save(&[CompanyLink::new(seller_id, company)])
        .await?;
    Ok(Handled::Refreshed {
        company_id: company.0,
    })
}

async fn feed_upload(
    event: &WebhookEvent,
    company: CompanyId,
    routing: &Routing,
    ports: EventPorts<'_>,
) -> Result<Handled, EventError> {
    let (seller_id, feed) = seller_of(event, company, &routing.fields, true, ports).await?;
    let feed = feed
        .ok_or_else(|| EventError::Permanent(format!("company {} has no feed URL", company.0)))?;
    if !(feed.starts_with("https://") || feed.starts_with("http://")) {
        return Err(EventError::Permanent(format!(
            "company {}: the feed URL is not an http(s) URL",
            company.0
        )));
    }
    if !ports.sellers.user_exists(&seller_id).await? {
        let reason =
            format!("user {seller_id} does not exist on the marketplace; the feed was not loaded");
        ports
            .crm
            .add_notes(&[NewNote::text(
                EntityRef::company(company.0),
                format!("AMONITION: {reason}"),
            )])
            .await?;
        return Err(EventError::Permanent(reason));
    }
    if ports
        .companies
        .by_sellers(std::slice::from_ref(&seller_id))
        .await?
        .is_empty()
    {
        ports
            .companies
            .save(&[CompanyLink::new(seller_id.clone(), company)])
            .await?;
    }
    ports.feeds.request_periodic_load(&seller_id, &feed).await?;
    if let Some(field) = routing.feed_field {
        ports
            .crm
            .update_companies(&[CompanyUpdate {
                id: company,
                custom_fields: vec![CustomFieldValue::clear(field)],
                ..CompanyUpdate::default()
            }])
            .await?;
    }
    Ok(Handled::FeedRequested {
        company_id: company.0,
    })
}
