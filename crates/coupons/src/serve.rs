//! The module's AJAX flow as a JSON API behind named bearer tokens with roles.
//!
//! `GET /` is the generator's page (with `/app.js` and `/app.css`), served without a token; every other route
//! needs one. viewer: `POST /preview`, `POST /capacity`, `GET /processes`, `GET /processes/{id}`, `GET /processes/{id}/export`;
//! operator: also `POST /processes` (start), `POST /processes/{id}/step`, `…/finish`, `…/resume`;
//! admin: also `POST /processes/{id}/abort`, `DELETE /processes/{id}/coupons` (the run's unused coupons) and
//! `GET /audit`. Every state-changing call is audited.

mod fields;
mod handlers;
mod page;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use crmsync_cli::exit::Failure;
use crmsync_domain::coupon::SettingsErrors;
use crmsync_jobs::coupons::{CouponError, CouponGenerator, GenerationReport, StepBudget};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_ports::{AuditLog, StoreError};
use serde_json::{Value, json};

use crate::i18n::{self, Lang, args, tr};
use crate::output;
use crate::rights::{Auditor, Tokens, authenticate};

/// The most codes one step request may ask for.
pub const MAX_STEP_CODES: u64 = 1_000_000;
/// The longest step a request may ask for, in seconds.
pub const MAX_STEP_SECONDS: u64 = 300;
/// Preview size when the request does not say (the module shows 20).
pub const DEFAULT_PREVIEW: u64 = 20;

struct AppState {
    generator: CouponGenerator,
    budget: StepBudget,
    auditor: Auditor,
    audit: Arc<dyn AuditLog>,
}

/// The API on `generator`: steps default to `budget`; every request needs one of `tokens`, whose role decides
/// what it may do; state-changing calls are written to `audit`.
pub fn router(
    generator: CouponGenerator,
    budget: StepBudget,
    tokens: Tokens,
    audit: Arc<dyn AuditLog>,
) -> Router {
    let state = Arc::new(AppState {
        generator,
        budget,
        auditor: Auditor::new(audit.clone()),
        audit,
    });
    Router::new()
        .route("/preview", post(handlers::preview_codes))
        .route("/capacity", post(handlers::capacity))
        .route("/processes", post(handlers::start).get(handlers::list))
        .route("/processes/{id}", get(handlers::status))
        .route("/processes/{id}/step", post(handlers::step))
        .route("/processes/{id}/finish", post(handlers::finish))
        .route("/processes/{id}/resume", post(handlers::resume))
        .route("/processes/{id}/abort", post(handlers::abort))
        .route(
            "/processes/{id}/coupons",
            axum::routing::delete(handlers::delete_unused),
        )
        .route("/processes/{id}/export", get(handlers::export_csv))
        .route("/audit", get(handlers::audit))
        .with_state(state)
        .layer(middleware::from_fn_with_state(tokens, authenticate))
        .merge(page::routes())
}

/// Listens on `address` (start-up errors in `lang`), prints `listening on http://ADDR` and the page's URL on
/// stdout, and serves `app` until `shutdown` fires. With `check`, it fetches the page once through the socket
/// instead, prints the answer and stops (a health check, and the demo's step).
pub async fn serve(
    app: Router,
    address: SocketAddr,
    shutdown: Shutdown,
    lang: Lang,
    check: bool,
) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        Failure::usage(tr(
            lang,
            "error-listen",
            args!["address" => address, "reason" => e],
        ))
    })?;
    let local = listener.local_addr().map_err(|e| {
        Failure::job(tr(
            lang,
            "error-listen",
            args!["address" => address, "reason" => e],
        ))
    })?;
    say(&format!("listening on http://{local}"));
    say(&tr(
        lang,
        "serve-page-url",
        args!["url" => format!("http://{local}/")],
    ));
    tracing::info!(%local, "serving the coupon step API and page");
    let (stop, stopped) = crmsync_jobs::shutdown::channel();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let reason = Shutdown::either(shutdown, stopped).requested().await;
        tracing::info!(%reason, "stopping the coupon step API");
    });
    if !check {
        return server
            .await
            .map_err(|e| Failure::job(tr(lang, "error-serve", args!["reason" => e])));
    }
    let running = tokio::spawn(server.into_future());
    let probed = probe_page(local).await;
    stop.trigger("the page check is done");
    running
        .await
        .map_err(|e| Failure::job(tr(lang, "error-serve", args!["reason" => e])))?
        .map_err(|e| Failure::job(tr(lang, "error-serve", args!["reason" => e])))?;
    match probed {
        Ok((status, bytes)) if status == StatusCode::OK => {
            say(&tr(
                lang,
                "serve-page-check",
                args!["status" => status.as_u16(), "bytes" => bytes],
            ));
            Ok(())
        }
        Ok((status, _)) => Err(Failure::job(tr(
            lang,
            "error-page-check",
            args!["reason" => status],
        ))),
        Err(reason) => Err(Failure::job(tr(
            lang,
            "error-page-check",
            args!["reason" => reason],
        ))),
    }
}

