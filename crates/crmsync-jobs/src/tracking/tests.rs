//! The tracker against the in-memory journal.

use std::sync::Arc;
use std::time::Duration;

use crmsync_domain::{NewProcess, ProcessKind, ProcessStatus};
use crmsync_ports::{Expected, ProcessStore, Progress};
use crmsync_store::memory::MemoryProcessStore;
use serde_json::json;

use super::*;
use crate::shutdown;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct JobFailed(String);

fn new(kind: &str) -> NewProcess {
    NewProcess {
        kind: ProcessKind::new(kind).unwrap(),
        settings: json!({"k": 1}),
        total: None,
    }
}

fn fast() -> TrackOptions {
    TrackOptions {
        heartbeat_every: Duration::from_millis(20),
        stale_after: Duration::from_millis(200),
    }
}

#[tokio::test]
async fn a_successful_job_is_journaled_completed_with_its_progress() {
    let store = Arc::new(MemoryProcessStore::new());
    let tracker = Tracker::new(store.clone()).with_options(fast());
    let tracked = tracker
        .run(new("sample.ok"), |ctx| async move {
            ctx.progress().set_total(3);
            ctx.progress().advance(3);
            ctx.progress().message("done");
            Ok::<_, JobFailed>(ctx.settings()["k"].as_i64())
        })
        .await
        .unwrap();
    assert_eq!(tracked.output, Some(1));
    let stored = store.get(tracked.id).await.unwrap().unwrap();
    assert_eq!(stored.status(), ProcessStatus::Completed);
    assert_eq!(
        (stored.processed(), stored.total(), stored.attempts()),
        (3, Some(3), 1)
    );
    assert_eq!(stored.record().message.as_deref(), Some("done"));
}

#[tokio::test]
async fn a_failing_job_is_journaled_failed_with_its_error() {
    let store = Arc::new(MemoryProcessStore::new());
    let tracker = Tracker::new(store.clone());
    let error = tracker
        .run(new("sample.fail"), |ctx| async move {
            ctx.progress().advance(2);
            Err::<(), _>(JobFailed("amoCRM answered 502".into()))
        })
        .await
        .unwrap_err();
    let RunError::Job { id, .. } = error else {
        panic!("expected a job error, got {error}")
    };
    let stored = store.get(id).await.unwrap().unwrap();
    assert_eq!(stored.status(), ProcessStatus::Failed);
    assert_eq!(
        stored.record().last_error.as_deref(),
        Some("amoCRM answered 502")
    );
    assert_eq!(stored.processed(), 2);
}

#[tokio::test]
async fn heartbeats_carry_progress_while_the_job_runs() {
    let store = Arc::new(MemoryProcessStore::new());
    let tracker = Tracker::new(store.clone()).with_options(fast());
    let observer = store.clone();
    tracker
        .run(new("sample.beat"), |ctx| async move {
            ctx.progress().advance(5);
            let first_beat = ctx.id();
            tokio::time::sleep(Duration::from_millis(120)).await;
            let mid = observer.get(first_beat).await.unwrap().unwrap();
            assert_eq!(mid.status(), ProcessStatus::Running);
            assert_eq!(
                mid.processed(),
                5,
                "progress reaches the journal before the end"
            );
            assert!(mid.record().heartbeat_at > mid.record().started_at);
            Ok::<_, JobFailed>(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_checkpoint_survives_a_failure_and_is_offered_to_the_retry() {
    let store = Arc::new(MemoryProcessStore::new());
    let tracker = Tracker::new(store.clone());
    let error = tracker
        .run(new("sample.resume"), |ctx| async move {
            ctx.progress().advance(40);
            ctx.save_checkpoint(json!({"next_index": 40}))
                .await
                .unwrap();
            Err::<(), _>(JobFailed("killed".into()))
        })
        .await
        .unwrap_err();
    let RunError::Job { id, .. } = error else {
        panic!("{error}")
    };
    let tracked = tracker
        .resume(id, |ctx| async move {
            assert_eq!(ctx.attempt(), 2);
            assert_eq!(ctx.progress().processed(), 40);
            let next = ctx
                .checkpoint()
                .and_then(|c| c["next_index"].as_u64())
                .unwrap();
            ctx.progress().advance(60);
            Ok::<_, JobFailed>(next)
        })
        .await
        .unwrap();
    assert_eq!(tracked.output, 40);
    let stored = store.get(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status(), stored.processed(), stored.attempts()),
        (ProcessStatus::Completed, 100, 2)
    );
}

#[tokio::test]
async fn completed_and_fresh_running_entries_cannot_be_resumed() {
    let store = Arc::new(MemoryProcessStore::new());
    let tracker = Tracker::new(store.clone());
    let done = tracker
        .run(new("sample.done"), |_| async { Ok::<_, JobFailed>(()) })
        .await
        .unwrap();
    let err = tracker
        .resume(done.id, |_| async { Ok::<_, JobFailed>(()) })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RunError::NotResumable {
                status: ProcessStatus::Completed,
                ..
            }
        ),
        "{err}"
    );

    let created = store.create(new("sample.live")).await.unwrap();
    let mut running = created.clone();
    running.start(chrono::Utc::now()).unwrap();
    assert!(
        store
            .save(&running, Expected::from(&created))
            .await
            .unwrap()
    );
    let err = tracker
        .resume(created.id(), |_| async { Ok::<_, JobFailed>(()) })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RunError::NotResumable {
                status: ProcessStatus::Running,
                ..
            }
        ),
        "{err}"
    );
    let missing = tracker
        .resume(crmsync_domain::ProcessId(999), |_| async {
            Ok::<_, JobFailed>(())
        })
        .await;
    assert!(matches!(missing, Err(RunError::NotFound { .. })));
}

