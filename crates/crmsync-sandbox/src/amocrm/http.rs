//! The amoCRM emulator's routes and handlers.

#![allow(
    clippy::result_large_err,
    reason = "handlers short-circuit with a finished Response, built once per request"
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::entities::Outcome;
use super::listing::{ListError, ListParams, MAX_LIMIT};
use super::model::{Kind, Subscription};
use super::oauth::{OAuthFailure, OAuthStore};
use super::state::{AmoState, ItemErrors};
use super::tasks::Saved;
use super::webhooks::WebhookDispatcher;
use super::wire;
use crate::SandboxClock;
use crate::faults::FaultInjector;
use crate::phpquery::QueryNode;
use crate::ratelimit::LimitResponder;
use crate::ratelimit::RateLimiter;
use crate::stats::RequestStats;

/// Most leads per complex-add request.
pub(crate) const MAX_COMPLEX: usize = 50;
/// Most webhook subscriptions per account.
const MAX_WEBHOOKS: usize = 100;

/// Shared state of a running amoCRM emulator.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) state: Mutex<AmoState>,
    pub(crate) oauth: Mutex<OAuthStore>,
    pub(crate) clock: SandboxClock,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) redirect_uri: String,
    pub(crate) base_url: String,
    pub(crate) webhooks: WebhookDispatcher,
    pub(crate) token_requests: Mutex<BTreeMap<String, u64>>,
    pub(crate) payment_required: AtomicBool,
    /// Until when (emulator clock, unix ms) every API call answers 429; 0 = no penalty.
    pub(crate) penalty_until_ms: AtomicI64,
    /// 429s served during a penalty.
    pub(crate) penalty_429s: AtomicU64,
    pub(crate) gateway_timeout_over: Option<usize>,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) faults: Arc<FaultInjector>,
    pub(crate) requests: Arc<RequestStats>,
}

