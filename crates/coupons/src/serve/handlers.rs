//! The routes: each checks the caller's role, and each state-changing one writes its audit entry.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use crmsync_domain::ProcessId;
use crmsync_domain::coupon::SettingsDraft;
use crmsync_domain::coupon::settings::warnings;
use crmsync_jobs::coupons::{CouponError, plan, preview};
use crmsync_ports::{AuditFilter, AuditOutcome};
use serde::Deserialize;
use serde_json::json;

use super::fields::{Fields, PREVIEW_FIELDS, START_FIELDS, process_id};
use super::{
    ApiError, AppState, DEFAULT_PREVIEW, MAX_STEP_CODES, MAX_STEP_SECONDS, ReqLang, answer,
    report_json,
};
use crate::cli::ExportFormat;
use crate::export::export;
use crate::i18n::{self, Lang, args};
use crate::rights::{Caller, Role, forbidden_text};

/// Refuses `caller` unless it has `needed`; a refused state-changing `action` is audited as denied.
async fn require(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    needed: Role,
    action: Option<(&str, Option<ProcessId>)>,
) -> Result<(), ApiError> {
    if caller.role >= needed {
        return Ok(());
    }
    if let Some((action, process)) = action {
        state
            .auditor
            .record(
                caller.actor(),
                action,
                process,
                AuditOutcome::Denied,
                Some(format!("needs the {needed} role")),
            )
            .await;
    }
    Err(ApiError::forbidden(forbidden_text(lang, caller, needed)))
}

/// Audits the outcome of a state-changing `action` of `caller` and passes it on.
async fn audited<T>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    process: Option<ProcessId>,
    outcome: Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (result, detail) = match &outcome {
        Ok(_) => (AuditOutcome::Ok, None),
        Err(error) => (AuditOutcome::Failed, Some(error.english.clone())),
    };
    state
        .auditor
        .record(caller.actor(), action, process, result, detail)
        .await;
    outcome
}

fn job(lang: Lang) -> impl Fn(CouponError) -> ApiError {
    move |e| ApiError::coupon(lang, &e)
}

pub(super) async fn preview_codes(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    body: Bytes,
) -> Result<Response, ApiError> {
    require(&state, &caller, lang, Role::Viewer, None).await?;
    let fields = Fields::parse(lang, &body, &PREVIEW_FIELDS)?;
    let count = fields.number("count")?.unwrap_or(DEFAULT_PREVIEW);
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let shown = preview(&fields.template_draft()?, count, &mut rand::rng())
        .map_err(|e| ApiError::settings(lang, &e))?;
    Ok(Json(shown).into_response())
}

/// The live capacity of the page: the template's capacity and, for `count` codes, whether they fit and the
/// warnings (guessable codes, look-alike letters), all computed here so the page never re-implements them.
pub(super) async fn capacity(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    body: Bytes,
) -> Result<Response, ApiError> {
    require(&state, &caller, lang, Role::Viewer, None).await?;
    let fields = Fields::parse(lang, &body, &PREVIEW_FIELDS)?;
    let draft = fields.template_draft()?;
    let template = draft
        .parse_template()
        .map_err(|e| ApiError::settings(lang, &e))?;
    let capacity = template.capacity();
    let count = fields.number("count")?;
    let mut errors = Vec::new();
    if let Some(count) = count.filter(|&c| !capacity.admits(c)) {
        let reason = i18n::tr(
            lang,
            "count-over-capacity",
            args!["capacity" => capacity, "count" => count],
        );
        errors.push(json!({"field": "count", "reason": reason}));
    }
    let fitting = count.filter(|&c| capacity.admits(c)).unwrap_or(0);
    let warnings: Vec<String> = warnings(
        &template,
        fitting,
        draft.exclude_lookalikes.unwrap_or(false),
    )
    .iter()
    .map(|w| i18n::message(lang, w))
    .collect();
    let capacity_text = i18n::tr(lang, "page-capacity", args!["capacity" => capacity]);
    Ok(Json(json!({
        "template": template.source(),
        "capacity": capacity,
        "capacity_text": capacity_text,
        "warnings": warnings,
        "errors": errors,
    }))
    .into_response())
}

pub(super) async fn start(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    body: Bytes,
) -> Result<Response, ApiError> {
    require(&state, &caller, lang, Role::Operator, Some(("start", None))).await?;
    let started = async {
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
        state.generator.start(&planned).await.map_err(job(lang))
    }
    .await;
    let process = started.as_ref().ok().map(|r| r.id);
    let report = audited(&state, &caller, "start", process, started).await?;
    Ok(answer(lang, StatusCode::CREATED, &report))
}

