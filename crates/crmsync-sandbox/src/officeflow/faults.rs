//! Faults of the Officeflow API itself — `errcode` answers (`-1` busy, `45009` throttled, `48002`, `60020`),
//! expired tokens, gateway statuses and slow answers at chosen request numbers — behind one small trait.
//!
//! Transport faults shared by every emulator (500/502/504 pages, hangs past the client's timeout, dropped
//! connections) come from [`crate::faults`] and are set with
//! [`OfficeflowEmulator::set_transport_faults`](super::OfficeflowEmulator::set_transport_faults).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// What the emulator does instead of (or before) answering a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFault {
    /// Answer `errcode` with HTTP 200 (`-1` busy, `45009` throttled, `48002` forbidden, `60020` IP refused, ...).
    ErrCode(i64),
    /// Answer this HTTP status with a plain-text body (500, 502, 503, 504, 429 with `Retry-After: 0`, ...).
    Http(u16),
    /// Revoke the caller's token and answer `42001` (token expired).
    ExpireToken,
    /// Wait this long before answering normally (longer than the client's timeout: a timeout).
    Delay(Duration),
}

/// Decides, per request, whether a fault replaces the normal answer.
pub trait ApiFaultInjector: Send + Sync {
    /// The fault for request number `number` (1-based, over all endpoints) to `endpoint`, if any.
    fn on_request(&self, endpoint: &str, number: u64) -> Option<ApiFault>;
}

/// Never injects anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoApiFaults;

impl ApiFaultInjector for NoApiFaults {
    fn on_request(&self, _endpoint: &str, _number: u64) -> Option<ApiFault> {
        None
    }
}

/// Faults at fixed request numbers: `every` n-th request (offset `at`) gets `fault`. Deterministic, so a test
/// run with faults can be compared with a clean one.
#[derive(Debug, Clone, Default)]
pub struct ApiFaultSchedule {
    rules: Vec<(u64, u64, ApiFault)>,
}

impl ApiFaultSchedule {
    /// No faults yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests whose number `n` satisfies `n % every == at % every` get `fault`.
    #[must_use]
    pub fn every(mut self, every: u64, at: u64, fault: ApiFault) -> Self {
        if every > 0 {
            self.rules.push((every, at % every, fault));
        }
        self
    }

    /// A mix of every transient fault the client must ride out: throttling, busy, 5xx, gateway 429, expired
    /// tokens and one slow answer per `slow_every` requests delayed by `delay`.
    pub fn transient_mix(slow_every: u64, delay: Duration) -> Self {
        Self::new()
            .every(7, 3, ApiFault::ErrCode(45_009))
            .every(11, 5, ApiFault::ErrCode(-1))
            .every(13, 2, ApiFault::Http(503))
            .every(17, 9, ApiFault::Http(429))
            .every(19, 4, ApiFault::ExpireToken)
            .every(slow_every, 1, ApiFault::Delay(delay))
    }
}

impl ApiFaultInjector for ApiFaultSchedule {
    fn on_request(&self, _endpoint: &str, number: u64) -> Option<ApiFault> {
        self.rules
            .iter()
            .find(|(every, at, _)| number % every == *at)
            .map(|(_, _, fault)| fault.clone())
    }
}

/// Faults handed out in order to the next requests of an endpoint (or of any endpoint with `"*"`).
#[derive(Debug, Default)]
pub struct ScriptedApiFaults {
    queue: Mutex<VecDeque<(String, ApiFault)>>,
}

impl ScriptedApiFaults {
    /// Faults for the next requests: `(endpoint or "*", fault)`, used once each, in order.
    pub fn new(faults: impl IntoIterator<Item = (&'static str, ApiFault)>) -> Self {
        Self {
            queue: Mutex::new(
                faults
                    .into_iter()
                    .map(|(endpoint, fault)| (endpoint.to_owned(), fault))
                    .collect(),
            ),
        }
    }
}

impl ApiFaultInjector for ScriptedApiFaults {
    fn on_request(&self, endpoint: &str, _number: u64) -> Option<ApiFault> {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let position = queue
            .iter()
            .position(|(target, _)| target == "*" || target == endpoint)?;
        queue.remove(position).map(|(_, fault)| fault)
    }
}
