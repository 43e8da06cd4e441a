//! `AmoCrmClient`: the amoCRM v4 client, cheap to clone (clones share the limiter, tokens and block state),
//! and its implementation of the `CrmClient` port.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::crm::{
    Company, CompanyId, CompanyUpdate, ComplexCreated, ComplexLead, Contact, ContactId,
    ContactUpdate, CustomFieldDefinition, EntityKind, Lead, LeadId, LeadUpdate, NewCompany,
    NewContact, NewLead, NewNote, NewTask, Note, NoteId, Pipeline, Task, TaskId,
};
use crmsync_ports::{
    CompanyFilter, ContactFilter, Created, CrmClient, CrmError, LeadFilter, NoteFilter, Page,
    PageCursor, TaskFilter,
};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use reqwest::{Method, Url};
use serde_json::{Map, Value};

use crate::auth::{Credentials, TokenManager, TokenPair};
use crate::batch::{self, Batch, Item};
use crate::budget::{InProcessBudget, RequestBudget};
use crate::call::{Call, Effect, Failure, execute};
use crate::clock::{Clock, SystemClock};
use crate::config::{
    BatchPolicy, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REFRESH_MARGIN, RateLimit, RetryPolicy,
    Timeouts,
};
use crate::decode::{self, DecodedPage};
use crate::encode;
use crate::http::{Http, HttpSettings};
use crate::query;

/// State shared by a client and its clones.
pub(crate) struct Inner {
    pub(crate) http: Http,
    pub(crate) tokens: TokenManager,
    pub(crate) retry: RetryPolicy,
    pub(crate) batch: BatchPolicy,
}

/// Counters of a client and all its clones since it was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientStats {
    /// HTTP requests sent (retries and token requests included).
    pub requests: u64,
    /// `429` answers received.
    pub rate_limited: u64,
    /// Retries after 5xx or transport failures.
    pub retries: u64,
    /// Requests to `/oauth2/access_token`.
    pub token_requests: u64,
    /// Requests that got no complete response.
    pub transport_failures: u64,
}

/// Builds an [`AmoCrmClient`].
pub struct AmoCrmClientBuilder {
    base_url: String,
    credentials: Credentials,
    rate_limit: RateLimit,
    timeouts: Timeouts,
    retry: RetryPolicy,
    batch: BatchPolicy,
    refresh_margin: Duration,
    user_agent: String,
    max_response_bytes: u64,
    clock: Arc<dyn Clock>,
    budget: Option<Arc<dyn RequestBudget>>,
}

impl std::fmt::Debug for AmoCrmClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmoCrmClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("rate_limit", &self.rate_limit)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("batch", &self.batch)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl AmoCrmClientBuilder {
    /// The rate of the default in-process budget (default: 7 per second, burst 1); ignored when
    /// [`budget`](Self::budget) is set.
    #[must_use]
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Connect and request deadlines (default: 5 s and 20 s).
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Retry behaviour.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Chunk and page sizes.
    #[must_use]
    pub fn batch(mut self, batch: BatchPolicy) -> Self {
        self.batch = batch;
        self
    }

