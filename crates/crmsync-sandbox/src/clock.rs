//! A controllable clock: real time, or manual time that moves only when told to.
//!
//! Emulators read "now" from a [`SandboxClock`] for everything that expires (OAuth codes and tokens) and for
//! entity timestamps, so tests can move time forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A cloneable clock shared by an emulator and its tests. Clones see the same time.
#[derive(Clone, Debug)]
pub struct SandboxClock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    manual: AtomicBool,
    /// Real mode: milliseconds added to the system time. Manual mode: the current time in unix milliseconds.
    millis: AtomicI64,
}

impl Default for SandboxClock {
    fn default() -> Self {
        Self::real()
    }
}

impl SandboxClock {
    /// A clock that follows the system time (plus whatever [`advance`](Self::advance) added).
    pub fn real() -> Self {
        Self::with(false, 0)
    }

    /// A clock frozen at `unix_secs` that moves only through [`advance`](Self::advance) and [`set`](Self::set).
    pub fn manual(unix_secs: i64) -> Self {
        Self::with(true, unix_secs.saturating_mul(1000))
    }

    /// A manual clock frozen at the current system time.
    pub fn manual_at_now() -> Self {
        Self::with(true, system_millis())
    }

    fn with(manual: bool, millis: i64) -> Self {
        Self {
            inner: Arc::new(ClockInner {
                manual: AtomicBool::new(manual),
                millis: AtomicI64::new(millis),
            }),
        }
    }

    /// Whether the clock is manual.
    pub fn is_manual(&self) -> bool {
        self.inner.manual.load(Ordering::SeqCst)
    }

    /// Now, in unix milliseconds.
    pub fn now_millis(&self) -> i64 {
        let millis = self.inner.millis.load(Ordering::SeqCst);
        if self.is_manual() {
            millis
        } else {
            system_millis().saturating_add(millis)
        }
    }

    /// Now, in unix seconds (what amoCRM puts in `created_at`, `updated_at`, `server_time`).
    pub fn now_unix(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Moves the clock forward by `by` (in both modes).
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.inner.millis.fetch_add(by, Ordering::SeqCst);
    }

    /// Switches to manual mode, frozen at `unix_secs`.
    pub fn set(&self, unix_secs: i64) {
        self.inner.manual.store(true, Ordering::SeqCst);
        self.inner
            .millis
            .store(unix_secs.saturating_mul(1000), Ordering::SeqCst);
    }
}

fn system_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = SandboxClock::manual(1_700_000_000);
        assert_eq!(clock.now_unix(), 1_700_000_000);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now_unix(), 1_700_000_090);
        let clone = clock.clone();
        clone.advance(Duration::from_millis(1500));
        assert_eq!(clock.now_millis(), 1_700_000_091_500);
    }

    #[test]
    fn real_clock_advance_adds_an_offset() {
        let clock = SandboxClock::real();
        let before = clock.now_unix();
        clock.advance(Duration::from_secs(86_400));
        assert!(clock.now_unix() >= before + 86_400);
        assert!(!clock.is_manual());
        clock.set(5);
        assert!(clock.is_manual());
        assert_eq!(clock.now_unix(), 5);
    }
}