#[tokio::test]
async fn a_stale_running_entry_is_taken_over() {
    let store = Arc::new(MemoryProcessStore::new());
    let tracker = Tracker::new(store.clone()).with_options(fast());
    let created = store.create(new("sample.stale")).await.unwrap();
    let mut running = created.clone();
    running
        .start(chrono::Utc::now() - chrono::Duration::seconds(5))
        .unwrap();
    assert!(
        store
            .save(&running, Expected::from(&created))
            .await
            .unwrap()
    );
    let tracked = tracker
        .resume(created.id(), |ctx| async move {
            Ok::<_, JobFailed>(ctx.attempt())
        })
        .await
        .unwrap();
    assert_eq!(tracked.output, 2);
}

#[tokio::test]
async fn a_stop_request_interrupts_the_job_and_journals_it_retryable() {
    let store = Arc::new(MemoryProcessStore::new());
    let (trigger, shutdown) = shutdown::channel();
    let tracker = Tracker::new(store.clone()).with_shutdown(shutdown);
    let run = tracker.run(new("sample.stop"), |ctx| async move {
        ctx.progress().advance(1);
        std::future::pending::<Result<(), JobFailed>>().await
    });
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        trigger.trigger("SIGTERM");
    };
    let (result, ()) = tokio::join!(run, stopper);
    let RunError::Interrupted { id, reason } = result.unwrap_err() else {
        panic!("expected an interruption")
    };
    assert_eq!(reason, "SIGTERM");
    let stored = store.get(id).await.unwrap().unwrap();
    assert_eq!(stored.status(), ProcessStatus::Failed);
    assert_eq!(
        stored.record().last_error.as_deref(),
        Some("interrupted: SIGTERM")
    );
    assert_eq!(stored.processed(), 1);
}

#[tokio::test]
async fn a_runner_whose_entry_was_taken_over_stops_without_writing() {
    let store = Arc::new(MemoryProcessStore::new());
    let tracker = Tracker::new(store.clone()).with_options(fast());
    let usurper = store.clone();
    let result = tracker
        .run(new("sample.lost"), |ctx| async move {
            // Someone else declares this attempt stale and retries it.
            let mut entry = usurper.get(ctx.id()).await.unwrap().unwrap();
            let before = entry.clone();
            entry.mark_stale(chrono::Utc::now()).unwrap();
            entry.requeue().unwrap();
            entry.start(chrono::Utc::now()).unwrap();
            assert!(usurper.save(&entry, Expected::from(&before)).await.unwrap());
            std::future::pending::<Result<(), JobFailed>>().await
        })
        .await;
    let Err(RunError::LostOwnership { id }) = result else {
        panic!("expected lost ownership")
    };
    let stored = store.get(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status(), stored.attempts()),
        (ProcessStatus::Running, 2),
        "the new owner's state is kept"
    );
}
