//! Credentials and tokens: OAuth 2.0 with rotating, single-use refresh tokens persisted through a
//! `KeyValueStore` before they are used, one refresh at a time per client; or a long-lived token.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use crmsync_ports::{CrmError, KeyValueStore};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::config::RetryPolicy;
use crate::flex::{FlexI64, FlexString};
use crate::http::{Http, Outgoing, SendError, Target};
use crate::problem;
use crate::retry::backoff;

/// An OAuth integration as registered in the account (Settings → Integrations).
#[derive(Debug, Clone)]
pub struct OAuthApp {
    /// The integration id (`client_id`).
    pub client_id: String,
    /// The secret key (`client_secret`).
    pub client_secret: SecretString,
    /// The redirect URI registered with the integration.
    pub redirect_uri: String,
}

/// How the client authenticates.
#[derive(Clone)]
pub enum Credentials {
    /// OAuth 2.0: tokens live in `store` under `key`, as JSON (see [`StoredTokens`]).
    OAuth {
        /// The integration.
        app: OAuthApp,
        /// Where the token pair is kept; shared by every process that talks to the account.
        store: Arc<dyn KeyValueStore>,
        /// The key of the token pair in `store`.
        key: String,
    },
    /// A long-lived token of a private integration: never refreshed; when it expires or is revoked, calls fail
    /// with `Unauthorized` and a new token must be generated.
    LongLived(SecretString),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OAuth { app, key, .. } => f
                .debug_struct("OAuth")
                .field("client_id", &app.client_id)
                .field("key", key)
                .finish_non_exhaustive(),
            Self::LongLived(_) => f.write_str("LongLived([REDACTED])"),
        }
    }
}

/// An access and refresh token pair.
#[derive(Clone)]
pub struct TokenPair {
    /// The bearer token.
    pub access_token: SecretString,
    /// The single-use refresh token.
    pub refresh_token: SecretString,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TokenPair {
    /// A pair whose expiry is read from the access token itself (amoCRM access tokens are JWTs with `exp`), for
    /// tokens handed over from another program.
    pub fn from_jwt(
        access_token: SecretString,
        refresh_token: SecretString,
    ) -> Result<Self, crate::jwt::JwtError> {
        let claims = crate::jwt::AccessTokenClaims::read(access_token.expose_secret())?;
        let expires_at = claims
            .expires_at()
            .ok_or_else(|| crate::jwt::JwtError::Malformed("`exp` out of range".to_owned()))?;
        Ok(Self {
            access_token,
            refresh_token,
            expires_at,
        })
    }
}

/// The JSON a token pair is stored as: `{"access_token", "refresh_token", "expires_at" (unix seconds),
/// "token_type"}`. Other programs may write it to hand tokens to the client; without `expires_at` (or with 0) the
/// expiry is read from the access token's JWT `exp` claim.
#[derive(Serialize, Deserialize)]
pub struct StoredTokens {
    /// The bearer token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Unix seconds when the access token expires (0 or absent: read from the token).
    #[serde(default)]
    pub expires_at: i64,
    /// Always `Bearer`.
    #[serde(default = "bearer")]
    pub token_type: String,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

impl StoredTokens {
    fn from_pair(pair: &TokenPair) -> Self {
        Self {
            access_token: pair.access_token.expose_secret().to_owned(),
            refresh_token: pair.refresh_token.expose_secret().to_owned(),
            expires_at: pair.expires_at.timestamp(),
            token_type: bearer(),
        }
    }

