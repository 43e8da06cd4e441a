//! Deterministic fault injection: per-route probabilities of 500/502/504, slow responses, hangs past the
//! client's timeout and dropped connections, reproducible from a seed, applied as an axum layer.
//!
//! The n-th request to a route gets the same fault for the same plan, whatever else runs at the same time:
//! each decision is a hash of (seed, route, n), not a draw from a shared generator.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::rng::{mix, stable_hash, unit_f64};
use crate::server::{CONTROL_PREFIX, ConnectionControl};
use crate::stats::route_key;

/// Probabilities (each in `[0, 1]`, summing to at most 1) of each fault for one route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultRates {
    /// Answer 500 (amoCRM JSON body).
    pub error_500: f64,
    /// Answer 502 (nginx HTML page).
    pub error_502: f64,
    /// Answer 504 (nginx HTML page).
    pub error_504: f64,
    /// Wait [`FaultPlan::slow_delay_ms`] before handling the request normally.
    pub slow: f64,
    /// Hang for [`FaultPlan::hang_ms`] (past the client's timeout), then answer 504.
    pub timeout: f64,
    /// Close the connection without answering.
    pub drop: f64,
    /// Of the 5xx, timeout and drop faults, the share injected *after* the request was processed (the state
    /// changed, the response is lost): this is what makes a create's outcome unknown to the client.
    pub after_processing: f64,
}

impl FaultRates {
    /// The same probability `p` spread evenly over 500, 502, 504, timeout and drop (p/5 each).
    pub fn spread(p: f64) -> Self {
        let each = p / 5.0;
        Self {
            error_500: each,
            error_502: each,
            error_504: each,
            timeout: each,
            drop: each,
            ..Self::default()
        }
    }

    fn total(&self) -> f64 {
        self.error_500 + self.error_502 + self.error_504 + self.slow + self.timeout + self.drop
    }

    fn validate(&self, route: &str) -> Result<(), String> {
        let all = [
            ("error_500", self.error_500),
            ("error_502", self.error_502),
            ("error_504", self.error_504),
            ("slow", self.slow),
            ("timeout", self.timeout),
            ("drop", self.drop),
            ("after_processing", self.after_processing),
        ];
        for (name, p) in all {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{route}.{name} must be within 0..=1, got {p}"));
            }
        }
        if self.total() > 1.0 + 1e-9 {
            return Err(format!(
                "{route}: fault probabilities add up to more than 1"
            ));
        }
        Ok(())
    }
}

/// Which faults to inject where. `routes` keys are route keys (`"POST /api/v4/contacts"`, numeric path
/// segments written `{id}`) or bare paths (`"/api/v4/contacts"`, any method); other routes use `default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// Seed of every decision.
    pub seed: u64,
    /// Rates of routes not named in `routes`.
    pub default: FaultRates,
    /// Rates per route key or path.
    pub routes: BTreeMap<String, FaultRates>,
    /// Delay of a slow response, in milliseconds.
    pub slow_delay_ms: u64,
    /// How long a timeout fault hangs before answering 504, in milliseconds.
    pub hang_ms: u64,
    /// Exact faults for the first requests of a route (route key or bare path): entry n is what the n-th request
    /// gets (`null` = none); requests past the script fall back to the rates.
    pub script: BTreeMap<String, Vec<Option<Injection>>>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self::none()
    }
}

impl FaultPlan {
    /// No faults at all.
    pub fn none() -> Self {
        Self {
            seed: 0,
            default: FaultRates::default(),
            routes: BTreeMap::new(),
            slow_delay_ms: 1_500,
            hang_ms: 30_000,
            script: BTreeMap::new(),
        }
    }

    /// The same `rates` on every route.
    pub fn uniform(seed: u64, rates: FaultRates) -> Self {
        Self {
            seed,
            default: rates,
            ..Self::none()
        }
    }

    /// Sets the rates of one route (a route key such as `"POST /api/v4/leads"` or a bare path).
    pub fn with_route(mut self, route: &str, rates: FaultRates) -> Self {
        self.routes.insert(route.to_owned(), rates);
        self
    }

    /// Scripts the first requests of a route: the n-th gets `steps[n]`.
    pub fn with_script(mut self, route: &str, steps: Vec<Option<Injection>>) -> Self {
        self.script.insert(route.to_owned(), steps);
        self
    }

