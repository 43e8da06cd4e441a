//! The module's AJAX flow as a JSON API: `POST /preview`, `POST /processes` (start),
//! `POST /processes/{id}/step`, `POST /processes/{id}/finish`, `GET /processes/{id}` — every route behind the
//! configured bearer token.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
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
use serde::Serialize;
use serde_json::{Map, Value, json};

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

/// Listens on `address`, prints `listening on http://ADDR` on stdout, and serves until `shutdown` fires.
pub async fn serve(
    generator: CouponGenerator,
    budget: StepBudget,
    address: SocketAddr,
    token: SecretString,
    shutdown: Shutdown,
) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| Failure::usage(format!("serve.address: cannot listen on {address}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::job(format!("serve.address: {e}")))?;
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
        .map_err(|e| Failure::job(format!("serve: {e}")))
}

/// An error answer: `{"error": code, "message": text, "errors": [{"field", "reason"}]?}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    errors: Vec<Value>,
}

impl ApiError {
    fn bad_request(field: &str, reason: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: format!("{field}: {reason}"),
            errors: vec![json!({"field": field, "reason": reason.to_string()})],
        }
    }
}

impl From<SettingsErrors> for ApiError {
    fn from(errors: SettingsErrors) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_settings",
            message: errors.to_string(),
            errors: errors
                .0
                .iter()
                .map(|e| json!({"field": e.field, "reason": e.reason}))
                .collect(),
        }
    }
}

impl From<CouponError> for ApiError {
    fn from(error: CouponError) -> Self {
        let (status, code) = match &error {
            CouponError::Settings(errors) => return errors.clone().into(),
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
            message: error.to_string(),
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

/// A report with the module's progress line.
#[derive(Serialize)]
struct ReportBody {
    #[serde(flatten)]
    report: GenerationReport,
    progress: String,
}

fn answer(status: StatusCode, report: GenerationReport) -> Response {
    let progress = report.progress_text();
    (status, Json(ReportBody { report, progress })).into_response()
}

/// A request body: a JSON object whose fields are read one by one, each error naming its field.
struct Fields(Map<String, Value>);

impl Fields {
    fn parse(body: &Bytes, allowed: &[&str]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request("body", format!("not JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(ApiError::bad_request("body", "must be a JSON object"));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::bad_request(
                unknown,
                format!("unknown field; expected one of {}", allowed.join(", ")),
            ));
        }
        Ok(Self(map))
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::bad_request(name, "must be a string")),
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
                .ok_or_else(|| ApiError::bad_request(name, "must be a whole number of at least 0")),
        }
    }

    fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::bad_request(name, "must be true or false")),
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
                        .ok_or_else(|| ApiError::bad_request(name, "must be a list of strings"))
                })
                .collect(),
            Some(_) => Err(ApiError::bad_request(name, "must be a list of strings")),
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

fn process_id(raw: &str) -> Result<ProcessId, ApiError> {
    raw.parse::<ProcessId>()
        .ok()
        .filter(|id| id.0 > 0)
        .ok_or_else(|| ApiError::bad_request("id", format!("`{raw}` is not a process id")))
}

async fn preview_codes(body: Bytes) -> Result<Response, ApiError> {
    let allowed: Vec<&str> = TEMPLATE_FIELDS.iter().copied().chain(["count"]).collect();
    let fields = Fields::parse(&body, &allowed)?;
    let count = fields.number("count")?.unwrap_or(DEFAULT_PREVIEW);
    let count = usize::try_from(count).map_err(|_| ApiError::bad_request("count", "too large"))?;
    let shown = preview(&fields.template_draft()?, count, &mut rand::rng())?;
    Ok(Json(shown).into_response())
}

async fn start(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    let fields = Fields::parse(&body, &START_FIELDS)?;
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
    let planned = plan(draft)?;
    let report = state.generator.start(&planned).await?;
    Ok(answer(StatusCode::CREATED, report))
}

async fn step(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = process_id(&id)?;
    let fields = Fields::parse(&body, &["max_codes", "max_seconds"])?;
    let mut budget = state.budget;
    if let Some(codes) = fields.number("max_codes")? {
        if !(1..=MAX_STEP_CODES).contains(&codes) {
            return Err(ApiError::bad_request(
                "max_codes",
                format!("must be between 1 and {MAX_STEP_CODES}"),
            ));
        }
        budget.max_codes = Some(codes);
    }
    if let Some(seconds) = fields.number("max_seconds")? {
        if !(1..=MAX_STEP_SECONDS).contains(&seconds) {
            return Err(ApiError::bad_request(
                "max_seconds",
                format!("must be between 1 and {MAX_STEP_SECONDS}"),
            ));
        }
        budget.max_time = Some(Duration::from_secs(seconds));
    }
    let report = state.generator.step(id, budget).await?;
    Ok(answer(StatusCode::OK, report))
}

async fn finish(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let report = state.generator.finish(process_id(&id)?).await?;
    Ok(answer(StatusCode::OK, report))
}

async fn status(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let report = state.generator.status(process_id(&id)?).await?;
    Ok(answer(StatusCode::OK, report))
}

#[cfg(test)]
mod tests;
