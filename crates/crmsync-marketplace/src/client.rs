//! One JSON call with a bearer token, a timeout, retries with backoff and a capped answer.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use crmsync_ports::ServiceError;
use crmsync_ports::body::{BodyError, read_capped};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::config::{ConfigError, ServiceConfig};

/// The largest answer read; a longer one is a protocol error.
pub const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

const BACKOFF_CAP: Duration = Duration::from_secs(10);

/// The HTTP side shared by both clients.
#[derive(Clone)]
pub(crate) struct JsonClient {
    http: reqwest::Client,
    base_url: String,
    max_attempts: u32,
    backoff: Duration,
    service: &'static str,
}

/// A final answer: 2xx with its JSON body.
pub(crate) struct Answer {
    pub(crate) body: Value,
}

enum Attempt {
    Done(Answer),
    Fatal(ServiceError),
    Retry(String),
}

impl JsonClient {
    pub(crate) fn new(config: &ServiceConfig, service: &'static str) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", config.token.expose_secret().trim()))
                .map_err(|_| ConfigError {
                    field: "token",
                    reason: "must contain only visible ASCII characters".into(),
                })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, auth);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout())
            .connect_timeout(config.timeout().min(Duration::from_secs(5)))
            .user_agent(concat!("crmsync-marketplace/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError {
                field: "base_url",
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            http,
            base_url: config.base_url.trim().trim_end_matches('/').to_owned(),
            max_attempts: config.max_attempts,
            backoff: Duration::from_millis(config.backoff_ms),
            service,
        })
    }

    /// POSTs `body` to `path`, retrying transient failures.
    pub(crate) async fn post(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&'static str, String)],
    ) -> Result<Answer, ServiceError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let reason = match self.attempt(path, body, headers).await {
                Attempt::Done(answer) => return Ok(answer),
                Attempt::Fatal(error) => return Err(error),
                Attempt::Retry(reason) => reason,
            };
            if attempt >= self.max_attempts {
                tracing::warn!(service = self.service, path, attempts = attempt, %reason, "gave up");
                return Err(ServiceError::Unavailable {
                    service: self.service,
                    attempts: attempt,
                    reason,
                });
            }
            let wait = self.wait(attempt);
            tracing::debug!(service = self.service, path, attempt, wait_ms = wait.as_millis() as u64, %reason, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    fn wait(&self, attempt: u32) -> Duration {
        let base = self
            .backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
            .min(BACKOFF_CAP);
        let jitter = RandomState::new().hash_one(attempt) % 501;
        base.mul_f64(0.75 + jitter as f64 / 1000.0)
    }

    async fn attempt(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&'static str, String)],
    ) -> Attempt {
        let mut request = self
            .http
            .request(Method::POST, format!("{}{path}", self.base_url))
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Attempt::Retry(transport(&error)),
        };
        let status = response.status();
        let bytes = match read_capped(&mut response, MAX_RESPONSE_BYTES).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge { limit }) => {
                return Attempt::Fatal(ServiceError::Protocol {
                    service: self.service,
                    reason: format!("the answer exceeds {limit} bytes"),
                });
            }
            Err(BodyError::Transport(error)) => return Attempt::Retry(transport(&error)),
        };
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Attempt::Retry(format!("HTTP {}", status.as_u16()));
        }
        if !status.is_success() {
            return Attempt::Fatal(ServiceError::Rejected {
                service: self.service,
                status: status.as_u16(),
                reason: detail(&bytes),
            });
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(body) => Attempt::Done(Answer { body }),
            Err(_) if bytes.is_empty() => Attempt::Done(Answer { body: Value::Null }),
            Err(error) => Attempt::Fatal(ServiceError::Protocol {
                service: self.service,
                reason: format!("the answer is not JSON: {error}"),
            }),
        }
    }

    pub(crate) fn service(&self) -> &'static str {
        self.service
    }
}

fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the request timed out"
    } else if error.is_connect() {
        "the connection failed"
    } else {
        "the connection broke"
    }
    .to_owned()
}

/// The `detail` of a JSON error answer, clipped; never the raw body of something else.
fn detail(bytes: &[u8]) -> String {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_owned))
        .map_or_else(
            || "no details".to_owned(),
            |d| d.chars().take(200).collect(),
        )
}
