//! The job lock runner (`crmsync_jobs::lock::run_locked`) on Redis: exclusion between runners, renewal beyond the
//! TTL, and a dead holder's lock freeing itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crmsync_jobs::lock::{LockError, LockOptions, LockedError, run_locked};
use crmsync_ports::LockStore;
use crmsync_redis::{RedisConfig, RedisStores};
use crmsync_testkit::services;

#[derive(Debug, thiserror::Error)]
#[error("job failed")]
struct JobFailed;

async fn locks(namespace: &services::RedisNamespace) -> Arc<dyn LockStore> {
    let config = RedisConfig::new(namespace.url.clone()).with_key_prefix(namespace.prefix.clone());
    Arc::new(RedisStores::connect(&config).await.unwrap().locks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_runners_never_overlap_and_all_eventually_run() {
    let namespace = services::fresh_redis().await;
    let store = locks(&namespace).await;
    let inside = Arc::new(AtomicUsize::new(0));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for runner in 0..8 {
        let (store, inside, overlaps) = (store.clone(), inside.clone(), overlaps.clone());
        tasks.push(tokio::spawn(async move {
            let options = LockOptions {
                owner: format!("runner-{runner}"),
                wait: Some(Duration::from_secs(30)),
                poll_every: Duration::from_millis(5),
                ..LockOptions::new("officeflow:sync", Duration::from_secs(5))
            };
            run_locked(store, &options, |_, _| async {
                if inside.fetch_add(1, Ordering::SeqCst) > 0 {
                    overlaps.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, JobFailed>(())
            })
            .await
            .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(overlaps.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_renewed_lock_outlives_several_ttls() {
    let namespace = services::fresh_redis().await;
    let store = locks(&namespace).await;
    let contender = store.clone();
    let options = LockOptions {
        owner: "long-run".into(),
        ..LockOptions::new("renewed", Duration::from_millis(300))
    };
    run_locked(store.clone(), &options, |_, _| async move {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let busy = run_locked(contender.clone(), &LockOptions::new("renewed", Duration::from_secs(1)), |_, _| async {
                Ok::<_, JobFailed>(())
            })
            .await;
            assert!(matches!(busy, Err(LockedError::Lock(LockError::Busy { ref holder, .. })) if holder.as_deref() == Some("long-run")));
        }
        Ok::<_, JobFailed>(())
    })
    .await
    .unwrap();
    assert_eq!(
        store.holder("renewed").await.unwrap(),
        None,
        "released at the end"
    );
}

#[tokio::test]
async fn a_holder_that_dies_frees_the_lock_after_its_ttl() {
    let namespace = services::fresh_redis().await;
    let store = locks(&namespace).await;
    // A holder that took the lock and vanished without releasing (a killed process).
    let dead = store
        .try_acquire("dies", "killed-process", Duration::from_millis(400))
        .await
        .unwrap()
        .unwrap();
    let options = LockOptions {
        wait: Some(Duration::from_secs(10)),
        poll_every: Duration::from_millis(50),
        ..LockOptions::new("dies", Duration::from_secs(5))
    };
    let fence = run_locked(store, &options, |lease, _| async move {
        Ok::<_, JobFailed>(lease.fence)
    })
    .await
    .unwrap();
    assert!(fence > dead.fence);
}
