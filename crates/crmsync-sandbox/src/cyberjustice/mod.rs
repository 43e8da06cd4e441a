//! The CyberJustice court-case monitoring emulator, following `docs/cyberjustice-api.md`.
//!
//! A catalogue of cases plays the court's site: unknown numbers are `not_found`, a catalogue case answers
//! `accepted` to its first `accepted_polls` retrieves and `found` afterwards. The emulator enforces the API key,
//! the monitoring limit and the rate limit, generates case events on request, counts requests per route and
//! injects faults from a [`FaultPlan`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), crmsync_sandbox::SandboxError> {
//! use crmsync_sandbox::cyberjustice::{CyberJusticeEmulator, CyberJusticeFixture, EmulatorConfig, FixtureCase};
//! let emulator = CyberJusticeEmulator::start(EmulatorConfig {
//!     fixture: CyberJusticeFixture {
//!         cases: vec![FixtureCase::new("А40-1/2024").accepted_for(1)],
//!         ..CyberJusticeFixture::default()
//!     },
//!     ..EmulatorConfig::default()
//! })
//! .await?;
//! // Point a client at emulator.base_url() with `X-Api-Key: sandbox-key`.
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

pub mod fixture;
mod http;
mod state;
mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crmsync_domain::CaseNumber;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use fixture::{CyberJusticeFixture, FixtureCase, FixtureEvent, FixtureMonitored};
pub use state::RetrievalCounts;

use self::state::CjState;
use self::wire::CyberJusticeLimitResponder;
use crate::faults::{FaultCounts, FaultInjector, FaultPlan};
use crate::ratelimit::{RateLimitConfig, RateLimiter};
use crate::server::{self, ServerHandle};
use crate::stats::{RequestStats, RouteStats};
use crate::{SandboxClock, SandboxError};

/// The API key [`EmulatorConfig::default`] accepts.
pub const DEFAULT_API_KEY: &str = "sandbox-key";

/// Kinds of the events the emulator generates, in rotation.
const EVENT_KINDS: &[(&str, &str)] = &[
    ("Определение", "О назначении судебного заседания"),
    ("Определение", "Об отложении судебного разбирательства"),
    ("Ходатайство", "Об ознакомлении с материалами дела"),
    ("Решение", "Резолютивная часть решения"),
    ("Определение", "О продлении срока процедуры"),
];

/// How an emulated account behaves. `Default`: key `sandbox-key`, limit 500, 1 request/s, no faults, real clock.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The accepted API key.
    pub api_key: String,
    /// The monitoring limit.
    pub limit: usize,
    /// Most requests per client in any [`rate_limit_window`](Self::rate_limit_window); `None` disables it.
    pub rate_limit_per_s: Option<u32>,
    /// The sliding window of the rate limit (1 s).
    pub rate_limit_window: Duration,
    /// What `accepted` answers suggest as `retry_after_s`.
    pub accepted_retry_after_s: u64,
    /// Faults to inject.
    pub faults: FaultPlan,
    /// Mixed into the fault plan's seed.
    pub seed: u64,
    /// What the account starts with.
    pub fixture: CyberJusticeFixture,
    /// The clock of `added_at` and event dates.
    pub clock: SandboxClock,
    /// Where to listen; `127.0.0.1:0` picks a free loopback port.
    pub addr: SocketAddr,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            limit: 500,
            rate_limit_per_s: Some(1),
            rate_limit_window: Duration::from_secs(1),
            accepted_retry_after_s: 3600,
            faults: FaultPlan::none(),
            seed: 0,
            fixture: CyberJusticeFixture::default(),
            clock: SandboxClock::real(),
            addr: server::loopback_any_port(),
        }
    }
}

/// Counters for tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CyberJusticeStats {
    /// Requests and response statuses per route key (`"PUT /api/v1/monitoring/cases"`).
    pub routes: BTreeMap<String, RouteStats>,
    /// All requests received.
    pub requests_total: u64,
    /// 429 responses served by the rate limiter.
    pub rate_limited: u64,
    /// Injected faults per route key.
    pub faults: BTreeMap<String, FaultCounts>,
    /// Retrieval answers by status.
    pub retrievals: RetrievalCounts,
}

impl CyberJusticeStats {
    /// Requests received on `route` (a route key such as `"POST /api/v1/cases/retrieve"`).
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

/// The shared state behind the routes.
pub(crate) struct App {
    state: Mutex<CjState>,
    api_key: String,
    accepted_retry_after_s: u64,
    clock: SandboxClock,
    limiter: Arc<RateLimiter>,
    faults: Arc<FaultInjector>,
    requests: Arc<RequestStats>,
    generated: Mutex<u64>,
}

impl App {
    fn state(&self) -> MutexGuard<'_, CjState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stats(&self) -> CyberJusticeStats {
        let routes = self.requests.snapshot();
        CyberJusticeStats {
            requests_total: routes.values().map(|r| r.requests).sum(),
            routes,
            rate_limited: self.limiter.served_429(),
            faults: self.faults.counts(),
            retrievals: self.state().retrievals.clone(),
        }
    }

