//! Error bodies (`application/problem+json`, validation errors, HTML pages) and their mapping to `CrmError`.

use std::time::Duration;

use crmsync_ports::{CrmError, Violation};
use serde::Deserialize;

use crate::flex::{FlexI64, FlexString};

/// What an error response said, as far as it could be read.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Problem {
    /// `detail`, else `hint`, else `title`, else the HTML `<title>`.
    pub(crate) detail: String,
    /// `hint`, which OAuth errors use for the real reason ("Token has been revoked").
    pub(crate) hint: Option<String>,
    /// `retry_after` of a JSON `429`.
    pub(crate) retry_after: Option<Duration>,
    /// Rejected fields of a `400`.
    pub(crate) violations: Vec<Violation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireProblem {
    title: FlexString,
    detail: FlexString,
    hint: FlexString,
    retry_after: FlexI64,
    #[serde(rename = "validation-errors")]
    validation_errors: Option<Vec<WireRequestErrors>>,
    response: Option<WireLegacy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireLegacy {
    error: FlexString,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireRequestErrors {
    request_id: FlexString,
    errors: Vec<WireFieldError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireFieldError {
    code: FlexString,
    path: FlexString,
    detail: FlexString,
}

/// Longest detail text kept from an error body.
const MAX_DETAIL: usize = 300;

fn clip(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.chars().count() <= MAX_DETAIL {
        trimmed.to_owned()
    } else {
        let mut out: String = trimmed.chars().take(MAX_DETAIL).collect();
        out.push('…');
        out
    }
}

/// Reads an error body, whatever its shape.
pub(crate) fn parse(body: &[u8], status: u16) -> Problem {
    if let Ok(wire) = serde_json::from_slice::<WireProblem>(body) {
        let violations = wire
            .validation_errors
            .unwrap_or_default()
            .into_iter()
            .flat_map(|request| {
                let request_id = request.request_id.0;
                request.errors.into_iter().map(move |e| Violation {
                    request_id: request_id.clone(),
                    code: e.code.0,
                    path: e.path.0.unwrap_or_default(),
                    detail: clip(&e.detail.0.unwrap_or_default()),
                })
            })
            .collect();
        let hint = wire.hint.0.map(|h| clip(&h));
        let detail = wire
            .detail
            .0
            .or_else(|| hint.clone())
            .or(wire.title.0)
            .or_else(|| wire.response.and_then(|r| r.error.0))
            .map_or_else(|| format!("HTTP {status}"), |d| clip(&d));
        return Problem {
            detail,
            hint,
            retry_after: wire
                .retry_after
                .0
                .and_then(|s| u64::try_from(s).ok())
                .map(Duration::from_secs),
            violations,
        };
    }
    let text = String::from_utf8_lossy(body);
    let detail = html_title(&text).map_or_else(
        || {
            if text.trim().is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                format!("HTTP {status} with a non-JSON body of {} bytes", body.len())
            }
        },
        |title| format!("HTTP {status}: {}", clip(&title)),
    );
    Problem {
        detail,
        ..Problem::default()
    }
}

/// The `<title>` of an HTML page, else its first `<h1>`.
fn html_title(text: &str) -> Option<String> {
    for (open, close) in [("<title>", "</title>"), ("<h1>", "</h1>")] {
        let lower = text.to_ascii_lowercase();
        if let Some(start) = lower.find(open) {
            let from = start + open.len();
            if let Some(len) = lower[from..].find(close) {
                let title = text.get(from..from + len)?.trim();
                if !title.is_empty() {
                    return Some(title.to_owned());
                }
            }
        }
    }
    None
}

/// The error for a final non-success status (not `401`, `403` or `429`, which callers handle first).
pub(crate) fn status_error(status: u16, problem: Problem) -> CrmError {
    match status {
        400 | 422 => CrmError::Validation {
            detail: problem.detail,
            violations: problem.violations,
        },
        401 => CrmError::Unauthorized {
            detail: problem.hint.unwrap_or(problem.detail),
            reauthorize: true,
        },
        402 => CrmError::PaymentRequired,
        403 => CrmError::Blocked {
            detail: problem.detail,
        },
        404 => CrmError::NotFound {
            detail: problem.detail,
        },
        429 => CrmError::RateLimited {
            retry_after: problem.retry_after,
        },
        500..=599 => CrmError::Server {
            status,
            detail: problem.detail,
        },
        _ => CrmError::Unexpected {
            status,
            detail: problem.detail,
        },
    }
}

#[cfg(test)]
mod tests;
