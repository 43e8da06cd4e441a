//! The module's AJAX flow as a JSON API: `POST /preview`, `POST /processes` (start),
//! `POST /processes/{id}/step`, `POST /processes/{id}/finish`, `GET /processes/{id}` — every route behind the
//! configured bearer token.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use crmsync_cli::exit::Failure;
use crmsync_cli::http::{BearerToken, require_bearer};
use crmsync_domain::ProcessId;
use crmsync_domain::coupon::{SettingsDraft, SettingsErrors};
use crmsync_jobs::coupons::{
    CouponError, CouponGenerator, GenerationReport, StepBudget, plan, preview,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_ports::StoreError;
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::i18n::{self, Lang, args, tr};
use crate::output;

/// The most codes one step request may ask for.
pub const MAX_STEP_CODES: u64 = 1_000_000;
/// The longest step a request may ask for, in seconds.
pub const MAX_STEP_SECONDS: u64 = 300;
/// Preview size when the request does not say (the module shows 20).
pub const DEFAULT_PREVIEW: u64 = 20;

struct AppState {
    generator: CouponGenerator,
    budget: StepBudget,
}

/// The API on `generator`: steps default to `budget`; every request needs `Authorization: Bearer <token>`.
pub fn router(generator: CouponGenerator, budget: StepBudget, token: SecretString) -> Router {
    let state = Arc::new(AppState { generator, budget });
    Router::new()
        .route("/preview", post(preview_codes))
        .route("/processes", post(start))
        .route("/processes/{id}", get(status))
        .route("/processes/{id}/step", post(step))
        .route("/processes/{id}/finish", post(finish))
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            BearerToken(Arc::new(token)),
            require_bearer,
        ))
}

/// Listens on `address` (start-up errors in `lang`), prints `listening on http://ADDR` on stdout, and serves until `shutdown` fires.
pub async fn serve(
    generator: CouponGenerator,
    budget: StepBudget,
    address: SocketAddr,
    token: SecretString,
    shutdown: Shutdown,
    lang: Lang,
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
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on http://{local}");
        let _ = stdout.flush();
    }
    tracing::info!(%local, "serving the coupon step API");
    axum::serve(listener, router(generator, budget, token))
        .with_graceful_shutdown(async move {
            let reason = shutdown.requested().await;
            tracing::info!(%reason, "stopping the coupon step API");
        })
        .await
        .map_err(|e| Failure::job(tr(lang, "error-serve", args!["reason" => e])))
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
            message,
        }
    }

    /// Rejected settings.
    fn settings(lang: Lang, errors: &SettingsErrors) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_settings",
            message: i18n::settings_errors(lang, errors),
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

/// A request body: a JSON object whose fields are read one by one, each error naming its field.
struct Fields {
    map: Map<String, Value>,
    lang: Lang,
}

impl Fields {
    fn parse(lang: Lang, body: &Bytes, allowed: &[&str]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self {
                map: Map::new(),
                lang,
            });
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(lang, "body", "error-body-not-json", args!["reason" => e])
        })?;
        let Value::Object(map) = value else {
            return Err(ApiError::bad_request(
                lang,
                "body",
                "error-body-not-object",
                &[],
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::bad_request(
                lang,
                unknown,
                "error-unknown-field",
                args!["allowed" => allowed.join(", ")],
            ));
        }
        Ok(Self { map, lang })
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn wrong(&self, name: &str, key: &str) -> ApiError {
        ApiError::bad_request(self.lang, name, key, &[])
    }

    fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(name, "error-must-be-string")),
        }
    }

    fn text_or_number(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            _ => self.string(name),
        }
    }

    fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.wrong(name, "error-must-be-number")),
        }
    }

    fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(name, "error-must-be-flag")),
        }
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, ApiError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.wrong(name, "error-must-be-strings"))
                })
                .collect(),
            Some(_) => Err(self.wrong(name, "error-must-be-strings")),
        }
    }

    fn template_draft(&self) -> Result<SettingsDraft, ApiError> {
        Ok(SettingsDraft {
            template: self.string("template")?,
            case: self.string("case")?,
            exclude_lookalikes: self.flag("exclude_lookalikes")?,
            placeholders: self.strings("placeholders")?,
            ..SettingsDraft::default()
        })
    }
}

