//! Routes of tags (`/api/v4/{entity}/tags`), links (`/link`, `/unlink`, `/links`, per entity and in bulk) and
//! the event list (`/api/v4/events`, `/events/{id}`, `/events/types`).

#![allow(
    clippy::result_large_err,
    reason = "handlers short-circuit with a finished Response, built once per request"
)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::eventlog::MAX_EVENTS_LIMIT;
use super::http::{
    App, Shared, batch_body, list_params, not_found, parse_id, respond, self_link, total_envelope,
    validation_or,
};
use super::input::Errors;
use super::listing::{MAX_LIMIT, ints, with_values};
use super::model::Kind;
use super::state::{AmoState, ItemErrors};
use super::wire;

/// The routes of this module (authentication is layered on by the caller).
pub(crate) fn routes() -> Router<Arc<App>> {
    let mut router = Router::new()
        .route("/api/v4/events", get(list_events))
        .route("/api/v4/events/types", get(event_types))
        .route("/api/v4/events/{id}", get(get_event));
    for kind in Kind::ALL {
        let base = format!("/api/v4/{}", kind.plural());
        router = router
            .route(
                &format!("{base}/tags"),
                get(move |s: Shared, q: RawQuery| async move { list_tags(&s, q, kind) })
                    .post(move |s: Shared, b: Bytes| async move { add_tags(&s, &b, kind) }),
            )
            .route(
                &format!("{base}/links"),
                get(move |s: Shared, q: RawQuery| async move { list_links(&s, q, kind) }),
            )
            .route(
                &format!("{base}/link"),
                post(move |s: Shared, b: Bytes| async move { link(&s, &b, kind, None, true) }),
            )
            .route(
                &format!("{base}/unlink"),
                post(move |s: Shared, b: Bytes| async move { link(&s, &b, kind, None, false) }),
            )
            .route(
                &format!("{base}/{{id}}/links"),
                get(
                    move |s: Shared, p: Path<String>, q: RawQuery, uri: Uri| async move {
                        match parse_id(&p) {
                            Some(id) => links_of(&s, q, kind, id),
                            None => not_found(&uri, "GET"),
                        }
                    },
                ),
            )
            .route(
                &format!("{base}/{{id}}/link"),
                post(
                    move |s: Shared, p: Path<String>, uri: Uri, b: Bytes| async move {
                        match parse_id(&p) {
                            Some(id) => link(&s, &b, kind, Some(id), true),
                            None => not_found(&uri, "POST"),
                        }
                    },
                ),
            )
            .route(
                &format!("{base}/{{id}}/unlink"),
                post(
                    move |s: Shared, p: Path<String>, uri: Uri, b: Bytes| async move {
                        match parse_id(&p) {
                            Some(id) => link(&s, &b, kind, Some(id), false),
                            None => not_found(&uri, "POST"),
                        }
                    },
                ),
            );
    }
    router
}

fn list_tags(app: &App, query: RawQuery, kind: Kind) -> Response {
    let params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let items = app.state().list_tags(kind, &params);
    if items.is_empty() {
        return wire::no_content();
    }
    let path = format!("/api/v4/{}/tags", kind.plural());
    wire::hal(&params.envelope(&app.base_url, &path, "tags", items))
}

fn add_tags(app: &App, body: &Bytes, kind: Kind) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let added = validation_or(app.mutate(|s, _| s.add_tags(kind, &items)))?;
        let state = app.state();
        let list: Vec<Value> = added
            .iter()
            .map(|(rid, id)| {
                let mut tag = state.render_tag(kind, *id);
                tag["request_id"] = json!(rid);
                tag
            })
            .collect();
        Ok(wire::hal(&json!({
            "_links": self_link(state.href(&format!("/api/v4/{}/tags", kind.plural()))),
            "_embedded": { "tags": list },
        })))
    })())
}