impl App {
    pub(crate) fn state(&self) -> MutexGuard<'_, AmoState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn oauth(&self) -> MutexGuard<'_, OAuthStore> {
        self.oauth.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a mutation, then queues the webhooks its changes trigger.
    pub(crate) fn mutate<R>(&self, f: impl FnOnce(&mut AmoState, i64) -> R) -> R {
        let disabled = self.webhooks.shared.disabled_set();
        let now = self.clock.now_unix();
        let (result, deliveries) = {
            let mut state = self.state();
            let result = f(&mut state, now);
            let events = state.take_events();
            state.log_changes(&events, now);
            let deliveries = state.webhook_deliveries(&events, &disabled);
            (result, deliveries)
        };
        self.webhooks.send(deliveries);
        result
    }
}

pub(crate) type Shared = State<Arc<App>>;

/// Every route of the emulator (without the shared layers).
pub(crate) fn router(app: Arc<App>) -> Router {
    let mut api: Router<Arc<App>> = Router::new();
    for kind in Kind::ALL {
        let base = format!("/api/v4/{}", kind.plural());
        api = api
            .route(
                &base,
                get(move |s: Shared, h: HeaderMap, q: RawQuery| async move {
                    list_entities(&s, &h, q, kind)
                })
                .post(move |s: Shared, b: Bytes| async move { add_entities(&s, &b, kind) })
                .patch(move |s: Shared, b: Bytes| async move { patch_entities(&s, &b, kind) }),
            )
            .route(
                &format!("{base}/{{id}}"),
                get(
                    move |s: Shared, p: Path<String>, q: RawQuery, uri: Uri| async move {
                        get_entity(&s, &p, q, kind, &uri)
                    },
                )
                .patch(
                    move |s: Shared, p: Path<String>, uri: Uri, b: Bytes| async move {
                        patch_entity(&s, &p, &b, kind, &uri)
                    },
                ),
            )
            .route(
                &format!("{base}/custom_fields"),
                get(move |s: Shared, q: RawQuery| async move { list_fields(&s, q, kind) }),
            )
            .route(
                &format!("{base}/custom_fields/{{id}}"),
                get(move |s: Shared, p: Path<String>, uri: Uri| async move {
                    get_field(&s, &p, kind, &uri)
                }),
            )
            .route(
                &format!("{base}/notes"),
                get(move |s: Shared, q: RawQuery| async move { list_notes(&s, q, kind, None) })
                    .post(move |s: Shared, b: Bytes| async move { add_notes(&s, &b, kind, None) })
                    .patch(move |s: Shared, b: Bytes| async move { patch_notes(&s, &b, kind) }),
            )
            .route(
                &format!("{base}/notes/{{id}}"),
                get(move |s: Shared, p: Path<String>, uri: Uri| async move {
                    get_note(&s, &p, kind, None, &uri)
                })
                .patch(
                    move |s: Shared, p: Path<String>, uri: Uri, b: Bytes| async move {
                        patch_note(&s, &p, &b, kind, &uri)
                    },
                ),
            )
            .route(
                &format!("{base}/{{id}}/notes"),
                get(
                    move |s: Shared, p: Path<String>, q: RawQuery, uri: Uri| async move {
                        match parse_id(&p) {
                            Some(id) => list_notes(&s, q, kind, Some(id)),
                            None => not_found(&uri, "GET"),
                        }
                    },
                )
                .post(
                    move |s: Shared, p: Path<String>, uri: Uri, b: Bytes| async move {
                        match parse_id(&p) {
                            Some(id) => add_notes(&s, &b, kind, Some(id)),
                            None => not_found(&uri, "POST"),
                        }
                    },
                ),
            )
            .route(
                &format!("{base}/{{id}}/notes/{{note_id}}"),
                get(
                    move |s: Shared, p: Path<(String, String)>, uri: Uri| async move {
                        match parse_id(&p.0.0) {
                            Some(entity) => get_note(&s, &p.0.1, kind, Some(entity), &uri),
                            None => not_found(&uri, "GET"),
                        }
                    },
                ),
            );
    }
    api = api
        .route("/api/v4/leads/complex", post(add_complex))
        .route("/api/v4/leads/pipelines", get(list_pipelines))
        .route("/api/v4/leads/pipelines/{id}", get(get_pipeline))
        .route("/api/v4/leads/pipelines/{id}/statuses", get(list_statuses))
        .route(
            "/api/v4/leads/pipelines/{id}/statuses/{status_id}",
            get(get_status),
        )
        .route(
            "/api/v4/tasks",
            get(list_tasks).post(add_tasks).patch(patch_tasks),
        )
        .route("/api/v4/tasks/{id}", get(get_task).patch(patch_task))
        .route(
            "/api/v4/webhooks",
            get(list_webhooks).post(add_webhook).delete(delete_webhook),
        )
        .merge(super::http_account::routes())
        .merge(super::http_relations::routes())
        .merge(super::http_inbox::routes())
        .merge(super::http_admin::routes())
        .merge(super::http_catalogs::routes())
        .merge(super::http_domain::routes())
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            require_auth,
        ));
    Router::new()
        .merge(api)
        .route("/oauth2/access_token", post(access_token))
        .route("/sandbox/amocrm/authorization_code", post(control_code))
        .route(
            "/sandbox/amocrm/stats",
            get(|State(app): Shared| async move { wire::plain_json(&json!(app.emulator_stats())) }),
        )
        .route(
            "/sandbox/amocrm/dump",
            get(|State(app): Shared| async move { wire::plain_json(&json!(app.dump())) }),
        )
        .fallback(fallback)
        .method_not_allowed_fallback(fallback)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            super::http_domain::require_account_host,
        ))
        .with_state(app)
}

