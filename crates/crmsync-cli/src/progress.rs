//! Progress for humans: an `indicatif` bar on a terminal, a plain line every 10 % (or every 10 s) otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crmsync_ports::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// A progress sink for `label`: a bar when stderr is a terminal, periodic log lines otherwise.
pub fn for_terminal(label: &str) -> Arc<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Arc::new(Bar::new(label))
    } else {
        Arc::new(Lines::new(label))
    }
}

/// An `indicatif` bar.
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new(label: &str) -> Self {
        let bar = ProgressBar::no_length();
        let style = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        Self { bar }
    }
}

impl Progress for Bar {
    fn set_total(&self, total: u64) {
        self.bar.set_length(total);
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    fn message(&self, message: &str) {
        self.bar.set_message(message.to_owned());
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish();
    }
}

/// Plain `tracing` lines at each 10 % step, or every 10 s when the total is unknown.
pub struct Lines {
    label: String,
    done: AtomicU64,
    total: AtomicU64,
    last: Mutex<(Instant, u64)>,
}

impl Lines {
    /// Lines prefixed with `label`.
    pub fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            last: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
}

impl Progress for Lines {
    fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    fn advance(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        let total = self.total.load(Ordering::Relaxed);
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tenth = |count: u64| count.saturating_mul(10).checked_div(total);
        let due = match (tenth(done), tenth(last.1)) {
            (Some(now), Some(before)) => now > before || done == total,
            _ => last.0.elapsed() >= Duration::from_secs(10),
        };
        if due && done != last.1 {
            *last = (Instant::now(), done);
            match done.saturating_mul(100).checked_div(total) {
                Some(percent) => {
                    tracing::info!(label = %self.label, done, total, "progress {percent}%")
                }
                None => tracing::info!(label = %self.label, done, "progress"),
            }
        }
    }

    fn message(&self, message: &str) {
        tracing::debug!(label = %self.label, "{message}");
    }
}
