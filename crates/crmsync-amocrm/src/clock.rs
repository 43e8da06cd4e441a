//! The client's notion of "now": token expiry and the pause after a long `429` are measured on a [`Clock`], so
//! tests can move time instead of waiting.

use chrono::{DateTime, Utc};

/// Where the client reads the current time.
///
/// The default is [`SystemClock`]. Tests pass a clock they control (for example one that reads the emulator's
/// `SandboxClock`), so a 300-second pause or a 24-hour token can be crossed by moving the clock.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
