//! The platform's error codes, what the client does about each, and the client's typed errors.

use crmsync_ports::SourceError;

/// The platform's `errcode` values (see `docs/officeflow-api.md`).
pub mod codes {
    /// Success.
    pub const OK: i64 = 0;
    /// System busy: retry.
    pub const BUSY: i64 = -1;
    /// Invalid app key or secret: configuration.
    pub const INVALID_SECRET: i64 = 40_001;
    /// Invalid access token: refresh once.
    pub const INVALID_TOKEN: i64 = 40_014;
    /// Invalid parameter: a client bug.
    pub const INVALID_PARAMETER: i64 = 40_058;
    /// Unknown tag id.
    pub const UNKNOWN_TAG: i64 = 40_068;
    /// Access token expired: refresh once.
    pub const TOKEN_EXPIRED: i64 = 42_001;
    /// Frequency limit exceeded: retry.
    pub const RATE_LIMITED: i64 = 45_009;
    /// The app lacks permission for the API: configuration.
    pub const FORBIDDEN: i64 = 48_002;
    /// The caller's IP is not trusted: configuration.
    pub const IP_NOT_ALLOWED: i64 = 60_020;
}

/// What the documentation says an error code means.
pub(crate) fn meaning(code: i64) -> &'static str {
    match code {
        codes::BUSY => "system busy",
        codes::INVALID_SECRET => {
            "invalid app key or app secret; check officeflow.app_key and app_secret"
        }
        codes::INVALID_TOKEN => "invalid access token",
        codes::INVALID_PARAMETER => "invalid parameter",
        codes::UNKNOWN_TAG => "unknown tag id",
        codes::TOKEN_EXPIRED => "access token expired",
        codes::RATE_LIMITED => "frequency limit exceeded",
        codes::FORBIDDEN => {
            "the app lacks permission for this API; grant it in the platform's console"
        }
        codes::IP_NOT_ALLOWED => {
            "this host's IP is not in the app's trusted IP list; add it in the platform's console"
        }
        _ => "undocumented error code",
    }
}

/// What to do about an `errcode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Success.
    Ok,
    /// Fetch a new token once and repeat.
    RefreshToken,
    /// Retry with backoff.
    Retry,
    /// Give up: retrying cannot help.
    Refuse,
}

pub(crate) fn verdict(code: i64) -> Verdict {
    match code {
        codes::OK => Verdict::Ok,
        codes::INVALID_TOKEN | codes::TOKEN_EXPIRED => Verdict::RefreshToken,
        codes::BUSY | codes::RATE_LIMITED => Verdict::Retry,
        _ => Verdict::Refuse,
    }
}

/// A call to the platform failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeflowError {
    /// A setting is unusable.
    #[error("officeflow client setting `{field}` {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The platform refused for a reason retrying cannot fix.
    #[error("{endpoint}: refused with code {code} ({meaning})")]
    Refused {
        /// The endpoint.
        endpoint: &'static str,
        /// `errcode`, or the HTTP status for refusals outside the envelope.
        code: i64,
        /// What the code means.
        meaning: String,
    },
    /// The token was refused again right after it was renewed.
    #[error("{endpoint}: the access token was refused (code {code}) even after renewing it")]
    TokenRejected {
        /// The endpoint.
        endpoint: &'static str,
        /// The refusal code.
        code: i64,
    },
    /// The platform or a gateway asked to slow down (`45009`, HTTP 429).
    #[error("{endpoint}: throttled (code {code})")]
    Throttled {
        /// The endpoint.
        endpoint: &'static str,
        /// `errcode` or HTTP status.
        code: i64,
        /// How long the gateway asked to wait, in milliseconds.
        retry_after_ms: Option<u64>,
    },
    /// The platform or a gateway failed (`-1`, HTTP 5xx).
    #[error("{endpoint}: platform busy or failing (code {code})")]
    Busy {
        /// The endpoint.
        endpoint: &'static str,
        /// `errcode` or HTTP status.
        code: i64,
    },
    /// No complete answer within the request timeout.
    #[error("{endpoint}: timed out")]
    Timeout {
        /// The endpoint.
        endpoint: &'static str,
    },
    /// The connection could not be opened or broke.
    #[error("{endpoint}: network error: {reason}")]
    Network {
        /// The endpoint.
        endpoint: &'static str,
        /// What the HTTP client said (without the URL).
        reason: String,
    },
    /// The answer does not follow the contract.
    #[error("{endpoint}: unexpected answer: {reason}")]
    Protocol {
        /// The endpoint.
        endpoint: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The answer was larger than the client's limit and was not read to the end.
    #[error("{endpoint}: the answer exceeded the {limit}-byte response limit")]
    ResponseTooLarge {
        /// The endpoint.
        endpoint: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// Every retry failed.
    #[error("gave up after {attempts} attempts; last error: {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: Box<OfficeflowError>,
    },
}

impl OfficeflowError {
    /// Whether repeating the call may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Throttled { .. }
                | Self::Busy { .. }
                | Self::Timeout { .. }
                | Self::Network { .. }
        )
    }
}

impl From<OfficeflowError> for SourceError {
    fn from(error: OfficeflowError) -> Self {
        match error {
            OfficeflowError::Config { .. } => Self::Refused {
                code: 0,
                reason: error.to_string(),
            },
            OfficeflowError::Refused { code, .. } | OfficeflowError::TokenRejected { code, .. } => {
                Self::Refused {
                    code,
                    reason: error.to_string(),
                }
            }
            OfficeflowError::Protocol { endpoint, reason } => Self::Protocol {
                endpoint: endpoint.to_owned(),
                reason,
            },
            OfficeflowError::ResponseTooLarge { endpoint, limit } => Self::ResponseTooLarge {
                endpoint: endpoint.to_owned(),
                limit,
            },
            OfficeflowError::GaveUp { attempts, last } => Self::Unavailable {
                attempts,
                reason: last.to_string(),
            },
            retryable => Self::Unavailable {
                attempts: 1,
                reason: retryable.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_into_what_to_do() {
        assert_eq!(verdict(0), Verdict::Ok);
        assert_eq!(verdict(-1), Verdict::Retry);
        assert_eq!(verdict(45_009), Verdict::Retry);
        assert_eq!(verdict(40_014), Verdict::RefreshToken);
        assert_eq!(verdict(42_001), Verdict::RefreshToken);
        for config_error in [40_001, 48_002, 60_020, 40_058, 12_345] {
            assert_eq!(verdict(config_error), Verdict::Refuse, "{config_error}");
        }
    }

    #[test]
    fn only_transient_failures_are_retryable_and_map_to_unavailable() {
        let throttled = OfficeflowError::Throttled {
            endpoint: "user/list",
            code: 45_009,
            retry_after_ms: None,
        };
        assert!(throttled.is_retryable());
        let refused = OfficeflowError::Refused {
            endpoint: "user/list",
            code: 60_020,
            meaning: meaning(60_020).into(),
        };
        assert!(!refused.is_retryable());
        assert!(matches!(
            SourceError::from(refused),
            SourceError::Refused { code: 60_020, .. }
        ));
        let gave_up = OfficeflowError::GaveUp {
            attempts: 6,
            last: Box::new(throttled),
        };
        let source = SourceError::from(gave_up);
        assert!(source.is_retryable());
        assert!(source.to_string().contains("6 attempt"), "{source}");
    }
}
