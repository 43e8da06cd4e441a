//! What every `KeyValueStore` must do.

use std::time::Duration;

use crmsync_ports::KeyValueStore;

/// Runs every check against `store`; keys are prefixed with `prefix`.
pub async fn key_value_store(store: &dyn KeyValueStore, prefix: &str) {
    let key = format!("{prefix}token");
    assert_eq!(store.get(&key).await.unwrap(), None);
    store.put(&key, "{\"access\":\"a1\"}", None).await.unwrap();
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some("{\"access\":\"a1\"}")
    );
    store.put(&key, "v2 — юникод", None).await.unwrap();
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some("v2 — юникод")
    );

    assert!(
        !store
            .compare_and_swap(&key, Some("stale".into()), "v3", None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .compare_and_swap(&key, None, "v3", None)
            .await
            .unwrap(),
        "key exists: `None` must not match"
    );
    assert!(
        store
            .compare_and_swap(&key, Some("v2 — юникод".into()), "v3", None)
            .await
            .unwrap()
    );
    assert_eq!(store.get(&key).await.unwrap().as_deref(), Some("v3"));

    let fresh = format!("{prefix}fresh");
    assert!(
        store
            .compare_and_swap(&fresh, None, "first", None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .compare_and_swap(&fresh, None, "second", None)
            .await
            .unwrap()
    );

    assert!(store.delete(&key).await.unwrap());
    assert!(!store.delete(&key).await.unwrap());
    assert_eq!(store.get(&key).await.unwrap(), None);

    let short = format!("{prefix}short");
    let long = format!("{prefix}long");
    store
        .put(&short, "gone soon", Some(Duration::from_millis(300)))
        .await
        .unwrap();
    store
        .put(&long, "stays", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(
        store.get(&short).await.unwrap().as_deref(),
        Some("gone soon")
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        store.get(&short).await.unwrap(),
        None,
        "expired values read as missing"
    );
    assert!(
        !store.delete(&short).await.unwrap(),
        "an expired value does not count as deleted"
    );
    assert!(
        store
            .compare_and_swap(&short, None, "again", None)
            .await
            .unwrap(),
        "expired counts as absent"
    );
    assert_eq!(store.get(&long).await.unwrap().as_deref(), Some("stays"));
}
