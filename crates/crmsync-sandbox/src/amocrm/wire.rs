//! amoCRM response bodies: HAL success, 204, problem+json errors, validation errors, 429/403 and OAuth errors.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::state::ItemErrors;
use crate::faults::nginx_page;
use crate::ratelimit::LimitResponder;

fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// 200 `application/hal+json`.
pub(crate) fn hal(body: &Value) -> Response {
    with_type(StatusCode::OK, "application/hal+json", body.to_string())
}

/// 200 `application/json` (complex add answers a bare array).
pub(crate) fn plain_json(body: &Value) -> Response {
    with_type(StatusCode::OK, "application/json", body.to_string())
}

/// 204 with an empty body.
pub(crate) fn no_content() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// `application/problem+json` with amoCRM's `title`/`type`/`status`/`detail`.
pub(crate) fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({
        "title": status.canonical_reason().unwrap_or("Error"),
        "type": format!("https://httpstatus.es/{}", status.as_u16()),
        "status": status.as_u16(),
        "detail": detail,
    });
    with_type(status, "application/problem+json", body.to_string())
}

/// 400 with `validation-errors`, one entry per failing request item.
pub(crate) fn validation(failures: &[ItemErrors]) -> Response {
    let items: Vec<Value> = failures
        .iter()
        .map(|f| {
            json!({
                "request_id": f.request_id,
                "errors": f.errors.iter().map(|e| json!({"code": e.code, "path": e.path, "detail": e.detail})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let body = json!({
        "validation-errors": items,
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    });
    with_type(
        StatusCode::BAD_REQUEST,
        "application/problem+json",
        body.to_string(),
    )
}

/// 400 "Request data can not be empty".
pub(crate) fn empty_request() -> Response {
    problem(StatusCode::BAD_REQUEST, "Request data can not be empty")
}

/// 422 "Limit N per page".
pub(crate) fn over_limit(limit: usize) -> Response {
    problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("Limit {limit} per page"),
    )
}

/// 401 for a missing, unknown, expired or revoked bearer token.
pub(crate) fn unauthorized() -> Response {
    problem(StatusCode::UNAUTHORIZED, "Invalid user name or password")
}

/// 402 for an unpaid account.
pub(crate) fn payment_required() -> Response {
    problem(StatusCode::PAYMENT_REQUIRED, "Payment required")
}

/// 405 for a known path asked with a method it does not have; `Allow` lists those it has.
pub(crate) fn method_not_allowed(method: &str, path: &str, allowed: &[&str]) -> Response {
    let mut response = problem(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "Cannot {method} {path}: the route allows {}",
            allowed.join(", ")
        ),
    );
    if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// An OAuth error in amoCRM's OAuthProblemJson shape.
pub(crate) fn oauth_problem(
    status: StatusCode,
    title: &str,
    detail: &str,
    hint: Option<&str>,
) -> Response {
    let mut body = json!({
        "title": title,
        "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some(hint), Some(obj)) = (hint, body.as_object_mut()) {
        obj.insert("hint".to_owned(), Value::String(hint.to_owned()));
    }
    with_type(status, "application/problem+json", body.to_string())
}

/// 429 and 403 answers of the amoCRM emulator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AmoLimitResponder {
    pub(crate) html_429: bool,
}

impl LimitResponder for AmoLimitResponder {
    fn too_many(&self, retry_after: Duration) -> Response {
        if self.html_429 {
            return nginx_page(StatusCode::TOO_MANY_REQUESTS);
        }
        let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        let body = json!({
            "title": "Too Many Requests",
            "type": "https://httpstatus.es/429",
            "status": 429,
            "detail": "You have sent too many requests in a given amount of time. Please try again later.",
            "retry_after": secs.max(1),
        });
        with_type(
            StatusCode::TOO_MANY_REQUESTS,
            "application/problem+json",
            body.to_string(),
        )
    }

    fn blocked(&self) -> Response {
        nginx_page(StatusCode::FORBIDDEN)
    }
}
