//! The client's settings: where the service is, the API key, pacing, timeouts and retries.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// A setting is out of range; `field` is the key inside the `[cyberjustice]` section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    /// The offending key (`rate_limit_per_s`).
    pub field: &'static str,
    /// Why it was rejected.
    pub reason: String,
}

/// How to reach CyberJustice. Deserialises from the `[cyberjustice]` section of a binary's TOML.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CyberJusticeConfig {
    /// The service's base URL, without `/api/v1`.
    pub base_url: String,
    /// The account's API key, sent as `X-Api-Key`.
    pub api_key: SecretString,
    /// The service's limit in requests per second (fractions allowed: 0.5 is one every two seconds); the client
    /// stays a little under it.
    pub rate_limit_per_s: f64,
    /// How long one request may take before it is abandoned and retried, in milliseconds.
    pub timeout_ms: u64,
    /// How many times a failed request (429, 5xx, timeout, broken connection) is sent again.
    pub max_retries: u32,
    /// The first retry's wait, in milliseconds; each further retry doubles it.
    pub backoff_initial_ms: u64,
    /// The longest wait between retries (and the most of a `Retry-After` that is honoured), in milliseconds.
    pub backoff_max_ms: u64,
    /// Monitored cases asked for per page (1–500).
    pub page_size: u32,
    /// The largest answer read, in bytes (default [`DEFAULT_MAX_RESPONSE_BYTES`], 16 MiB; a page of 500
    /// monitored cases is about 0.1 MiB); a larger one fails the call with `MonitorError::ResponseTooLarge`.
    pub max_response_bytes: u64,
}

/// The default cap on an answer's size: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

impl Default for CyberJusticeConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            api_key: SecretString::default(),
            rate_limit_per_s: 1.0,
            timeout_ms: 30_000,
            max_retries: 5,
            backoff_initial_ms: 500,
            backoff_max_ms: 30_000,
            page_size: 100,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl std::fmt::Debug for CyberJusticeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CyberJusticeConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"***")
            .field("rate_limit_per_s", &self.rate_limit_per_s)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("backoff_initial_ms", &self.backoff_initial_ms)
            .field("backoff_max_ms", &self.backoff_max_ms)
            .field("page_size", &self.page_size)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl CyberJusticeConfig {
    /// Defaults for the service at `base_url` with `api_key`.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: SecretString::from(api_key.into()),
            ..Self::default()
        }
    }

    /// The same settings with another request rate.
    #[must_use]
    pub fn with_rate_limit(mut self, per_second: f64) -> Self {
        self.rate_limit_per_s = per_second;
        self
    }

    /// The same settings with another timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// The same settings with other retry counts and waits.
    #[must_use]
    pub fn with_retries(mut self, max_retries: u32, initial: Duration, max: Duration) -> Self {
        self.max_retries = max_retries;
        self.backoff_initial_ms = u64::try_from(initial.as_millis()).unwrap_or(u64::MAX);
        self.backoff_max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// The same settings with another cap on an answer's size.
    #[must_use]
    pub fn with_max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, reason: &str| ConfigError {
            field,
            reason: reason.to_owned(),
        };
        let url = reqwest::Url::parse(self.base_url.trim()).map_err(|e| ConfigError {
            field: "base_url",
            reason: format!("not a URL ({e})"),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("base_url", "must start with http:// or https://"));
        }
        if self.api_key.expose_secret().trim().is_empty() {
            return Err(invalid("api_key", "must not be empty"));
        }
        if !(self.rate_limit_per_s.is_finite()
            && self.rate_limit_per_s >= 0.001
            && self.rate_limit_per_s <= 1000.0)
        {
            return Err(invalid(
                "rate_limit_per_s",
                "must be between 0.001 and 1000",
            ));
        }
        if self.timeout_ms == 0 {
            return Err(invalid("timeout_ms", "must be longer than zero"));
        }
        if self.max_retries > 20 {
            return Err(invalid("max_retries", "must be at most 20"));
        }
        if self.backoff_initial_ms == 0 || self.backoff_initial_ms > self.backoff_max_ms {
            return Err(invalid(
                "backoff_initial_ms",
                "must be longer than zero and at most backoff_max_ms",
            ));
        }
        if !(1..=500).contains(&self.page_size) {
            return Err(invalid("page_size", "must be between 1 and 500"));
        }
        if self.max_response_bytes == 0 {
            return Err(invalid("max_response_bytes", "must be at least 1"));
        }
        Ok(())
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    pub(crate) fn backoff_initial(&self) -> Duration {
        Duration::from_millis(self.backoff_initial_ms)
    }

    pub(crate) fn backoff_max(&self) -> Duration {
        Duration::from_millis(self.backoff_max_ms)
    }

    /// The interval between two requests the limiter allows: the service's interval plus a 2 % (and 5 ms)
    /// margin, so that network jitter never puts two requests into one window of the service's limiter.
    pub(crate) fn request_interval(&self) -> Duration {
        Duration::from_secs_f64(1.02 / self.rate_limit_per_s) + Duration::from_millis(5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_only_the_url_and_key() {
        let config = CyberJusticeConfig::new("http://127.0.0.1:1", "k");
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.request_interval(), Duration::from_millis(1025));
        let missing_key = CyberJusticeConfig::new("http://127.0.0.1:1", " ");
        assert_eq!(missing_key.validate().unwrap_err().field, "api_key");
        let bad_url = CyberJusticeConfig::new("ftp://x", "k");
        assert_eq!(bad_url.validate().unwrap_err().field, "base_url");
        let zero_rate = CyberJusticeConfig::new("http://x", "k").with_rate_limit(0.0);
        assert_eq!(zero_rate.validate().unwrap_err().field, "rate_limit_per_s");
    }

    #[test]
    fn debug_output_hides_the_key() {
        let config = CyberJusticeConfig::new("http://x", "s3cret-key");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let parsed: Result<CyberJusticeConfig, _> =
            serde_json::from_str(r#"{"base_url":"http://x","api_key":"k","rate_limit":2}"#);
        assert!(parsed.unwrap_err().to_string().contains("rate_limit"));
    }
}