    /// How long before expiry an OAuth access token is refreshed (default 5 minutes).
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The `User-Agent` header.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The largest response body read (default [`DEFAULT_MAX_RESPONSE_BYTES`], 32 MiB); a larger answer fails
    /// the call with `CrmError::ResponseTooLarge` (a create's outcome becomes `Ambiguous`).
    #[must_use]
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit.max(1);
        self
    }

    /// The request budget every request draws a slot from and the pause after a long `429` is recorded in
    /// (default: an [`InProcessBudget`] at [`rate_limit`](Self::rate_limit)). Pass one shared implementation
    /// (for example a Redis-backed one) to several clients or processes so they respect amoCRM's limits together.
    #[must_use]
    pub fn budget(mut self, budget: Arc<dyn RequestBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The clock token expiry and pauses are measured on (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the client; fails on a base URL that is not `http(s)://host[:port]`.
    pub fn build(self) -> Result<AmoCrmClient, CrmError> {
        let invalid = |reason: &str| CrmError::InvalidInput {
            field: "base_url".into(),
            reason: reason.to_owned(),
        };
        let base =
            Url::parse(self.base_url.trim()).map_err(|e| invalid(&format!("not a URL ({e})")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(invalid(
                "use https://SUBDOMAIN.amocrm.ru (or http:// for a local emulator)",
            ));
        }
        let budget = self
            .budget
            .unwrap_or_else(|| Arc::new(InProcessBudget::new(self.rate_limit)));
        let settings = HttpSettings {
            budget,
            timeouts: self.timeouts,
            user_agent: self.user_agent,
            max_body: self.max_response_bytes,
            max_pause_wait: self.retry.max_rate_limit_wait,
            clock: self.clock,
        };
        let http = Http::new(base, settings).map_err(|e| CrmError::InvalidInput {
            field: "http client".into(),
            reason: e.to_string(),
        })?;
        Ok(AmoCrmClient {
            view: View::default(),
            inner: Arc::new(Inner {
                http,
                tokens: TokenManager::new(self.credentials, self.refresh_margin, self.retry),
                retry: self.retry,
                batch: self.batch,
            }),
        })
    }
}

/// An amoCRM / Kommo API v4 client for one account.
///
/// Clones share one rate limiter, one token cache with single-flight refresh, and one block switch: after a
/// `403` no clone sends anything until [`AmoCrmClient::unblock`].
#[derive(Clone)]
pub struct AmoCrmClient {
    inner: Arc<Inner>,
    view: View,
}

/// Per-clone request options: the user to act as and the `If-Modified-Since` of list requests.
#[derive(Debug, Clone, Copy, Default)]
struct View {
    context_user: Option<i64>,
    modified_since: Option<DateTime<Utc>>,
}

impl View {
    /// Extra headers of a request; `list` adds `If-Modified-Since`.
    fn headers(self, list: bool) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(user) = self.context_user {
            headers.push(("X-Context-User-ID", user.to_string()));
        }
        if list && let Some(since) = self.modified_since {
            headers.push((
                "If-Modified-Since",
                since.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ));
        }
        headers
    }
}

impl std::fmt::Debug for AmoCrmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmoCrmClient")
            .field("base", &self.inner.http.base().as_str().to_owned())
            .finish_non_exhaustive()
    }
}

fn read_failure(failure: Failure) -> CrmError {
    match failure {
        Failure::Crm(error) => error,
        Failure::Undecided(detail) => CrmError::Transport { detail },
        Failure::GatewayTimeout => CrmError::Server {
            status: 504,
            detail: "gateway timeout".into(),
        },
    }
}

type PageDecoder<T> = fn(&[u8]) -> Result<DecodedPage<T>, CrmError>;

