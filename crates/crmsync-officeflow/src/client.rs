//! `OfficeflowClient`: token cache, pacing, retries and the `OrgSource` listings.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use crmsync_domain::org::{Department, OrgUser, RemotePosition, RemoteTag, TagGroup, UserOpenIds};
use crmsync_ports::body::{BodyError, read_capped};
use crmsync_ports::{OrgPage, OrgSource, SourceError};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::error::{Verdict, meaning, verdict};
use crate::{OfficeflowConfig, OfficeflowError, wire};

/// A cached access token.
#[derive(Clone)]
struct Token {
    value: SecretString,
    refresh_at: Instant,
    generation: u64,
}

/// Why one attempt failed.
enum Failure {
    /// The token was called invalid or expired.
    Token(i64),
    /// Anything else.
    Error(OfficeflowError),
}

impl From<OfficeflowError> for Failure {
    fn from(error: OfficeflowError) -> Self {
        Self::Error(error)
    }
}

/// Client of the Officeflow API; cheap to share behind an `Arc`, safe to call from several tasks.
pub struct OfficeflowClient {
    http: reqwest::Client,
    config: OfficeflowConfig,
    base_url: String,
    limiter: DefaultDirectRateLimiter,
    token: Mutex<Option<Token>>,
    generations: AtomicU64,
    requests: AtomicU64,
}

