//! The CyberJustice routes: monitored list, delete, retrieve, replace (`syncCases`), events; control routes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use crmsync_domain::CaseNumber;
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use super::state::{RetrieveAnswer, SyncRefusal};
use super::wire;

type Shared = State<Arc<App>>;
type Params = Query<HashMap<String, String>>;

/// Most items a page may hold.
const MAX_PER_PAGE: usize = 500;

pub(crate) fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/api/v1/monitoring/cases", get(list).put(sync))
        .route(
            "/api/v1/monitoring/cases/{id}",
            axum::routing::delete(delete),
        )
        .route("/api/v1/monitoring/cases/{id}/events", get(events))
        .route("/api/v1/cases/retrieve", post(retrieve))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            require_key,
        ));
    let control = Router::new()
        .route("/sandbox/cyberjustice/stats", get(control_stats))
        .route("/sandbox/cyberjustice/dump", get(control_dump))
        .route("/sandbox/cyberjustice/events", post(control_events));
    api.merge(control)
        .fallback(|| async { wire::not_found("no such path") })
        .with_state(app)
}

async fn require_key(State(app): Shared, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok());
    if given != Some(app.api_key.as_str()) {
        return wire::error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or unknown API key",
            Value::Null,
        );
    }
    next.run(request).await
}

/// A positive integer parameter within `1..=max`, or its default.
fn bounded(
    params: &HashMap<String, String>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, String> {
    match params.get(name) {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(format!("{name} must be an integer between 1 and {max}")),
        },
    }
}

async fn list(State(app): Shared, Query(params): Params) -> Response {
    let page = match bounded(&params, "page", 1, usize::MAX) {
        Ok(page) => page,
        Err(message) => return wire::invalid_request(&message),
    };
    let per_page = match bounded(&params, "per_page", 100, MAX_PER_PAGE) {
        Ok(n) => n,
        Err(message) => return wire::invalid_request(&message),
    };
    let state = app.state();
    let (items, total) = state.page(page, per_page);
    wire::ok(&json!({
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": total.div_ceil(per_page),
        "limit": state.limit,
    }))
}

async fn delete(State(app): Shared, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return wire::not_found("no monitored case with this id");
    };
    if app.state().delete(id) {
        wire::no_content()
    } else {
        wire::not_found("no monitored case with this id")
    }
}

#[derive(Deserialize)]
struct RetrieveBody {
    case_number: String,
    #[serde(default)]
    force: bool,
}

async fn retrieve(State(app): Shared, body: Bytes) -> Response {
    let request: RetrieveBody = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return wire::invalid_request(&format!("body: {e}")),
    };
    let number = match CaseNumber::parse(&request.case_number) {
        Ok(number) => number,
        Err(e) => {
            return wire::error(
                StatusCode::BAD_REQUEST,
                "invalid_case_number",
                &e.to_string(),
                json!({ "case_numbers": [request.case_number] }),
            );
        }
    };
    let answer = app.state().retrieve(&number, request.force);
    match answer {
        RetrieveAnswer::Found(card) => wire::ok(&json!({ "status": "found", "case": card })),
        RetrieveAnswer::Accepted => wire::ok(&json!({
            "status": "accepted",
            "retry_after_s": app.accepted_retry_after_s,
        })),
        RetrieveAnswer::NotFound => wire::ok(&json!({ "status": "not_found" })),
    }
}

#[derive(Deserialize)]
struct SyncBody {
    case_numbers: Vec<String>,
}

async fn sync(State(app): Shared, body: Bytes) -> Response {
    let request: SyncBody = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return wire::invalid_request(&format!("body: {e}")),
    };
    let now = app.clock.now_millis();
    let mut state = app.state();
    match state.sync(&request.case_numbers, now) {
        Ok(done) => wire::ok(&json!({
            "added": done.added,
            "removed": done.removed,
            "kept": done.kept,
            "limit": state.limit,
            "items": state.all_entries(),
        })),
        Err(SyncRefusal::Invalid(numbers)) => wire::error(
            StatusCode::BAD_REQUEST,
            "invalid_case_number",
            "some case numbers are not first-instance arbitration numbers",
            json!({ "case_numbers": numbers }),
        ),
        Err(SyncRefusal::LimitExceeded { limit, requested }) => wire::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit_exceeded",
            &format!("the monitoring limit is {limit}, {requested} cases were requested"),
            json!({ "limit": limit, "requested": requested }),
        ),
        Err(SyncRefusal::Unknown(numbers)) => wire::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_cases",
            "retrieve these cases before monitoring them",
            json!({ "case_numbers": numbers }),
        ),
    }
}

async fn events(State(app): Shared, Path(id): Path<String>, Query(params): Params) -> Response {
    let limit = match bounded(&params, "limit", 100, MAX_PER_PAGE) {
        Ok(n) => n,
        Err(message) => return wire::invalid_request(&message),
    };
    let after = match params.get("after").map(|a| a.parse::<i64>()) {
        None => None,
        Some(Ok(after)) => Some(after),
        Some(Err(_)) => return wire::invalid_request("after must be an event id"),
    };
    let since = match params
        .get("since")
        .map(|s| chrono::DateTime::parse_from_rfc3339(s))
    {
        None => None,
        Some(Ok(since)) => Some(since.timestamp_millis()),
        Some(Err(_)) => return wire::invalid_request("since must be an RFC 3339 time"),
    };
    let Ok(id) = id.parse::<i64>() else {
        return wire::not_found("no monitored case with this id");
    };
    match app.state().events(id, after, since, limit) {
        Some((items, has_more)) => wire::ok(&json!({ "items": items, "has_more": has_more })),
        None => wire::not_found("no monitored case with this id"),
    }
}

async fn control_stats(State(app): Shared) -> Response {
    match serde_json::to_value(app.stats()) {
        Ok(body) => wire::ok(&body),
        Err(e) => wire::invalid_request(&e.to_string()),
    }
}

async fn control_dump(State(app): Shared) -> Response {
    wire::ok(&app.dump())
}

#[derive(Deserialize)]
struct EventsBody {
    case_numbers: Vec<String>,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

async fn control_events(State(app): Shared, body: Bytes) -> Response {
    let request: EventsBody = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return wire::invalid_request(&format!("body: {e}")),
    };
    let mut added = Vec::new();
    for text in &request.case_numbers {
        let Ok(number) = CaseNumber::parse(text) else {
            return wire::invalid_request(&format!("{text} is not a case number"));
        };
        match app.add_events(&number, request.count) {
            Some(ids) => added.extend(ids),
            None => return wire::not_found(&format!("{number} is not in the catalogue")),
        }
    }
    wire::ok(&json!({ "added": added }))
}