    /// Sets the hang of timeout faults.
    pub fn with_hang(mut self, hang: Duration) -> Self {
        self.hang_ms = u64::try_from(hang.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Sets the delay of slow responses.
    pub fn with_slow_delay(mut self, delay: Duration) -> Self {
        self.slow_delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Checks every probability; the error names the route and field.
    pub fn validate(&self) -> Result<(), String> {
        self.default.validate("default")?;
        for (route, rates) in &self.routes {
            rates.validate(route)?;
        }
        Ok(())
    }

    /// Whether any fault can happen.
    pub fn is_active(&self) -> bool {
        self.default.total() > 0.0
            || self.routes.values().any(|r| r.total() > 0.0)
            || self
                .script
                .values()
                .any(|steps| steps.iter().any(Option::is_some))
    }

    fn rates_for(&self, route: &str) -> &FaultRates {
        if let Some(rates) = self.routes.get(route) {
            return rates;
        }
        let path = route.split_once(' ').map_or(route, |(_, path)| path);
        self.routes.get(path).unwrap_or(&self.default)
    }

    /// The fault for the `n`-th (0-based) request to `route`, if any.
    pub fn decide(&self, route: &str, n: u64) -> Option<Injection> {
        let path = route.split_once(' ').map_or(route, |(_, path)| path);
        if let Some(steps) = self.script.get(route).or_else(|| self.script.get(path))
            && let Some(step) = usize::try_from(n).ok().and_then(|i| steps.get(i))
        {
            return *step;
        }
        let rates = self.rates_for(route);
        if rates.total() <= 0.0 {
            return None;
        }
        let base = mix(self.seed ^ stable_hash(route).rotate_left(17) ^ mix(n));
        let roll = unit_f64(base);
        let timing_roll = unit_f64(mix(base ^ 0xA5A5_A5A5_A5A5_A5A5));
        let after = timing_roll < rates.after_processing;
        let kinds = [
            (rates.error_500, Fault::Error500),
            (rates.error_502, Fault::Error502),
            (rates.error_504, Fault::Error504),
            (rates.slow, Fault::Slow),
            (rates.timeout, Fault::Timeout),
            (rates.drop, Fault::Drop),
        ];
        let mut edge = 0.0;
        for (p, fault) in kinds {
            edge += p;
            if roll < edge {
                return Some(Injection {
                    fault,
                    after_processing: after && fault != Fault::Slow,
                });
            }
        }
        None
    }
}

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 500 Internal Server Error.
    #[serde(rename = "error_500")]
    Error500,
    /// 502 Bad Gateway.
    #[serde(rename = "error_502")]
    Error502,
    /// 504 Gateway Timeout.
    #[serde(rename = "error_504")]
    Error504,
    /// A slow but otherwise normal response.
    Slow,
    /// A hang past the client's timeout.
    Timeout,
    /// A closed connection without a response.
    Drop,
}

/// A decided fault and whether it happens after the request was processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Injection {
    /// The fault.
    pub fault: Fault,
    /// Whether the request is processed (state changed) before the fault replaces its response.
    #[serde(default)]
    pub after_processing: bool,
}

impl Injection {
    /// `fault` before the request is processed.
    pub fn before(fault: Fault) -> Option<Self> {
        Some(Self {
            fault,
            after_processing: false,
        })
    }

    /// `fault` after the request was processed (the change is made, the answer is lost).
    pub fn after(fault: Fault) -> Option<Self> {
        Some(Self {
            fault,
            after_processing: true,
        })
    }
}

/// How many faults of each kind were injected on one route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCounts {
    /// 500s injected.
    pub error_500: u64,
    /// 502s injected.
    pub error_502: u64,
    /// 504s injected.
    pub error_504: u64,
    /// Slow responses.
    pub slow: u64,
    /// Hangs.
    pub timeout: u64,
    /// Dropped connections.
    pub drop: u64,
    /// Of the above (except slow), how many came after the request had been processed.
    pub after_processing: u64,
}

impl FaultCounts {
    /// All injected faults.
    pub fn total(&self) -> u64 {
        self.error_500 + self.error_502 + self.error_504 + self.slow + self.timeout + self.drop
    }

