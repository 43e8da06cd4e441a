//! Routes of incoming leads (`/api/v4/leads/unsorted`: list, summary, one, add from forms and SIP, accept,
//! decline, link) and of lead sources (`/api/v4/sources`).

#![allow(
    clippy::result_large_err,
    reason = "handlers short-circuit with a finished Response, built once per request"
)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use super::http::{
    App, Shared, batch_body, list_params, not_found, object_body, parse_id, respond, self_link,
    total_envelope, validation_or,
};
use super::listing::MAX_LIMIT;
use super::unsorted::SortError;
use super::wire;

const UNSORTED: &str = "/api/v4/leads/unsorted";

/// The routes of this module (authentication is layered on by the caller).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(UNSORTED, get(list_unsorted))
        .route("/api/v4/leads/unsorted/summary", get(summary))
        .route("/api/v4/leads/unsorted/{uid}", get(get_unsorted))
        .route(
            "/api/v4/leads/unsorted/forms",
            post(|s: Shared, b: Bytes| async move { add_unsorted(&s, &b, "forms") }),
        )
        .route(
            "/api/v4/leads/unsorted/sip",
            post(|s: Shared, b: Bytes| async move { add_unsorted(&s, &b, "sip") }),
        )
        .route(
            "/api/v4/leads/unsorted/{uid}/accept",
            post(|s: Shared, p: Path<String>, b: Bytes| async move { sort(&s, &p, &b, Sort::Accept) }),
        )
        .route(
            "/api/v4/leads/unsorted/{uid}/decline",
            delete(|s: Shared, p: Path<String>, b: Bytes| async move { sort(&s, &p, &b, Sort::Decline) }),
        )
        .route(
            "/api/v4/leads/unsorted/{uid}/link",
            post(|s: Shared, p: Path<String>, b: Bytes| async move { sort(&s, &p, &b, Sort::Link) }),
        )
        .route(
            "/api/v4/sources",
            get(list_sources)
                .post(|s: Shared, b: Bytes| async move { save_sources(&s, &b, false) })
                .patch(|s: Shared, b: Bytes| async move { save_sources(&s, &b, true) })
                .delete(delete_sources),
        )
        .route(
            "/api/v4/sources/{id}",
            get(get_source).patch(patch_source).delete(delete_source),
        )
}

async fn list_unsorted(State(app): Shared, query: RawQuery) -> Response {
    let params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let items: Vec<Value> = {
        let state = app.state();
        state
            .list_unsorted(&params)
            .into_iter()
            .map(|u| state.render_unsorted(u))
            .collect()
    };
    if items.is_empty() {
        return wire::no_content();
    }
    wire::hal(&params.envelope(&app.base_url, UNSORTED, "unsorted", items))
}

async fn summary(State(app): Shared, query: RawQuery) -> Response {
    match list_params(query) {
        Ok(params) => wire::hal(&app.state().unsorted_summary(&params)),
        Err(r) => r,
    }
}

async fn get_unsorted(State(app): Shared, Path(uid): Path<String>) -> Response {
    let state = app.state();
    state
        .unsorted
        .get(&uid)
        .map_or_else(wire::no_content, |u| wire::hal(&state.render_unsorted(u)))
}

fn add_unsorted(app: &App, body: &Bytes, category: &'static str) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let added = validation_or(app.mutate(|s, now| s.add_unsorted(category, &items, now)))?;
        let state = app.state();
        let list: Vec<Value> = added
            .iter()
            .map(|(rid, uid)| {
                let mut item = state.render_unsorted_result(uid);
                item["request_id"] = json!(rid);
                item
            })
            .collect();
        Ok(wire::hal(&json!({
            "_total_items": list.len(),
            "_links": self_link(state.href(&format!("{UNSORTED}/{category}"))),
            "_embedded": { "unsorted": list },
        })))
    })())
}

#[derive(Debug, Clone, Copy)]
enum Sort {
    Accept,
    Decline,
    Link,
}

