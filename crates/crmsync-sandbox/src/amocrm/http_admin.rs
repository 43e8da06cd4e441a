//! Routes that write account settings: pipelines and statuses, custom fields and their groups, roles.

#![allow(
    clippy::result_large_err,
    reason = "handlers short-circuit with a finished Response, built once per request"
)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

use super::http::{
    App, Shared, batch_body, object_body, parse_id, respond, self_link, total_envelope,
    validation_or,
};
use super::listing::MAX_LIMIT;
use super::model::Kind;
use super::state::ItemErrors;
use super::wire;

/// The routes of this module (authentication is layered on by the caller).
pub(crate) fn routes() -> Router<Arc<App>> {
    let mut router = Router::new()
        .route("/api/v4/leads/pipelines", post(add_pipelines))
        .route(
            "/api/v4/leads/pipelines/{id}",
            patch(patch_pipeline).delete(delete_pipeline),
        )
        .route("/api/v4/leads/pipelines/{id}/statuses", post(add_statuses))
        .route(
            "/api/v4/leads/pipelines/{id}/statuses/{status_id}",
            patch(patch_status).delete(delete_status),
        )
        .route(
            "/api/v4/roles",
            post(|s: Shared, b: Bytes| async move { save_roles(&s, &b, false) })
                .patch(|s: Shared, b: Bytes| async move { save_roles(&s, &b, true) }),
        )
        .route("/api/v4/roles/{id}", patch(patch_role).delete(delete_role));
    for kind in Kind::ALL {
        let base = format!("/api/v4/{}/custom_fields", kind.plural());
        router = router
            .route(
                &base,
                post(move |s: Shared, b: Bytes| async move { save_fields(&s, &b, kind, false) })
                    .patch(
                        move |s: Shared, b: Bytes| async move { save_fields(&s, &b, kind, true) },
                    ),
            )
            .route(
                &format!("{base}/{{id}}"),
                patch(move |s: Shared, p: Path<String>, b: Bytes| async move {
                    patch_field(&s, &p, &b, kind)
                })
                .delete(move |s: Shared, p: Path<String>| async move {
                    delete_field(&s, &p, kind)
                }),
            )
            .route(
                &format!("{base}/groups"),
                get(move |s: Shared| async move { list_groups(&s, kind) })
                    .post(move |s: Shared, b: Bytes| async move { add_groups(&s, &b, kind) }),
            )
            .route(
                &format!("{base}/groups/{{id}}"),
                get(move |s: Shared, p: Path<String>| async move { get_group(&s, &p, kind) })
                    .patch(move |s: Shared, p: Path<String>, b: Bytes| async move {
                        patch_group(&s, &p, &b, kind)
                    })
                    .delete(
                        move |s: Shared, p: Path<String>| async move { delete_group(&s, &p, kind) },
                    ),
            );
    }
    router
}

fn missing(what: &str, id: &str) -> Response {
    wire::problem(StatusCode::NOT_FOUND, &format!("{what} {id} not found"))
}

/// `{ "_total_items": n, "_links": …, "_embedded": { key: items } }` of a write.
fn written(app: &App, path: &str, key: &str, items: Vec<Value>) -> Response {
    wire::hal(&json!({
        "_total_items": items.len(),
        "_links": self_link(format!("{}{path}", app.base_url)),
        "_embedded": { key: items },
    }))
}

fn with_request_id(mut item: Value, rid: &str) -> Value {
    item["request_id"] = json!(rid);
    item
}

fn deleted(result: Result<bool, Vec<ItemErrors>>, what: &str, id: &str) -> Response {
    match result {
        Ok(true) => wire::no_content(),
        Ok(false) => missing(what, id),
        Err(errors) => wire::validation(&errors),
    }
}

async fn add_pipelines(State(app): Shared, body: Bytes) -> Response {
    respond((|| {
        let items = batch_body(&app, &body, MAX_LIMIT)?;
        let added = validation_or(app.mutate(|s, _| s.add_pipelines(&items)))?;
        let state = app.state();
        let list = added
            .iter()
            .filter_map(|(rid, id)| Some(with_request_id(state.render_pipeline(*id)?, rid)))
            .collect();
        Ok(written(&app, "/api/v4/leads/pipelines", "pipelines", list))
    })())
}

async fn patch_pipeline(State(app): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(pid) = parse_id(&id) else {
        return missing("Pipeline", &id);
    };
    respond((|| {
        let item = object_body(&body)?;
        match validation_or(app.mutate(|s, _| s.update_pipeline(pid, &item)))? {
            Some(pid) => Ok(wire::hal(
                &app.state().render_pipeline(pid).unwrap_or(Value::Null),
            )),
            None => Ok(missing("Pipeline", &id)),
        }
    })())
}

async fn delete_pipeline(State(app): Shared, Path(id): Path<String>) -> Response {
    let result = match parse_id(&id) {
        Some(pid) => app.mutate(|s, _| s.delete_pipeline(pid)),
        None => Ok(false),
    };
    deleted(result, "Pipeline", &id)
}

async fn add_statuses(State(app): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(pid) = parse_id(&id) else {
        return missing("Pipeline", &id);
    };
    respond((|| {
        let items = batch_body(&app, &body, MAX_LIMIT)?;
        let Some(added) = validation_or(app.mutate(|s, _| s.add_statuses(pid, &items)))? else {
            return Ok(missing("Pipeline", &id));
        };
        let state = app.state();
        let list = added
            .iter()
            .filter_map(|(rid, sid)| Some(with_request_id(state.render_status(pid, *sid)?, rid)))
            .collect();
        let path = format!("/api/v4/leads/pipelines/{pid}/statuses");
        Ok(written(&app, &path, "statuses", list))
    })())
}

