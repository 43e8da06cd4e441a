//! A per-client sliding-window rate limiter: more than N requests in any window → 429; repeated violations →
//! the client is blocked and gets 403 for everything.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::server::{CONTROL_PREFIX, PeerAddr};

/// Limits of a [`RateLimiter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Most requests accepted from one client in any `window`.
    pub max_requests: u32,
    /// The sliding window (1 s for amoCRM).
    pub window: Duration,
    /// After this many 429s within `violation_window`, the client is blocked (0 = never block).
    pub block_after_violations: u32,
    /// The window in which violations are counted.
    pub violation_window: Duration,
}

impl RateLimitConfig {
    /// `max_requests` per second, blocking after 20 violations within a minute.
    pub fn per_second(max_requests: u32) -> Self {
        Self {
            max_requests,
            window: Duration::from_secs(1),
            block_after_violations: 20,
            violation_window: Duration::from_secs(60),
        }
    }
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it.
    Allow,
    /// Answer 429; a slot frees up after `retry_after`.
    TooMany {
        /// Time until the oldest request in the window leaves it.
        retry_after: Duration,
    },
    /// Answer 403: the client is blocked.
    Blocked,
}

#[derive(Debug, Default)]
struct ClientWindow {
    accepted: VecDeque<Instant>,
    violations: VecDeque<Instant>,
    blocked: bool,
}

/// Builds the 429 and 403 responses of an emulator.
pub trait LimitResponder: Send + Sync + 'static {
    /// The 429 response.
    fn too_many(&self, retry_after: Duration) -> Response;
    /// The 403 response of a blocked client.
    fn blocked(&self) -> Response;
}

/// A sliding-window limiter keyed by client IP address.
#[derive(Debug)]
pub struct RateLimiter {
    config: Option<RateLimitConfig>,
    clients: Mutex<HashMap<IpAddr, ClientWindow>>,
    block_everyone: AtomicBool,
    served_429: AtomicU64,
    served_403: AtomicU64,
}

impl RateLimiter {
    /// A limiter; `None` limits nothing (blocking can still be switched on by hand).
    pub fn new(config: Option<RateLimitConfig>) -> Self {
        Self {
            config,
            clients: Mutex::new(HashMap::new()),
            block_everyone: AtomicBool::new(false),
            served_429: AtomicU64::new(0),
            served_403: AtomicU64::new(0),
        }
    }

    /// Decides about one request from `client` arriving at `now`, and counts 429/403 verdicts.
    pub fn check(&self, client: IpAddr, now: Instant) -> Verdict {
        let verdict = self.decide(client, now);
        match verdict {
            Verdict::Allow => {}
            Verdict::TooMany { .. } => {
                self.served_429.fetch_add(1, Ordering::Relaxed);
            }
            Verdict::Blocked => {
                self.served_403.fetch_add(1, Ordering::Relaxed);
            }
        }
        verdict
    }

    fn decide(&self, client: IpAddr, now: Instant) -> Verdict {
        if self.block_everyone.load(Ordering::SeqCst) {
            return Verdict::Blocked;
        }
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let window = clients.entry(client).or_default();
        if window.blocked {
            return Verdict::Blocked;
        }
        let Some(config) = &self.config else {
            return Verdict::Allow;
        };
        while window
            .accepted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= config.window)
        {
            window.accepted.pop_front();
        }
        let limit = usize::try_from(config.max_requests).unwrap_or(usize::MAX);
        if window.accepted.len() < limit {
            window.accepted.push_back(now);
            return Verdict::Allow;
        }
        while window
            .violations
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= config.violation_window)
        {
            window.violations.pop_front();
        }
        window.violations.push_back(now);
        let block_after = usize::try_from(config.block_after_violations).unwrap_or(usize::MAX);
        if config.block_after_violations > 0 && window.violations.len() > block_after {
            window.blocked = true;
            return Verdict::Blocked;
        }
        let retry_after = window
            .accepted
            .front()
            .map(|oldest| {
                config
                    .window
                    .saturating_sub(now.saturating_duration_since(*oldest))
            })
            .unwrap_or(config.window);
        Verdict::TooMany { retry_after }
    }

    /// Blocks (`true`) or unblocks (`false`) every client at once, as an account-wide block would.
    pub fn set_block_everyone(&self, blocked: bool) {
        self.block_everyone.store(blocked, Ordering::SeqCst);
    }

    /// Lifts every block and forgets every window.
    pub fn unblock_all(&self) {
        self.block_everyone.store(false, Ordering::SeqCst);
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Whether `client` is blocked.
    pub fn is_blocked(&self, client: IpAddr) -> bool {
        self.block_everyone.load(Ordering::SeqCst)
            || self
                .clients
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&client)
                .is_some_and(|w| w.blocked)
    }

    /// 429s served so far.
    pub fn served_429(&self) -> u64 {
        self.served_429.load(Ordering::Relaxed)
    }

    /// 403s served so far (to blocked clients).
    pub fn served_403(&self) -> u64 {
        self.served_403.load(Ordering::Relaxed)
    }

    /// Wraps `router` so that requests (except control routes under [`CONTROL_PREFIX`]) are limited, with
    /// `responder` building the 429 and 403 answers.
    pub fn layer(self: &Arc<Self>, router: Router, responder: Arc<dyn LimitResponder>) -> Router {
        let state = LimitState {
            limiter: Arc::clone(self),
            responder,
        };
        router.layer(middleware::from_fn_with_state(state, limit))
    }
}

#[derive(Clone)]
struct LimitState {
    limiter: Arc<RateLimiter>,
    responder: Arc<dyn LimitResponder>,
}

async fn limit(State(state): State<LimitState>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(CONTROL_PREFIX) {
        return next.run(request).await;
    }
    let client = request
        .extensions()
        .get::<PeerAddr>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |p| p.0.ip());
    match state.limiter.check(client, Instant::now()) {
        Verdict::Allow => next.run(request).await,
        Verdict::TooMany { retry_after } => state.responder.too_many(retry_after),
        Verdict::Blocked => state.responder.blocked(),
    }
}

#[cfg(test)]
mod tests;