const TEMPLATE_FIELDS: [&str; 4] = ["template", "case", "exclude_lookalikes", "placeholders"];
const START_FIELDS: [&str; 13] = [
    "template",
    "case",
    "exclude_lookalikes",
    "placeholders",
    "count",
    "discount_id",
    "type",
    "active",
    "active_from",
    "active_to",
    "max_uses",
    "user_id",
    "description",
];

fn process_id(lang: Lang, raw: &str) -> Result<ProcessId, ApiError> {
    raw.parse::<ProcessId>()
        .ok()
        .filter(|id| id.0 > 0)
        .ok_or_else(|| ApiError::bad_request(lang, "id", "error-bad-id", args!["value" => raw]))
}

async fn preview_codes(ReqLang(lang): ReqLang, body: Bytes) -> Result<Response, ApiError> {
    let allowed: Vec<&str> = TEMPLATE_FIELDS.iter().copied().chain(["count"]).collect();
    let fields = Fields::parse(lang, &body, &allowed)?;
    let count = fields.number("count")?.unwrap_or(DEFAULT_PREVIEW);
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let shown = preview(&fields.template_draft()?, count, &mut rand::rng())
        .map_err(|e| ApiError::settings(lang, &e))?;
    Ok(Json(shown).into_response())
}

async fn start(
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = Fields::parse(lang, &body, &START_FIELDS)?;
    let draft = SettingsDraft {
        count: fields.number("count")?,
        discount_id: fields.number("discount_id")?,
        coupon_type: fields.text_or_number("type")?,
        active: fields.flag("active")?,
        active_from: fields.string("active_from")?,
        active_to: fields.string("active_to")?,
        max_uses: fields.number("max_uses")?,
        user_id: fields.number("user_id")?,
        description: fields.string("description")?,
        ..fields.template_draft()?
    };
    let planned = plan(draft).map_err(|e| ApiError::settings(lang, &e))?;
    let report = state
        .generator
        .start(&planned)
        .await
        .map_err(|e| ApiError::coupon(lang, &e))?;
    Ok(answer(lang, StatusCode::CREATED, &report))
}

async fn step(
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = process_id(lang, &id)?;
    let fields = Fields::parse(lang, &body, &["max_codes", "max_seconds"])?;
    let mut budget = state.budget;
    if let Some(codes) = fields.number("max_codes")? {
        if !(1..=MAX_STEP_CODES).contains(&codes) {
            return Err(ApiError::bad_request(
                lang,
                "max_codes",
                "error-step-range",
                args!["max" => MAX_STEP_CODES],
            ));
        }
        budget.max_codes = Some(codes);
    }
    if let Some(seconds) = fields.number("max_seconds")? {
        if !(1..=MAX_STEP_SECONDS).contains(&seconds) {
            return Err(ApiError::bad_request(
                lang,
                "max_seconds",
                "error-step-range",
                args!["max" => MAX_STEP_SECONDS],
            ));
        }
        budget.max_time = Some(Duration::from_secs(seconds));
    }
    let report = state
        .generator
        .step(id, budget)
        .await
        .map_err(|e| ApiError::coupon(lang, &e))?;
    Ok(answer(lang, StatusCode::OK, &report))
}

async fn finish(
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let report = state
        .generator
        .finish(process_id(lang, &id)?)
        .await
        .map_err(|e| ApiError::coupon(lang, &e))?;
    Ok(answer(lang, StatusCode::OK, &report))
}

async fn status(
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let report = state
        .generator
        .status(process_id(lang, &id)?)
        .await
        .map_err(|e| ApiError::coupon(lang, &e))?;
    Ok(answer(lang, StatusCode::OK, &report))
}

#[cfg(test)]
mod tests;