async fn patch_status(
    State(app): Shared,
    Path((pipeline, status)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (Some(pid), Some(sid)) = (parse_id(&pipeline), parse_id(&status)) else {
        return missing("Status", &status);
    };
    respond((|| {
        let item = object_body(&body)?;
        if validation_or(app.mutate(|s, _| s.update_status(pid, sid, &item)))? {
            Ok(wire::hal(
                &app.state().render_status(pid, sid).unwrap_or(Value::Null),
            ))
        } else {
            Ok(missing("Status", &status))
        }
    })())
}

async fn delete_status(
    State(app): Shared,
    Path((pipeline, status)): Path<(String, String)>,
) -> Response {
    let result = match (parse_id(&pipeline), parse_id(&status)) {
        (Some(pid), Some(sid)) => app.mutate(|s, _| s.delete_status(pid, sid)),
        _ => Ok(false),
    };
    deleted(result, "Status", &status)
}

fn save_fields(app: &App, body: &Bytes, kind: Kind, update: bool) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, _| s.save_fields(kind, &items, update)))?;
        let state = app.state();
        let list = saved
            .iter()
            .filter_map(|(rid, id)| Some(with_request_id(state.render_field_def(kind, *id)?, rid)))
            .collect();
        let path = format!("/api/v4/{}/custom_fields", kind.plural());
        Ok(written(app, &path, "custom_fields", list))
    })())
}

fn patch_field(app: &App, id: &str, body: &Bytes, kind: Kind) -> Response {
    let Some(fid) = parse_id(id) else {
        return missing("Custom field", id);
    };
    respond((|| {
        let mut item = object_body(body)?;
        item["id"] = json!(fid);
        validation_or(app.mutate(|s, _| s.save_fields(kind, &[item], true)))?;
        Ok(wire::hal(
            &app.state()
                .render_field_def(kind, fid)
                .unwrap_or(Value::Null),
        ))
    })())
}

fn delete_field(app: &App, id: &str, kind: Kind) -> Response {
    let result = match parse_id(id) {
        Some(fid) => app.mutate(|s, _| s.delete_field(kind, fid)),
        None => Ok(false),
    };
    deleted(result, "Custom field", id)
}

fn list_groups(app: &App, kind: Kind) -> Response {
    let items: Vec<Value> = {
        let state = app.state();
        let mut groups: Vec<_> = state
            .admin
            .groups
            .iter()
            .filter(|g| g.kind == kind)
            .collect();
        groups.sort_by_key(|g| (g.sort, g.id.clone()));
        groups.into_iter().map(|g| state.render_group(g)).collect()
    };
    let path = format!("/api/v4/{}/custom_fields/groups", kind.plural());
    total_envelope(app, &path, "custom_field_groups", items)
}

fn get_group(app: &App, id: &str, kind: Kind) -> Response {
    let state = app.state();
    state
        .admin
        .groups
        .iter()
        .find(|g| g.kind == kind && g.id == id)
        .map_or_else(wire::no_content, |g| wire::hal(&state.render_group(g)))
}

fn add_groups(app: &App, body: &Bytes, kind: Kind) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let added = validation_or(app.mutate(|s, _| s.add_groups(kind, &items)))?;
        let state = app.state();
        let list = added
            .iter()
            .filter_map(|(rid, id)| {
                let group = state.admin.groups.iter().find(|g| g.id == *id)?;
                Some(with_request_id(state.render_group(group), rid))
            })
            .collect();
        let path = format!("/api/v4/{}/custom_fields/groups", kind.plural());
        Ok(written(app, &path, "custom_field_groups", list))
    })())
}

fn patch_group(app: &App, id: &str, body: &Bytes, kind: Kind) -> Response {
    respond((|| {
        let item = object_body(body)?;
        if !validation_or(app.mutate(|s, _| s.update_group(kind, id, &item)))? {
            return Ok(missing("Group", id));
        }
        Ok(get_group(app, id, kind))
    })())
}

fn delete_group(app: &App, id: &str, kind: Kind) -> Response {
    if app.mutate(|s, _| s.delete_group(kind, id)) {
        wire::no_content()
    } else {
        missing("Group", id)
    }
}

fn save_roles(app: &App, body: &Bytes, update: bool) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, _| s.save_roles(&items, update)))?;
        let state = app.state();
        let none = Default::default();
        let list = saved
            .iter()
            .filter_map(|(rid, id)| Some(with_request_id(state.render_role(*id, &none)?, rid)))
            .collect();
        Ok(written(app, "/api/v4/roles", "roles", list))
    })())
}

async fn patch_role(State(app): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(rid) = parse_id(&id) else {
        return missing("Role", &id);
    };
    respond((|| {
        let mut item = object_body(&body)?;
        item["id"] = json!(rid);
        validation_or(app.mutate(|s, _| s.save_roles(&[item], true)))?;
        let none = Default::default();
        Ok(wire::hal(
            &app.state().render_role(rid, &none).unwrap_or(Value::Null),
        ))
    })())
}

async fn delete_role(State(app): Shared, Path(id): Path<String>) -> Response {
    let result = match parse_id(&id) {
        Some(rid) => app.mutate(|s, _| s.delete_role(rid)),
        None => Ok(false),
    };
    deleted(result, "Role", &id)
}
