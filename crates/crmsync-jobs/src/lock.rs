//! Runs a job under a lease from a [`LockStore`]: renewed at TTL/3 while held, released on every exit path.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crmsync_ports::{LockLease, LockStore, StoreError};

use crate::shutdown::{self, Shutdown};

/// The reason a job's stop signal carries when its lease was lost; a tracked run journals it as its error.
pub const LOCK_LOST: &str = "lock lost";

/// How long a job whose lease was lost may take to stop after its stop signal (a tracked run only journals
/// `failed: lock lost`) before it is dropped.
pub const LOST_GRACE: Duration = Duration::from_secs(5);

/// Which lock to take and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOptions {
    /// The lock's key, e.g. `officeflow:sync`.
    pub key: String,
    /// Lease length; renewed every third of it while the job runs.
    pub ttl: Duration,
    /// Who is asking, shown to contenders (`host:pid` by default).
    pub owner: String,
    /// How long to wait for a held lock; `None` gives up at once.
    pub wait: Option<Duration>,
    /// How often a waiting contender asks again.
    pub poll_every: Duration,
}

impl LockOptions {
    /// Options for `key` with lease `ttl`, owner `host:pid`, not waiting.
    pub fn new(key: impl Into<String>, ttl: Duration) -> Self {
        Self {
            key: key.into(),
            ttl,
            owner: default_owner(),
            wait: None,
            poll_every: Duration::from_secs(1),
        }
    }
}

/// `host:pid` of this process.
pub fn default_owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// The lock could not be taken or was lost.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds the lock.
    #[error("lock {key} is held: already running by {}", holder.as_deref().unwrap_or("an unknown holder"))]
    Busy {
        /// The lock's key.
        key: String,
        /// The holder's owner description, when known.
        holder: Option<String>,
    },
    /// The lease could not be renewed before it expired; the job was stopped.
    #[error("lock {key} was lost while the job ran; the job was stopped")]
    Lost {
        /// The lock's key.
        key: String,
    },
    /// The lock service failed.
    #[error("lock service: {0}")]
    Store(#[from] StoreError),
}

/// Either the lock or the job failed.
#[derive(Debug, thiserror::Error)]
pub enum LockedError<E: std::error::Error + 'static> {
    /// Taking or keeping the lock failed.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The job failed (the lock was released).
    #[error(transparent)]
    Job(E),
}

/// Takes the lock (waiting if asked), runs `job` while renewing the lease, then releases it — after success,
/// error, cancellation or panic alike. If the lease is lost, `job` receives a stop signal (reason
/// [`LOCK_LOST`]) and up to [`LOST_GRACE`] to stop — a [`crate::tracking::Tracker`] given that signal drops the
/// work at once and journals `failed: lock lost` — and is then dropped.
///
/// `job` gets the lease (for its fencing number) and a [`Shutdown`] that fires when the lock is lost.
pub async fn run_locked<T, E, F, Fut>(
    store: Arc<dyn LockStore>,
    options: &LockOptions,
    job: F,
) -> Result<T, LockedError<E>>
where
    E: std::error::Error + 'static,
    F: FnOnce(LockLease, Shutdown) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let lease = acquire(store.as_ref(), options).await?;
    tracing::info!(key = %lease.key, fence = lease.fence, "lock acquired");
    let mut guard = ReleaseOnDrop {
        store: store.clone(),
        lease: Some(lease.clone()),
    };
    let (lost_trigger, lost) = shutdown::channel();
    let renewal = tokio::spawn(renew(store.clone(), lease.clone(), lost_trigger));

    let work = job(lease.clone(), lost.clone());
    tokio::pin!(work);
    let result = tokio::select! {
        result = &mut work => result.map_err(LockedError::Job),
        _ = lost.requested() => {
            if tokio::time::timeout(LOST_GRACE, &mut work).await.is_err() {
                tracing::warn!(key = %lease.key, "the job did not stop within the grace after losing the lock");
            }
            Err(LockedError::Lock(LockError::Lost { key: lease.key.clone() }))
        }
    };
    renewal.abort();
    guard.release().await;
    result
}

async fn acquire(store: &dyn LockStore, options: &LockOptions) -> Result<LockLease, LockError> {
    let started = Instant::now();
    loop {
        if let Some(lease) = store
            .try_acquire(&options.key, &options.owner, options.ttl)
            .await?
        {
            return Ok(lease);
        }
        let waited_enough = options
            .wait
            .is_none_or(|wait| started.elapsed() + options.poll_every > wait);
        if waited_enough {
            let holder = store.holder(&options.key).await?;
            return Err(LockError::Busy {
                key: options.key.clone(),
                holder,
            });
        }
        tokio::time::sleep(options.poll_every).await;
    }
}

/// Extends the lease every TTL/3; after a refusal, or after failures for a whole TTL, reports the lock lost.
async fn renew(store: Arc<dyn LockStore>, lease: LockLease, lost: shutdown::ShutdownTrigger) {
    let every = (lease.ttl / 3).max(Duration::from_millis(10));
    let mut last_renewed = Instant::now();
    loop {
        tokio::time::sleep(every).await;
        match store.extend(&lease, lease.ttl).await {
            Ok(true) => last_renewed = Instant::now(),
            Ok(false) => {
                tracing::error!(key = %lease.key, "lock lease was taken by someone else");
                lost.trigger(LOCK_LOST);
                return;
            }
            Err(error) if last_renewed.elapsed() >= lease.ttl => {
                tracing::error!(key = %lease.key, %error, "lock lease expired while the lock service failed");
                lost.trigger(LOCK_LOST);
                return;
            }
            Err(error) => tracing::warn!(key = %lease.key, %error, "lock renewal failed; retrying"),
        }
    }
}

/// Releases the lease when dropped without an explicit release (cancellation, panic).
struct ReleaseOnDrop {
    store: Arc<dyn LockStore>,
    lease: Option<LockLease>,
}

impl ReleaseOnDrop {
    async fn release(&mut self) {
        if let Some(lease) = self.lease.take() {
            release_logged(self.store.as_ref(), &lease).await;
        }
    }
}

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        let Some(lease) = self.lease.take() else {
            return;
        };
        let store = self.store.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { release_logged(store.as_ref(), &lease).await });
        }
    }
}

async fn release_logged(store: &dyn LockStore, lease: &LockLease) {
    match store.release(lease).await {
        Ok(true) => tracing::info!(key = %lease.key, "lock released"),
        Ok(false) => {
            tracing::warn!(key = %lease.key, "lock had already expired or been taken at release")
        }
        Err(error) => {
            tracing::warn!(key = %lease.key, %error, "lock release failed; it frees itself after its TTL")
        }
    }
}

#[cfg(test)]
mod tests;
