//! What every `LockStore` must do: exclusion under contention, owner-only release, expiry and fencing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crmsync_ports::{LockLease, LockStore};

/// Runs every check against `store`; keys are prefixed with `prefix`.
pub async fn lock_store(store: Arc<dyn LockStore>, prefix: &str) {
    basic_ownership(store.as_ref(), prefix).await;
    expiry_frees_the_lock(store.as_ref(), prefix).await;
    contenders_never_overlap(store, prefix).await;
}

async fn basic_ownership(store: &dyn LockStore, prefix: &str) {
    let key = format!("{prefix}basic");
    let ttl = Duration::from_secs(30);
    let first = store
        .try_acquire(&key, "host-a:1", ttl)
        .await
        .unwrap()
        .expect("a free lock is granted");
    assert_eq!(first.owner, "host-a:1");
    assert!(
        store
            .try_acquire(&key, "host-b:2", ttl)
            .await
            .unwrap()
            .is_none(),
        "a held lock is refused"
    );
    assert_eq!(
        store.holder(&key).await.unwrap().as_deref(),
        Some("host-a:1")
    );

    let impostor = LockLease {
        token: "not-the-token".into(),
        owner: "host-b:2".into(),
        ..first.clone()
    };
    assert!(
        !store.release(&impostor).await.unwrap(),
        "release with a wrong token is a no-op"
    );
    assert!(
        !store.extend(&impostor, ttl).await.unwrap(),
        "extend with a wrong token is a no-op"
    );
    assert!(
        store
            .try_acquire(&key, "host-b:2", ttl)
            .await
            .unwrap()
            .is_none(),
        "still held after the impostor"
    );

    assert!(store.extend(&first, ttl).await.unwrap());
    assert!(store.release(&first).await.unwrap());
    assert!(
        !store.release(&first).await.unwrap(),
        "a second release is a no-op"
    );
    assert_eq!(store.holder(&key).await.unwrap(), None);

    let second = store
        .try_acquire(&key, "host-b:2", ttl)
        .await
        .unwrap()
        .expect("released lock is free");
    assert!(
        second.fence > first.fence,
        "fencing numbers strictly increase"
    );
    assert!(
        !store.release(&first).await.unwrap(),
        "an old lease cannot release the new holder"
    );
    assert!(store.release(&second).await.unwrap());
}

async fn expiry_frees_the_lock(store: &dyn LockStore, prefix: &str) {
    let key = format!("{prefix}expiry");
    let dead = store
        .try_acquire(&key, "dead-holder", Duration::from_millis(300))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .try_acquire(&key, "next", Duration::from_secs(5))
            .await
            .unwrap()
            .is_none()
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let next = store
        .try_acquire(&key, "next", Duration::from_secs(5))
        .await
        .unwrap()
        .expect("expired lock is free");
    assert!(next.fence > dead.fence);
    assert!(
        !store.extend(&dead, Duration::from_secs(5)).await.unwrap(),
        "an expired holder cannot extend"
    );
    assert!(!store.release(&dead).await.unwrap());
    assert!(store.release(&next).await.unwrap());
}

async fn contenders_never_overlap(store: Arc<dyn LockStore>, prefix: &str) {
    const CONTENDERS: usize = 8;
    const ROUNDS: usize = 5;
    let key = format!("{prefix}contended");
    let inside = Arc::new(AtomicUsize::new(0));
    let max_inside = Arc::new(AtomicUsize::new(0));
    let last_fence = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for contender in 0..CONTENDERS {
        let (store, key) = (store.clone(), key.clone());
        let (inside, max_inside, last_fence) =
            (inside.clone(), max_inside.clone(), last_fence.clone());
        tasks.push(tokio::spawn(async move {
            let mut wins = 0;
            while wins < ROUNDS {
                let owner = format!("contender-{contender}");
                let Some(lease) = store
                    .try_acquire(&key, &owner, Duration::from_secs(10))
                    .await
                    .unwrap()
                else {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                };
                let now_inside = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max_inside.fetch_max(now_inside, Ordering::SeqCst);
                let previous = last_fence.swap(lease.fence, Ordering::SeqCst);
                assert!(
                    lease.fence > previous,
                    "fence {} after {previous}",
                    lease.fence
                );
                tokio::time::sleep(Duration::from_millis(3)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                assert!(store.release(&lease).await.unwrap());
                wins += 1;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(max_inside.load(Ordering::SeqCst), 1, "two holders at once");
}
