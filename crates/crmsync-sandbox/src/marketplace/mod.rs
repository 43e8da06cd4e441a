//! The marketplace services AMONITION calls, emulated on one loopback server: the profile-transfer service
//! ("Snatcher", `POST /api/v1/transfers`) and the feed service (`POST /api/v1/feeds/lookup`,
//! `POST /api/v1/feeds/periodic`). Every call is recorded; faults come from a [`FaultPlan`]; a bearer token is
//! required. [`sellers`] generates marketplace sellers with listings, deterministically.
//!
//! ```no_run
//! # async fn demo() -> Result<(), crmsync_sandbox::SandboxError> {
//! use crmsync_sandbox::marketplace::{MarketplaceConfig, MarketplaceEmulator};
//! let emulator = MarketplaceEmulator::start(MarketplaceConfig::default()).await?;
//! emulator.set_feed("u1", "https://feeds.example/u1.xml", None);
//! // Point the clients at emulator.base_url() with `Authorization: Bearer sandbox-marketplace-token`.
//! assert!(emulator.transfers().is_empty());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

pub mod sellers;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::SandboxError;
use crate::faults::{FaultInjector, FaultPlan};
use crate::server::{self, ServerHandle};
use crate::stats::RequestStats;

/// The token the emulator accepts by default.
pub const DEFAULT_TOKEN: &str = "sandbox-marketplace-token";

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct MarketplaceConfig {
    /// The bearer token every request must carry.
    pub token: String,
    /// Faults to inject (route keys `POST /api/v1/transfers`, `POST /api/v1/feeds/lookup`, ...).
    pub faults: FaultPlan,
    /// Where to listen.
    pub addr: SocketAddr,
}

impl Default for MarketplaceConfig {
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            faults: FaultPlan::none(),
            addr: server::loopback_any_port(),
        }
    }
}

/// A transfer the emulated Snatcher started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedTransfer {
    /// Its id.
    pub transfer_id: String,
    /// The foreign account.
    pub account_url: String,
    /// The phone, E.164.
    pub phone: String,
    /// The lead that asked.
    pub lead_id: i64,
    /// The request's idempotency key.
    pub idempotency_key: String,
}

/// A periodic feed load the emulated feed service was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedLoad {
    /// The user.
    pub user_id: String,
    /// The feed.
    pub url: String,
}

#[derive(Debug, Default)]
struct Recorded {
    transfers: Vec<RecordedTransfer>,
    loads: Vec<RecordedLoad>,
    lookups: u64,
    feeds: BTreeMap<String, (String, Option<String>)>,
}

struct App {
    token: String,
    recorded: Mutex<Recorded>,
}

impl App {
    fn recorded(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running emulator.
pub struct MarketplaceEmulator {
    app: Arc<App>,
    faults: Arc<FaultInjector>,
    requests: Arc<RequestStats>,
    server: ServerHandle,
}

impl std::fmt::Debug for MarketplaceEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketplaceEmulator")
            .field("addr", &self.server.local_addr())
            .finish_non_exhaustive()
    }
}

