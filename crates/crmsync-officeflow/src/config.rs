//! How to reach the platform and how hard to push it.

use std::time::Duration;

use secrecy::SecretString;

use crate::OfficeflowError;

/// Settings of an [`OfficeflowClient`](crate::OfficeflowClient).
#[derive(Debug, Clone)]
pub struct OfficeflowConfig {
    /// API root, e.g. `https://officeflow.example.edu/api/v1`.
    pub base_url: String,
    /// The app's key.
    pub app_key: String,
    /// The app's secret (never logged).
    pub app_secret: SecretString,
    /// Requests per second the client allows itself (the platform allows 50).
    pub rate_limit_per_s: u32,
    /// Deadline of one request, connection to last byte.
    pub request_timeout: Duration,
    /// Deadline of opening a connection.
    pub connect_timeout: Duration,
    /// Retries of one call after a retryable failure (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff_base: Duration,
    /// Longest wait between retries.
    pub backoff_max: Duration,
    /// Records asked for per page (1 to 10 000).
    pub page_size: u32,
    /// The largest answer read, in bytes; a larger one fails the call with
    /// [`OfficeflowError::ResponseTooLarge`] and is not retried.
    pub max_response_bytes: u64,
}

impl OfficeflowConfig {
    /// Default requests per second.
    pub const DEFAULT_RATE_LIMIT_PER_S: u32 = 40;
    /// Default page size.
    pub const DEFAULT_PAGE_SIZE: u32 = 5_000;
    /// Largest page the platform serves.
    pub const MAX_PAGE_SIZE: u32 = 10_000;
    /// Default cap on an answer: 64 MiB (a full page of 10 000 users is about 4 MiB).
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

    /// Settings for `base_url` with the app's credentials and default limits.
    pub fn new(
        base_url: impl Into<String>,
        app_key: impl Into<String>,
        app_secret: SecretString,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            app_key: app_key.into(),
            app_secret,
            rate_limit_per_s: Self::DEFAULT_RATE_LIMIT_PER_S,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            max_retries: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            page_size: Self::DEFAULT_PAGE_SIZE,
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// Checks every value, naming the first bad field.
    pub fn validate(&self) -> Result<(), OfficeflowError> {
        let invalid = |field: &'static str, reason: &str| {
            Err(OfficeflowError::Config {
                field,
                reason: reason.to_owned(),
            })
        };
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return invalid("base_url", "must start with http:// or https://");
        }
        if self.app_key.trim().is_empty() {
            return invalid("app_key", "is empty");
        }
        if self.rate_limit_per_s == 0 {
            return invalid("rate_limit_per_s", "must be at least 1");
        }
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return invalid("request_timeout", "timeouts must be longer than zero");
        }
        if self.page_size == 0 || self.page_size > Self::MAX_PAGE_SIZE {
            return invalid("page_size", "must be between 1 and 10000");
        }
        if self.max_response_bytes == 0 {
            return invalid("max_response_bytes", "must be at least 1");
        }
        if self.backoff_max < self.backoff_base {
            return invalid("backoff_max", "must not be shorter than backoff_base");
        }
        Ok(())
    }
}