pub(super) async fn step(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let report = on_run(
        &state,
        &caller,
        lang,
        &id,
        ("step", Role::Operator),
        async |id| {
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
            state.generator.step(id, budget).await.map_err(job(lang))
        },
    )
    .await?;
    Ok(answer(lang, StatusCode::OK, &report))
}

/// A state-changing call on run `{id}`: checks the id and the role `action` needs, does `work`, and audits the
/// outcome (a refusal included) — the one place every such route goes through.
async fn on_run<T>(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    raw_id: &str,
    (action, needed): (&str, Role),
    work: impl AsyncFnOnce(ProcessId) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let id = process_id(lang, raw_id)?;
    require(state, caller, lang, needed, Some((action, Some(id)))).await?;
    let outcome = work(id).await;
    audited(state, caller, action, Some(id), outcome).await
}

pub(super) async fn finish(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let action = ("finish", Role::Operator);
    let report = on_run(&state, &caller, lang, &id, action, async |id| {
        state.generator.finish(id).await.map_err(job(lang))
    })
    .await?;
    Ok(answer(lang, StatusCode::OK, &report))
}

pub(super) async fn resume(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let action = ("resume", Role::Operator);
    let report = on_run(&state, &caller, lang, &id, action, async |id| {
        state.generator.reopen(id).await.map_err(job(lang))
    })
    .await?;
    Ok(answer(lang, StatusCode::OK, &report))
}

pub(super) async fn abort(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let reason = format!("aborted by token {}", caller.name);
    let action = ("abort", Role::Admin);
    let report = on_run(&state, &caller, lang, &id, action, async |id| {
        state.generator.abort(id, &reason).await.map_err(job(lang))
    })
    .await?;
    Ok(answer(lang, StatusCode::OK, &report))
}

pub(super) async fn delete_unused(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let action = ("delete_unused", Role::Admin);
    let (id, deleted) = on_run(&state, &caller, lang, &id, action, async |id| {
        let deleted = state.generator.delete_unused(id).await.map_err(job(lang))?;
        Ok((id, deleted))
    })
    .await?;
    let message = i18n::tr(lang, "deleted", args!["deleted" => deleted, "id" => id]);
    Ok(Json(json!({"id": id, "deleted": deleted, "message": message})).into_response())
}

pub(super) async fn status(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require(&state, &caller, lang, Role::Viewer, None).await?;
    let report = state
        .generator
        .status(process_id(lang, &id)?)
        .await
        .map_err(job(lang))?;
    Ok(answer(lang, StatusCode::OK, &report))
}

/// `?limit=N` of a listing.
#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    limit: Option<u32>,
    run: Option<i64>,
}

pub(super) async fn list(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    require(&state, &caller, lang, Role::Viewer, None).await?;
    let limit = query.limit.unwrap_or(20).clamp(1, 500);
    let reports = state.generator.list(limit).await.map_err(job(lang))?;
    let shown: Vec<_> = reports.iter().map(|r| report_json(lang, r)).collect();
    Ok(Json(shown).into_response())
}

pub(super) async fn export_csv(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require(&state, &caller, lang, Role::Viewer, None).await?;
    let id = process_id(lang, &id)?;
    let mut csv = Vec::new();
    export(&state.generator, id, ExportFormat::Csv, &mut csv)
        .await
        .map_err(|e| match e {
            crate::export::ExportError::Job(job) => ApiError::coupon(lang, &job),
            write @ crate::export::ExportError::Write(_) => {
                ApiError::internal(lang, write.to_string())
            }
        })?;
    let disposition = format!("attachment; filename=\"coupons-{id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

pub(super) async fn audit(
    Extension(caller): Extension<Caller>,
    State(state): State<Arc<AppState>>,
    ReqLang(lang): ReqLang,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    require(&state, &caller, lang, Role::Admin, None).await?;
    let filter = AuditFilter {
        process: query.run.map(ProcessId),
        limit: Some(query.limit.unwrap_or(100).clamp(1, 10_000)),
    };
    let entries = state
        .audit
        .list(&filter)
        .await
        .map_err(|e| ApiError::coupon(lang, &CouponError::Store(e)))?;
    Ok(Json(entries).into_response())
}
