//! `AmoCrmClient`: the amoCRM v4 client, cheap to clone (clones share the limiter, tokens and block state),
//! and the request helpers every entity family builds on (`crate::port` implements the `CrmClient` port).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crmsync_ports::{CrmError, Page, PageCursor};
use reqwest::{Method, Url};

use crate::auth::{Credentials, TokenManager, TokenPair};
use crate::budget::{InProcessBudget, RequestBudget};
use crate::call::{Call, Effect, Failure, execute};
use crate::clock::{Clock, SystemClock};
use crate::config::{
    BatchPolicy, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REFRESH_MARGIN, RateLimit, RetryPolicy,
    Timeouts,
};
use crate::decode::DecodedPage;
use crate::http::{Http, HttpSettings};

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
    resolve: Vec<(String, SocketAddr)>,
    common_domain: Option<String>,
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
            .field("common_domain", &self.common_domain)
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

    /// Sends requests for `host` to `addr` instead of resolving it through DNS (as `curl --resolve` does): a test
    /// can point `old.amocrm.ru` and `new.amocrm.ru` at one local emulator.
    #[must_use]
    pub fn resolve(mut self, host: impl Into<String>, addr: SocketAddr) -> Self {
        self.resolve.push((host.into(), addr));
        self
    }

    /// The common domain the account-domain lookup (`GET /oauth2/account/subdomain`) is asked on (default:
    /// `www.` + the account's domain, `https://www.amocrm.ru` for `https://example.amocrm.ru`; the base URL itself
    /// for an address that is not an account host).
    #[must_use]
    pub fn common_domain(mut self, url: impl Into<String>) -> Self {
        self.common_domain = Some(url.into());
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
        let common = match &self.common_domain {
            None => None,
            Some(url) => Some(
                Url::parse(url.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                    .ok_or_else(|| CrmError::InvalidInput {
                        field: "common_domain".into(),
                        reason: "use https://www.amocrm.ru, https://www.kommo.com (or an emulator's http:// address)"
                            .into(),
                    })?,
            ),
        };
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
            resolve: self.resolve,
            common,
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
    pub(crate) inner: Arc<Inner>,
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

pub(crate) fn read_failure(failure: Failure) -> CrmError {
    match failure {
        Failure::Crm(error) => error,
        Failure::Undecided(detail) => CrmError::Transport { detail },
        Failure::GatewayTimeout => CrmError::Server {
            status: 504,
            detail: "gateway timeout".into(),
        },
    }
}

pub(crate) type PageDecoder<T> = fn(&[u8]) -> Result<DecodedPage<T>, CrmError>;

/// A page decoder that may capture (an `_embedded` key, a context).
pub(crate) type DynPageDecoder<'a, T> =
    &'a (dyn Fn(&[u8]) -> Result<DecodedPage<T>, CrmError> + Sync);

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
            resolve: Vec::new(),
            common_domain: None,
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

    /// The per-clone headers of a request (`X-Context-User-ID`; `If-Modified-Since` on lists).
    pub(crate) fn request_headers(&self, list: bool) -> Vec<(&'static str, String)> {
        self.view.headers(list)
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

    pub(crate) async fn page<T>(
        &self,
        first: impl FnOnce(u32) -> String,
        requested_limit: Option<u32>,
        cursor: Option<PageCursor>,
        decode: DynPageDecoder<'_, T>,
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

    pub(crate) async fn one<T>(
        &self,
        path: &str,
        decode: &(dyn Fn(&[u8]) -> Result<T, CrmError> + Sync),
    ) -> Result<Option<T>, CrmError> {
        let response = self.get(path, false).await?;
        if response.status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        decode(&response.body).map(Some)
    }

    pub(crate) async fn all_pages<T>(
        &self,
        first: &(dyn Fn(u32) -> String + Sync),
        decode: DynPageDecoder<'_, T>,
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
}
