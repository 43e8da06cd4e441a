//! `CrmError`: every way a CRM call can fail, and what the caller can do about it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One rejected field of one input, from a `400` validation answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The input's request id, when the CRM named one.
    pub request_id: Option<String>,
    /// The CRM's error code (`NotSupportedChoice`, `InvalidType`...).
    pub code: Option<String>,
    /// The field path (`custom_fields_values.0.field_id`).
    pub path: String,
    /// What is wrong.
    pub detail: String,
}

/// One entity a batch wrote before it stopped: the input's request id and the entity's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WrittenRef {
    /// The input's request id.
    pub request_id: String,
    /// The written entity's id.
    pub id: i64,
}

/// A CRM call failed.
///
/// Messages carry ids, statuses and field paths, never tokens or personal data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrmError {
    /// The CRM rejected the input (`400`, or `422` over a limit); nothing of the rejected request was written.
    #[error("the CRM rejected the request: {}", describe_violations(.detail, .violations))]
    Validation {
        /// The CRM's summary.
        detail: String,
        /// Each rejected field, by input request id and path.
        violations: Vec<Violation>,
    },
    /// The input was rejected before anything was sent.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending argument or field.
        field: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The credentials are not accepted. With `reauthorize`, the refresh token is revoked or used up and an
    /// account administrator must grant access again.
    #[error("{}", describe_unauthorized(.detail, *.reauthorize))]
    Unauthorized {
        /// What the CRM or the client said.
        detail: String,
        /// Whether only a new authorisation can fix it.
        reauthorize: bool,
    },
    /// The CRM answered `403`: this IP or account is blocked. The client stops sending anything; unblocking takes
    /// the CRM's support.
    #[error("the CRM blocked this client (403): {detail}; no further requests are sent")]
    Blocked {
        /// What the CRM said.
        detail: String,
    },
    /// The CRM kept answering `429 Too Many Requests` after the allowed waits.
    #[error("the CRM rate limit was hit and retries ran out{}", describe_retry_after(*.retry_after))]
    RateLimited {
        /// How long the CRM asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The account is unpaid or its trial is over (`402`).
    #[error("the CRM account requires payment (402)")]
    PaymentRequired,
    /// The address does not exist (`404`): a wrong subdomain or an endpoint the account lacks.
    #[error("not found (404): {detail}")]
    NotFound {
        /// What the CRM said.
        detail: String,
    },
    /// The CRM failed (`5xx`) and retries ran out.
    #[error("the CRM failed with {status}: {detail}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// What the CRM said.
        detail: String,
    },
    /// Another unexpected HTTP status.
    #[error("unexpected HTTP {status} from the CRM: {detail}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// What the CRM said.
        detail: String,
    },
    /// The CRM could not be reached, or the connection broke, and retries ran out.
    #[error("cannot reach the CRM: {detail}")]
    Transport {
        /// What went wrong.
        detail: String,
    },
    /// Creates were sent but their outcome is unknown (timeout or failure after sending). They were not resent;
    /// the job must find out whether the entities with these request ids exist before creating them again.
    #[error(
        "the outcome of {} create(s) is unknown (request ids: {}); {} other(s) were written",
        .request_ids.len(), summarize(.request_ids), .written.len()
    )]
    Ambiguous {
        /// Request ids whose entities may or may not exist.
        request_ids: Vec<String>,
        /// Entities of the same call that were certainly written.
        written: Vec<WrittenRef>,
    },
    /// A batch stopped at an error after writing some entities.
    #[error(
        "a batch stopped after writing {} entities ({} undecided): {source}",
        .written.len(), .undecided.len()
    )]
    Partial {
        /// Entities written before the error.
        written: Vec<WrittenRef>,
        /// Request ids whose outcome is unknown (see [`CrmError::Ambiguous`]).
        undecided: Vec<String>,
        /// The error that stopped the batch.
        source: Box<CrmError>,
    },
    /// A response could not be decoded.
    #[error("cannot decode {context}: {detail} (near `{snippet}`)")]
    Decode {
        /// What was being decoded (`GET /api/v4/leads`).
        context: String,
        /// What the decoder said.
        detail: String,
        /// The offending part of the body with every string value masked.
        snippet: String,
    },
    /// The token storage failed.
    #[error("token storage failed: {detail}")]
    Storage {
        /// What the store said.
        detail: String,
    },
    /// A response body was larger than the client's limit and was not read to the end.
    #[error("the answer to {context} exceeded the {limit}-byte response limit")]
    ResponseTooLarge {
        /// The request (`GET /api/v4/leads`).
        context: String,
        /// The limit in bytes.
        limit: u64,
    },
}

impl CrmError {
    /// A collecting helper followed too many pages.
    pub(crate) fn too_many_pages() -> Self {
        Self::InvalidInput {
            field: "filter".into(),
            reason: format!(
                "the list has more than {} pages; narrow the filter",
                super::MAX_PAGES
            ),
        }
    }

    /// A short stable name of the variant, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation",
            Self::InvalidInput { .. } => "invalid_input",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Blocked { .. } => "blocked",
            Self::RateLimited { .. } => "rate_limited",
            Self::PaymentRequired => "payment_required",
            Self::NotFound { .. } => "not_found",
            Self::Server { .. } => "server",
            Self::Unexpected { .. } => "unexpected",
            Self::Transport { .. } => "transport",
            Self::Ambiguous { .. } => "ambiguous",
            Self::Partial { .. } => "partial",
            Self::Decode { .. } => "decode",
            Self::Storage { .. } => "storage",
            Self::ResponseTooLarge { .. } => "response_too_large",
        }
    }

    /// The error that decided the outcome: the source of a [`CrmError::Partial`], else `self`.
    pub fn root(&self) -> &Self {
        match self {
            Self::Partial { source, .. } => source.root(),
            other => other,
        }
    }

    /// Whether trying the same call later may succeed (server trouble, limits, transport), as opposed to errors
    /// that need a person (credentials, blocks, payment, bad input).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.root(),
            Self::RateLimited { .. } | Self::Server { .. } | Self::Transport { .. }
        )
    }

    /// Entities a failed batch wrote anyway.
    pub fn written(&self) -> &[WrittenRef] {
        match self {
            Self::Ambiguous { written, .. } | Self::Partial { written, .. } => written,
            _ => &[],
        }
    }

    /// Request ids whose outcome is unknown.
    pub fn undecided(&self) -> &[String] {
        match self {
            Self::Ambiguous { request_ids, .. } => request_ids,
            Self::Partial { undecided, .. } => undecided,
            _ => &[],
        }
    }
}

fn describe_violations(detail: &str, violations: &[Violation]) -> String {
    let mut out = detail.to_owned();
    for v in violations.iter().take(5) {
        let rid = v.request_id.as_deref().unwrap_or("-");
        out.push_str(&format!("; request {rid}: {} {}", v.path, v.detail));
    }
    if violations.len() > 5 {
        out.push_str(&format!("; and {} more", violations.len() - 5));
    }
    out
}

fn describe_unauthorized(detail: &str, reauthorize: bool) -> String {
    if reauthorize {
        format!(
            "the CRM refused the credentials ({detail}); re-authorisation is needed: an account administrator must \
             grant the integration access again (new authorization code or long-lived token)"
        )
    } else {
        format!("the CRM refused the credentials: {detail}")
    }
}

fn describe_retry_after(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| {
        format!(" (the CRM asked to wait {} s)", d.as_secs())
    })
}

fn summarize(ids: &[String]) -> String {
    let mut out = ids.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > 10 {
        out.push_str(&format!(", ... {} more", ids.len() - 10));
    }
    out
}
