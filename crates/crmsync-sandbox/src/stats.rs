//! Request statistics per route (requests, responses by status) and the route key every layer uses.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use serde::{Deserialize, Serialize};

/// The key a request is counted under: the method and the path with numeric segments replaced by `{id}`,
/// e.g. `GET /api/v4/leads/{id}`.
pub fn route_key(method: &Method, path: &str) -> String {
    let mut key = String::with_capacity(method.as_str().len() + path.len() + 1);
    key.push_str(method.as_str());
    key.push(' ');
    let mut first = true;
    for segment in path.split('/') {
        if !first {
            key.push('/');
        }
        first = false;
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            key.push_str("{id}");
        } else {
            key.push_str(segment);
        }
    }
    key
}

/// What one route saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteStats {
    /// Requests received (including those whose connection was dropped before a response).
    pub requests: u64,
    /// Responses sent, by HTTP status code.
    pub statuses: BTreeMap<u16, u64>,
}

/// A thread-safe recorder of [`RouteStats`] per route key.
#[derive(Debug, Default)]
pub struct RequestStats {
    routes: Mutex<BTreeMap<String, RouteStats>>,
    received: AtomicU64,
}

tokio::task_local! {
    static REQUEST_NUMBER: u64;
}

/// The number (1-based, over every route, in arrival order) [`RequestStats::layer`] gave the request being
/// handled, if a handler runs behind that layer.
pub fn current_request_number() -> Option<u64> {
    REQUEST_NUMBER.try_with(|number| *number).ok()
}

impl RequestStats {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a request to `route`; its number over every route since the recorder was made (1-based).
    pub fn record_request(&self, route: &str) -> u64 {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        routes.entry(route.to_owned()).or_default().requests += 1;
        self.received.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Requests received over every route since the recorder was made ([`Self::reset`] keeps this count).
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Counts a response with `status` on `route`.
    pub fn record_response(&self, route: &str, status: u16) {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        *routes
            .entry(route.to_owned())
            .or_default()
            .statuses
            .entry(status)
            .or_insert(0) += 1;
    }

    /// A copy of the counters.
    pub fn snapshot(&self) -> BTreeMap<String, RouteStats> {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Responses with `status` over all routes.
    pub fn status_total(&self, status: u16) -> u64 {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter_map(|r| r.statuses.get(&status))
            .sum()
    }

    /// Forgets everything.
    pub fn reset(&self) {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Wraps `router` so that every request and response is counted here; a handler reads the number of its
    /// request with [`current_request_number`].
    pub fn layer(self: &Arc<Self>, router: Router) -> Router {
        router.layer(middleware::from_fn_with_state(Arc::clone(self), record))
    }
}

async fn record(State(stats): State<Arc<RequestStats>>, request: Request, next: Next) -> Response {
    let route = route_key(request.method(), request.uri().path());
    let number = stats.record_request(&route);
    let response = REQUEST_NUMBER.scope(number, next.run(request)).await;
    stats.record_response(&route, response.status().as_u16());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys_replace_numeric_segments() {
        assert_eq!(
            route_key(&Method::GET, "/api/v4/leads/123/notes"),
            "GET /api/v4/leads/{id}/notes"
        );
        assert_eq!(
            route_key(&Method::POST, "/api/v4/leads"),
            "POST /api/v4/leads"
        );
        assert_eq!(
            route_key(&Method::GET, "/api/v4/leads/pipelines/7/statuses/142"),
            "GET /api/v4/leads/pipelines/{id}/statuses/{id}"
        );
    }

    #[test]
    fn counts_requests_and_statuses() {
        let stats = RequestStats::new();
        assert_eq!(stats.record_request("GET /a"), 1);
        assert_eq!(stats.record_request("GET /a"), 2);
        stats.record_response("GET /a", 200);
        stats.record_response("GET /a", 429);
        stats.record_response("GET /b", 429);
        let snap = stats.snapshot();
        assert_eq!(snap["GET /a"].requests, 2);
        assert_eq!(snap["GET /a"].statuses[&200], 1);
        assert_eq!(stats.status_total(429), 2);
        assert_eq!(stats.received(), 2);
        stats.reset();
        assert!(stats.snapshot().is_empty());
    }
}