impl std::fmt::Debug for OfficeflowClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficeflowClient")
            .field("base_url", &self.base_url)
            .field("requests", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

impl OfficeflowClient {
    /// A client for `config` (validated first).
    pub fn new(config: OfficeflowConfig) -> Result<Self, OfficeflowError> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("crmsync-officeflow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OfficeflowError::Config {
                field: "base_url",
                reason: format!("cannot build the HTTP client: {}", e.without_url()),
            })?;
        let per_second = NonZeroU32::new(config.rate_limit_per_s).unwrap_or(NonZeroU32::MIN);
        let limiter =
            RateLimiter::direct(Quota::per_second(per_second).allow_burst(NonZeroU32::MIN));
        Ok(Self {
            http,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            config,
            limiter,
            token: Mutex::new(None),
            generations: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        })
    }

    /// HTTP requests sent so far, token requests and retries included (the sync's API cost).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn url(&self, endpoint: &str) -> String {
        format!("{}/{endpoint}", self.base_url)
    }

    /// Calls `GET endpoint` with `query`, renewing the token once if it is refused and retrying transient
    /// failures with backoff.
    pub async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        query: &[(&str, String)],
    ) -> Result<T, OfficeflowError> {
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let token = self.token().await?;
            let request = self
                .http
                .get(self.url(endpoint))
                .query(query)
                .bearer_auth(token.value.expose_secret());
            match self.attempt(endpoint, request).await {
                Ok(answer) => return Ok(answer),
                Err(Failure::Token(code)) if !renewed => {
                    tracing::info!(endpoint, code, "access token refused; renewing it once");
                    renewed = true;
                    attempt -= 1;
                    self.forget_token(token.generation).await;
                }
                Err(Failure::Token(code)) => {
                    return Err(OfficeflowError::TokenRejected { endpoint, code });
                }
                Err(Failure::Error(error)) => self.after_failure(attempt, error).await?,
            }
        }
    }

    /// Sleeps before the next attempt when `error` is worth retrying; returns the error otherwise.
    async fn after_failure(
        &self,
        attempt: u32,
        error: OfficeflowError,
    ) -> Result<(), OfficeflowError> {
        if !error.is_retryable() {
            return Err(error);
        }
        if attempt > self.config.max_retries {
            return Err(OfficeflowError::GaveUp {
                attempts: attempt,
                last: Box::new(error),
            });
        }
        let wait = self.backoff(attempt, &error);
        tracing::warn!(%error, attempt, wait_ms = wait.as_millis() as u64, "officeflow call failed; retrying");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// `backoff_base · 2^(attempt−1)`, capped, with jitter between half and all of it; a gateway's
    /// `Retry-After` wins when it is longer.
    fn backoff(&self, attempt: u32, error: &OfficeflowError) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        let full = self
            .config
            .backoff_base
            .saturating_mul(1 << doublings)
            .min(self.config.backoff_max);
        let jittered = full.mul_f64(0.5 + 0.5 * jitter());
        match error {
            OfficeflowError::Throttled {
                retry_after_ms: Some(ms),
                ..
            } => jittered.max(Duration::from_millis(*ms).min(self.config.backoff_max)),
            _ => jittered,
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, Failure> {
        self.limiter.until_ready().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut response = request
            .send()
            .await
            .map_err(|e| transport_error(endpoint, e))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after_ms = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|seconds| seconds.saturating_mul(1000));
            return Err(OfficeflowError::Throttled {
                endpoint,
                code: 429,
                retry_after_ms,
            }
            .into());
        }
        if status.is_server_error() {
            return Err(OfficeflowError::Busy {
                endpoint,
                code: i64::from(status.as_u16()),
            }
            .into());
        }
        if !status.is_success() {
            return Err(OfficeflowError::Refused {
                endpoint,
                code: i64::from(status.as_u16()),
                meaning: format!("HTTP {status}"),
            }
            .into());
        }
        let body = read_capped(&mut response, self.config.max_response_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { limit } => {
                    OfficeflowError::ResponseTooLarge { endpoint, limit }.into()
                }
                BodyError::Transport(e) => transport_error(endpoint, e),
            })?;
        let head: wire::Status =
            serde_json::from_slice(&body).map_err(|e| protocol(endpoint, &e))?;
        match verdict(head.errcode) {
            Verdict::Ok => serde_json::from_slice(&body).map_err(|e| protocol(endpoint, &e).into()),
            Verdict::RefreshToken => Err(Failure::Token(head.errcode)),
            Verdict::Retry if head.errcode == crate::codes::RATE_LIMITED => {
                Err(OfficeflowError::Throttled {
                    endpoint,
                    code: head.errcode,
                    retry_after_ms: None,
                }
                .into())
            }
            Verdict::Retry => Err(OfficeflowError::Busy {
                endpoint,
                code: head.errcode,
            }
            .into()),
            Verdict::Refuse => Err(OfficeflowError::Refused {
                endpoint,
                code: head.errcode,
                meaning: meaning(head.errcode).to_owned(),
            }
            .into()),
        }
    }

    /// The cached token, fetched when missing or due for renewal.
    async fn token(&self) -> Result<Token, OfficeflowError> {
        let mut slot = self.token.lock().await;
        if let Some(token) = slot.as_ref().filter(|t| t.refresh_at > Instant::now()) {
            return Ok(token.clone());
        }
        let token = self.fetch_token().await?;
        *slot = Some(token.clone());
        Ok(token)
    }

    /// Drops the cached token if it is still the one of `generation`.
    async fn forget_token(&self, generation: u64) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|t| t.generation == generation) {
            *slot = None;
        }
    }

    async fn fetch_token(&self) -> Result<Token, OfficeflowError> {
        const ENDPOINT: &str = "token";
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self
                .http
                .post(self.url(ENDPOINT))
                .json(&wire::TokenRequest {
                    app_key: &self.config.app_key,
                    app_secret: self.config.app_secret.expose_secret(),
                });
            let error = match self.attempt::<wire::TokenAnswer>(ENDPOINT, request).await {
                Ok(answer) => {
                    let life = Duration::from_secs(answer.expires_in);
                    let margin = (life / 10).min(Duration::from_secs(300));
                    tracing::debug!(expires_in = answer.expires_in, "access token obtained");
                    return Ok(Token {
                        value: SecretString::from(answer.access_token),
                        refresh_at: Instant::now() + life.saturating_sub(margin),
                        generation: self.generations.fetch_add(1, Ordering::Relaxed) + 1,
                    });
                }
                Err(Failure::Token(code)) => OfficeflowError::Refused {
                    endpoint: ENDPOINT,
                    code,
                    meaning: meaning(code).to_owned(),
                },
                Err(Failure::Error(error)) => error,
            };
            self.after_failure(attempt, error).await?;
        }
    }

    fn page_query(&self, cursor: Option<String>) -> Vec<(&'static str, String)> {
        let mut query = vec![("limit", self.config.page_size.to_string())];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor));
        }
        query
    }
}

