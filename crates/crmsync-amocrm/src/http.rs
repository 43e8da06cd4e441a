//! One HTTP exchange with amoCRM: the shared rate limiter, the block switch, pauses after `429`, timeouts and
//! debug logging of method, path, status, duration and request id (never tokens, queries or bodies).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};

use crate::config::{RateLimit, Timeouts};

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

/// Why no response was read.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The client is blocked; nothing was sent.
    Blocked(String),
    /// The connection could not be opened: the server saw nothing.
    NotSent(String),
    /// The request may have reached the server, but no complete response came back.
    Lost(String),
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

/// The HTTP side of a client, shared by all its clones.
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    base: Url,
    limiter: DefaultDirectRateLimiter,
    blocked: Mutex<Option<String>>,
    pause_until: Mutex<Option<Instant>>,
    pub(crate) counters: Counters,
}

impl Http {
    pub(crate) fn new(
        base: Url,
        rate: RateLimit,
        timeouts: Timeouts,
        user_agent: &str,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .user_agent(user_agent)
            .build()?;
        let quota = Quota::with_period(rate.interval())
            .unwrap_or_else(|| Quota::per_second(rate.per_second))
            .allow_burst(rate.burst);
        Ok(Self {
            client,
            base,
            limiter: RateLimiter::direct(quota),
            blocked: Mutex::new(None),
            pause_until: Mutex::new(None),
            counters: Counters::default(),
        })
    }

    pub(crate) fn base(&self) -> &Url {
        &self.base
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

    /// Holds every request of this client back for `wait` (after a `429`).
    pub(crate) fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut pause = self
            .pause_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pause.is_none_or(|current| current < until) {
            *pause = Some(until);
        }
    }

    async fn wait_turn(&self) {
        loop {
            let until = *self
                .pause_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match until {
                Some(until) if until > Instant::now() => {
                    tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
                }
                _ => break,
            }
        }
        self.limiter.until_ready().await;
    }

    /// Sends one request after waiting for the limiter; `path` is the path and query below the base URL.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        json_body: Option<&[u8]>,
        bearer: Option<&SecretString>,
    ) -> Result<RawResponse, SendError> {
        if let Some(detail) = self.blocked() {
            return Err(SendError::Blocked(detail));
        }
        let url = self
            .base
            .join(path)
            .map_err(|e| SendError::NotSent(format!("invalid request path: {e}")))?;
        self.wait_turn().await;
        if let Some(detail) = self.blocked() {
            return Err(SendError::Blocked(detail));
        }
        let mut request = self.client.request(method.clone(), url).header(
            reqwest::header::ACCEPT,
            "application/hal+json, application/json",
        );
        if let Some(token) = bearer {
            request = request.bearer_auth(token.expose_secret());
        }
        if let Some(body) = json_body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let log_path = path.split('?').next().unwrap_or(path);
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
                    path = log_path,
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
                    SendError::Blocked(d) => ("blocked", d),
                    SendError::NotSent(d) => ("not_sent", d),
                    SendError::Lost(d) => ("lost", d),
                };
                tracing::debug!(
                    target: "crmsync_amocrm::http",
                    method = %method,
                    path = log_path,
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
        let response = request.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(128).collect());
        let body = response
            .bytes()
            .await
            .map_err(|e| SendError::Lost(describe(&e)))?;
        Ok(RawResponse {
            status,
            body: body.to_vec(),
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
