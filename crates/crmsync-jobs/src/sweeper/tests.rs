//! Retry limits, backoff and staleness of the sweeper.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use crmsync_domain::{NewProcess, ProcessKind, ProcessStatus};
use crmsync_ports::{Expected, ProcessStore};
use crmsync_store::memory::MemoryProcessStore;
use serde_json::json;

use super::*;
use crate::tracking::Tracker;

/// Fails its first `failures` runs, then succeeds.
struct Flaky {
    runs: AtomicU32,
    failures: u32,
}

#[async_trait]
impl RetryableJob for Flaky {
    async fn run(&self, context: RunContext) -> Result<(), JobError> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        assert_eq!(
            context.settings()["part"],
            "tags",
            "the retry sees the original settings"
        );
        if run <= self.failures {
            Err(format!("failure {run}").into())
        } else {
            Ok(())
        }
    }
}

fn kind() -> ProcessKind {
    ProcessKind::new("officeflow.tags").unwrap()
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_secs(60),
        max_backoff: Duration::from_secs(600),
        stale_after: Duration::from_secs(300),
    }
}

async fn failed_entry(store: &MemoryProcessStore) -> crmsync_domain::ProcessId {
    let created = store
        .create(NewProcess {
            kind: kind(),
            settings: json!({"part": "tags"}),
            total: None,
        })
        .await
        .unwrap();
    let mut failed = created.clone();
    failed.start(Utc::now()).unwrap();
    failed.fail("first failure", Utc::now()).unwrap();
    assert!(store.save(&failed, Expected::from(&created)).await.unwrap());
    created.id()
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let p = policy();
    let waits: Vec<u64> = (1..=6).map(|a| p.backoff(a).as_secs()).collect();
    assert_eq!(waits, vec![60, 120, 240, 480, 600, 600]);
    assert_eq!(p.backoff(u32::MAX).as_secs(), 600);
}

#[tokio::test]
async fn failed_runs_are_retried_up_to_the_limit_and_no_further() {
    let store = Arc::new(MemoryProcessStore::new());
    let id = failed_entry(&store).await;
    let job = Arc::new(Flaky {
        runs: AtomicU32::new(0),
        failures: 100,
    });
    let sweeper = Sweeper::new(Tracker::new(store.clone()), policy()).register(kind(), job.clone());

    let now = Utc::now();
    let early = sweeper.sweep(now).await.unwrap();
    assert_eq!(early.retried, vec![], "still in backoff");
    assert_eq!(early.waiting.len(), 1);

    let mut at = now;
    for expected_attempt in [2, 3] {
        at += chrono::Duration::hours(1);
        let report = sweeper.sweep(at).await.unwrap();
        assert_eq!(report.retried.len(), 1);
        assert_eq!(report.retried[0].attempt, expected_attempt);
        assert_eq!(
            report.retried[0].error.as_deref(),
            Some(&*format!("failure {}", expected_attempt - 1))
        );
    }
    at += chrono::Duration::hours(1);
    let report = sweeper.sweep(at).await.unwrap();
    assert!(report.retried.is_empty(), "max attempts reached");
    assert_eq!(report.exhausted, vec![id]);
    assert_eq!(job.runs.load(Ordering::SeqCst), 2);
    let stored = store.get(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status(), stored.attempts()),
        (ProcessStatus::Failed, 3)
    );
}

#[tokio::test]
async fn a_retry_that_succeeds_completes_the_entry() {
    let store = Arc::new(MemoryProcessStore::new());
    let id = failed_entry(&store).await;
    let job = Arc::new(Flaky {
        runs: AtomicU32::new(0),
        failures: 0,
    });
    let sweeper = Sweeper::new(Tracker::new(store.clone()), policy()).register(kind(), job);
    let report = sweeper
        .sweep(Utc::now() + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(report.retried[0].error, None);
    assert_eq!(
        store.get(id).await.unwrap().unwrap().status(),
        ProcessStatus::Completed
    );
}

#[tokio::test]
async fn a_silent_run_is_marked_stale_then_retried() {
    let store = Arc::new(MemoryProcessStore::new());
    let created = store
        .create(NewProcess {
            kind: kind(),
            settings: json!({"part": "tags"}),
            total: None,
        })
        .await
        .unwrap();
    let mut running = created.clone();
    running
        .start(Utc::now() - chrono::Duration::hours(2))
        .unwrap();
    assert!(
        store
            .save(&running, Expected::from(&created))
            .await
            .unwrap()
    );

    let job = Arc::new(Flaky {
        runs: AtomicU32::new(0),
        failures: 0,
    });
    let sweeper = Sweeper::new(
        Tracker::new(store.clone()),
        RetryPolicy {
            base_backoff: Duration::ZERO,
            ..policy()
        },
    )
    .register(kind(), job);
    let report = sweeper.sweep(Utc::now()).await.unwrap();
    assert_eq!(report.marked_stale, vec![created.id()]);
    assert_eq!(report.retried.len(), 1);
    let stored = store.get(created.id()).await.unwrap().unwrap();
    assert_eq!(
        (stored.status(), stored.attempts()),
        (ProcessStatus::Completed, 2)
    );
}

#[tokio::test]
async fn entries_of_unregistered_kinds_are_reported_not_run() {
    let store = Arc::new(MemoryProcessStore::new());
    let id = failed_entry(&store).await;
    let sweeper = Sweeper::new(Tracker::new(store.clone()), policy());
    let report = sweeper
        .sweep(Utc::now() + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(report.unknown_kind, vec![id]);
    assert_eq!(
        store.get(id).await.unwrap().unwrap().status(),
        ProcessStatus::Failed
    );
}
