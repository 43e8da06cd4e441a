//! `Progress`: what a running job reports (total, advance, message) to bars, logs and the journal.

/// Receives a running job's progress. Calls are cheap and never fail; sinks batch what they forward.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Progress: Send + Sync {
    /// How many units of work the job expects.
    fn set_total(&self, total: u64);

    /// `n` more units are done.
    fn advance(&self, n: u64);

    /// A short human-readable status, free of personal data.
    fn message(&self, message: &str);
}

/// Discards progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn set_total(&self, _total: u64) {}

    fn advance(&self, _n: u64) {}

    fn message(&self, _message: &str) {}
}
