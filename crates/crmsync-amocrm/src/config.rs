//! Client settings: limits, timeouts, retries and batch sizes, with amoCRM's documented defaults.

use std::num::NonZeroU32;
use std::time::Duration;

/// The request budget of one client and all its clones.
///
/// amoCRM allows "not more than 7 requests per second" and blocks IPs that keep exceeding it. The limiter spaces
/// requests evenly (burst 1 by default) and adds `margin` to each interval, so a server that counts any 1-second
/// window never sees an eighth request despite network jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second.
    pub per_second: NonZeroU32,
    /// Requests that may go out back to back after an idle spell.
    pub burst: NonZeroU32,
    /// Extra spacing added to each interval, in per mille of the interval (50 = 5 %).
    pub margin_per_mille: u32,
}

impl RateLimit {
    /// `per_second` requests per second, burst 1, 5 % spacing margin; `None` for zero.
    pub fn per_second(per_second: u32) -> Option<Self> {
        Some(Self {
            per_second: NonZeroU32::new(per_second)?,
            burst: NonZeroU32::MIN,
            margin_per_mille: 50,
        })
    }

    /// The interval between two requests, margin included.
    pub fn interval(&self) -> Duration {
        let base = Duration::from_secs(1) / self.per_second.get();
        base + base * self.margin_per_mille / 1000
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: NonZeroU32::new(7).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::MIN,
            margin_per_mille: 50,
        }
    }
}

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request for 5xx and transport failures of reads and updates (1 = no retry).
    pub max_attempts: u32,
    /// The first backoff; each further one doubles, with jitter.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// How many `429` answers one request waits out before giving up with `RateLimited`.
    pub max_rate_limit_retries: u32,
    /// The longest single wait after a `429`; a longer `retry_after` ends the request with `RateLimited`.
    pub max_rate_limit_wait: Duration,
    /// The wait after a `429` that gave no `retry_after` (an HTML page, for example).
    pub default_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_rate_limit_retries: 3,
            max_rate_limit_wait: Duration::from_secs(60),
            default_rate_limit_wait: Duration::from_secs(1),
        }
    }
}

/// Connection and request deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Deadline to open a connection.
    pub connect: Duration,
    /// Deadline of a whole request, from sending to the last byte of the response.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(20),
        }
    }
}

/// The most entities amoCRM accepts in one write.
pub const MAX_BATCH: usize = 250;
/// The most leads amoCRM accepts in one complex add.
pub const MAX_COMPLEX_BATCH: usize = 50;
/// The most entities amoCRM returns per page.
pub const MAX_PAGE: u32 = 250;

/// How writes are chunked and lists paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// Entities per add/update request (clamped to 1..=250; amoCRM recommends 50).
    pub write_chunk: usize,
    /// Leads per complex add request (clamped to 1..=50).
    pub complex_chunk: usize,
    /// Entities per page when the filter names no limit (clamped to 1..=250).
    pub page_size: u32,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        Self {
            write_chunk: 50,
            complex_chunk: 50,
            page_size: MAX_PAGE,
        }
    }
}

impl BatchPolicy {
    pub(crate) fn write_chunk(&self) -> usize {
        self.write_chunk.clamp(1, MAX_BATCH)
    }

    pub(crate) fn complex_chunk(&self) -> usize {
        self.complex_chunk.clamp(1, MAX_COMPLEX_BATCH)
    }

    pub(crate) fn page_size(&self, requested: Option<u32>) -> u32 {
        requested.unwrap_or(self.page_size).clamp(1, MAX_PAGE)
    }
}

/// The largest response body the client reads by default: 32 MiB, far above a real 250-entity page (a page of
/// 250 leads with a dozen custom fields each is about 0.5 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// When an OAuth access token is refreshed before it expires.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);
