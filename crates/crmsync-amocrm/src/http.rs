//! One HTTP exchange with amoCRM: a slot of the request budget, the block switch, the pause after a `429`,
//! timeouts, a cap on response bodies, and debug logging of method, path, status, duration and request id (never tokens,
//! queries or bodies).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use crmsync_ports::body::{BodyError, read_capped};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};

use crate::budget::RequestBudget;
use crate::clock::Clock;
use crate::config::Timeouts;

/// A response as read off the wire.
#[derive(Debug)]
pub(crate) struct RawResponse {
    /// HTTP status.
    pub(crate) status: u16,
    /// The body (empty for `204`).
    pub(crate) body: Vec<u8>,
    /// `X-Request-Id`, when the server sent one.
    pub(crate) request_id: Option<String>,
}

/// Why no usable response was read.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The client is blocked; nothing was sent.
    Blocked(String),
    /// The client is pausing after a `429` for longer than a call may wait; nothing was sent.
    Paused(Duration),
    /// The connection could not be opened: the server saw nothing.
    NotSent(String),
    /// The request may have reached the server, but no complete response came back.
    Lost(String),
    /// The server answered with a body larger than the limit; it was not read to the end.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
}

/// Counters of one client and its clones.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) token_requests: AtomicU64,
    pub(crate) transport_failures: AtomicU64,
}

/// Where a request goes: a path below the account's base URL, or an absolute URL (the account-domain lookup).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// Path and query below the base URL (`/api/v4/leads?limit=250`).
    Path(&'a str),
    /// An absolute URL (the account-domain lookup on the common domain).
    Url(&'a Url),
}

/// One request to send.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing<'a> {
    pub(crate) method: &'a Method,
    pub(crate) target: Target<'a>,
    /// A JSON body.
    pub(crate) body: Option<&'a [u8]>,
    pub(crate) bearer: Option<&'a SecretString>,
    /// Extra headers (`X-Context-User-ID`, `If-Modified-Since`, `X-Refresh-Token`).
    pub(crate) headers: &'a [(&'static str, String)],
}

/// Settings of the HTTP side.
#[derive(Clone)]
pub(crate) struct HttpSettings {
    pub(crate) budget: Arc<dyn RequestBudget>,
    pub(crate) timeouts: Timeouts,
    pub(crate) user_agent: String,
    pub(crate) max_body: u64,
    /// The longest pause a call waits out; a longer one fails the call at once with `RateLimited`.
    pub(crate) max_pause_wait: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    /// Host names resolved to fixed addresses instead of through DNS.
    pub(crate) resolve: Vec<(String, SocketAddr)>,
    /// The common domain the account-domain lookup is asked on (default: derived from the base URL).
    pub(crate) common: Option<Url>,
}

