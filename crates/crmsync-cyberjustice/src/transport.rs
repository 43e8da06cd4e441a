//! Sending one API call: pacing by the rate limiter, the API key header, retries with backoff.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crmsync_ports::MonitorError;
use crmsync_ports::body::{BodyError, read_capped};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;

use crate::config::{ConfigError, CyberJusticeConfig};
use crate::problem;

/// The header that carries the API key.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";

/// A successful (or final, non-retried) answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

/// What one call sends.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<serde_json::Value>,
}

/// Request counters, for reports and benchmarks.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) retried: AtomicU64,
}

/// The HTTP side of the client.
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: String,
    limiter: DefaultDirectRateLimiter,
    max_retries: u32,
    backoff_initial: Duration,
    backoff_max: Duration,
    max_body: u64,
    pub(crate) counters: Arc<Counters>,
}

impl Transport {
    pub(crate) fn new(config: &CyberJusticeConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut key =
            HeaderValue::from_str(config.api_key.expose_secret().trim()).map_err(|_| {
                ConfigError {
                    field: "api_key",
                    reason: "must contain only visible ASCII characters".into(),
                }
            })?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, key);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout())
            .connect_timeout(config.timeout().min(Duration::from_secs(10)))
            .user_agent(concat!("crmsync-cyberjustice/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError {
                field: "base_url",
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        let quota = Quota::with_period(config.request_interval())
            .ok_or_else(|| ConfigError {
                field: "rate_limit_per_s",
                reason: "gives a zero interval between requests".into(),
            })?
            .allow_burst(NonZeroU32::MIN);
        Ok(Self {
            http,
            base_url: config.base_url.trim().trim_end_matches('/').to_owned(),
            limiter: RateLimiter::direct(quota),
            max_retries: config.max_retries,
            backoff_initial: config.backoff_initial(),
            backoff_max: config.backoff_max(),
            max_body: config.max_response_bytes,
            counters: Arc::default(),
        })
    }

    /// Sends `call`, retrying transient failures; returns the final answer or the error it maps to.
    ///
    /// Answers with a status of 2xx, or in `accept`, are returned; others become a [`MonitorError`].
    pub(crate) async fn send(
        &self,
        call: &Call<'_>,
        accept: &[StatusCode],
    ) -> Result<Answer, MonitorError> {
        let route = format!("{} {}", call.method, call.path);
        let mut attempt: u32 = 0;
        loop {
            self.limiter.until_ready().await;
            self.counters.sent.fetch_add(1, Ordering::Relaxed);
            let outcome = self.attempt(call).await;
            let (error, hint) = match outcome {
                Attempt::Answered(answer)
                    if answer.status.is_success() || accept.contains(&answer.status) =>
                {
                    tracing::debug!(route = %route, status = answer.status.as_u16(), "cyberjustice call");
                    return Ok(answer);
                }
                Attempt::Answered(answer) => {
                    return Err(problem::to_error(answer.status.as_u16(), &answer.body));
                }
                Attempt::Failed(error) => return Err(error),
                Attempt::Retryable { error, wait } => (error, wait),
            };
            if attempt >= self.max_retries {
                tracing::warn!(route = %route, attempts = attempt + 1, error = %error, "cyberjustice call gave up");
                return Err(error);
            }
            let wait = hint
                .map(|w| w.min(self.backoff_max))
                .unwrap_or_else(|| self.backoff(attempt));
            tracing::debug!(route = %route, attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            self.counters.retried.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, call: &Call<'_>) -> Attempt {
        let url = format!("{}{}", self.base_url, call.path);
        let mut request = self.http.request(call.method.clone(), url);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Attempt::transport(&error),
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = match read_capped(&mut response, self.max_body).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge { limit }) => {
                return Attempt::Failed(MonitorError::ResponseTooLarge {
                    context: format!("{} {}", call.method, call.path),
                    limit,
                });
            }
            Err(BodyError::Transport(error)) => return Attempt::transport(&error),
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Attempt::Retryable {
                error: MonitorError::RateLimited { retry_after },
                wait: Some(retry_after.unwrap_or(self.backoff_initial)),
            };
        }
        if status.is_server_error() {
            return Attempt::Retryable {
                error: problem::to_error(status.as_u16(), &body),
                wait: None,
            };
        }
        Attempt::Answered(Answer { status, body })
    }

    /// Exponential backoff with ±25 % jitter, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .backoff_initial
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.backoff_max);
        let jitter = RandomState::new().hash_one(attempt) % 501;
        let factor = 0.75 + (jitter as f64) / 1000.0;
        base.mul_f64(factor).min(self.backoff_max)
    }
}

enum Attempt {
    Answered(Answer),
    /// Failed in a way another attempt cannot fix.
    Failed(MonitorError),
    Retryable {
        error: MonitorError,
        wait: Option<Duration>,
    },
}

impl Attempt {
    fn transport(error: &reqwest::Error) -> Self {
        let what = if error.is_timeout() {
            "the request timed out"
        } else if error.is_connect() {
            "the connection failed"
        } else if error.is_body() || error.is_decode() {
            "the response body was cut off"
        } else {
            "the connection broke"
        };
        Self::Retryable {
            error: MonitorError::Transport {
                detail: what.to_owned(),
            },
            wait: None,
        }
    }
}

/// `Retry-After: <seconds>`; HTTP dates are not used by the service.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