impl MarketplaceEmulator {
    /// Starts serving on `config.addr`.
    pub async fn start(config: MarketplaceConfig) -> Result<Self, SandboxError> {
        config
            .faults
            .validate()
            .map_err(|reason| SandboxError::Config {
                field: "faults",
                reason,
            })?;
        if config.token.is_empty() {
            return Err(SandboxError::Config {
                field: "token",
                reason: "must not be empty".to_owned(),
            });
        }
        let app = Arc::new(App {
            token: config.token,
            recorded: Mutex::default(),
        });
        let faults = Arc::new(FaultInjector::new(config.faults));
        let requests = Arc::new(RequestStats::new());
        let router = Router::new()
            .route("/api/v1/transfers", post(transfer))
            .route("/api/v1/feeds/lookup", post(lookup))
            .route("/api/v1/feeds/periodic", post(periodic))
            .with_state(Arc::clone(&app));
        let router = requests.layer(faults.layer(router));
        let listener = server::bind(config.addr).await?;
        let server = server::serve(router, listener)?;
        Ok(Self {
            app,
            faults,
            requests,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Gives `user_id` a feed (and an error report).
    pub fn set_feed(&self, user_id: &str, url: &str, errors_url: Option<&str>) {
        self.app.recorded().feeds.insert(
            user_id.to_owned(),
            (url.to_owned(), errors_url.map(str::to_owned)),
        );
    }

    /// Transfers started, one per idempotency key.
    pub fn transfers(&self) -> Vec<RecordedTransfer> {
        self.app.recorded().transfers.clone()
    }

    /// Periodic loads asked for, one per (user, url).
    pub fn loads(&self) -> Vec<RecordedLoad> {
        self.app.recorded().loads.clone()
    }

    /// Feed lookups answered.
    pub fn lookups(&self) -> u64 {
        self.app.recorded().lookups
    }

    /// Requests received per route key.
    pub fn requests(&self, route: &str) -> u64 {
        self.requests
            .snapshot()
            .get(route)
            .map_or(0, |r| r.requests)
    }

    /// Replaces the fault plan.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.faults.set_plan(plan);
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

fn authorized(app: &App, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == app.token)
}

fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        Json(json!({"status": status.as_u16(), "detail": detail})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct TransferBody {
    account_url: String,
    phone: String,
    #[serde(default)]
    lead_id: i64,
}

async fn transfer(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Option<Json<TransferBody>>,
) -> Response {
    if !authorized(&app, &headers) {
        return problem(StatusCode::UNAUTHORIZED, "missing or wrong token");
    }
    let Some(Json(body)) = body else {
        return problem(
            StatusCode::BAD_REQUEST,
            "body must be JSON with account_url and phone",
        );
    };
    if !(body.account_url.starts_with("https://") || body.account_url.starts_with("http://")) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "account_url must be an http(s) URL",
        );
    }
    if !body.phone.starts_with('+') {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "phone must be E.164");
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut recorded = app.recorded();
    if let Some(existing) = recorded
        .transfers
        .iter()
        .find(|t| !key.is_empty() && t.idempotency_key == key)
    {
        return (
            StatusCode::OK,
            Json(json!({"transfer_id": existing.transfer_id})),
        )
            .into_response();
    }
    let transfer_id = format!("tr-{}", recorded.transfers.len() + 1);
    recorded.transfers.push(RecordedTransfer {
        transfer_id: transfer_id.clone(),
        account_url: body.account_url,
        phone: body.phone,
        lead_id: body.lead_id,
        idempotency_key: key,
    });
    (
        StatusCode::ACCEPTED,
        Json(json!({"transfer_id": transfer_id})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LookupBody {
    user_ids: Vec<String>,
}

async fn lookup(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Option<Json<LookupBody>>,
) -> Response {
    if !authorized(&app, &headers) {
        return problem(StatusCode::UNAUTHORIZED, "missing or wrong token");
    }
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "body must be JSON with user_ids");
    };
    if body.user_ids.len() > 1000 {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "at most 1000 user_ids per lookup",
        );
    }
    let mut recorded = app.recorded();
    recorded.lookups += 1;
    let feeds: Vec<_> = body
        .user_ids
        .iter()
        .filter_map(|id| {
            recorded
                .feeds
                .get(id)
                .map(|(url, errors)| json!({"user_id": id, "url": url, "errors_url": errors}))
        })
        .collect();
    (StatusCode::OK, Json(json!({"feeds": feeds}))).into_response()
}

#[derive(Deserialize)]
struct PeriodicBody {
    user_id: String,
    url: String,
}

async fn periodic(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Option<Json<PeriodicBody>>,
) -> Response {
    if !authorized(&app, &headers) {
        return problem(StatusCode::UNAUTHORIZED, "missing or wrong token");
    }
    let Some(Json(body)) = body else {
        return problem(
            StatusCode::BAD_REQUEST,
            "body must be JSON with user_id and url",
        );
    };
    let mut recorded = app.recorded();
    let load = RecordedLoad {
        user_id: body.user_id,
        url: body.url,
    };
    if !recorded.loads.contains(&load) {
        recorded.loads.push(load.clone());
    }
    recorded
        .feeds
        .entry(load.user_id.clone())
        .and_modify(|f| f.0.clone_from(&load.url))
        .or_insert((load.url, None));
    (StatusCode::ACCEPTED, Json(json!({"status": "scheduled"}))).into_response()
}
