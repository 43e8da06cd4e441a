//! CyberJustice response bodies: JSON success and `{"error": {...}}` errors, and the 429 answer.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::ratelimit::LimitResponder;

/// `status` with a JSON body.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// 200 with `body`.
pub(crate) fn ok(body: &Value) -> Response {
    json_response(StatusCode::OK, body)
}

/// 204 with no body.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// An error answer: `{"error": {"code", "message", ...extra}}`.
pub(crate) fn error(status: StatusCode, code: &str, message: &str, extra: Value) -> Response {
    let mut problem = json!({ "code": code, "message": message });
    if let (Some(target), Value::Object(fields)) = (problem.as_object_mut(), extra) {
        target.extend(fields);
    }
    json_response(status, &json!({ "error": problem }))
}

/// 400 `invalid_request` naming the parameter.
pub(crate) fn invalid_request(message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        message,
        Value::Null,
    )
}

/// 404 `not_found`.
pub(crate) fn not_found(message: &str) -> Response {
    error(StatusCode::NOT_FOUND, "not_found", message, Value::Null)
}

/// The 429 answer with `Retry-After` in whole seconds (at least 1).
#[derive(Debug)]
pub(crate) struct CyberJusticeLimitResponder;

impl LimitResponder for CyberJusticeLimitResponder {
    fn too_many(&self, retry_after: Duration) -> Response {
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        let seconds = seconds.max(1);
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests",
            json!({ "retry_after_s": seconds }),
        );
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }

    fn blocked(&self) -> Response {
        error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the account is suspended",
            Value::Null,
        )
    }
}