impl AmoCrmClient {
    /// A builder for the account at `base_url` (`https://example.amocrm.ru`, `https://example.kommo.com`, or an
    /// emulator's address).
    pub fn builder(base_url: impl Into<String>, credentials: Credentials) -> AmoCrmClientBuilder {
        AmoCrmClientBuilder {
            base_url: base_url.into(),
            credentials,
            rate_limit: RateLimit::default(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            batch: BatchPolicy::default(),
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            user_agent: format!("crmsync-amocrm/{}", env!("CARGO_PKG_VERSION")),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            clock: Arc::new(SystemClock),
            budget: None,
        }
    }

    /// Exchanges an authorization code for the first token pair and stores it; returns when the access token
    /// expires.
    pub async fn authorize_with_code(&self, code: &str) -> Result<DateTime<Utc>, CrmError> {
        let pair = self
            .inner
            .tokens
            .exchange_code(&self.inner.http, code)
            .await?;
        Ok(pair.expires_at)
    }

    /// Stores a token pair obtained elsewhere (for example migrated from another system).
    pub async fn import_tokens(&self, pair: TokenPair) -> Result<(), CrmError> {
        self.inner.tokens.import(pair).await
    }

    /// Counters of this client and its clones.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.http.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            token_requests: c.token_requests.load(Ordering::Relaxed),
            transport_failures: c.transport_failures.load(Ordering::Relaxed),
        }
    }

    /// Why the client is blocked (after a `403`), if it is.
    pub fn blocked(&self) -> Option<String> {
        self.inner.http.blocked()
    }

    /// Allows requests again once the CRM's support has lifted a block.
    pub fn unblock(&self) {
        self.inner.http.unblock();
    }

    /// How much longer the client and its clones hold their requests back because amoCRM answered `429`, if
    /// they do.
    pub async fn paused_for(&self) -> Option<Duration> {
        self.inner.http.paused_for().await
    }

    /// A clone that acts as user `user_id` (`X-Context-User-ID`): amoCRM applies that user's rights and records
    /// what it writes as theirs. It shares everything else (budget, tokens, block switch) with this client.
    #[must_use]
    pub fn as_user(&self, user_id: i64) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            view: View {
                context_user: Some(user_id),
                ..self.view
            },
        }
    }

    /// A clone whose list requests send `If-Modified-Since: since`: amoCRM answers only entities changed since
    /// then (`204` when none), which it recommends over re-reading whole lists.
    #[must_use]
    pub fn if_modified_since(&self, since: DateTime<Utc>) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            view: View {
                modified_since: Some(since),
                ..self.view
            },
        }
    }

    /// Subscribes `destination` to webhook `settings` (`add_lead`, `status_lead`, `update_contact`...); saving
    /// the same destination again replaces its settings (and re-enables a disabled webhook).
    pub async fn subscribe_webhook(
        &self,
        destination: &str,
        settings: &[&str],
    ) -> Result<(), CrmError> {
        if settings.is_empty() {
            return Err(CrmError::InvalidInput {
                field: "settings".into(),
                reason: "name at least one event".into(),
            });
        }
        let body =
            serde_json::json!({ "destination": destination, "settings": settings, "sort": 10 });
        self.send_object(Method::POST, "/api/v4/webhooks", &body)
            .await
    }

    /// Removes the webhook subscription of `destination`.
    pub async fn unsubscribe_webhook(&self, destination: &str) -> Result<(), CrmError> {
        let body = serde_json::json!({ "destination": destination });
        self.send_object(Method::DELETE, "/api/v4/webhooks", &body)
            .await
    }

    async fn send_object(&self, method: Method, path: &str, body: &Value) -> Result<(), CrmError> {
        let bytes = serde_json::to_vec(body).map_err(|e| CrmError::InvalidInput {
            field: "body".into(),
            reason: e.to_string(),
        })?;
        let call = Call {
            method,
            path,
            body: Some(&bytes),
            effect: Effect::Update,
            splittable: false,
            headers: &self.view.headers(false),
        };
        execute(&self.inner, &call)
            .await
            .map_err(read_failure)
            .map(drop)
    }

    async fn get(&self, path: &str, list: bool) -> Result<crate::http::RawResponse, CrmError> {
        let headers = self.view.headers(list);
        let call = Call {
            method: Method::GET,
            path,
            body: None,
            effect: Effect::Read,
            splittable: false,
            headers: &headers,
        };
        execute(&self.inner, &call).await.map_err(read_failure)
    }

    async fn page<T>(
        &self,
        first: impl FnOnce(u32) -> String,
        requested_limit: Option<u32>,
        cursor: Option<PageCursor>,
        decode: PageDecoder<T>,
    ) -> Result<Page<T>, CrmError> {
        let path = match cursor {
            Some(cursor) => {
                let path = cursor.as_str();
                if !path.starts_with("/api/v4/") {
                    return Err(CrmError::InvalidInput {
                        field: "cursor".into(),
                        reason: "not a cursor handed out by this client".into(),
                    });
                }
                path.to_owned()
            }
            None => first(self.inner.batch.page_size(requested_limit)),
        };
        let response = self.get(&path, true).await?;
        if response.status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Page::empty());
        }
        let page = decode(&response.body)?;
        let next = page.next.filter(|next| *next != path).map(PageCursor::new);
        Ok(Page {
            items: page.items,
            next,
        })
    }

    async fn one<T>(
        &self,
        path: &str,
        decode: fn(&[u8]) -> Result<T, CrmError>,
    ) -> Result<Option<T>, CrmError> {
        let response = self.get(path, false).await?;
        if response.status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        decode(&response.body).map(Some)
    }

    async fn all_pages<T>(
        &self,
        first: &(dyn Fn(u32) -> String + Sync),
        decode: PageDecoder<T>,
    ) -> Result<Vec<T>, CrmError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..crmsync_ports::MAX_PAGES {
            let page = self.page(first, None, cursor, decode).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(CrmError::InvalidInput {
            field: "list".into(),
            reason: "too many pages".into(),
        })
    }

    /// Every lead matching `filter`, as a stream that fetches a page of up to 250 at a time, following
    /// `_links.next`.
    pub fn stream_leads(&self, filter: LeadFilter) -> BoxStream<'static, Result<Lead, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_leads(&filter, cursor).await }
        })
    }

    /// Every contact matching `filter`, as a stream of pages of up to 250.
    pub fn stream_contacts(
        &self,
        filter: ContactFilter,
    ) -> BoxStream<'static, Result<Contact, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_contacts(&filter, cursor).await }
        })
    }

    /// Every company matching `filter`, as a stream of pages of up to 250.
    pub fn stream_companies(
        &self,
        filter: CompanyFilter,
    ) -> BoxStream<'static, Result<Company, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_companies(&filter, cursor).await }
        })
    }

    /// Every task matching `filter`, as a stream of pages of up to 250.
    pub fn stream_tasks(&self, filter: TaskFilter) -> BoxStream<'static, Result<Task, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_tasks(&filter, cursor).await }
        })
    }

    async fn create<I: Copy>(
        &self,
        path: &str,
        key: &str,
        items: Vec<Item>,
        wrap: fn(i64) -> I,
    ) -> Result<Vec<Created<I>>, CrmError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let context = format!("POST {path}");
        let decode = move |body: &[u8], sent: &[String]| {
            decode::written(&context, key, body, sent).map(|list| {
                list.into_iter()
                    .map(|w| (w.request_ids, w.id))
                    .collect::<Vec<_>>()
            })
        };
        let batch = Batch {
            method: Method::POST,
            path,
            effect: Effect::Create,
            chunk: self.inner.batch.write_chunk(),
            decode: &decode,
            headers: &self.view.headers(false),
        };
        let done = batch::run(&self.inner, &batch, items)
            .await
            .finish(|id| *id)?;
        Ok(done
            .into_iter()
            .flat_map(|(rids, id)| {
                rids.into_iter().map(move |request_id| Created {
                    request_id,
                    id: wrap(id),
                })
            })
            .collect())
    }

    async fn update<I>(
        &self,
        path: &str,
        key: &str,
        bodies: Vec<(i64, Value)>,
        wrap: fn(i64) -> I,
    ) -> Result<Vec<I>, CrmError> {
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        let mut seen = std::collections::HashSet::new();
        let mut items = Vec::with_capacity(bodies.len());
        for (index, (id, body)) in bodies.into_iter().enumerate() {
            if !seen.insert(id) {
                return Err(CrmError::InvalidInput {
                    field: format!("[{index}].id"),
                    reason: format!("entity {id} is updated twice in one batch"),
                });
            }
            items.push(Item {
                request_id: id.to_string(),
                body,
            });
        }
        let context = format!("PATCH {path}");
        let decode = move |body: &[u8], sent: &[String]| {
            decode::written(&context, key, body, sent).map(|list| {
                list.into_iter()
                    .map(|w| (vec![w.id.to_string()], w.id))
                    .collect::<Vec<_>>()
            })
        };
        let batch = Batch {
            method: Method::PATCH,
            path,
            effect: Effect::Update,
            chunk: self.inner.batch.write_chunk(),
            decode: &decode,
            headers: &self.view.headers(false),
        };
        let done = batch::run(&self.inner, &batch, items)
            .await
            .finish(|id| *id)?;
        Ok(done.into_iter().map(|(_, id)| wrap(id)).collect())
    }
}

