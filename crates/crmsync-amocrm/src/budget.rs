//! The request budget every request of a client draws from: one slot per request, and the pause amoCRM asks
//! for with a long `429`. The default lives in the process; a shared one (Redis) spreads both over processes.

use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::config::RateLimit;

/// Where a client takes its request slots and records the pause after a `429`.
///
/// amoCRM allows 7 requests per second per IP and, when a `429` says `retry_after: 300`, expects nothing from the
/// integration for that long; repeated `429`s end in a `403` block of the whole account. Every sender sharing an
/// IP or an account must therefore draw from one budget: a client and its clones share one by construction;
/// several processes share one by passing the same implementation (for example a Redis-backed one) to
/// [`AmoCrmClientBuilder::budget`](crate::AmoCrmClientBuilder::budget).
///
/// Contract:
/// - [`acquire`](Self::acquire) returns when one request may be sent now; the client calls it once per HTTP
///   request (token requests included), after any pause has passed.
/// - [`pause_until`](Self::pause_until) records that amoCRM asked for silence until `until`; it never shortens a
///   pause already in force.
/// - [`paused_until`](Self::paused_until) returns the end of the pause in force (a time in the past means none);
///   the client compares it with its own clock and either waits (up to `RetryPolicy::max_rate_limit_wait`) or
///   fails the call with `CrmError::RateLimited` without sending.
///
/// The methods are infallible: an implementation that loses its shared store should keep a local limit (and log
/// it) rather than stop every request.
#[async_trait]
pub trait RequestBudget: Send + Sync + 'static {
    /// Waits for one request slot.
    async fn acquire(&self);
    /// Holds every sender back until `until` (keeping a later pause already recorded).
    async fn pause_until(&self, until: SystemTime);
    /// The end of the pause in force, if one was recorded.
    async fn paused_until(&self) -> Option<SystemTime>;
}

/// The default budget: a `governor` limiter at the client's [`RateLimit`] and a pause kept in memory, shared by a
/// client and its clones (and by any other client given the same `Arc`).
pub struct InProcessBudget {
    limiter: DefaultDirectRateLimiter,
    pause: Mutex<Option<SystemTime>>,
}

impl std::fmt::Debug for InProcessBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessBudget")
            .field("paused_until", &self.current_pause())
            .finish_non_exhaustive()
    }
}

impl InProcessBudget {
    /// A budget sending at `rate`.
    pub fn new(rate: RateLimit) -> Self {
        let quota = Quota::with_period(rate.interval())
            .unwrap_or_else(|| Quota::per_second(rate.per_second))
            .allow_burst(rate.burst);
        Self {
            limiter: RateLimiter::direct(quota),
            pause: Mutex::new(None),
        }
    }

    fn current_pause(&self) -> Option<SystemTime> {
        *self.pause.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl RequestBudget for InProcessBudget {
    async fn acquire(&self) {
        self.limiter.until_ready().await;
    }

    async fn pause_until(&self, until: SystemTime) {
        let mut pause = self.pause.lock().unwrap_or_else(PoisonError::into_inner);
        if pause.is_none_or(|current| current < until) {
            *pause = Some(until);
        }
    }

    async fn paused_until(&self) -> Option<SystemTime> {
        self.current_pause()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_pause_is_never_shortened() {
        let budget = InProcessBudget::new(RateLimit::default());
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(budget.paused_until().await, None);
        budget.pause_until(base + Duration::from_secs(300)).await;
        budget.pause_until(base + Duration::from_secs(10)).await;
        assert_eq!(
            budget.paused_until().await,
            Some(base + Duration::from_secs(300))
        );
        budget.pause_until(base + Duration::from_secs(400)).await;
        assert_eq!(
            budget.paused_until().await,
            Some(base + Duration::from_secs(400))
        );
    }
}
