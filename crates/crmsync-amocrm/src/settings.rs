//! `[amocrm]`: the one configuration section of every binary that talks to amoCRM — the account, how it
//! authenticates (a long-lived token, or an OAuth integration whose rotating tokens live in a key-value store),
//! the request budget, timeouts and retries — and the client and OAuth code exchange built from it.

use std::sync::Arc;
use std::time::Duration;

use crmsync_ports::{CrmError, KeyValueStore};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{AmoCrmClient, Credentials, OAuthApp, RateLimit, RetryPolicy, Timeouts};

/// A setting cannot work, or the client could not be built or authorized.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A key has an unacceptable value.
    #[error("config key `{key}`: {reason}")]
    Invalid {
        /// The dotted key, e.g. `amocrm.oauth.client_id`.
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// The client refused the settings or amoCRM refused the request.
    #[error("amoCRM: {0}")]
    Client(#[from] CrmError),
}

fn invalid(key: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        reason: reason.into(),
    }
}

/// `[amocrm.oauth]`: an OAuth integration registered in the account (Settings → Integrations).
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthSettings {
    /// The integration id.
    pub client_id: String,
    /// The integration's secret key.
    pub client_secret: SecretString,
    /// The redirect URI registered with the integration.
    pub redirect_uri: String,
    /// The key under which the token pair is kept in the binary's key-value store (Redis when configured,
    /// else the storage database); refresh tokens rotate and are written there before they are used.
    pub token_key: String,
}

impl std::fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_uri", &self.redirect_uri)
            .field("token_key", &self.token_key)
            .finish()
    }
}

/// `[amocrm]`.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmoCrmSettings {
    /// The account's address, `https://example.amocrm.ru`.
    pub base_url: String,
    /// The long-lived token of a private integration; or set `[amocrm.oauth]` instead.
    pub long_lived_token: SecretString,
    /// The OAuth integration; or set `long_lived_token` instead.
    pub oauth: Option<OAuthSettings>,
    /// Most requests per second (amoCRM allows 7).
    pub rate_limit_per_s: u32,
    /// How long one request may take, in milliseconds.
    pub request_timeout_ms: u64,
    /// Attempts per read or update on 5xx and transport failures.
    pub max_attempts: u32,
    /// The first retry's wait, in milliseconds.
    pub retry_base_delay_ms: u64,
}

impl Default for AmoCrmSettings {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            long_lived_token: SecretString::default(),
            oauth: None,
            rate_limit_per_s: 7,
            request_timeout_ms: 20_000,
            max_attempts: 4,
            retry_base_delay_ms: 250,
        }
    }
}

impl std::fmt::Debug for AmoCrmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmoCrmSettings")
            .field("base_url", &self.base_url)
            .field("long_lived_token", &"***")
            .field("oauth", &self.oauth)
            .field("rate_limit_per_s", &self.rate_limit_per_s)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base_delay_ms", &self.retry_base_delay_ms)
            .finish()
    }
}

impl AmoCrmSettings {
    /// Whether a long-lived token is set.
    fn has_token(&self) -> bool {
        !self.long_lived_token.expose_secret().trim().is_empty()
    }

