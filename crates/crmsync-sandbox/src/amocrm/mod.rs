//! The amoCRM (Kommo) API v4 emulator: an in-memory account served over loopback HTTP with the real wire format,
//! OAuth, rate limits, faults and webhooks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), crmsync_sandbox::SandboxError> {
//! use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
//! let emulator = AmoCrmEmulator::start(AmoCrmConfig {
//!     long_lived_token: Some("demo-token".to_owned()),
//!     ..AmoCrmConfig::default()
//! })
//! .await?;
//! // Point a client at emulator.base_url() with `Authorization: Bearer demo-token`.
//! assert_eq!(emulator.count("leads"), 0);
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

mod account;
mod admin;
mod catalogs;
mod customers;
mod entities;
mod eventlog;
mod fields;
pub mod fixture;
mod http;
mod http_account;
mod http_admin;
mod http_catalogs;
mod http_domain;
mod http_inbox;
mod http_relations;
mod input;
pub mod jwt;
mod listing;
mod model;
pub mod oauth;
mod pipelines;
mod relations;
mod render;
pub mod routes;
mod sources;
mod state;
mod tasks;
mod unsorted;
pub mod webhooks;
mod wire;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use fixture::{
    AccountInfo, CustomFieldDef, CustomFieldSets, EnumDef, Fixture, GenerateCounts, LOST_STATUS_ID,
    Pipeline, Status, User, WON_STATUS_ID,
};
pub use webhooks::WebhookStats;

use self::http::App;
use self::jwt::TokenIssuer;
use self::model::Kind;
use self::oauth::OAuthStore;
use self::state::AmoState;
use self::webhooks::WebhookDispatcher;
use self::wire::AmoLimitResponder;
use crate::faults::{FaultCounts, FaultInjector, FaultPlan};
use crate::ratelimit::{RateLimitConfig, RateLimiter};
use crate::server::{self, ServerHandle};
use crate::stats::{RequestStats, RouteStats};
use crate::{SandboxClock, SandboxError};

/// How an emulated account behaves. `Default` gives the standard fixture, 7 requests/s, no faults, a real clock.
#[derive(Debug, Clone)]
pub struct AmoCrmConfig {
    /// Account subdomain (shown in `GET /api/v4/account` and webhook `account[subdomain]`).
    pub subdomain: String,
    /// OAuth integration id.
    pub client_id: String,
    /// OAuth integration secret.
    pub client_secret: String,
    /// OAuth redirect URI; a token request that names another one is refused.
    pub redirect_uri: String,
    /// A bearer token accepted until revoked, as a private integration's long-lived token.
    pub long_lived_token: Option<String>,
    /// Most requests per client IP in any [`rate_limit_window`](Self::rate_limit_window); `None` disables limits.
    pub rate_limit_per_s: Option<u32>,
    /// The sliding window of the rate limit (1 s).
    pub rate_limit_window: Duration,
    /// After this many 429s within a minute the client gets 403 for everything (0 = never).
    pub block_after_violations: u32,
    /// Answer 429 with an nginx HTML page instead of the JSON body with `retry_after`.
    pub html_429: bool,
    /// Write batches with more items than this answer 504 without being processed, as amoCRM does with batches
    /// too large to finish in time (`None`: never).
    pub gateway_timeout_over: Option<usize>,
    /// Whether the account has customers enabled; without them `/api/v4/customers` answers 402, as amoCRM does.
    pub customers_enabled: bool,
    /// Faults to inject.
    pub faults: FaultPlan,
    /// Mixed into the fault plan's seed, so one number reproduces a whole run.
    pub seed: u64,
    /// What the account starts with.
    pub fixture: Fixture,
    /// The clock of OAuth expiry and entity timestamps.
    pub clock: SandboxClock,
    /// Where to listen; `127.0.0.1:0` picks a free loopback port.
    pub addr: SocketAddr,
}