fn sort(app: &App, uid: &str, body: &Bytes, action: Sort) -> Response {
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return wire::problem(StatusCode::BAD_REQUEST, "Request data must be an object");
            }
            Err(e) => {
                return wire::problem(
                    StatusCode::BAD_REQUEST,
                    &format!("Request body is not valid JSON: {e}"),
                );
            }
        }
    };
    let result = app.mutate(|s, now| match action {
        Sort::Accept => s.accept_unsorted(uid, &body, now),
        Sort::Decline => s.decline_unsorted(uid, now),
        Sort::Link => s.link_unsorted(uid, &body, now),
    });
    match result {
        Ok(()) => {
            let state = app.state();
            let mut answer = state.render_unsorted_result(uid);
            if matches!(action, Sort::Decline)
                && let Some(obj) = answer.as_object_mut()
            {
                obj.remove("_embedded");
            }
            wire::hal(&answer)
        }
        Err(SortError::Missing) => wire::no_content(),
        Err(SortError::Invalid(errors)) => wire::validation(&[errors]),
    }
}

async fn list_sources(State(app): Shared, query: RawQuery) -> Response {
    let root = crate::phpquery::QueryNode::parse(query.0.as_deref().unwrap_or_default())
        .unwrap_or_default();
    let external: Option<Vec<String>> = root.path(&["filter", "external_id"]).map(|n| {
        n.list()
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::to_owned)
            .collect()
    });
    let items: Vec<Value> = {
        let state = app.state();
        state
            .sources
            .values()
            .filter(|s| external.as_ref().is_none_or(|l| l.contains(&s.external_id)))
            .map(|s| state.render_source(s))
            .collect()
    };
    total_envelope(&app, "/api/v4/sources", "sources", items)
}

async fn get_source(State(app): Shared, Path(id): Path<String>) -> Response {
    let state = app.state();
    parse_id(&id)
        .and_then(|id| state.sources.get(&id))
        .map_or_else(wire::no_content, |s| wire::hal(&state.render_source(s)))
}

fn save_sources(app: &App, body: &Bytes, update: bool) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, _| s.save_sources(&items, update)))?;
        let state = app.state();
        let list: Vec<Value> = saved
            .iter()
            .filter_map(|(rid, id)| {
                let mut item = state.render_source(state.sources.get(id)?);
                item["request_id"] = json!(rid);
                Some(item)
            })
            .collect();
        Ok(wire::hal(&json!({
            "_total_items": list.len(),
            "_links": self_link(state.href("/api/v4/sources")),
            "_embedded": { "sources": list },
        })))
    })())
}

async fn patch_source(
    State(app): Shared,
    Path(id): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found(&uri, "PATCH");
    };
    respond((|| {
        let mut item = object_body(&body)?;
        item["id"] = json!(id);
        let saved = validation_or(app.mutate(|s, _| s.save_sources(&[item], true)))?;
        let state = app.state();
        let rendered = saved
            .first()
            .and_then(|(_, id)| state.sources.get(id))
            .map_or(Value::Null, |s| state.render_source(s));
        Ok(wire::hal(&rendered))
    })())
}

async fn delete_sources(State(app): Shared, body: Bytes) -> Response {
    respond((|| {
        let items = batch_body(&app, &body, MAX_LIMIT)?;
        let ids: Vec<i64> = items
            .iter()
            .map(|i| i.get("id").and_then(Value::as_i64).unwrap_or(0))
            .collect();
        validation_or(app.mutate(|s, _| s.delete_sources(&ids)))?;
        Ok(wire::no_content())
    })())
}

async fn delete_source(State(app): Shared, Path(id): Path<String>, uri: Uri) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found(&uri, "DELETE");
    };
    match app.mutate(|s, _| s.delete_sources(&[id])) {
        Ok(()) => wire::no_content(),
        Err(_) => wire::problem(StatusCode::NOT_FOUND, &format!("Source {id} not found")),
    }
}
