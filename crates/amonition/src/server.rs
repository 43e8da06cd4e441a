//! The HTTP side of `serve`: `POST /webhooks/amocrm/{secret}`, `GET /healthz`, `GET /metrics`.
//!
//! A delivery is checked in this order: the secret (constant time; wrong → 404, nothing read), the size (over
//! 1 MiB → 413), the media type (not a form → 415), the body (malformed → 400 with the reason), the account
//! (another account → 403). Accepted events are committed to the inbox before the 200; a storage failure is a
//! 503 so amoCRM delivers again.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use crmsync_amocrm::webhook::{self, WebhookError, WebhookEvent};
use crmsync_cli::http::secrets_match;
use crmsync_ports::{NewInboxEvent, WebhookInbox};
use secrecy::{ExposeSecret, SecretString};
use siphasher::sip128::{Hasher128, SipHasher13};
use std::hash::Hasher;
use tokio::sync::Notify;

use crate::config::MAX_WEBHOOK_BODY;
use crate::metrics as m;

/// What the handlers share.
#[derive(Clone)]
pub struct ServerState {
    /// The inbox.
    pub inbox: Arc<dyn WebhookInbox>,
    /// The path secret.
    pub secret: Arc<SecretString>,
    /// The only account whose events are accepted.
    pub account_id: i64,
    /// The bearer token of `/metrics` (empty: none).
    pub metrics_token: Arc<SecretString>,
    /// Woken when events were stored.
    pub stored: Arc<Notify>,
}

/// The router.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/webhooks/amocrm/{secret}", post(receive))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

fn reject(status: StatusCode, reason: &'static str, text: String) -> Response {
    metrics::counter!(m::REJECTED, "reason" => reason).increment(1);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

/// The redelivery key of an event: its kind, id and a 128-bit hash of everything it carries.
pub fn dedupe_key(event: &WebhookEvent, payload: &serde_json::Value) -> String {
    let mut hasher = SipHasher13::new_with_keys(0x0000_616d_6f6e, 0x0069_7469_6f6e);
    hasher.write(payload.to_string().as_bytes());
    format!(
        "{}.{}:{}:{:032x}",
        event.entity,
        event.action,
        event.id.unwrap_or(0),
        hasher.finish128().as_u128()
    )
}

async fn receive(
    State(state): State<ServerState>,
    Path(secret): Path<String>,
    request: Request,
) -> Response {
    let started = Instant::now();
    metrics::counter!(m::RECEIVED).increment(1);
    let response = accept(&state, &secret, request).await;
    metrics::histogram!(m::ACK_SECONDS).record(started.elapsed().as_secs_f64());
    response
}

async fn accept(state: &ServerState, secret: &str, request: Request) -> Response {
    if !secrets_match(secret, &state.secret) {
        return reject(StatusCode::NOT_FOUND, "secret", "not found".into());
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded")
        .to_ascii_lowercase();
    let bytes: Bytes = match axum::body::to_bytes(request.into_body(), MAX_WEBHOOK_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return reject(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body exceeds {MAX_WEBHOOK_BODY} bytes"),
            );
        }
    };
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "media_type",
            "amoCRM webhooks are application/x-www-form-urlencoded".into(),
        );
    }
    let events = match webhook::parse_with_limit(&bytes, MAX_WEBHOOK_BODY) {
        Ok(events) => events,
        Err(error @ WebhookError::TooLarge { .. }) => {
            return reject(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                error.to_string(),
            );
        }
        Err(error) => return reject(StatusCode::BAD_REQUEST, "malformed", error.to_string()),
    };
    if let Some(foreign) = events
        .iter()
        .find(|e| e.account.id.map(|a| a.0) != Some(state.account_id))
    {
        let shown = foreign
            .account
            .id
            .map_or_else(|| "no account".to_owned(), |a| format!("account {}", a.0));
        return reject(
            StatusCode::FORBIDDEN,
            "account",
            format!("events of {shown} are not accepted here"),
        );
    }
    let mut rows = Vec::with_capacity(events.len());
    for event in &events {
        let payload = match serde_json::to_value(event) {
            Ok(payload) => payload,
            Err(error) => return reject(StatusCode::BAD_REQUEST, "malformed", error.to_string()),
        };
        rows.push(NewInboxEvent {
            dedupe_key: dedupe_key(event, &payload),
            kind: format!("{}.{}", event.entity, event.action),
            payload,
        });
    }
    match state.inbox.enqueue(&rows, Utc::now()).await {
        Ok(stored) => {
            metrics::counter!(m::STORED).increment(stored.stored);
            metrics::counter!(m::DUPLICATES).increment(stored.duplicates);
            if stored.stored > 0 {
                state.stored.notify_waiters();
            }
            (StatusCode::OK, "ok\n").into_response()
        }
        Err(error) => {
            tracing::error!(%error, "the inbox could not store a delivery; amoCRM will deliver it again");
            reject(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage",
                "the inbox is unavailable".into(),
            )
        }
    }
}

async fn healthz(State(state): State<ServerState>) -> Response {
    match state.inbox.counts().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check: the inbox is unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "inbox unavailable\n").into_response()
        }
    }
}

async fn metrics(State(state): State<ServerState>, request: Request<Body>) -> Response {
    if !state.metrics_token.expose_secret().is_empty() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !secrets_match(given, &state.metrics_token) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "",
            )
                .into_response();
        }
    }
    if let Ok(counts) = state.inbox.counts().await {
        metrics::gauge!(m::DEPTH).set(counts.depth() as f64);
        metrics::gauge!(m::DEAD_ROWS).set(counts.dead as f64);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        m::handle().render(),
    )
        .into_response()
}