    fn dump(&self) -> Value {
        let state = self.state();
        json!({ "limit": state.limit, "monitored": state.all_entries() })
    }

    /// Adds `count` events dated now to a catalogue case; `None` when the case is not in the catalogue.
    fn add_events(&self, number: &CaseNumber, count: u32) -> Option<Vec<i64>> {
        let now = self.clock.now_millis();
        let mut generated = self
            .generated
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut state = self.state();
        let mut ids = Vec::new();
        for _ in 0..count {
            let index = usize::try_from(*generated % EVENT_KINDS.len() as u64).unwrap_or(0);
            let (kind, description) = EVENT_KINDS.get(index).copied().unwrap_or(EVENT_KINDS[0]);
            ids.push(state.add_event(number, now, kind, Some(description))?);
            *generated += 1;
        }
        Some(ids)
    }
}

/// A running CyberJustice emulator. Dropping it stops the server; prefer [`shutdown`](Self::shutdown).
pub struct CyberJusticeEmulator {
    app: Arc<App>,
    server: ServerHandle,
    seed: u64,
}

impl std::fmt::Debug for CyberJusticeEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CyberJusticeEmulator")
            .field("addr", &self.server.local_addr())
            .finish_non_exhaustive()
    }
}

impl CyberJusticeEmulator {
    /// Loads the fixture and starts serving on `config.addr` (a free loopback port by default).
    pub async fn start(config: EmulatorConfig) -> Result<Self, SandboxError> {
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
                reason: "must be at least 1 (use None to disable the limit)".to_owned(),
            });
        }
        if config.api_key.is_empty() {
            return Err(SandboxError::Config {
                field: "api_key",
                reason: "must not be empty".to_owned(),
            });
        }
        let state = CjState::from_fixture(config.fixture, config.limit)?;
        let listener = server::bind(config.addr).await?;
        let limiter = Arc::new(RateLimiter::new(config.rate_limit_per_s.map(|n| {
            RateLimitConfig {
                max_requests: n,
                window: config.rate_limit_window,
                block_after_violations: 0,
                violation_window: Duration::from_secs(60),
            }
        })));
        let mut plan = config.faults;
        plan.seed ^= config.seed;
        let faults = Arc::new(FaultInjector::new(plan));
        let requests = Arc::new(RequestStats::new());
        let app = Arc::new(App {
            state: Mutex::new(state),
            api_key: config.api_key,
            accepted_retry_after_s: config.accepted_retry_after_s,
            clock: config.clock,
            limiter: Arc::clone(&limiter),
            faults: Arc::clone(&faults),
            requests: Arc::clone(&requests),
            generated: Mutex::new(0),
        });
        let router = http::router(Arc::clone(&app));
        let router = faults.layer(router);
        let router = limiter.layer(router, Arc::new(CyberJusticeLimitResponder));
        let router = requests.layer(router);
        let server = server::serve(router, listener)?;
        tracing::info!(addr = %server.local_addr(), "CyberJustice emulator listening");
        Ok(Self {
            app,
            server,
            seed: config.seed,
        })
    }

    /// `http://127.0.0.1:PORT`; clients append `/api/v1/...`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The emulator's clock.
    pub fn clock(&self) -> &SandboxClock {
        &self.app.clock
    }

    /// Counters of requests, limits, faults and retrievals.
    pub fn stats(&self) -> CyberJusticeStats {
        self.app.stats()
    }

    /// Forgets request and status counters (fault counts and retrieval counts are kept).
    pub fn reset_request_stats(&self) {
        self.app.requests.reset();
    }

    /// Replaces the fault plan (its request sequences restart).
    pub fn set_faults(&self, mut plan: FaultPlan) {
        plan.seed ^= self.seed;
        self.app.faults.set_plan(plan);
    }

    /// The monitored cases, canonical, in list order.
    pub fn monitored(&self) -> Vec<String> {
        self.app.state().monitored_numbers()
    }

    /// How many cases are monitored.
    pub fn monitored_count(&self) -> usize {
        self.app.state().monitored_count()
    }

    /// The monitored entries as the list endpoint renders them.
    pub fn dump(&self) -> Value {
        self.app.dump()
    }

    /// Adds `count` events dated now to catalogue case `number`; their ids, or `None` when the number is invalid
    /// or not in the catalogue.
    pub fn add_events(&self, number: &str, count: u32) -> Option<Vec<i64>> {
        let number = CaseNumber::parse(number).ok()?;
        self.app.add_events(&number, count)
    }

    /// Adds a case to the catalogue ("it appeared on the court's site"); `false` when invalid or already there.
    pub fn add_case(&self, number: &str, accepted_polls: u32) -> bool {
        CaseNumber::parse(number)
            .map(|n| self.app.state().add_case(n, accepted_polls))
            .unwrap_or(false)
    }

    /// Stops the server (in-flight requests get a short grace period).
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

#[cfg(test)]
mod tests;