/// Whether a link passes `filter[to_entity_type]` / `filter[to_entity_id]`.
fn link_filter(query: &RawQuery) -> impl Fn(&Value) -> bool + use<> {
    let root = crate::phpquery::QueryNode::parse(query.0.as_deref().unwrap_or_default())
        .unwrap_or_default();
    let filter = root.get("filter").cloned().unwrap_or_default();
    let to_type = filter
        .get("to_entity_type")
        .and_then(|n| n.value())
        .map(str::to_owned);
    let to_ids = ints(filter.get("to_entity_id"));
    move |link: &Value| {
        to_type
            .as_ref()
            .is_none_or(|t| link["to_entity_type"] == json!(t))
            && to_ids.as_ref().is_none_or(|ids| {
                link["to_entity_id"]
                    .as_i64()
                    .is_some_and(|id| ids.contains(&id))
            })
    }
}

fn rendered_links(state: &AmoState, kind: Kind, id: i64) -> Vec<Value> {
    state
        .links_of(kind, id)
        .iter()
        .map(|l| AmoState::render_link(kind, id, l))
        .collect()
}

fn links_of(app: &App, query: RawQuery, kind: Kind, id: i64) -> Response {
    let keep = link_filter(&query);
    let items: Vec<Value> = {
        let state = app.state();
        if !state.entities(kind).contains_key(&id) {
            return wire::no_content();
        }
        rendered_links(&state, kind, id)
            .into_iter()
            .filter(|l| keep(l))
            .collect()
    };
    let path = format!("/api/v4/{}/{id}/links", kind.plural());
    total_envelope(app, &path, "links", items)
}

fn list_links(app: &App, query: RawQuery, kind: Kind) -> Response {
    let root = crate::phpquery::QueryNode::parse(query.0.as_deref().unwrap_or_default())
        .unwrap_or_default();
    let Some(ids) = ints(root.path(&["filter", "entity_id"])).filter(|ids| !ids.is_empty()) else {
        let mut errors = Errors::default();
        errors.missing("filter.entity_id");
        return wire::validation(&[ItemErrors {
            request_id: "0".to_owned(),
            errors: errors.list,
        }]);
    };
    let keep = link_filter(&query);
    let items: Vec<Value> = {
        let state = app.state();
        ids.iter()
            .filter(|id| state.entities(kind).contains_key(id))
            .flat_map(|id| rendered_links(&state, kind, *id))
            .filter(|l| keep(l))
            .collect()
    };
    let path = format!("/api/v4/{}/links", kind.plural());
    total_envelope(app, &path, "links", items)
}

fn link(app: &App, body: &Bytes, kind: Kind, entity: Option<i64>, on: bool) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let links =
            validation_or(app.mutate(|s, now| s.apply_links(kind, entity, &items, on, now)))?;
        if !on {
            return Ok(wire::no_content());
        }
        let path = match entity {
            Some(id) => format!("/api/v4/{}/{id}/link", kind.plural()),
            None => format!("/api/v4/{}/link", kind.plural()),
        };
        Ok(wire::hal(&json!({
            "_total_items": links.len(),
            "_links": self_link(format!("{}{path}", app.base_url)),
            "_embedded": { "links": links },
        })))
    })())
}

async fn list_events(State(app): Shared, query: RawQuery) -> Response {
    let with = with_values(query.0.as_deref());
    let params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if params.limit > MAX_EVENTS_LIMIT {
        return wire::over_limit(MAX_EVENTS_LIMIT);
    }
    let items: Vec<Value> = {
        let state = app.state();
        state
            .list_events(&params)
            .into_iter()
            .map(|e| state.render_event(e, &with))
            .collect()
    };
    if items.is_empty() {
        return wire::no_content();
    }
    wire::hal(&params.envelope(&app.base_url, "/api/v4/events", "events", items))
}

async fn get_event(State(app): Shared, Path(id): Path<String>, query: RawQuery) -> Response {
    let with = with_values(query.0.as_deref());
    let state = app.state();
    state
        .event_log
        .iter()
        .find(|e| e.id == id)
        .map_or_else(wire::no_content, |e| {
            wire::hal(&state.render_event(e, &with))
        })
}

async fn event_types(State(app): Shared, query: RawQuery) -> Response {
    let root = crate::phpquery::QueryNode::parse(query.0.as_deref().unwrap_or_default())
        .unwrap_or_default();
    let language = root
        .get("language_code")
        .and_then(|n| n.value())
        .unwrap_or("ru")
        .to_owned();
    let items = AmoState::render_event_types(&language);
    total_envelope(&app, "/api/v4/events/types", "events_types", items)
}
