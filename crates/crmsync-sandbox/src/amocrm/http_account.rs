//! Routes of the account and its people: `/api/v4/account` (with `with=` embeds), users, roles, loss reasons,
//! with the writes of roles in `http_admin`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::account::{LOSS_REASONS, ROLE_ID};
use super::http::App;
use super::listing::with_values;
use super::render::self_link;
use super::wire;

type Shared = State<Arc<App>>;

/// The routes of this module (authentication is layered on by the caller).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v4/account", get(get_account))
        .route("/api/v4/users", get(list_users))
        .route("/api/v4/users/{id}", get(get_user))
        .route("/api/v4/roles", get(list_roles))
        .route("/api/v4/roles/{id}", get(get_role))
        .route("/api/v4/leads/loss_reasons", get(list_loss_reasons))
        .route("/api/v4/leads/loss_reasons/{id}", get(get_loss_reason))
}

fn parse_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

fn envelope(app: &App, path: &str, key: &str, items: Vec<Value>) -> Response {
    if items.is_empty() {
        return wire::no_content();
    }
    wire::hal(&json!({
        "_total_items": items.len(),
        "_page": 1,
        "_page_count": 1,
        "_links": self_link(format!("{}{path}", app.base_url)),
        "_embedded": { key: items },
    }))
}

async fn get_account(State(app): Shared, query: RawQuery) -> Response {
    let with = with_values(query.0.as_deref());
    wire::hal(&app.state().render_account(&with))
}

async fn list_users(State(app): Shared, query: RawQuery) -> Response {
    let with = with_values(query.0.as_deref());
    let items: Vec<Value> = {
        let state = app.state();
        state
            .users
            .iter()
            .filter_map(|u| state.render_user(u.id, &with))
            .collect()
    };
    envelope(&app, "/api/v4/users", "users", items)
}

async fn get_user(State(app): Shared, Path(id): Path<String>, query: RawQuery) -> Response {
    let with = with_values(query.0.as_deref());
    let rendered = parse_id(&id).and_then(|id| app.state().render_user(id, &with));
    rendered.map_or_else(wire::no_content, |u| wire::hal(&u))
}

async fn list_roles(State(app): Shared, query: RawQuery) -> Response {
    let with = with_values(query.0.as_deref());
    let items: Vec<Value> = {
        let state = app.state();
        std::iter::once(ROLE_ID)
            .chain(state.admin.roles.keys().copied())
            .filter_map(|id| state.render_role(id, &with))
            .collect()
    };
    envelope(&app, "/api/v4/roles", "roles", items)
}

async fn get_role(State(app): Shared, Path(id): Path<String>, query: RawQuery) -> Response {
    let with = with_values(query.0.as_deref());
    let rendered = parse_id(&id).and_then(|id| app.state().render_role(id, &with));
    rendered.map_or_else(wire::no_content, |r| wire::hal(&r))
}

async fn list_loss_reasons(State(app): Shared) -> Response {
    let items: Vec<Value> = {
        let state = app.state();
        LOSS_REASONS
            .iter()
            .filter_map(|(id, _)| state.render_loss_reason(*id))
            .collect()
    };
    envelope(&app, "/api/v4/leads/loss_reasons", "loss_reasons", items)
}

async fn get_loss_reason(State(app): Shared, Path(id): Path<String>) -> Response {
    let rendered = parse_id(&id).and_then(|id| app.state().render_loss_reason(id));
    rendered.map_or_else(wire::no_content, |r| wire::hal(&r))
}