impl Default for AmoCrmConfig {
    fn default() -> Self {
        Self {
            subdomain: "sandbox".to_owned(),
            client_id: "00000000-0000-4000-8000-000000000001".to_owned(),
            client_secret: "sandbox-client-secret".to_owned(),
            redirect_uri: "https://example.invalid/oauth/callback".to_owned(),
            long_lived_token: None,
            rate_limit_per_s: Some(7),
            rate_limit_window: Duration::from_secs(1),
            block_after_violations: 20,
            html_429: false,
            gateway_timeout_over: None,
            customers_enabled: false,
            faults: FaultPlan::none(),
            seed: 0,
            fixture: Fixture::standard(),
            clock: SandboxClock::real(),
            addr: server::loopback_any_port(),
        }
    }
}

/// Counters for tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmulatorStats {
    /// Requests and response statuses per route key (`"GET /api/v4/leads/{id}"`).
    pub routes: BTreeMap<String, RouteStats>,
    /// All requests received.
    pub requests_total: u64,
    /// 429 responses served by the rate limiter.
    pub rate_limited: u64,
    /// 403 responses served to blocked clients.
    pub blocked: u64,
    /// `POST /oauth2/access_token` requests by `grant_type` (`authorization_code`, `refresh_token`, ...).
    pub token_requests: BTreeMap<String, u64>,
    /// Injected faults per route key.
    pub faults: BTreeMap<String, FaultCounts>,
    /// Webhook deliveries.
    pub webhooks: WebhookStats,
}

impl EmulatorStats {
    /// Requests received on `route` (a route key such as `"POST /api/v4/leads"`).
    pub fn requests(&self, route: &str) -> u64 {
        self.routes.get(route).map_or(0, |r| r.requests)
    }

    /// Responses with `status` over all routes.
    pub fn responses_with_status(&self, status: u16) -> u64 {
        self.routes
            .values()
            .filter_map(|r| r.statuses.get(&status))
            .sum()
    }

    /// Injected faults over all routes.
    pub fn faults_total(&self) -> u64 {
        self.faults.values().map(FaultCounts::total).sum()
    }
}

/// One link between entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDump {
    /// `leads` or `contacts`.
    pub from_entity: String,
    /// Id of the source.
    pub from_id: i64,
    /// `contacts` or `companies`.
    pub to_entity: String,
    /// Id of the target.
    pub to_id: i64,
    /// For lead → contact links, whether the contact is the main one.
    pub is_main: Option<bool>,
}

/// The whole state as API JSON (entities rendered as `GET .../{id}?with=contacts,leads` would).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StateDump {
    /// Leads.
    pub leads: Vec<Value>,
    /// Contacts.
    pub contacts: Vec<Value>,
    /// Companies.
    pub companies: Vec<Value>,
    /// Tasks.
    pub tasks: Vec<Value>,
    /// Notes.
    pub notes: Vec<Value>,
    /// Links between leads, contacts and companies.
    pub links: Vec<LinkDump>,
    /// Webhook subscriptions.
    pub webhooks: Vec<Value>,
}

impl App {
    pub(crate) fn emulator_stats(&self) -> EmulatorStats {
        let routes = self.requests.snapshot();
        EmulatorStats {
            requests_total: routes.values().map(|r| r.requests).sum(),
            routes,
            rate_limited: self.limiter.served_429() + self.penalty_429s.load(Ordering::Relaxed),
            blocked: self.limiter.served_403(),
            token_requests: self
                .token_requests
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            faults: self.faults.counts(),
            webhooks: self.webhooks.shared.stats(),
        }
    }

