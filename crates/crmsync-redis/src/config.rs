//! How to reach Redis: URL, key prefix, timeouts and reconnect attempts.

use std::fmt;
use std::time::Duration;

/// Settings of a Redis connection shared by the adapters.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// Server URL, e.g. `redis://127.0.0.1:6379` or `redis://:password@host:6379/2`.
    pub url: String,
    /// Prepended to every key the adapters touch (e.g. `crmsync:`); several deployments can share a server.
    pub key_prefix: String,
    /// How long one attempt to open the connection may take.
    pub connect_timeout: Duration,
    /// How long a command may wait for its answer before it fails as unavailable.
    pub response_timeout: Duration,
    /// How many times a failed (re)connection is retried, with exponential backoff, before commands fail.
    pub reconnect_attempts: usize,
}

impl RedisConfig {
    /// Default connection timeout.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
    /// Default response timeout (the Lua scripts are short, but a loaded server deserves some slack).
    pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
    /// Default number of reconnection retries.
    pub const DEFAULT_RECONNECT_ATTEMPTS: usize = 3;
    /// Default key prefix.
    pub const DEFAULT_KEY_PREFIX: &'static str = "crmsync:";

    /// Settings for `url` with the default prefix, timeouts and retries.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key_prefix: Self::DEFAULT_KEY_PREFIX.to_owned(),
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            response_timeout: Self::DEFAULT_RESPONSE_TIMEOUT,
            reconnect_attempts: Self::DEFAULT_RECONNECT_ATTEMPTS,
        }
    }

    /// The same settings with another key prefix.
    #[must_use]
    pub fn with_key_prefix(mut self, key_prefix: impl Into<String>) -> Self {
        self.key_prefix = key_prefix.into();
        self
    }

    /// The URL with any user name and password replaced by `***`, for messages and logs.
    pub fn redacted_url(&self) -> String {
        redact(&self.url)
    }
}

impl Default for RedisConfig {
    /// The local server, `redis://127.0.0.1:6379`.
    fn default() -> Self {
        Self::new("redis://127.0.0.1:6379")
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &self.redacted_url())
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("reconnect_attempts", &self.reconnect_attempts)
            .finish()
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_debug_output() {
        let config = RedisConfig::new("redis://user:s3cret@cache:6379/1");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("user"),
            "{shown}"
        );
        assert!(shown.contains("redis://***@cache:6379/1"), "{shown}");
        assert_eq!(
            RedisConfig::new("redis://cache:6379").redacted_url(),
            "redis://cache:6379"
        );
    }
}