async fn require_auth(State(app): Shared, request: Request, next: Next) -> Response {
    let remaining_ms = app.penalty_until_ms.load(Ordering::SeqCst) - app.clock.now_millis();
    if remaining_ms > 0 {
        app.penalty_429s.fetch_add(1, Ordering::Relaxed);
        let wait = std::time::Duration::from_millis(remaining_ms.unsigned_abs());
        return wire::AmoLimitResponder { html_429: false }.too_many(wait);
    }
    let token = bearer(request.headers());
    let ok = token.is_some_and(|t| app.oauth().authenticate(t, app.clock.now_millis()));
    if !ok {
        return wire::unauthorized();
    }
    if app.payment_required.load(Ordering::SeqCst) {
        return wire::payment_required();
    }
    let acting = match request.headers().get("x-context-user-id") {
        None => None,
        Some(value) => {
            let id = value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok());
            match id.filter(|id| app.state().is_user(*id)) {
                Some(id) => Some(id),
                None => {
                    return wire::problem(
                        StatusCode::BAD_REQUEST,
                        "X-Context-User-ID names no user of this account",
                    );
                }
            }
        }
    };
    super::state::ACTING_USER
        .scope(acting, next.run(request))
        .await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

async fn fallback(method: Method, uri: Uri) -> Response {
    super::routes::unmatched(method.as_str(), uri.path())
}

pub(crate) fn not_found(uri: &Uri, method: &str) -> Response {
    super::routes::unmatched(method, uri.path())
}

pub(crate) fn parse_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

pub(crate) fn list_params(query: RawQuery) -> Result<ListParams, Response> {
    ListParams::parse(query.0.as_deref()).map_err(|e| match e {
        ListError::OverLimit => wire::over_limit(MAX_LIMIT),
        ListError::Bad(detail) => wire::problem(StatusCode::BAD_REQUEST, &detail),
    })
}

/// A batch body: a non-empty JSON array of at most `max` items (and at most `gateway_timeout_over`, else 504).
pub(crate) fn batch_body(app: &App, body: &Bytes, max: usize) -> Result<Vec<Value>, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(wire::empty_request());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        wire::problem(
            StatusCode::BAD_REQUEST,
            &format!("Request body is not valid JSON: {e}"),
        )
    })?;
    match value {
        Value::Array(items) if items.is_empty() => Err(wire::empty_request()),
        Value::Array(items) if items.len() > max => Err(wire::over_limit(max)),
        Value::Array(items) if app.gateway_timeout_over.is_some_and(|n| items.len() > n) => {
            Err(crate::faults::nginx_page(StatusCode::GATEWAY_TIMEOUT))
        }
        Value::Array(items) => Ok(items),
        _ => Err(wire::problem(
            StatusCode::BAD_REQUEST,
            "Request data must be an array",
        )),
    }
}

/// A single-object body.
pub(crate) fn object_body(body: &Bytes) -> Result<Value, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(wire::empty_request());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        wire::problem(
            StatusCode::BAD_REQUEST,
            &format!("Request body is not valid JSON: {e}"),
        )
    })?;
    match value {
        Value::Object(obj) if obj.is_empty() => Err(wire::empty_request()),
        Value::Object(_) => Ok(value),
        _ => Err(wire::problem(
            StatusCode::BAD_REQUEST,
            "Request data must be an object",
        )),
    }
}

pub(crate) fn respond<T>(result: Result<T, Response>) -> Response
where
    T: Into<Response>,
{
    match result {
        Ok(ok) => ok.into(),
        Err(err) => err,
    }
}

pub(crate) fn self_link(href: String) -> Value {
    json!({ "self": { "href": href } })
}

/// `If-Modified-Since` as unix seconds; an unreadable date is ignored, as HTTP servers do.
pub(crate) fn modified_since(headers: &HeaderMap) -> Option<i64> {
    let text = headers.get(header::IF_MODIFIED_SINCE)?.to_str().ok()?;
    chrono::DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|d| d.timestamp())
}

fn list_entities(app: &App, headers: &HeaderMap, query: RawQuery, kind: Kind) -> Response {
    let mut params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    params.modified_since = modified_since(headers);
    if params.with.contains("only_deleted") {
        // Deleting is not emulated, so no lead is ever restorable.
        return wire::no_content();
    }
    let items: Vec<Value> = {
        let state = app.state();
        state
            .list_entities(kind, &params)
            .into_iter()
            .map(|e| state.render_entity(kind, e, &params.with))
            .collect()
    };
    if items.is_empty() {
        return wire::no_content();
    }
    let path = format!("/api/v4/{}", kind.plural());
    wire::hal(&params.envelope(&app.base_url, &path, kind.plural(), items))
}

