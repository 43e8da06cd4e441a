//! Where a marketplace service is and how patiently to call it.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// A configuration value the client cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    /// The key.
    pub field: &'static str,
    /// Why.
    pub reason: String,
}

/// One service's address, token and retry policy (TOML section `[snatcher]` or `[feeds]`).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// `https://snatcher.internal`, without a path.
    pub base_url: String,
    /// The bearer token.
    pub token: SecretString,
    /// How long one request may take, in milliseconds.
    pub timeout_ms: u64,
    /// Attempts per call (1 = no retry).
    pub max_attempts: u32,
    /// The first retry's wait, in milliseconds (doubled each time, capped at 10 s).
    pub backoff_ms: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            token: SecretString::default(),
            timeout_ms: 5_000,
            max_attempts: 4,
            backoff_ms: 200,
        }
    }
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("base_url", &self.base_url)
            .field("token", &"***")
            .field("timeout_ms", &self.timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl ServiceConfig {
    /// A service at `base_url` with `token` and the default policy.
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: SecretString::from(token.into()),
            ..Self::default()
        }
    }

    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = self.base_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError {
                field: "base_url",
                reason: "must start with http:// or https://".into(),
            });
        }
        if self.token.expose_secret().trim().is_empty() {
            return Err(ConfigError {
                field: "token",
                reason: "must not be empty".into(),
            });
        }
        if self.timeout_ms == 0 || self.timeout_ms > 120_000 {
            return Err(ConfigError {
                field: "timeout_ms",
                reason: "must be within 1..=120000".into(),
            });
        }
        if self.max_attempts == 0 || self.max_attempts > 20 {
            return Err(ConfigError {
                field: "max_attempts",
                reason: "must be within 1..=20".into(),
            });
        }
        Ok(())
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}
