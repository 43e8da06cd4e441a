//! A cloneable signal that asks running jobs to stop (SIGTERM, Ctrl-C, lost lock).

use tokio::sync::watch;

/// The sending half: trigger once, every [`Shutdown`] clone sees it.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    sender: watch::Sender<Option<String>>,
}

/// The receiving half, given to jobs and runners.
#[derive(Debug, Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<Option<String>>,
}

/// A new trigger and its signal.
pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(None);
    (ShutdownTrigger { sender }, Shutdown { receiver })
}

impl ShutdownTrigger {
    /// Asks every holder of the signal to stop, saying why; later calls keep the first reason.
    pub fn trigger(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.sender.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }
}

impl Shutdown {
    /// A signal that never fires.
    pub fn never() -> Self {
        let (sender, receiver) = watch::channel(None);
        std::mem::forget(sender);
        Self { receiver }
    }

    /// Why a stop was asked for, if it was.
    pub fn reason(&self) -> Option<String> {
        self.receiver.borrow().clone()
    }

    /// Completes with the reason once a stop is asked for; pending forever otherwise.
    pub async fn requested(&self) -> String {
        let mut receiver = self.receiver.clone();
        loop {
            if let Some(reason) = receiver.borrow_and_update().clone() {
                return reason;
            }
            if receiver.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// A signal that fires with the first reason of `a` or `b` (e.g. a signal or a lost lock); the forwarding
    /// task lives until one of them fires.
    pub fn either(a: Shutdown, b: Shutdown) -> Shutdown {
        let (trigger, merged) = channel();
        tokio::spawn(async move {
            let reason = tokio::select! {
                reason = a.requested() => reason,
                reason = b.requested() => reason,
            };
            trigger.trigger(reason);
        });
        merged
    }

    /// A signal that fires on SIGTERM or Ctrl-C (SIGINT), spawning the listener on the current runtime.
    pub fn on_signals() -> Self {
        let (trigger, shutdown) = channel();
        tokio::spawn(async move {
            let reason = wait_for_signal().await;
            trigger.trigger(reason);
        });
        shutdown
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_reaches_every_clone() {
        let (trigger, shutdown) = channel();
        let other = shutdown.clone();
        assert_eq!(shutdown.reason(), None);
        let waiter = tokio::spawn(async move { other.requested().await });
        trigger.trigger("SIGTERM");
        trigger.trigger("later");
        assert_eq!(waiter.await.unwrap(), "SIGTERM");
        assert_eq!(shutdown.reason().as_deref(), Some("SIGTERM"));
    }

    #[tokio::test]
    async fn either_fires_with_the_reason_of_the_first() {
        let (_a, a) = channel();
        let (b_trigger, b) = channel();
        let merged = Shutdown::either(a, b);
        b_trigger.trigger("lock lost");
        assert_eq!(merged.requested().await, "lock lost");
    }

    #[tokio::test]
    async fn never_stays_pending() {
        let never = Shutdown::never();
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), never.requested()).await;
        assert!(waited.is_err());
    }
}