    pub(crate) fn dump(&self) -> StateDump {
        let disabled = self.webhooks.shared.disabled_set();
        let state = self.state();
        let with: BTreeSet<String> = ["contacts", "leads"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let entities = |kind: Kind| -> Vec<Value> {
            state
                .entities(kind)
                .values()
                .map(|e| state.render_entity(kind, e, &with))
                .collect()
        };
        StateDump {
            leads: entities(Kind::Leads),
            contacts: entities(Kind::Contacts),
            companies: entities(Kind::Companies),
            tasks: state.tasks.values().map(|t| state.render_task(t)).collect(),
            notes: state.notes.values().map(|n| state.render_note(n)).collect(),
            links: state
                .links
                .all()
                .into_iter()
                .map(
                    |(from_entity, from_id, to_entity, to_id, is_main)| LinkDump {
                        from_entity: from_entity.to_owned(),
                        from_id,
                        to_entity: to_entity.to_owned(),
                        to_id,
                        is_main,
                    },
                )
                .collect(),
            webhooks: state
                .subscriptions
                .iter()
                .map(|s| state.render_subscription(s, disabled.contains(&s.destination)))
                .collect(),
        }
    }
}

/// A running amoCRM emulator. Dropping it stops the server; prefer [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct AmoCrmEmulator {
    app: Arc<App>,
    server: ServerHandle,
    seed: u64,
}

