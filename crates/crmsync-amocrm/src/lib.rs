//! An amoCRM / Kommo API v4 client.
//!
//! - **Auth**: OAuth 2.0 with rotating single-use refresh tokens, persisted through a
//!   [`KeyValueStore`](crmsync_ports::KeyValueStore) *before* they are used, refreshed ahead of expiry and once
//!   on a `401`, one refresh at a time for all concurrent callers; or a long-lived token.
//! - **Limits**: one rate limiter (7 requests/s, burst 1 by default) shared by every clone of a client; `429`
//!   waits and retries a bounded number of times; `403` blocks the client so it stops sending anything.
//! - **Retries**: reads and updates retry 5xx and transport failures with jittered exponential backoff; creates
//!   whose outcome is unknown are never resent but reported as [`CrmError::Ambiguous`] with their request ids;
//!   a `504` on a batch splits it in halves.
//! - **Batches and pages**: writes are chunked (50 by default, at most 250; complex add at most 50), lists are
//!   paged at 250 following `_links.next`, `204` is an empty result.
//! - **Tolerant decoding** of what the API really sends, and typed [`CrmError`]s whose texts carry no tokens or
//!   personal data.
//! - **Webhooks**: [`webhook::parse`] reads the PHP-style form bodies amoCRM posts.
//!
//! The client implements the [`CrmClient`] port, so jobs written against the port run on it unchanged.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use crmsync_amocrm::{AmoCrmClient, Credentials, OAuthApp};
//! use crmsync_ports::{CrmClient, CrmClientExt, LeadFilter};
//! use crmsync_store::memory::MemoryKeyValueStore;
//!
//! # async fn run() -> Result<(), crmsync_ports::CrmError> {
//! let client = AmoCrmClient::builder(
//!     "https://example.amocrm.ru",
//!     Credentials::OAuth {
//!         app: OAuthApp {
//!             client_id: "integration-id".into(),
//!             client_secret: "secret".into(),
//!             redirect_uri: "https://example.org/amocrm".into(),
//!         },
//!         store: Arc::new(MemoryKeyValueStore::new()),
//!         key: "amocrm:example:tokens".into(),
//!     },
//! )
//! .build()?;
//! client.authorize_with_code("code-from-the-integration-modal").await?;
//! let pipelines = client.pipelines().await?;
//! let leads = client.all_leads(&LeadFilter::default().with_contacts()).await?;
//! # let _ = (pipelines, leads);
//! # Ok(())
//! # }
//! ```

pub mod account;
mod auth;
mod batch;
mod budget;
mod call;
pub mod catalogs;
mod client;
mod clock;
mod config;
pub mod customers;
mod decode;
mod encode;
pub mod endpoints;
#[cfg(test)]
mod endpoints_docs;
pub mod events;
pub mod fields;
mod flex;
#[cfg(test)]
mod golden;
#[cfg(test)]
mod golden_api;
mod http;
pub mod jwt;
mod lenient;
pub mod links;
pub mod notes;
pub mod pipelines;
pub mod platform;
mod port;
mod problem;
mod query;
mod redact;
mod rest;
mod retry;
pub mod roles;
pub mod settings;
pub mod sources;
pub mod subdomain;
pub mod subscriptions;
pub mod tags;
pub mod tasks;
pub mod unsorted;
pub mod webhook;

pub use auth::{Credentials, OAuthApp, StoredTokens, TokenPair};
pub use budget::{InProcessBudget, RequestBudget};
pub use client::{AmoCrmClient, AmoCrmClientBuilder, ClientStats};
pub use clock::{Clock, SystemClock};
pub use config::{
    BatchPolicy, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REFRESH_MARGIN, MAX_BATCH, MAX_COMPLEX_BATCH,
    MAX_PAGE, RateLimit, RetryPolicy, Timeouts,
};
pub use crmsync_ports::{CrmClient, CrmClientExt, CrmError};

/// Decoding entry points for benchmarks and fuzzing; not a stable API.
#[doc(hidden)]
pub mod __private {
    use crmsync_domain::crm::{Contact, Lead};
    use crmsync_ports::CrmError;

    /// Decodes a `GET /api/v4/leads` page body.
    pub fn decode_leads_page(body: &[u8]) -> Result<Vec<Lead>, CrmError> {
        crate::decode::leads_page(body).map(|p| p.items)
    }

    /// Decodes a `GET /api/v4/contacts` page body.
    pub fn decode_contacts_page(body: &[u8]) -> Result<Vec<Contact>, CrmError> {
        crate::decode::contacts_page(body).map(|p| p.items)
    }
}