fn stream_pages<T, F, Fut>(fetch: F) -> BoxStream<'static, Result<T, CrmError>>
where
    T: Send + 'static,
    F: FnMut(Option<PageCursor>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, CrmError>> + Send + 'static,
{
    let fetch = Arc::new(tokio::sync::Mutex::new(fetch));
    stream::try_unfold(Some(None::<PageCursor>), move |state| {
        let fetch = Arc::clone(&fetch);
        async move {
            let Some(cursor) = state else {
                return Ok(None);
            };
            let future = (fetch.lock().await)(cursor);
            let page = future.await?;
            let next_state = page.next.map(Some);
            Ok(Some((page.items, next_state)))
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

fn encode_all<T>(
    inputs: &[T],
    what: &str,
    encode: impl Fn(&T, &str) -> Result<Map<String, Value>, CrmError>,
) -> Result<Vec<Map<String, Value>>, CrmError> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| encode(input, &format!("{what}[{i}]")))
        .collect()
}

#[async_trait]
impl CrmClient for AmoCrmClient {
    async fn list_leads(
        &self,
        filter: &LeadFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Lead>, CrmError> {
        self.page(
            |limit| query::leads(filter, limit).to_path("/api/v4/leads"),
            filter.limit,
            cursor,
            decode::leads_page,
        )
        .await
    }

    async fn list_contacts(
        &self,
        filter: &ContactFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Contact>, CrmError> {
        self.page(
            |limit| query::contacts(filter, limit).to_path("/api/v4/contacts"),
            filter.limit,
            cursor,
            decode::contacts_page,
        )
        .await
    }

    async fn list_companies(
        &self,
        filter: &CompanyFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Company>, CrmError> {
        self.page(
            |limit| query::companies(filter, limit).to_path("/api/v4/companies"),
            filter.limit,
            cursor,
            decode::companies_page,
        )
        .await
    }

    async fn list_tasks(
        &self,
        filter: &TaskFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Task>, CrmError> {
        self.page(
            |limit| query::tasks(filter, limit).to_path("/api/v4/tasks"),
            filter.limit,
            cursor,
            decode::tasks_page,
        )
        .await
    }

    async fn list_notes(
        &self,
        filter: &NoteFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Note>, CrmError> {
        let decoder: PageDecoder<Note> = match filter.entity_kind {
            EntityKind::Leads => |body| decode::notes_page(EntityKind::Leads, body),
            EntityKind::Contacts => |body| decode::notes_page(EntityKind::Contacts, body),
            EntityKind::Companies => |body| decode::notes_page(EntityKind::Companies, body),
            EntityKind::Customers => |body| decode::notes_page(EntityKind::Customers, body),
        };
        let path = format!("/api/v4/{}/notes", filter.entity_kind.api_name());
        self.page(
            |limit| query::notes(filter, limit).to_path(&path),
            filter.limit,
            cursor,
            decoder,
        )
        .await
    }

    async fn get_lead(&self, id: LeadId, with_contacts: bool) -> Result<Option<Lead>, CrmError> {
        let suffix = if with_contacts { "?with=contacts" } else { "" };
        self.one(&format!("/api/v4/leads/{}{suffix}", id.0), decode::lead)
            .await
    }

    async fn get_contact(&self, id: ContactId) -> Result<Option<Contact>, CrmError> {
        self.one(&format!("/api/v4/contacts/{}", id.0), decode::contact)
            .await
    }

    async fn get_company(&self, id: CompanyId) -> Result<Option<Company>, CrmError> {
        self.one(&format!("/api/v4/companies/{}", id.0), decode::company)
            .await
    }

    async fn add_leads(&self, leads: &[NewLead]) -> Result<Vec<Created<LeadId>>, CrmError> {
        let bodies = encode_all(leads, "leads", encode::new_lead)?;
        let items =
            batch::with_request_ids(bodies, leads.iter().map(|l| l.request_id.clone()), true)?;
        self.create("/api/v4/leads", "leads", items, LeadId).await
    }

    async fn update_leads(&self, updates: &[LeadUpdate]) -> Result<Vec<LeadId>, CrmError> {
        let bodies = updates
            .iter()
            .enumerate()
            .map(|(i, u)| Ok((u.id.0, encode::lead_update(u, &format!("leads[{i}]"))?)))
            .collect::<Result<Vec<_>, CrmError>>()?;
        self.update("/api/v4/leads", "leads", bodies, LeadId).await
    }

    async fn add_contacts(
        &self,
        contacts: &[NewContact],
    ) -> Result<Vec<Created<ContactId>>, CrmError> {
        let bodies = encode_all(contacts, "contacts", encode::new_contact)?;
        let items =
            batch::with_request_ids(bodies, contacts.iter().map(|c| c.request_id.clone()), true)?;
        self.create("/api/v4/contacts", "contacts", items, ContactId)
            .await
    }

    async fn update_contacts(&self, updates: &[ContactUpdate]) -> Result<Vec<ContactId>, CrmError> {
        let bodies = updates
            .iter()
            .enumerate()
            .map(|(i, u)| {
                Ok((
                    u.id.0,
                    encode::contact_update(u, &format!("contacts[{i}]"))?,
                ))
            })
            .collect::<Result<Vec<_>, CrmError>>()?;
        self.update("/api/v4/contacts", "contacts", bodies, ContactId)
            .await
    }

    async fn add_companies(
        &self,
        companies: &[NewCompany],
    ) -> Result<Vec<Created<CompanyId>>, CrmError> {
        let bodies = encode_all(companies, "companies", encode::new_company)?;
        let items =
            batch::with_request_ids(bodies, companies.iter().map(|c| c.request_id.clone()), true)?;
        self.create("/api/v4/companies", "companies", items, CompanyId)
            .await
    }

    async fn update_companies(
        &self,
        updates: &[CompanyUpdate],
    ) -> Result<Vec<CompanyId>, CrmError> {
        let bodies = updates
            .iter()
            .enumerate()
            .map(|(i, u)| {
                Ok((
                    u.id.0,
                    encode::company_update(u, &format!("companies[{i}]"))?,
                ))
            })
            .collect::<Result<Vec<_>, CrmError>>()?;
        self.update("/api/v4/companies", "companies", bodies, CompanyId)
            .await
    }

    async fn add_complex(&self, items: &[ComplexLead]) -> Result<Vec<ComplexCreated>, CrmError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let bodies = encode_all(items, "complex", encode::complex_lead)?;
        let prepared = batch::with_request_ids(
            bodies,
            items.iter().map(|i| i.lead.request_id.clone()),
            true,
        )?;
        let decode = |body: &[u8], sent: &[String]| {
            decode::complex_created(body, sent).map(|list| {
                list.into_iter()
                    .map(|c| (c.request_ids.clone(), c))
                    .collect::<Vec<_>>()
            })
        };
        let batch = Batch {
            method: Method::POST,
            path: "/api/v4/leads/complex",
            effect: Effect::Create,
            chunk: self.inner.batch.complex_chunk(),
            decode: &decode,
            headers: &self.view.headers(false),
        };
        let done = batch::run(&self.inner, &batch, prepared)
            .await
            .finish(|c| c.lead_id.0)?;
        Ok(done.into_iter().map(|(_, created)| created).collect())
    }

    async fn add_tasks(&self, tasks: &[NewTask]) -> Result<Vec<Created<TaskId>>, CrmError> {
        let bodies = encode_all(tasks, "tasks", encode::new_task)?;
        let items =
            batch::with_request_ids(bodies, tasks.iter().map(|t| t.request_id.clone()), true)?;
        self.create("/api/v4/tasks", "tasks", items, TaskId).await
    }

    async fn add_notes(&self, notes: &[NewNote]) -> Result<Vec<Created<NoteId>>, CrmError> {
        let bodies = encode_all(notes, "notes", encode::new_note)?;
        let items =
            batch::with_request_ids(bodies, notes.iter().map(|n| n.request_id.clone()), true)?;
        let mut created = Vec::with_capacity(items.len());
        let mut undecided = Vec::new();
        for kind in [
            EntityKind::Leads,
            EntityKind::Contacts,
            EntityKind::Companies,
            EntityKind::Customers,
        ] {
            let group: Vec<Item> = items
                .iter()
                .zip(notes)
                .filter(|(_, note)| note.entity.kind == kind)
                .map(|(item, _)| item.clone())
                .collect();
            if group.is_empty() {
                continue;
            }
            let path = format!("/api/v4/{}/notes", kind.api_name());
            match self.create(&path, "notes", group, NoteId).await {
                Ok(list) => created.extend(list),
                Err(CrmError::Ambiguous {
                    written,
                    request_ids,
                }) => {
                    created.extend(written.into_iter().map(|w| Created {
                        request_id: w.request_id,
                        id: NoteId(w.id),
                    }));
                    undecided.extend(request_ids);
                }
                Err(error) => {
                    let mut written: Vec<_> = created
                        .into_iter()
                        .map(|c: Created<NoteId>| crmsync_ports::WrittenRef {
                            request_id: c.request_id,
                            id: c.id.0,
                        })
                        .collect();
                    written.extend(error.written().iter().cloned());
                    undecided.extend(error.undecided().iter().cloned());
                    if written.is_empty() && undecided.is_empty() {
                        return Err(error);
                    }
                    return Err(CrmError::Partial {
                        written,
                        undecided,
                        source: Box::new(error.root().clone()),
                    });
                }
            }
        }
        if !undecided.is_empty() {
            return Err(CrmError::Ambiguous {
                request_ids: undecided,
                written: created
                    .into_iter()
                    .map(|c| crmsync_ports::WrittenRef {
                        request_id: c.request_id,
                        id: c.id.0,
                    })
                    .collect(),
            });
        }
        let order: std::collections::HashMap<&str, usize> = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.request_id.as_str(), i))
            .collect();
        created.sort_by_key(|c| {
            order
                .get(c.request_id.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        });
        Ok(created)
    }

    async fn pipelines(&self) -> Result<Vec<Pipeline>, CrmError> {
        self.all_pages(&|_| "/api/v4/leads/pipelines".to_owned(), decode::pipelines)
            .await
    }

    async fn custom_fields(
        &self,
        entity: EntityKind,
    ) -> Result<Vec<CustomFieldDefinition>, CrmError> {
        let decoder: PageDecoder<CustomFieldDefinition> = match entity {
            EntityKind::Leads => |b| decode::custom_fields_page(EntityKind::Leads, b),
            EntityKind::Contacts => |b| decode::custom_fields_page(EntityKind::Contacts, b),
            EntityKind::Companies => |b| decode::custom_fields_page(EntityKind::Companies, b),
            EntityKind::Customers => |b| decode::custom_fields_page(EntityKind::Customers, b),
        };
        let path = format!("/api/v4/{}/custom_fields", entity.api_name());
        self.all_pages(&move |limit| format!("{path}?limit={limit}"), decoder)
            .await
    }
}