/// One line on stdout, flushed (a caller may wait for it).
fn say(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// `GET /` through the socket at `address`: the status and the body's length.
async fn probe_page(address: SocketAddr) -> Result<(StatusCode, usize), String> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    let driven = tokio::spawn(connection);
    let request = axum::http::Request::get("/")
        .header(header::HOST, address.to_string())
        .body(axum::body::Body::empty())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = axum::body::to_bytes(axum::body::Body::new(response.into_body()), 1 << 20)
        .await
        .map_err(|e| e.to_string())?;
    drop(sender);
    driven.abort();
    Ok((status, body.len()))
}

/// The reader's language: `?lang=en|ru`, else the best of `Accept-Language`, else English.
pub(crate) fn request_lang(uri: &Uri, headers: &HeaderMap) -> Lang {
    let query = uri.query().unwrap_or_default();
    let asked = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "lang")
        .and_then(|(_, value)| Lang::from_tag(&value));
    asked.unwrap_or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or_default()
    })
}

/// The language of a request, as an extractor.
pub(crate) struct ReqLang(pub(crate) Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(request_lang(&parts.uri, &parts.headers)))
    }
}

/// An error answer: `{"error": code, "message": text, "errors": [{"field", "reason"}]?}`, in the reader's
/// language.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// The message in English, for the audit.
    english: String,
    errors: Vec<Value>,
}

impl ApiError {
    /// A 400 about `field`: `key` is a catalogue message with a `field` variable.
    fn bad_request(lang: Lang, field: &str, key: &str, args: &[(&str, String)]) -> Self {
        let mut all: Vec<(&str, String)> = vec![("field", field.to_owned())];
        all.extend(args.iter().cloned());
        let message = tr(lang, key, &all);
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            errors: vec![json!({"field": field, "reason": message})],
            english: tr(Lang::En, key, &all),
            message,
        }
    }

    /// A 403: the token lacks a role (`message` names it).
    fn forbidden(message: String) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            english: message.clone(),
            message,
            errors: Vec::new(),
        }
    }

    /// A 500 whose cause is logged, not shown.
    fn internal(lang: Lang, cause: String) -> Self {
        tracing::error!(%cause, "coupon API request failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            english: cause,
            message: tr(lang, "error-internal", &[]),
            errors: Vec::new(),
        }
    }

    /// Rejected settings.
    fn settings(lang: Lang, errors: &SettingsErrors) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_settings",
            message: i18n::settings_errors(lang, errors),
            english: i18n::settings_errors(Lang::En, errors),
            errors: errors
                .0
                .iter()
                .map(|e| json!({"field": e.field, "reason": i18n::message(lang, &e.reason)}))
                .collect(),
        }
    }

    /// A job error.
    fn coupon(lang: Lang, error: &CouponError) -> Self {
        let (status, code) = match error {
            CouponError::Settings(errors) => return Self::settings(lang, errors),
            CouponError::NotFound { .. } | CouponError::WrongKind { .. } => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            CouponError::NotRunning { .. } => (StatusCode::CONFLICT, "not_running"),
            CouponError::InProgress { .. } => (StatusCode::CONFLICT, "in_progress"),
            CouponError::NotResumable { .. } => (StatusCode::CONFLICT, "not_resumable"),
            CouponError::Conflict { .. } | CouponError::Transition(_) => {
                (StatusCode::CONFLICT, "conflict")
            }
            CouponError::Exhausted { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "exhausted"),
            CouponError::Interrupted { .. } => (StatusCode::SERVICE_UNAVAILABLE, "interrupted"),
            CouponError::Store(StoreError::Unavailable { .. }) => {
                (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable")
            }
            CouponError::Corrupt { .. } | CouponError::Random(_) | CouponError::Store(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        if status.is_server_error() {
            tracing::error!(%error, "coupon API request failed");
        }
        Self {
            status,
            code,
            message: i18n::coupon_error(lang, error),
            english: i18n::coupon_error(Lang::En, error),
            errors: Vec::new(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.code, "message": self.message});
        if !self.errors.is_empty() {
            body["errors"] = Value::Array(self.errors);
        }
        (self.status, Json(body)).into_response()
    }
}

/// A report with the module's progress line, its status and warnings in the reader's language.
pub(crate) fn report_json(lang: Lang, report: &GenerationReport) -> Value {
    let mut body = serde_json::to_value(report).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut body {
        map.insert(
            "progress".to_owned(),
            Value::String(output::progress(lang, report)),
        );
        map.insert(
            "status_text".to_owned(),
            Value::String(i18n::status(lang, report.status)),
        );
        map.insert(
            "warnings".to_owned(),
            Value::Array(
                report
                    .warnings
                    .iter()
                    .map(|w| Value::String(i18n::message(lang, w)))
                    .collect(),
            ),
        );
    }
    body
}

fn answer(lang: Lang, status: StatusCode, report: &GenerationReport) -> Response {
    (status, Json(report_json(lang, report))).into_response()
}

#[cfg(test)]
mod rights_tests;
#[cfg(test)]
mod tests;