/// The HTTP side of a client, shared by all its clones.
pub(crate) struct Http {
    client: reqwest::Client,
    base: RwLock<Url>,
    common: Option<Url>,
    budget: Arc<dyn RequestBudget>,
    blocked: Mutex<Option<String>>,
    max_body: u64,
    max_pause_wait: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) counters: Counters,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("base", &self.base().as_str())
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl Http {
    pub(crate) fn new(base: Url, settings: HttpSettings) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(settings.timeouts.connect)
            .timeout(settings.timeouts.request)
            .user_agent(settings.user_agent);
        for (host, addr) in &settings.resolve {
            builder = builder.resolve(host, *addr);
        }
        let client = builder.build()?;
        Ok(Self {
            client,
            base: RwLock::new(base),
            common: settings.common,
            budget: settings.budget,
            blocked: Mutex::new(None),
            max_body: settings.max_body,
            max_pause_wait: settings.max_pause_wait,
            clock: settings.clock,
            counters: Counters::default(),
        })
    }

    /// The account's base URL.
    pub(crate) fn base(&self) -> Url {
        self.base
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Points this client and its clones at a new base URL (the account moved to another subdomain).
    pub(crate) fn set_base(&self, base: Url) {
        *self.base.write().unwrap_or_else(PoisonError::into_inner) = base;
    }

    /// Where the account-domain lookup is asked: the configured common domain, else `www.` + the account's domain
    /// (`https://www.amocrm.ru` for `https://example.amocrm.ru`), else the base URL itself (an emulator on an IP).
    pub(crate) fn common_base(&self) -> Url {
        if let Some(common) = &self.common {
            return common.clone();
        }
        let base = self.base();
        let mut common = base.clone();
        if let Some(host) = base.host_str()
            && crate::platform::is_account_host(host)
            && let Some((_, domain)) = host.split_once('.')
            && common.set_host(Some(&format!("www.{domain}"))).is_ok()
        {
            return common;
        }
        base
    }

    /// The reason the client is blocked, if it is.
    pub(crate) fn blocked(&self) -> Option<String> {
        self.blocked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops every further request of this client and its clones.
    pub(crate) fn block(&self, detail: &str) {
        tracing::warn!(
            target: "crmsync_amocrm",
            "amoCRM answered 403: the client is blocked and sends nothing more"
        );
        *self.blocked.lock().unwrap_or_else(PoisonError::into_inner) = Some(detail.to_owned());
    }

    /// Lets requests go out again after a block was lifted by the CRM's support.
    pub(crate) fn unblock(&self) {
        *self.blocked.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Holds every request of this client, its clones and every sender sharing the budget back for `wait`, as a
    /// `429` asked.
    pub(crate) async fn pause(&self, wait: Duration) {
        let until = SystemTime::from(self.clock.now()) + wait;
        self.budget.pause_until(until).await;
        if wait > self.max_pause_wait {
            tracing::warn!(
                target: "crmsync_amocrm",
                wait_s = wait.as_secs(),
                "amoCRM asked to pause; every sender sharing the request budget holds its requests until then"
            );
        }
    }

    /// How long the pause after a `429` still lasts on the client's clock, if one is in force.
    pub(crate) async fn paused_for(&self) -> Option<Duration> {
        let until = self.budget.paused_until().await?;
        until
            .duration_since(SystemTime::from(self.clock.now()))
            .ok()
            .filter(|d| !d.is_zero())
    }

    /// Waits for the pause after a `429` (if short enough) and for a slot of the budget.
    async fn wait_turn(&self) -> Result<(), SendError> {
        let mut slept_for = None;
        while let Some(remaining) = self.paused_for().await {
            if remaining > self.max_pause_wait {
                return Err(SendError::Paused(remaining));
            }
            let until = self.budget.paused_until().await;
            // A deadline already slept for once is not slept for again: the clock may be one that tests move
            // by hand.
            if slept_for == until {
                break;
            }
            slept_for = until;
            tokio::time::sleep(remaining).await;
        }
        self.budget.acquire().await;
        Ok(())
    }

    /// Sends one request after waiting for its turn.
    pub(crate) async fn send(&self, out: Outgoing<'_>) -> Result<RawResponse, SendError> {
        if let Some(detail) = self.blocked() {
            return Err(SendError::Blocked(detail));
        }
        let url = match out.target {
            Target::Path(path) => self
                .base()
                .join(path)
                .map_err(|e| SendError::NotSent(format!("invalid request path: {e}")))?,
            Target::Url(url) => url.clone(),
        };
        let log_path = url.path().to_owned();
        self.wait_turn().await?;
        if let Some(detail) = self.blocked() {
            return Err(SendError::Blocked(detail));
        }
        let method = out.method.clone();
        let mut request = self.client.request(method.clone(), url).header(
            reqwest::header::ACCEPT,
            "application/hal+json, application/json",
        );
        if let Some(token) = out.bearer {
            request = request.bearer_auth(token.expose_secret());
        }
        for (name, value) in out.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = out.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = self.exchange(request).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(response) => {
                if response.status == 429 {
                    self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                }
                tracing::debug!(
                    target: "crmsync_amocrm::http",
                    method = %method,
                    path = log_path.as_str(),
                    status = response.status,
                    duration_ms = elapsed_ms,
                    request_id = response.request_id.as_deref().unwrap_or("-"),
                    "amoCRM response"
                );
            }
            Err(error) => {
                self.counters
                    .transport_failures
                    .fetch_add(1, Ordering::Relaxed);
                let (kind, detail) = match error {
                    SendError::Blocked(d) => ("blocked", d.clone()),
                    SendError::Paused(d) => ("paused", format!("{} s", d.as_secs())),
                    SendError::NotSent(d) => ("not_sent", d.clone()),
                    SendError::Lost(d) => ("lost", d.clone()),
                    SendError::TooLarge { limit } => ("too_large", format!("over {limit} bytes")),
                };
                tracing::debug!(
                    target: "crmsync_amocrm::http",
                    method = %method,
                    path = log_path.as_str(),
                    duration_ms = elapsed_ms,
                    failure = kind,
                    detail = detail.as_str(),
                    "amoCRM request failed"
                );
            }
        }
        result
    }

    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<RawResponse, SendError> {
        let mut response = request.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(128).collect());
        let body = read_capped(&mut response, self.max_body)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { limit } => SendError::TooLarge { limit },
                BodyError::Transport(e) => SendError::Lost(describe(&e)),
            })?;
        Ok(RawResponse {
            status,
            body,
            request_id,
        })
    }
}

fn classify(error: reqwest::Error) -> SendError {
    if error.is_connect() {
        SendError::NotSent(describe(&error))
    } else {
        SendError::Lost(describe(&error))
    }
}

/// Describes a transport error without its URL (the URL may carry a search query).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "response body broken off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(error);
    let mut root = None;
    while let Some(s) = source {
        root = Some(s.to_string());
        source = s.source();
    }
    match root {
        Some(root) => format!("{kind}: {root}"),
        None => kind.to_owned(),
    }
}