    fn into_pair(self) -> TokenPair {
        let expires_at = if self.expires_at > 0 {
            self.expires_at
        } else {
            crate::jwt::AccessTokenClaims::read(&self.access_token).map_or(0, |c| c.exp)
        };
        TokenPair {
            access_token: self.access_token.into(),
            refresh_token: self.refresh_token.into(),
            expires_at: DateTime::from_timestamp(expires_at, 0).unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    access_token: FlexString,
    #[serde(default)]
    refresh_token: FlexString,
    #[serde(default)]
    expires_in: FlexI64,
}

/// Hands out bearer tokens and refreshes them, one refresh at a time.
pub(crate) struct TokenManager {
    credentials: Credentials,
    current: Mutex<Option<TokenPair>>,
    refresh_gate: tokio::sync::Mutex<()>,
    margin: Duration,
    retry: RetryPolicy,
}

fn same(a: &SecretString, b: &SecretString) -> bool {
    a.expose_secret() == b.expose_secret()
}

fn storage(error: &crmsync_ports::StoreError) -> CrmError {
    CrmError::Storage {
        detail: error.to_string(),
    }
}

fn reauthorize(detail: impl Into<String>) -> CrmError {
    CrmError::Unauthorized {
        detail: detail.into(),
        reauthorize: true,
    }
}

impl TokenManager {
    pub(crate) fn new(credentials: Credentials, margin: Duration, retry: RetryPolicy) -> Self {
        Self {
            credentials,
            current: Mutex::new(None),
            refresh_gate: tokio::sync::Mutex::new(()),
            margin,
            retry,
        }
    }

    fn cached(&self) -> Option<TokenPair> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn cache(&self, pair: TokenPair) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(pair);
    }

    fn is_fresh(&self, pair: &TokenPair, now: DateTime<Utc>) -> bool {
        let margin = chrono::Duration::from_std(self.margin).unwrap_or_default();
        pair.expires_at - margin > now
    }

    /// A bearer token that is not about to expire, refreshing (once, for all concurrent callers) if needed.
    pub(crate) async fn bearer(&self, http: &Http) -> Result<SecretString, CrmError> {
        let Credentials::OAuth { .. } = &self.credentials else {
            return match &self.credentials {
                Credentials::LongLived(token) => Ok(token.clone()),
                Credentials::OAuth { .. } => Err(reauthorize("no credentials")),
            };
        };
        let fresh = |p: &TokenPair| self.is_fresh(p, http.clock.now());
        if let Some(pair) = self.cached().filter(fresh) {
            return Ok(pair.access_token);
        }
        let _gate = self.refresh_gate.lock().await;
        if let Some(pair) = self.cached().filter(fresh) {
            return Ok(pair.access_token);
        }
        let (stored, raw) = self.load().await?;
        if fresh(&stored) {
            self.cache(stored.clone());
            return Ok(stored.access_token);
        }
        self.refresh(http, &stored, &raw)
            .await
            .map(|p| p.access_token)
    }

    /// After the CRM rejected `rejected` with `401`: a newer token if someone already refreshed, else one fresh
    /// refresh. `None` when the credentials cannot be refreshed (long-lived token).
    pub(crate) async fn after_unauthorized(
        &self,
        http: &Http,
        rejected: &SecretString,
    ) -> Result<Option<SecretString>, CrmError> {
        if matches!(self.credentials, Credentials::LongLived(_)) {
            return Ok(None);
        }
        let _gate = self.refresh_gate.lock().await;
        if let Some(pair) = self.cached().filter(|p| !same(&p.access_token, rejected)) {
            return Ok(Some(pair.access_token));
        }
        let (stored, raw) = self.load().await?;
        if !same(&stored.access_token, rejected) {
            self.cache(stored.clone());
            return Ok(Some(stored.access_token));
        }
        self.refresh(http, &stored, &raw)
            .await
            .map(|p| Some(p.access_token))
    }

    fn oauth(&self) -> Result<(&OAuthApp, &Arc<dyn KeyValueStore>, &str), CrmError> {
        match &self.credentials {
            Credentials::OAuth { app, store, key } => Ok((app, store, key)),
            Credentials::LongLived(_) => Err(CrmError::InvalidInput {
                field: "credentials".into(),
                reason: "a long-lived token cannot be exchanged or refreshed".into(),
            }),
        }
    }

    async fn load(&self) -> Result<(TokenPair, String), CrmError> {
        let (_, store, key) = self.oauth()?;
        let raw = store.get(key).await.map_err(|e| storage(&e))?.ok_or_else(|| {
            reauthorize(
                "no OAuth tokens are stored for this account; exchange an authorization code first",
            )
        })?;
        let stored: StoredTokens = serde_json::from_str(&raw).map_err(|e| CrmError::Storage {
            detail: format!(
                "the stored token pair is not valid JSON: {}",
                e.classify_name()
            ),
        })?;
        Ok((stored.into_pair(), raw))
    }

    /// Exchanges an authorization code (valid 20 minutes) for the first token pair and stores it.
    pub(crate) async fn exchange_code(
        &self,
        http: &Http,
        code: &str,
    ) -> Result<TokenPair, CrmError> {
        let (app, store, key) = self.oauth()?;
        let _gate = self.refresh_gate.lock().await;
        let body = serde_json::json!({
            "client_id": app.client_id,
            "client_secret": app.client_secret.expose_secret(),
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
        });
        let pair = self.token_request(http, &body).await?;
        let json = serde_json::to_string(&StoredTokens::from_pair(&pair)).map_err(|e| {
            CrmError::Storage {
                detail: e.to_string(),
            }
        })?;
        store.put(key, &json, None).await.map_err(|e| storage(&e))?;
        self.cache(pair.clone());
        Ok(pair)
    }

    /// Stores a token pair obtained elsewhere and uses it from now on.
    pub(crate) async fn import(&self, pair: TokenPair) -> Result<(), CrmError> {
        let (_, store, key) = self.oauth()?;
        let _gate = self.refresh_gate.lock().await;
        let json = serde_json::to_string(&StoredTokens::from_pair(&pair)).map_err(|e| {
            CrmError::Storage {
                detail: e.to_string(),
            }
        })?;
        store.put(key, &json, None).await.map_err(|e| storage(&e))?;
        self.cache(pair);
        Ok(())
    }

    /// Refreshes `old` (stored as `raw`), persists the new pair, then caches it. Caller holds the gate.
    async fn refresh(
        &self,
        http: &Http,
        old: &TokenPair,
        raw: &str,
    ) -> Result<TokenPair, CrmError> {
        let (app, store, key) = self.oauth()?;
        let body = serde_json::json!({
            "client_id": app.client_id,
            "client_secret": app.client_secret.expose_secret(),
            "grant_type": "refresh_token",
            "refresh_token": old.refresh_token.expose_secret(),
            "redirect_uri": app.redirect_uri,
        });
        let pair = self.token_request(http, &body).await?;
        let json = serde_json::to_string(&StoredTokens::from_pair(&pair)).map_err(|e| {
            CrmError::Storage {
                detail: e.to_string(),
            }
        })?;
        let written = store
            .compare_and_swap(key, Some(raw.to_owned()), &json, None)
            .await
            .map_err(|e| storage(&e))?;
        if !written {
            let (theirs, _) = self.load().await?;
            tracing::debug!(
                target: "crmsync_amocrm::auth",
                "another process rotated the tokens first; using its pair"
            );
            self.cache(theirs.clone());
            return Ok(theirs);
        }
        tracing::debug!(target: "crmsync_amocrm::auth", "access token refreshed and stored");
        self.cache(pair.clone());
        Ok(pair)
    }

    /// `POST /oauth2/access_token`, retried on transport failures and 5xx: a refresh token stays valid until
    /// its successor is used, so resending it after a lost answer is safe.
    async fn token_request(
        &self,
        http: &Http,
        body: &serde_json::Value,
    ) -> Result<TokenPair, CrmError> {
        let bytes = serde_json::to_vec(body).map_err(|e| CrmError::InvalidInput {
            field: "token request".into(),
            reason: e.to_string(),
        })?;
        let mut attempt = 1;
        let mut rate_limited = 0;
        loop {
            http.counters.token_requests.fetch_add(1, Ordering::Relaxed);
            let failure = match http
                .send(Outgoing {
                    method: &Method::POST,
                    target: Target::Path("/oauth2/access_token"),
                    body: Some(&bytes),
                    bearer: None,
                    headers: &[],
                })
                .await
            {
                Ok(response) if (200..300).contains(&response.status) => {
                    return parse_token_response(&response.body, http.clock.now());
                }
                Ok(response) => {
                    let problem = problem::parse(&response.body, response.status);
                    match response.status {
                        400 | 401 => {
                            return Err(reauthorize(format!(
                                "the token endpoint refused the grant: {}",
                                problem.hint.unwrap_or(problem.detail)
                            )));
                        }
                        403 => {
                            http.block(&problem.detail);
                            return Err(CrmError::Blocked {
                                detail: problem.detail,
                            });
                        }
                        429 => {
                            let wait = problem
                                .retry_after
                                .unwrap_or(self.retry.default_rate_limit_wait);
                            http.pause(wait).await;
                            if rate_limited >= self.retry.max_rate_limit_retries
                                || wait > self.retry.max_rate_limit_wait
                            {
                                return Err(CrmError::RateLimited {
                                    retry_after: problem.retry_after,
                                });
                            }
                            rate_limited += 1;
                            continue;
                        }
                        500..=599 => problem::status_error(response.status, problem),
                        status => return Err(problem::status_error(status, problem)),
                    }
                }
                Err(SendError::Blocked(detail)) => return Err(CrmError::Blocked { detail }),
                Err(SendError::Paused(remaining)) => {
                    return Err(CrmError::RateLimited {
                        retry_after: Some(remaining),
                    });
                }
                Err(SendError::TooLarge { limit }) => {
                    return Err(CrmError::ResponseTooLarge {
                        context: "POST /oauth2/access_token".to_owned(),
                        limit,
                    });
                }
                Err(SendError::NotSent(detail) | SendError::Lost(detail)) => {
                    CrmError::Transport { detail }
                }
            };
            if attempt >= self.retry.max_attempts {
                return Err(failure);
            }
            http.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff(&self.retry, attempt)).await;
            attempt += 1;
        }
    }
}

fn parse_token_response(body: &[u8], now: DateTime<Utc>) -> Result<TokenPair, CrmError> {
    let context = "POST /oauth2/access_token";
    let response: TokenResponse =
        serde_json::from_slice(body).map_err(|e| crate::decode::decode_error(context, body, &e))?;
    let missing = |what: &str| CrmError::Decode {
        context: context.to_owned(),
        detail: format!("the token response has no {what}"),
        snippet: crate::redact::snippet(body, None),
    };
    let access = response
        .access_token
        .0
        .filter(|t| !t.is_empty())
        .ok_or_else(|| missing("access_token"))?;
    let refresh = response
        .refresh_token
        .0
        .filter(|t| !t.is_empty())
        .ok_or_else(|| missing("refresh_token"))?;
    let expires_in = response
        .expires_in
        .0
        .unwrap_or(86_400)
        .clamp(0, 10 * 365 * 86_400);
    Ok(TokenPair {
        access_token: access.into(),
        refresh_token: refresh.into(),
        expires_at: now + chrono::Duration::seconds(expires_in),
    })
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "wrong fields",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}