fn get_entity(app: &App, id: &str, query: RawQuery, kind: Kind, uri: &Uri) -> Response {
    let Some(id) = parse_id(id) else {
        return not_found(uri, "GET");
    };
    let params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let state = app.state();
    match state.entities(kind).get(&id) {
        Some(e) => wire::hal(&state.render_entity(kind, e, &params.with)),
        None => wire::no_content(),
    }
}

pub(crate) fn validation_or<T>(result: Result<T, Vec<ItemErrors>>) -> Result<T, Response> {
    result.map_err(|failures| wire::validation(&failures))
}

fn add_entities(app: &App, body: &Bytes, kind: Kind) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let outcomes =
            validation_or(app.mutate(|s, now| s.add_entities(kind, &items, now, false)))?;
        let state = app.state();
        let list: Vec<Value> = outcomes
            .iter()
            .map(|o| json!({ "id": o.id, "request_id": o.request_id, "_links": self_link(state.entity_href(kind, o.id)) }))
            .collect();
        Ok(wire::hal(&json!({
            "_links": self_link(state.href(&format!("/api/v4/{}", kind.plural()))),
            "_embedded": { kind.plural(): list },
        })))
    })())
}

fn update_item(state: &AmoState, kind: Kind, o: &Outcome, with_request_id: bool) -> Value {
    let mut item = json!({ "id": o.id, "updated_at": o.updated_at, "_links": self_link(state.entity_href(kind, o.id)) });
    if kind != Kind::Leads
        && let (Some(obj), Some(e)) = (item.as_object_mut(), state.entities(kind).get(&o.id))
    {
        obj.insert("name".to_owned(), json!(e.name));
    }
    if with_request_id && let Some(obj) = item.as_object_mut() {
        obj.insert("request_id".to_owned(), json!(o.request_id));
    }
    item
}

fn patch_entities(app: &App, body: &Bytes, kind: Kind) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let outcomes = validation_or(app.mutate(|s, now| s.update_entities(kind, &items, now)))?;
        let state = app.state();
        let list: Vec<Value> = outcomes
            .iter()
            .map(|o| update_item(&state, kind, o, true))
            .collect();
        Ok(wire::hal(&json!({
            "_links": self_link(state.href(&format!("/api/v4/{}", kind.plural()))),
            "_embedded": { kind.plural(): list },
        })))
    })())
}

fn patch_entity(app: &App, id: &str, body: &Bytes, kind: Kind, uri: &Uri) -> Response {
    let Some(id) = parse_id(id) else {
        return not_found(uri, "PATCH");
    };
    respond((|| {
        let mut item = object_body(body)?;
        if let Some(obj) = item.as_object_mut() {
            obj.insert("id".to_owned(), json!(id));
        }
        let outcomes = validation_or(app.mutate(|s, now| s.update_entities(kind, &[item], now)))?;
        let state = app.state();
        let first = outcomes
            .first()
            .map(|o| update_item(&state, kind, o, false))
            .unwrap_or(Value::Null);
        Ok(wire::hal(&first))
    })())
}

async fn add_complex(State(app): Shared, body: Bytes) -> Response {
    respond((|| {
        let items = batch_body(&app, &body, MAX_COMPLEX)?;
        let outcomes = validation_or(app.mutate(|s, now| s.add_complex(&items, now)))?;
        let list: Vec<Value> = outcomes
            .iter()
            .map(|o| {
                json!({
                    "id": o.id,
                    "contact_id": o.contact_id,
                    "company_id": o.company_id,
                    "request_id": [o.request_id],
                    "merged": false,
                })
            })
            .collect();
        Ok(wire::plain_json(&Value::Array(list)))
    })())
}

