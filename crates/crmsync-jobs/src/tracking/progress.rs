//! `JournalProgress`: lock-free progress counters that the tracker flushes to the journal at each heartbeat.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use crmsync_domain::{Process, TransitionError};
use crmsync_ports::Progress;

const UNKNOWN: u64 = u64::MAX;

/// Progress of one run; also forwarded to an optional sink such as a progress bar.
pub struct JournalProgress {
    processed: AtomicU64,
    total: AtomicU64,
    message: Mutex<Option<String>>,
    sink: Option<Arc<dyn Progress>>,
}

impl std::fmt::Debug for JournalProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalProgress")
            .field("snapshot", &self.snapshot())
            .finish_non_exhaustive()
    }
}

/// A consistent-enough read of the counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressSnapshot {
    /// Units done.
    pub processed: u64,
    /// Units expected, if known.
    pub total: Option<u64>,
    /// Latest message.
    pub message: Option<String>,
}

impl JournalProgress {
    pub(crate) fn new(processed: u64, total: Option<u64>, sink: Option<Arc<dyn Progress>>) -> Self {
        if let Some(sink) = &sink {
            if let Some(total) = total {
                sink.set_total(total);
            }
            sink.advance(processed);
        }
        Self {
            processed: AtomicU64::new(processed),
            total: AtomicU64::new(total.unwrap_or(UNKNOWN)),
            message: Mutex::new(None),
            sink,
        }
    }

    /// Units done so far (including earlier attempts).
    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }

    /// Sets the absolute count of units done (for jobs that count from their checkpoint).
    pub fn set_processed(&self, processed: u64) {
        let before = self.processed.swap(processed, Ordering::Relaxed);
        if let Some(sink) = &self.sink {
            sink.advance(processed.saturating_sub(before));
        }
    }

    /// The current counters.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let total = self.total.load(Ordering::Relaxed);
        ProgressSnapshot {
            processed: self.processed(),
            total: (total != UNKNOWN).then_some(total),
            message: self
                .message
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }

    pub(crate) fn apply_to(
        &self,
        process: &mut Process,
        now: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        let snapshot = self.snapshot();
        process.progress(snapshot.processed, snapshot.total, snapshot.message, now)
    }
}

impl Progress for JournalProgress {
    fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        if let Some(sink) = &self.sink {
            sink.set_total(total);
        }
    }

    fn advance(&self, n: u64) {
        self.processed.fetch_add(n, Ordering::Relaxed);
        if let Some(sink) = &self.sink {
            sink.advance(n);
        }
    }

    fn message(&self, message: &str) {
        *self
            .message
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(message.to_owned());
        if let Some(sink) = &self.sink {
            sink.message(message);
        }
    }
}
