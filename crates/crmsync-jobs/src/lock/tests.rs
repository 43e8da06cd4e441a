//! The lock runner against the in-memory lock store (the Redis store runs the same checks in crmsync-redis).

use std::sync::Arc;
use std::time::Duration;

use crmsync_ports::LockStore;
use crmsync_store::memory::MemoryLockStore;

use super::*;

#[derive(Debug, thiserror::Error)]
#[error("job failed")]
struct JobFailed;

fn options(key: &str, ttl_ms: u64) -> LockOptions {
    LockOptions {
        owner: "test-owner".into(),
        ..LockOptions::new(key, Duration::from_millis(ttl_ms))
    }
}

#[tokio::test]
async fn a_second_runner_is_told_who_holds_the_lock() {
    let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
    let inner = store.clone();
    let result = run_locked(store.clone(), &options("sync", 5_000), |_, _| async move {
        let second = run_locked(inner, &options("sync", 5_000), |_, _| async {
            Ok::<_, JobFailed>(())
        })
        .await;
        Ok::<_, JobFailed>(second)
    })
    .await
    .unwrap();
    let Err(LockedError::Lock(LockError::Busy { holder, .. })) = result else {
        panic!("expected Busy")
    };
    assert_eq!(holder.as_deref(), Some("test-owner"));
    assert!(
        store.holder("sync").await.unwrap().is_none(),
        "released after the job"
    );
}

#[tokio::test]
async fn the_lock_is_released_when_the_job_fails() {
    let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
    let result = run_locked(store.clone(), &options("fails", 5_000), |_, _| async {
        Err::<(), _>(JobFailed)
    })
    .await;
    assert!(matches!(result, Err(LockedError::Job(JobFailed))));
    assert!(store.holder("fails").await.unwrap().is_none());
}

#[tokio::test]
async fn the_lock_is_released_when_the_job_panics() {
    let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
    let runner = store.clone();
    let joined = tokio::spawn(async move {
        run_locked(runner, &options("panics", 60_000), |_, _| async {
            if true {
                panic!("job panicked");
            }
            Ok::<_, JobFailed>(())
        })
        .await
    })
    .await;
    assert!(joined.is_err(), "the panic propagates");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        store.holder("panics").await.unwrap().is_none(),
        "released long before the 60 s TTL"
    );
}

#[tokio::test]
async fn renewal_keeps_the_lock_for_several_ttls() {
    let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
    let contender = store.clone();
    run_locked(
        store.clone(),
        &options("long", 150),
        |lease, _| async move {
            for _ in 0..6 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let stolen = contender
                    .try_acquire("long", "thief", Duration::from_secs(1))
                    .await
                    .unwrap();
                assert!(stolen.is_none(), "the lock must still be held");
            }
            assert!(lease.fence >= 1);
            Ok::<_, JobFailed>(())
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn waiting_contender_gets_the_lock_when_it_frees() {
    let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
    let held = store
        .try_acquire("wait", "first", Duration::from_millis(200))
        .await
        .unwrap()
        .unwrap();
    let waiting = LockOptions {
        wait: Some(Duration::from_secs(5)),
        poll_every: Duration::from_millis(20),
        ..options("wait", 1_000)
    };
    let fence = run_locked(store.clone(), &waiting, |lease, _| async move {
        Ok::<_, JobFailed>(lease.fence)
    })
    .await
    .unwrap();
    assert!(fence > held.fence);
}

#[tokio::test]
async fn a_lost_lease_stops_the_job() {
    let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
    let thief = store.clone();
    let result = run_locked(store.clone(), &options("lost", 90), |lease, _| async move {
        // Simulate a pause longer than the TTL: the lease expires and someone else takes the lock.
        thief.release(&lease).await.unwrap();
        thief
            .try_acquire("lost", "thief", Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
        std::future::pending::<Result<(), JobFailed>>().await
    })
    .await;
    assert!(matches!(
        result,
        Err(LockedError::Lock(LockError::Lost { .. }))
    ));
    assert_eq!(
        store.holder("lost").await.unwrap().as_deref(),
        Some("thief"),
        "the thief's lock is not released"
    );
}

#[tokio::test]
async fn a_lock_service_outage_longer_than_the_ttl_stops_the_job() {
    use crmsync_ports::{LockLease, MockLockStore, StoreError};

    let mut mock = MockLockStore::new();
    mock.expect_try_acquire()
        .times(1)
        .returning(|key, owner, ttl| {
            Ok(Some(LockLease {
                key: key.to_owned(),
                token: "t".into(),
                owner: owner.to_owned(),
                fence: 9,
                ttl,
            }))
        });
    mock.expect_extend().times(3..).returning(|_, _| {
        Err(StoreError::unavailable(
            "Redis",
            std::io::Error::other("connection refused"),
        ))
    });
    mock.expect_release().times(1).returning(|_| Ok(false));
    let store: Arc<dyn LockStore> = Arc::new(mock);

    let result = run_locked(store, &options("outage", 90), |_, lost| async move {
        lost.requested().await;
        std::future::pending::<Result<(), JobFailed>>().await
    })
    .await;
    assert!(
        matches!(result, Err(LockedError::Lock(LockError::Lost { .. }))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_tracked_job_that_loses_its_lease_stops_writing_and_is_journaled_lock_lost_with_its_fence()
 {
    use std::sync::atomic::{AtomicU32, Ordering};

    use crmsync_domain::{NewProcess, ProcessKind, ProcessStatus};
    use crmsync_ports::{ProcessFilter, ProcessStore};
    use crmsync_store::memory::MemoryProcessStore;

    use crate::shutdown::Shutdown;
    use crate::tracking::Tracker;

    let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
    let journal = Arc::new(MemoryProcessStore::new());
    let thief = store.clone();
    let writes = Arc::new(AtomicU32::new(0));
    let counted = writes.clone();
    let tracker = Tracker::new(journal.clone());
    let result = run_locked(store.clone(), &options("journaled", 90), |lease, lost| {
        let tracker = tracker
            .with_shutdown(Shutdown::either(Shutdown::never(), lost))
            .with_fence(lease.fence);
        async move {
            let new = NewProcess {
                kind: ProcessKind::new("sample.locked").unwrap(),
                settings: serde_json::json!({}),
                total: None,
            };
            tracker
                .run(new, |_ctx| async move {
                    // A pause longer than the TTL: the lease expires and someone else takes the lock.
                    thief.release(&lease).await.unwrap();
                    thief
                        .try_acquire("journaled", "thief", Duration::from_secs(5))
                        .await
                        .unwrap()
                        .unwrap();
                    loop {
                        counted.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), JobFailed>(())
                })
                .await
        }
    })
    .await;
    assert!(
        matches!(result, Err(LockedError::Lock(LockError::Lost { .. }))),
        "{result:?}"
    );
    let after_stop = writes.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        writes.load(Ordering::SeqCst),
        after_stop,
        "no write after the stop"
    );
    let entries = journal.list(&ProcessFilter::default()).await.unwrap();
    let [entry] = entries.as_slice() else {
        panic!("one entry: {entries:?}")
    };
    assert_eq!(entry.status(), ProcessStatus::Failed);
    assert_eq!(entry.record().last_error.as_deref(), Some("lock lost"));
    assert_eq!(entry.record().fence, Some(1));
}