    /// Checks every key, naming the first one that cannot work.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let base = self.base_url.trim();
        if base.is_empty() {
            return Err(invalid("amocrm.base_url", "is required"));
        }
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(invalid(
                "amocrm.base_url",
                "must start with https:// (the account's address)",
            ));
        }
        match (&self.oauth, self.has_token()) {
            (None, false) => {
                return Err(invalid(
                    "amocrm.long_lived_token",
                    "is required unless an [amocrm.oauth] table is given",
                ));
            }
            (Some(_), true) => {
                return Err(invalid(
                    "amocrm.long_lived_token",
                    "give either long_lived_token or [amocrm.oauth], not both",
                ));
            }
            (Some(oauth), false) => {
                for (key, value) in [
                    ("amocrm.oauth.client_id", &oauth.client_id),
                    ("amocrm.oauth.redirect_uri", &oauth.redirect_uri),
                    ("amocrm.oauth.token_key", &oauth.token_key),
                ] {
                    if value.trim().is_empty() {
                        return Err(invalid(key, "is required"));
                    }
                }
                if oauth.client_secret.expose_secret().trim().is_empty() {
                    return Err(invalid("amocrm.oauth.client_secret", "is required"));
                }
            }
            (None, true) => {}
        }
        if !(1..=7).contains(&self.rate_limit_per_s) {
            return Err(invalid(
                "amocrm.rate_limit_per_s",
                "must be between 1 and 7",
            ));
        }
        if self.request_timeout_ms == 0 {
            return Err(invalid("amocrm.request_timeout_ms", "must be at least 1"));
        }
        if self.max_attempts == 0 {
            return Err(invalid("amocrm.max_attempts", "must be at least 1"));
        }
        Ok(())
    }

    /// The credentials these settings name; OAuth tokens are kept in `tokens`.
    fn credentials(&self, tokens: Arc<dyn KeyValueStore>) -> Credentials {
        match &self.oauth {
            Some(oauth) => Credentials::OAuth {
                app: OAuthApp {
                    client_id: oauth.client_id.trim().to_owned(),
                    client_secret: SecretString::from(oauth.client_secret.expose_secret().trim()),
                    redirect_uri: oauth.redirect_uri.trim().to_owned(),
                },
                store: tokens,
                key: oauth.token_key.trim().to_owned(),
            },
            None => Credentials::LongLived(SecretString::from(
                self.long_lived_token.expose_secret().trim(),
            )),
        }
    }

    /// A client for the account, after [`AmoCrmSettings::validate`]. With OAuth, its tokens are read from and
    /// rotated in `tokens` (run `authorize` once first).
    pub async fn client(
        &self,
        tokens: Arc<dyn KeyValueStore>,
        user_agent: &str,
    ) -> Result<AmoCrmClient, SettingsError> {
        self.validate()?;
        let rate = RateLimit::per_second(self.rate_limit_per_s)
            .ok_or_else(|| invalid("amocrm.rate_limit_per_s", "must be at least 1"))?;
        let client = AmoCrmClient::builder(self.base_url.trim(), self.credentials(tokens))
            .rate_limit(rate)
            .timeouts(Timeouts {
                connect: Duration::from_millis(self.request_timeout_ms.min(5_000)),
                request: Duration::from_millis(self.request_timeout_ms),
            })
            .retry(RetryPolicy {
                max_attempts: self.max_attempts,
                base_delay: Duration::from_millis(self.retry_base_delay_ms),
                ..RetryPolicy::default()
            })
            .user_agent(user_agent)
            .build()?;
        Ok(client)
    }

    /// The OAuth code exchange at installation: trades `code` (shown by amoCRM when the integration is
    /// installed, valid 20 minutes, usable once) for the first token pair and stores it in `tokens` under
    /// `amocrm.oauth.token_key`.
    pub async fn authorize(
        &self,
        code: &str,
        tokens: Arc<dyn KeyValueStore>,
    ) -> Result<(), SettingsError> {
        if self.oauth.is_none() {
            return Err(invalid(
                "amocrm.oauth",
                "authorize needs an [amocrm.oauth] table (a long-lived token needs no authorization)",
            ));
        }
        if code.trim().is_empty() {
            return Err(invalid("code", "must not be empty"));
        }
        let client = self.client(tokens, "crmsync-authorize").await?;
        client.authorize_with_code(code.trim()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth() -> AmoCrmSettings {
        AmoCrmSettings {
            base_url: "https://example.amocrm.ru".into(),
            oauth: Some(OAuthSettings {
                client_id: "id".into(),
                client_secret: "s3cret-client".into(),
                redirect_uri: "https://example.org/amocrm".into(),
                token_key: "amocrm:tokens".into(),
            }),
            ..AmoCrmSettings::default()
        }
    }

    fn key_of(settings: &AmoCrmSettings) -> &'static str {
        match settings.validate() {
            Err(SettingsError::Invalid { key, .. }) => key,
            other => panic!("expected an invalid key, got {other:?}"),
        }
    }

    #[test]
    fn exactly_one_way_to_authenticate() {
        assert!(oauth().validate().is_ok());
        let token = AmoCrmSettings {
            oauth: None,
            long_lived_token: "tok".into(),
            ..oauth()
        };
        assert!(token.validate().is_ok());
        let neither = AmoCrmSettings {
            oauth: None,
            ..oauth()
        };
        assert_eq!(key_of(&neither), "amocrm.long_lived_token");
        let both = AmoCrmSettings {
            long_lived_token: "tok".into(),
            ..oauth()
        };
        assert_eq!(key_of(&both), "amocrm.long_lived_token");
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut s = oauth();
        s.oauth.as_mut().unwrap().token_key = " ".into();
        assert_eq!(key_of(&s), "amocrm.oauth.token_key");
        let mut s = oauth();
        s.oauth.as_mut().unwrap().client_secret = SecretString::default();
        assert_eq!(key_of(&s), "amocrm.oauth.client_secret");
        let s = AmoCrmSettings {
            rate_limit_per_s: 8,
            ..oauth()
        };
        assert_eq!(key_of(&s), "amocrm.rate_limit_per_s");
        let s = AmoCrmSettings {
            base_url: "example.amocrm.ru".into(),
            ..oauth()
        };
        assert_eq!(key_of(&s), "amocrm.base_url");
    }

    #[test]
    fn debug_hides_the_secrets() {
        let s = AmoCrmSettings {
            long_lived_token: "s3cret-token".into(),
            ..oauth()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("amocrm:tokens"), "{shown}");
    }

    #[tokio::test]
    async fn authorize_needs_an_oauth_table() {
        let token = AmoCrmSettings {
            oauth: None,
            long_lived_token: "tok".into(),
            ..oauth()
        };
        let store: Arc<dyn KeyValueStore> =
            Arc::new(crmsync_store::memory::MemoryKeyValueStore::new());
        let error = token.authorize("code", store).await.unwrap_err();
        assert!(error.to_string().contains("amocrm.oauth"), "{error}");
    }
}