pub(crate) fn total_envelope(app: &App, path: &str, key: &str, items: Vec<Value>) -> Response {
    if items.is_empty() {
        return wire::no_content();
    }
    wire::hal(&json!({
        "_total_items": items.len(),
        "_links": self_link(format!("{}{path}", app.base_url)),
        "_embedded": { key: items },
    }))
}

async fn list_pipelines(State(app): Shared) -> Response {
    let items: Vec<Value> = {
        let state = app.state();
        state
            .pipelines
            .iter()
            .filter_map(|p| state.render_pipeline(p.id))
            .collect()
    };
    total_envelope(&app, "/api/v4/leads/pipelines", "pipelines", items)
}

async fn get_pipeline(State(app): Shared, Path(id): Path<String>) -> Response {
    let rendered = parse_id(&id).and_then(|id| app.state().render_pipeline(id));
    rendered.map_or_else(wire::no_content, |p| wire::hal(&p))
}

async fn list_statuses(State(app): Shared, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return wire::no_content();
    };
    let items: Vec<Value> = {
        let state = app.state();
        state
            .pipeline(id)
            .map(|p| {
                p.statuses
                    .iter()
                    .filter_map(|s| state.render_status(id, s.id))
                    .collect()
            })
            .unwrap_or_default()
    };
    total_envelope(
        &app,
        &format!("/api/v4/leads/pipelines/{id}/statuses"),
        "statuses",
        items,
    )
}

async fn get_status(
    State(app): Shared,
    Path((pipeline, status)): Path<(String, String)>,
) -> Response {
    let rendered = match (parse_id(&pipeline), parse_id(&status)) {
        (Some(p), Some(s)) => app.state().render_status(p, s),
        _ => None,
    };
    rendered.map_or_else(wire::no_content, |s| wire::hal(&s))
}

fn list_fields(app: &App, query: RawQuery, kind: Kind) -> Response {
    let params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (items, total) = {
        let state = app.state();
        let ids: Vec<i64> = state.defs(kind).iter().map(|d| d.id).collect();
        let page: Vec<Value> = params
            .page_of(ids.iter())
            .into_iter()
            .filter_map(|id| state.render_field_def(kind, *id))
            .collect();
        (page, ids.len())
    };
    if items.is_empty() {
        return wire::no_content();
    }
    let path = format!("/api/v4/{}/custom_fields", kind.plural());
    let mut envelope = params.envelope(&app.base_url, &path, "custom_fields", items);
    if let Some(obj) = envelope.as_object_mut() {
        obj.insert("_total_items".to_owned(), json!(total));
        obj.insert(
            "_page_count".to_owned(),
            json!(total.div_ceil(params.limit)),
        );
    }
    wire::hal(&envelope)
}

fn get_field(app: &App, id: &str, kind: Kind, uri: &Uri) -> Response {
    let Some(id) = parse_id(id) else {
        return not_found(uri, "GET");
    };
    let rendered = app.state().render_field_def(kind, id);
    rendered.map_or_else(wire::no_content, |f| wire::hal(&f))
}

async fn list_tasks(State(app): Shared, headers: HeaderMap, query: RawQuery) -> Response {
    let mut params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    params.modified_since = modified_since(&headers);
    let items: Vec<Value> = {
        let state = app.state();
        state
            .list_tasks(&params)
            .into_iter()
            .map(|t| state.render_task(t))
            .collect()
    };
    if items.is_empty() {
        return wire::no_content();
    }
    wire::hal(&params.envelope(&app.base_url, "/api/v4/tasks", "tasks", items))
}

async fn get_task(State(app): Shared, Path(id): Path<String>, uri: Uri) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found(&uri, "GET");
    };
    let state = app.state();
    state
        .tasks
        .get(&id)
        .map_or_else(wire::no_content, |t| wire::hal(&state.render_task(t)))
}

