//! The error every storage-like port (journal, sets, key-value, locks) returns.

use crmsync_domain::TransitionError;

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend could not be reached (connection refused, timed out, pool exhausted).
    #[error("{backend} is unavailable: {source}")]
    Unavailable {
        /// Which backend (`PostgreSQL`, `Redis`, ...).
        backend: &'static str,
        /// What the driver said.
        #[source]
        source: Source,
    },
    /// The backend answered with an error.
    #[error("{backend} error: {source}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// What the driver said.
        #[source]
        source: Source,
    },
    /// A stored value could not be read back into its type.
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it could not be decoded.
        reason: String,
    },
    /// An argument was rejected before anything was written.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The argument's name.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A journal entry does not allow the requested change.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A write carried the fence of a lock lease that a newer holder has replaced (the lease was lost); nothing
    /// was written.
    #[error(
        "write refused: fence {fence} of {scope} is older than fence {newest}, which has written since (the lock was lost)"
    )]
    Fenced {
        /// What the fence guards (the lock key, `officeflow:sync`).
        scope: String,
        /// The fence the refused write carried.
        fence: u64,
        /// The newest fence that has written.
        newest: u64,
    },
}

impl StoreError {
    /// Wraps a driver error of `backend`.
    pub fn backend(backend: &'static str, source: impl Into<Source>) -> Self {
        Self::Backend {
            backend,
            source: source.into(),
        }
    }

    /// Wraps a connection-level error of `backend`.
    pub fn unavailable(backend: &'static str, source: impl Into<Source>) -> Self {
        Self::Unavailable {
            backend,
            source: source.into(),
        }
    }
}