    fn add(&mut self, injection: Injection) {
        match injection.fault {
            Fault::Error500 => self.error_500 += 1,
            Fault::Error502 => self.error_502 += 1,
            Fault::Error504 => self.error_504 += 1,
            Fault::Slow => self.slow += 1,
            Fault::Timeout => self.timeout += 1,
            Fault::Drop => self.drop += 1,
        }
        if injection.after_processing {
            self.after_processing += 1;
        }
    }
}

/// Applies a [`FaultPlan`] to requests and counts what it injected. Shared by an emulator and its layer.
#[derive(Debug, Default)]
pub struct FaultInjector {
    plan: RwLock<FaultPlan>,
    sequence: Mutex<HashMap<String, u64>>,
    counts: Mutex<BTreeMap<String, FaultCounts>>,
}

impl FaultInjector {
    /// An injector for `plan`.
    pub fn new(plan: FaultPlan) -> Self {
        Self {
            plan: RwLock::new(plan),
            ..Self::default()
        }
    }

    /// Replaces the plan and restarts every route's request sequence (counts are kept).
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.plan.write().unwrap_or_else(PoisonError::into_inner) = plan;
        self.sequence
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The current plan.
    pub fn plan(&self) -> FaultPlan {
        self.plan
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Injected faults per route key.
    pub fn counts(&self) -> BTreeMap<String, FaultCounts> {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Decides the fault of the next request to `route` and counts it.
    pub fn next(&self, route: &str) -> Option<(Injection, Duration, Duration)> {
        let plan = self.plan.read().unwrap_or_else(PoisonError::into_inner);
        if !plan.is_active() {
            return None;
        }
        let n = {
            let mut sequence = self.sequence.lock().unwrap_or_else(PoisonError::into_inner);
            let slot = sequence.entry(route.to_owned()).or_insert(0);
            let n = *slot;
            *slot += 1;
            n
        };
        let injection = plan.decide(route, n)?;
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(route.to_owned())
            .or_default()
            .add(injection);
        Some((
            injection,
            Duration::from_millis(plan.slow_delay_ms),
            Duration::from_millis(plan.hang_ms),
        ))
    }

    /// Wraps `router` so that requests (except control routes under [`CONTROL_PREFIX`]) get faults.
    pub fn layer(self: &Arc<Self>, router: Router) -> Router {
        router.layer(middleware::from_fn_with_state(Arc::clone(self), inject))
    }
}

async fn inject(
    State(injector): State<Arc<FaultInjector>>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with(CONTROL_PREFIX) {
        return next.run(request).await;
    }
    let route = route_key(request.method(), request.uri().path());
    let Some((injection, slow_delay, hang)) = injector.next(&route) else {
        return next.run(request).await;
    };
    tracing::debug!(route = %route, fault = ?injection.fault, after = injection.after_processing, "injecting fault");
    let control = request.extensions().get::<ConnectionControl>().cloned();
    if injection.fault == Fault::Slow {
        tokio::time::sleep(slow_delay).await;
        return next.run(request).await;
    }
    if injection.after_processing {
        let response = next.run(request).await;
        // Read the body so that the work behind a streamed body is done too, then discard it.
        let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    }
    match injection.fault {
        Fault::Error500 => error_500(),
        Fault::Error502 => nginx_page(StatusCode::BAD_GATEWAY),
        Fault::Error504 | Fault::Slow => nginx_page(StatusCode::GATEWAY_TIMEOUT),
        Fault::Timeout => {
            tokio::time::sleep(hang).await;
            nginx_page(StatusCode::GATEWAY_TIMEOUT)
        }
        Fault::Drop => match control {
            Some(control) => {
                control.drop_connection();
                std::future::pending::<Response>().await
            }
            None => nginx_page(StatusCode::BAD_GATEWAY),
        },
    }
}

fn error_500() -> Response {
    let body = serde_json::json!({
        "title": "ErrInternalServer",
        "type": "https://httpstatus.es/500",
        "status": 500,
        "detail": "Internal server error (injected by the sandbox)",
        "trace_id": uuid::Uuid::new_v4().simple().to_string(),
    });
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// An nginx-style HTML error page with `status`.
pub fn nginx_page(status: StatusCode) -> Response {
    let line = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let html = format!(
        "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html"),
    );
    response
}

#[cfg(test)]
mod tests;