fn saved_list(
    state: &AmoState,
    saved: &[Saved],
    key: &str,
    href: impl Fn(&Saved) -> String,
    with_entity: bool,
) -> Value {
    let list: Vec<Value> = saved
        .iter()
        .map(|s| {
            let mut item = json!({ "id": s.id, "request_id": s.request_id, "updated_at": s.updated_at, "_links": self_link(href(s)) });
            if with_entity && let Some(obj) = item.as_object_mut() {
                obj.insert("entity_id".to_owned(), json!(s.entity_id));
            }
            item
        })
        .collect();
    json!({
        "_links": self_link(state.href(&format!("/api/v4/{key}"))),
        "_embedded": { key.rsplit('/').next().unwrap_or(key): list },
    })
}

async fn add_tasks(State(app): Shared, body: Bytes) -> Response {
    respond((|| {
        let items = batch_body(&app, &body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, now| s.add_tasks(&items, now, false)))?;
        let state = app.state();
        let href = |s: &Saved| state.href(&format!("/api/v4/tasks/{}", s.id));
        Ok(wire::hal(&saved_list(&state, &saved, "tasks", href, false)))
    })())
}

async fn patch_tasks(State(app): Shared, body: Bytes) -> Response {
    respond((|| {
        let items = batch_body(&app, &body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, now| s.update_tasks(&items, now)))?;
        let state = app.state();
        let href = |s: &Saved| state.href(&format!("/api/v4/tasks/{}", s.id));
        Ok(wire::hal(&saved_list(&state, &saved, "tasks", href, false)))
    })())
}

async fn patch_task(State(app): Shared, Path(id): Path<String>, uri: Uri, body: Bytes) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found(&uri, "PATCH");
    };
    respond((|| {
        let mut item = object_body(&body)?;
        if let Some(obj) = item.as_object_mut() {
            obj.insert("id".to_owned(), json!(id));
        }
        let saved = validation_or(app.mutate(|s, now| s.update_tasks(&[item], now)))?;
        let state = app.state();
        let first = saved.first().map_or(Value::Null, |s| {
            json!({ "id": s.id, "updated_at": s.updated_at, "_links": self_link(state.href(&format!("/api/v4/tasks/{}", s.id))) })
        });
        Ok(wire::hal(&first))
    })())
}

fn list_notes(app: &App, query: RawQuery, kind: Kind, entity: Option<i64>) -> Response {
    let params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let items: Vec<Value> = {
        let state = app.state();
        state
            .list_notes(kind, entity, &params)
            .into_iter()
            .map(|n| state.render_note(n))
            .collect()
    };
    if items.is_empty() {
        return wire::no_content();
    }
    let path = match entity {
        Some(id) => format!("/api/v4/{}/{id}/notes", kind.plural()),
        None => format!("/api/v4/{}/notes", kind.plural()),
    };
    wire::hal(&params.envelope(&app.base_url, &path, "notes", items))
}

fn get_note(app: &App, id: &str, kind: Kind, entity: Option<i64>, uri: &Uri) -> Response {
    let Some(id) = parse_id(id) else {
        return not_found(uri, "GET");
    };
    let state = app.state();
    state
        .notes
        .get(&id)
        .filter(|n| n.kind == kind && entity.is_none_or(|e| e == n.entity_id))
        .map_or_else(wire::no_content, |n| wire::hal(&state.render_note(n)))
}

fn add_notes(app: &App, body: &Bytes, kind: Kind, entity: Option<i64>) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let saved =
            validation_or(app.mutate(|s, now| s.add_notes(kind, entity, &items, now, false)))?;
        let state = app.state();
        let href = |s: &Saved| {
            state.href(&format!(
                "/api/v4/{}/{}/notes/{}",
                kind.plural(),
                s.entity_id.unwrap_or_default(),
                s.id
            ))
        };
        let key = format!("{}/notes", kind.plural());
        Ok(wire::hal(&saved_list(&state, &saved, &key, href, true)))
    })())
}

fn patch_notes(app: &App, body: &Bytes, kind: Kind) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, now| s.update_notes(kind, &items, now)))?;
        let state = app.state();
        let href = |s: &Saved| {
            state.href(&format!(
                "/api/v4/{}/{}/notes/{}",
                kind.plural(),
                s.entity_id.unwrap_or_default(),
                s.id
            ))
        };
        let key = format!("{}/notes", kind.plural());
        Ok(wire::hal(&saved_list(&state, &saved, &key, href, true)))
    })())
}

