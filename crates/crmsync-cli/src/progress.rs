//! Progress for humans: an `indicatif` bar on a terminal, a plain line every 10 % (or every 10 s) otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// Plain `tracing` lines at each 10 % step, or every 10 s when the total is unknown. `100%` is shown at most
/// once: when the total grows after it, the next lines show counts only.
pub struct Lines {
    label: String,
    done: AtomicU64,
    total: AtomicU64,
    last: Mutex<(Instant, u64)>,
    complete_shown: AtomicBool,
}

/// What one progress line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// `done` of `total`, as a percentage.
    Percent {
        /// Units done.
        done: u64,
        /// Units expected.
        total: u64,
        /// `done` in per cent of `total`.
        percent: u64,
    },
    /// `done` units, total unknown (or grown past a `100%` already shown).
    Count {
        /// Units done.
        done: u64,
    },
}

impl Lines {
    /// Lines prefixed with `label`.
    pub fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            last: Mutex::new((Instant::now(), 0)),
            complete_shown: AtomicBool::new(false),
        }
    }

    /// Counts `n` more units done; the line to show now, if one is due.
    pub fn step(&self, n: u64) -> Option<Line> {
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
        if !due || done == last.1 {
            return None;
        }
        *last = (Instant::now(), done);
        let percent = done.saturating_mul(100).checked_div(total)?.min(100);
        let line = match percent {
            100 if self.complete_shown.swap(true, Ordering::Relaxed) => Line::Count { done },
            _ if self.complete_shown.load(Ordering::Relaxed) && percent < 100 => {
                Line::Count { done }
            }
            percent => Line::Percent {
                done,
                total,
                percent,
            },
        };
        Some(line)
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
        let total_unknown = self.total.load(Ordering::Relaxed) == 0;
        match self.step(n) {
            Some(Line::Percent {
                done,
                total,
                percent,
            }) => tracing::info!(label = %self.label, done, total, "progress {percent}%"),
            Some(Line::Count { done }) => tracing::info!(label = %self.label, done, "progress"),
            None if total_unknown => {
                let done = self.done();
                let mut last = self
                    .last
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if last.0.elapsed() >= Duration::from_secs(10) && done != last.1 {
                    *last = (Instant::now(), done);
                    tracing::info!(label = %self.label, done, "progress");
                }
            }
            None => {}
        }
    }

    fn message(&self, message: &str) {
        tracing::debug!(label = %self.label, "{message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn percents(lines: &[Option<Line>]) -> Vec<u64> {
        lines
            .iter()
            .filter_map(|line| match line {
                Some(Line::Percent { percent, .. }) => Some(*percent),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn one_line_per_tenth_and_100_percent_once_even_when_the_total_grows() {
        let lines = Lines::new("test");
        lines.set_total(10);
        let first: Vec<Option<Line>> = (0..10).map(|_| lines.step(1)).collect();
        assert_eq!(percents(&first), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        lines.set_total(20);
        let more: Vec<Option<Line>> = (0..10).map(|_| lines.step(1)).collect();
        assert!(!percents(&more).contains(&100), "{more:?}");
        assert_eq!(more.last(), Some(&Some(Line::Count { done: 20 })));
    }
}