impl AmoCrmEmulator {
    /// Loads the fixture and starts serving on `config.addr` (a free loopback port by default).
    pub async fn start(config: AmoCrmConfig) -> Result<Self, SandboxError> {
        config
            .faults
            .validate()
            .map_err(|reason| SandboxError::Config {
                field: "faults",
                reason,
            })?;
        if config.rate_limit_per_s == Some(0) {
            return Err(SandboxError::Config {
                field: "rate_limit_per_s",
                reason: "must be at least 1 (use None to disable limits)".to_owned(),
            });
        }
        let listener = server::bind(config.addr).await?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: config.addr,
            source,
        })?;
        let base_url = format!("http://{addr}");
        let mut state = AmoState::from_fixture(
            config.fixture,
            &config.subdomain,
            &base_url,
            config.clock.now_unix(),
        )?;
        state.customers_enabled = config.customers_enabled;
        let issuer = TokenIssuer::new(
            config.client_id.clone(),
            state.account.id,
            state.current_user(),
        );
        let limiter = Arc::new(RateLimiter::new(config.rate_limit_per_s.map(|n| {
            RateLimitConfig {
                max_requests: n,
                window: config.rate_limit_window,
                block_after_violations: config.block_after_violations,
                violation_window: Duration::from_secs(60),
            }
        })));
        let faults = Arc::new(FaultInjector::new(seeded(config.faults, config.seed)));
        let requests = Arc::new(RequestStats::new());
        let app = Arc::new(App {
            state: Mutex::new(state),
            oauth: Mutex::new(OAuthStore::new(config.long_lived_token, issuer)),
            clock: config.clock.clone(),
            client_id: config.client_id,
            client_secret: config.client_secret,
            redirect_uri: config.redirect_uri,
            base_url,
            webhooks: WebhookDispatcher::start(config.clock),
            token_requests: Mutex::new(BTreeMap::new()),
            payment_required: AtomicBool::new(false),
            penalty_until_ms: AtomicI64::new(0),
            penalty_429s: AtomicU64::new(0),
            gateway_timeout_over: config.gateway_timeout_over,
            limiter: Arc::clone(&limiter),
            faults: Arc::clone(&faults),
            requests: Arc::clone(&requests),
        });
        let router = http::router(Arc::clone(&app));
        let router = faults.layer(router);
        let router = limiter.layer(
            router,
            Arc::new(AmoLimitResponder {
                html_429: config.html_429,
            }),
        );
        let router = requests.layer(router);
        let server = server::serve(router, listener)?;
        tracing::info!(%addr, "amoCRM emulator listening");
        Ok(Self {
            app,
            server,
            seed: config.seed,
        })
    }

    /// `http://127.0.0.1:PORT`; clients append `/api/v4/...` and `/oauth2/access_token`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The OAuth client id clients must send.
    pub fn client_id(&self) -> &str {
        &self.app.client_id
    }

    /// The OAuth redirect URI clients must send.
    pub fn redirect_uri(&self) -> &str {
        &self.app.redirect_uri
    }

    /// A fresh authorization code, valid for 20 minutes of the emulator's clock, usable once.
    pub fn issue_authorization_code(&self) -> String {
        self.app.oauth().issue_code(self.app.clock.now_millis())
    }

    /// The emulator's clock: `advance` it to expire codes and tokens.
    pub fn clock(&self) -> &SandboxClock {
        &self.app.clock
    }

    /// Counters of requests, limits, token requests, faults and webhooks.
    pub fn stats(&self) -> EmulatorStats {
        self.app.emulator_stats()
    }

    /// Forgets request and status counters (fault counts and token requests are kept).
    pub fn reset_request_stats(&self) {
        self.app.requests.reset();
    }

    /// Replaces the fault plan (its request sequences restart).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.app.faults.set_plan(seeded(plan, self.seed));
    }

    /// The whole state.
    pub fn dump(&self) -> StateDump {
        self.app.dump()
    }

    /// How many `entity` records exist: `leads`, `contacts`, `companies`, `tasks`, `notes`, `webhooks`, `links`.
    pub fn count(&self, entity: &str) -> usize {
        self.app.state().count(entity)
    }

    /// One lead, contact or company (`entity` = `leads`|`contacts`|`companies`) as the API renders it.
    pub fn entity(&self, entity: &str, id: i64) -> Option<Value> {
        let kind = Kind::parse(entity)?;
        let state = self.app.state();
        let with: BTreeSet<String> = ["contacts", "leads"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        state
            .entities(kind)
            .get(&id)
            .map(|e| state.render_entity(kind, e, &with))
    }

    /// Revokes every code and token, including the long-lived one (the integration was deactivated).
    pub fn revoke_all_tokens(&self) {
        self.app.oauth().revoke_all();
    }

    /// Revokes one access, refresh or long-lived token and its pair; `false` if unknown.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.app.oauth().revoke(token)
    }

    /// Blocks every client (403 for everything) or lifts that block.
    pub fn set_blocked(&self, blocked: bool) {
        self.app.limiter.set_block_everyone(blocked);
    }

    /// Lifts every block, including those earned by repeated 429s.
    pub fn unblock_all(&self) {
        self.app.limiter.unblock_all();
    }

    /// Makes every API call answer `429` with a `retry_after` counting down from `wait` on the emulator's clock, as
    /// amoCRM does after a violation (its documented body says 300 s).
    pub fn rate_limit_for(&self, wait: Duration) {
        let wait = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
        let until = self.app.clock.now_millis().saturating_add(wait);
        self.app.penalty_until_ms.store(until, Ordering::SeqCst);
    }

    /// Moves the account to a new subdomain, as an admin renaming it does: requests to a host naming the old one
    /// (`old.amocrm.ru`) answer `404` from now on, and `GET /oauth2/account/subdomain` names the new one.
    pub fn rename_subdomain(&self, subdomain: &str) {
        subdomain.clone_into(&mut self.app.state().subdomain);
    }

    /// Makes every API call answer 402 Payment Required (or stops doing so).
    pub fn set_payment_required(&self, required: bool) {
        self.app.payment_required.store(required, Ordering::SeqCst);
    }

    /// Waits until every queued webhook has been delivered or has failed.
    pub async fn flush_webhooks(&self) {
        self.app.webhooks.flush().await;
    }

    /// Stops the server (in-flight requests get a short grace period).
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// Waits until the server stops.
    pub async fn wait(self) {
        self.server.wait().await;
    }
}

fn seeded(mut plan: FaultPlan, seed: u64) -> FaultPlan {
    plan.seed ^= seed;
    plan
}

#[cfg(test)]
mod tests;
