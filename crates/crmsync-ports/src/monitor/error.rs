//! `MonitorError`: every way a monitoring-service call can fail, and what the caller can do about it.

use std::time::Duration;

/// A monitoring-service call failed.
///
/// Messages carry statuses, ids and case numbers, never the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonitorError {
    /// The API key is missing or unknown (`401`).
    #[error("the monitoring service refused the API key (401): {detail}")]
    Unauthorized {
        /// What the service said.
        detail: String,
    },
    /// The account is suspended (`403`).
    #[error("the monitoring service refused access (403): {detail}")]
    Forbidden {
        /// What the service said.
        detail: String,
    },
    /// A replace asked for more cases than the account may monitor; nothing changed.
    #[error("the monitoring limit is {limit} cases, {requested} were requested")]
    LimitExceeded {
        /// The account's limit.
        limit: u32,
        /// How many were asked for.
        requested: u32,
    },
    /// A replace named cases the service has no card for (retrieve them first); nothing changed.
    #[error("the monitoring service has no card for {} case(s): {}", .case_numbers.len(), summarize(.case_numbers))]
    UnknownCases {
        /// The cases concerned.
        case_numbers: Vec<String>,
    },
    /// The service rejected case numbers as invalid.
    #[error("the monitoring service rejected {} case number(s): {}", .case_numbers.len(), summarize(.case_numbers))]
    InvalidCaseNumbers {
        /// The numbers concerned.
        case_numbers: Vec<String>,
    },
    /// The request was rejected as malformed (`400`), or refused before it was sent.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending parameter.
        field: String,
        /// Why.
        reason: String,
    },
    /// The entry or path does not exist (`404`).
    #[error("not found (404): {detail}")]
    NotFound {
        /// What the service said.
        detail: String,
    },
    /// The service kept answering `429` after the allowed retries.
    #[error("the monitoring service rate limit was hit and retries ran out{}", describe_wait(*.retry_after))]
    RateLimited {
        /// How long the service asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The service failed (`5xx`) and retries ran out.
    #[error("the monitoring service failed with {status}: {detail}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// What it said.
        detail: String,
    },
    /// The service could not be reached, the connection broke or timed out, and retries ran out.
    #[error("cannot reach the monitoring service: {detail}")]
    Transport {
        /// What went wrong.
        detail: String,
    },
    /// Another unexpected HTTP status.
    #[error("unexpected HTTP {status} from the monitoring service: {detail}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// What it said.
        detail: String,
    },
    /// A response could not be decoded.
    #[error("cannot decode {context}: {detail}")]
    Decode {
        /// What was being decoded (`GET /api/v1/monitoring/cases`).
        context: String,
        /// What the decoder said.
        detail: String,
    },
    /// An answer was larger than the client's limit and was not read to the end.
    #[error("the answer to {context} exceeded the {limit}-byte response limit")]
    ResponseTooLarge {
        /// The request (`GET /api/v1/monitoring/cases`).
        context: String,
        /// The limit in bytes.
        limit: u64,
    },
}

impl MonitorError {
    /// A collecting helper followed too many pages.
    pub(crate) fn too_many_pages(what: &str) -> Self {
        Self::InvalidInput {
            field: "page".into(),
            reason: format!(
                "the list of {what} has more than {} pages",
                super::MAX_MONITOR_PAGES
            ),
        }
    }

    /// A short stable name of the variant, for reports and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::UnknownCases { .. } => "unknown_cases",
            Self::InvalidCaseNumbers { .. } => "invalid_case_numbers",
            Self::InvalidInput { .. } => "invalid_input",
            Self::NotFound { .. } => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::Server { .. } => "server",
            Self::Transport { .. } => "transport",
            Self::Unexpected { .. } => "unexpected",
            Self::Decode { .. } => "decode",
            Self::ResponseTooLarge { .. } => "response_too_large",
        }
    }

    /// Whether the same call may succeed later (server trouble, limits, transport), as opposed to errors that
    /// need a person (credentials, suspension, bad input).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Transport { .. }
        )
    }
}

fn summarize(items: &[String]) -> String {
    let mut out = items
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 10 {
        out.push_str(&format!(", … {} more", items.len() - 10));
    }
    out
}

fn describe_wait(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| {
        format!(" (the service asked to wait {} s)", d.as_secs())
    })
}
