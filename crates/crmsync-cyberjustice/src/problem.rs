//! Turns an error answer (status and body) into a [`MonitorError`].

use crmsync_ports::MonitorError;
use serde::Deserialize;

/// Longest service message kept in an error.
const MAX_DETAIL: usize = 300;

#[derive(Debug, Default, Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Problem,
}

#[derive(Debug, Default, Deserialize)]
struct Problem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    requested: Option<u32>,
    #[serde(default)]
    case_numbers: Vec<String>,
}

/// The error of a non-success answer with `status` and `body`.
pub(crate) fn to_error(status: u16, body: &[u8]) -> MonitorError {
    let problem = serde_json::from_slice::<Envelope>(body)
        .map(|e| e.error)
        .unwrap_or_default();
    let detail = detail(&problem, body);
    match (status, problem.code.as_str()) {
        (400, "invalid_case_number") => MonitorError::InvalidCaseNumbers {
            case_numbers: problem.case_numbers,
        },
        (400, _) => MonitorError::InvalidInput {
            field: "request".into(),
            reason: detail,
        },
        (401, _) => MonitorError::Unauthorized { detail },
        (403, _) => MonitorError::Forbidden { detail },
        (404, _) => MonitorError::NotFound { detail },
        (422, "limit_exceeded") => MonitorError::LimitExceeded {
            limit: problem.limit.unwrap_or_default(),
            requested: problem.requested.unwrap_or_default(),
        },
        (422, "unknown_cases") => MonitorError::UnknownCases {
            case_numbers: problem.case_numbers,
        },
        (429, _) => MonitorError::RateLimited { retry_after: None },
        (500..=599, _) => MonitorError::Server { status, detail },
        _ => MonitorError::Unexpected { status, detail },
    }
}

/// The service's message, or a short description of a body that is not the service's JSON.
fn detail(problem: &Problem, body: &[u8]) -> String {
    if !problem.message.is_empty() {
        return truncate(&problem.message);
    }
    if !problem.code.is_empty() {
        return problem.code.clone();
    }
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        "empty body".to_owned()
    } else if trimmed.starts_with('<') {
        "an HTML page (a proxy error)".to_owned()
    } else {
        truncate(trimmed)
    }
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_DETAIL {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX_DETAIL).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_typed_errors() {
        let limit =
            br#"{"error":{"code":"limit_exceeded","message":"m","limit":500,"requested":501}}"#;
        assert_eq!(
            to_error(422, limit),
            MonitorError::LimitExceeded {
                limit: 500,
                requested: 501
            }
        );
        let unknown =
            r#"{"error":{"code":"unknown_cases","case_numbers":["А40-1/2020"]}}"#.as_bytes();
        assert_eq!(
            to_error(422, unknown),
            MonitorError::UnknownCases {
                case_numbers: vec!["А40-1/2020".into()]
            }
        );
        let invalid = br#"{"error":{"code":"invalid_case_number","case_numbers":["x"]}}"#;
        assert_eq!(to_error(400, invalid).kind(), "invalid_case_numbers");
        assert_eq!(to_error(401, b"{}").kind(), "unauthorized");
        assert_eq!(to_error(418, b"").kind(), "unexpected");
    }

    #[test]
    fn proxy_pages_are_summarised() {
        let error = to_error(502, b"<html><body>502 Bad Gateway</body></html>");
        assert_eq!(
            error,
            MonitorError::Server {
                status: 502,
                detail: "an HTML page (a proxy error)".into()
            }
        );
    }
}