/// Classifies a reqwest error; its message is taken without the URL.
fn transport_error(endpoint: &'static str, error: reqwest::Error) -> Failure {
    if error.is_timeout() {
        return OfficeflowError::Timeout { endpoint }.into();
    }
    let error = error.without_url();
    if error.is_decode() {
        return protocol(endpoint, &error).into();
    }
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    OfficeflowError::Network { endpoint, reason }.into()
}

fn protocol(endpoint: &'static str, error: &dyn std::fmt::Display) -> OfficeflowError {
    OfficeflowError::Protocol {
        endpoint,
        reason: error.to_string(),
    }
}

/// A number in `[0, 1)` that differs from call to call (jitter only; not for anything secret).
fn jitter() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let mut x = nanos ^ COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[async_trait]
impl OrgSource for OfficeflowClient {
    async fn departments(
        &self,
        cursor: Option<String>,
    ) -> Result<OrgPage<Department>, SourceError> {
        let page: wire::DepartmentPage = self
            .get("department/list", &self.page_query(cursor))
            .await?;
        Ok(page.into_page())
    }

    async fn users(
        &self,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<OrgUser>, SourceError> {
        let mut query = self.page_query(cursor);
        if let Some(since) = updated_since {
            query.push(("updated_since", since.to_string()));
        }
        let page: wire::UserPage = self.get("user/list", &query).await?;
        Ok(page.into_page())
    }

    async fn positions(
        &self,
        cursor: Option<String>,
    ) -> Result<OrgPage<RemotePosition>, SourceError> {
        let page: wire::PositionPage = self.get("position/list", &self.page_query(cursor)).await?;
        Ok(page.into_page())
    }

    async fn tag_groups(&self) -> Result<Vec<TagGroup>, SourceError> {
        let list: wire::GroupList = self.get("tag/group/list", &[]).await?;
        Ok(list.into_groups())
    }

    async fn tags(&self, cursor: Option<String>) -> Result<OrgPage<RemoteTag>, SourceError> {
        let page: wire::TagPage = self.get("tag/list", &self.page_query(cursor)).await?;
        page.into_page().map_err(|reason| SourceError::Protocol {
            endpoint: "tag/list".into(),
            reason,
        })
    }

    async fn tag_users(
        &self,
        tag_id: &str,
        cursor: Option<String>,
    ) -> Result<OrgPage<String>, SourceError> {
        let mut query = self.page_query(cursor);
        query.push(("tagid", tag_id.to_owned()));
        match self.get::<wire::TagUserPage>("tag/users", &query).await {
            Ok(page) => Ok(page.into_page()),
            Err(OfficeflowError::Refused {
                code: crate::codes::UNKNOWN_TAG,
                ..
            }) => Err(SourceError::NotFound {
                what: format!("tag {tag_id}"),
            }),
            Err(error) => Err(error.into()),
        }
    }

    async fn platforms(&self) -> Result<Vec<String>, SourceError> {
        let list: wire::PlatformList = self.get("platform/list", &[]).await?;
        Ok(list.platforms)
    }

    async fn user_openids(
        &self,
        platform: &str,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<UserOpenIds>, SourceError> {
        let mut query = self.page_query(cursor);
        query.push(("platform", platform.to_owned()));
        if let Some(since) = updated_since {
            query.push(("updated_since", since.to_string()));
        }
        let page: wire::OpenIdPage = self.get("openid/list", &query).await?;
        Ok(page.into_page())
    }
}