fn patch_note(app: &App, id: &str, body: &Bytes, kind: Kind, uri: &Uri) -> Response {
    let Some(id) = parse_id(id) else {
        return not_found(uri, "PATCH");
    };
    respond((|| {
        let mut item = object_body(body)?;
        if let Some(obj) = item.as_object_mut() {
            obj.insert("id".to_owned(), json!(id));
        }
        let saved = validation_or(app.mutate(|s, now| s.update_notes(kind, &[item], now)))?;
        let state = app.state();
        let first = saved.first().and_then(|s| state.notes.get(&s.id)).map_or(Value::Null, |n| {
            json!({ "id": n.id, "entity_id": n.entity_id, "updated_at": n.updated_at, "_links": self_link(state.note_href(n)) })
        });
        Ok(wire::hal(&first))
    })())
}

async fn list_webhooks(State(app): Shared, query: RawQuery) -> Response {
    let filter = QueryNode::parse(query.0.as_deref().unwrap_or_default()).unwrap_or_default();
    let destination = filter
        .path(&["filter", "destination"])
        .and_then(QueryNode::value)
        .map(str::to_owned);
    let disabled = app.webhooks.shared.disabled_set();
    let items: Vec<Value> = {
        let state = app.state();
        state
            .subscriptions
            .iter()
            .filter(|s| destination.as_ref().is_none_or(|d| *d == s.destination))
            .map(|s| state.render_subscription(s, disabled.contains(&s.destination)))
            .collect()
    };
    total_envelope(&app, "/api/v4/webhooks", "webhooks", items)
}

async fn add_webhook(State(app): Shared, body: Bytes) -> Response {
    respond((|| {
        let value = object_body(&body)?;
        let mut errors = super::input::Errors::default();
        let destination = value
            .get("destination")
            .and_then(Value::as_str)
            .map(str::trim);
        let destination = match destination {
            Some(d) if d.starts_with("http://") || d.starts_with("https://") => Some(d.to_owned()),
            Some(_) => {
                errors.push(
                    "InvalidUrl",
                    "destination",
                    "This value is not a valid URL.",
                );
                None
            }
            None => {
                errors.missing("destination");
                None
            }
        };
        let settings: Vec<String> = match value.get("settings").and_then(Value::as_array) {
            Some(list) if !list.is_empty() => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => {
                errors.missing("settings");
                Vec::new()
            }
        };
        let sort = value.get("sort").and_then(Value::as_i64).unwrap_or(10);
        let Some(destination) = destination.filter(|_| errors.is_empty()) else {
            return Err(wire::validation(&[ItemErrors {
                request_id: "0".to_owned(),
                errors: errors.list,
            }]));
        };
        app.webhooks.shared.enable(&destination);
        let now = app.clock.now_unix();
        let mut state = app.state();
        let existing = state
            .subscriptions
            .iter()
            .position(|s| s.destination == destination);
        let index = match existing {
            Some(i) => i,
            None => {
                if state.subscriptions.len() >= MAX_WEBHOOKS {
                    return Err(wire::problem(
                        StatusCode::BAD_REQUEST,
                        "Webhooks limit exceeded",
                    ));
                }
                let id = state.allocate("webhooks");
                state.subscriptions.push(Subscription {
                    id,
                    destination: destination.clone(),
                    settings: Vec::new(),
                    sort,
                    created_at: now,
                    updated_at: now,
                });
                state.subscriptions.len() - 1
            }
        };
        let rendered = match state.subscriptions.get_mut(index) {
            Some(sub) => {
                sub.settings = settings;
                sub.sort = sort;
                sub.updated_at = now;
                sub.clone()
            }
            None => {
                return Err(wire::problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "webhook vanished",
                ));
            }
        };
        Ok(wire::hal(&state.render_subscription(&rendered, false)))
    })())
}

async fn delete_webhook(State(app): Shared, body: Bytes) -> Response {
    respond((|| {
        let value = object_body(&body)?;
        let Some(destination) = value.get("destination").and_then(Value::as_str) else {
            let mut errors = super::input::Errors::default();
            errors.missing("destination");
            return Err(wire::validation(&[ItemErrors {
                request_id: "0".to_owned(),
                errors: errors.list,
            }]));
        };
        app.state()
            .subscriptions
            .retain(|s| s.destination != destination);
        Ok(wire::no_content())
    })())
}

/// The token request body: JSON or form-encoded.
fn token_fields(headers: &HeaderMap, body: &Bytes) -> BTreeMap<String, String> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        return form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return BTreeMap::new();
    };
    obj.into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            Value::Number(n) => Some((k, n.to_string())),
            _ => None,
        })
        .collect()
}

async fn access_token(State(app): Shared, headers: HeaderMap, body: Bytes) -> Response {
    const BAD: &str = "Некорректный запрос";
    const BAD_DETAIL: &str = "В запросе отсутствует ряд параметров или параметры невалидны";
    let fields = token_fields(&headers, &body);
    let grant = fields.get("grant_type").cloned().unwrap_or_default();
    *app.token_requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(if grant.is_empty() {
            "missing".to_owned()
        } else {
            grant.clone()
        })
        .or_insert(0) += 1;
    for key in ["client_id", "client_secret", "grant_type"] {
        if fields.get(key).is_none_or(String::is_empty) {
            let hint = format!("Check the `{key}` parameter");
            return wire::oauth_problem(StatusCode::BAD_REQUEST, BAD, BAD_DETAIL, Some(&hint));
        }
    }
    if fields.get("client_id") != Some(&app.client_id)
        || fields.get("client_secret") != Some(&app.client_secret)
    {
        return wire::oauth_problem(
            StatusCode::UNAUTHORIZED,
            "Некорректный клиент",
            "Авторизация клиента не прошла",
            None,
        );
    }
    let now_ms = app.clock.now_millis();
    let result = match grant.as_str() {
        "authorization_code" => {
            let Some(code) = fields.get("code").filter(|c| !c.is_empty()) else {
                return wire::oauth_problem(
                    StatusCode::BAD_REQUEST,
                    BAD,
                    BAD_DETAIL,
                    Some("Check the `code` parameter"),
                );
            };
            if fields
                .get("redirect_uri")
                .is_some_and(|r| *r != app.redirect_uri)
            {
                return wire::oauth_problem(
                    StatusCode::UNAUTHORIZED,
                    BAD,
                    BAD_DETAIL,
                    Some("Invalid redirect_uri"),
                );
            }
            app.oauth().exchange_code(code, now_ms)
        }
        "refresh_token" => {
            let Some(token) = fields.get("refresh_token").filter(|c| !c.is_empty()) else {
                return wire::oauth_problem(
                    StatusCode::BAD_REQUEST,
                    BAD,
                    BAD_DETAIL,
                    Some("Check the `refresh_token` parameter"),
                );
            };
            app.oauth().refresh(token, now_ms)
        }
        _ => {
            return wire::oauth_problem(
                StatusCode::BAD_REQUEST,
                "Unsupported grant type",
                "The authorization grant type is not supported by the authorization server.",
                Some("Check that all required parameters have been provided"),
            );
        }
    };
    match result {
        Ok(pair) => wire::plain_json(&json!({
            "token_type": "Bearer",
            "expires_in": pair.expires_in,
            "server_time": now_ms.div_euclid(1000),
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
        })),
        Err(failure) => oauth_failure(failure),
    }
}

fn oauth_failure(failure: OAuthFailure) -> Response {
    wire::oauth_problem(
        StatusCode::UNAUTHORIZED,
        "Некорректный запрос",
        "В запросе отсутствует ряд параметров или параметры невалидны",
        Some(failure.hint()),
    )
}

async fn control_code(State(app): Shared) -> Response {
    let code = app.oauth().issue_code(app.clock.now_millis());
    wire::plain_json(&json!({
        "code": code,
        "expires_in": super::oauth::CODE_TTL_SECS,
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
    }))
}
