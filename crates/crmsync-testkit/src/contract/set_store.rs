//! What every `SetStore` must do.

use crmsync_ports::SetStore;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Runs every check against `store`; set names are prefixed with `prefix`.
pub async fn set_store(store: &dyn SetStore, prefix: &str) {
    let set = format!("{prefix}pending");
    let other = format!("{prefix}overflow");
    assert_eq!(store.members(&set).await.unwrap(), Vec::<String>::new());
    assert_eq!(store.len(&set).await.unwrap(), 0);

    assert_eq!(
        store
            .add(&set, &strings(&["А40-1/2024", "А41-2/2023", "А40-1/2024"]))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .add(&set, &strings(&["А42-3/2022", "А40-1/2024"]))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.members(&set).await.unwrap(),
        strings(&["А40-1/2024", "А41-2/2023", "А42-3/2022"]),
        "first-added order"
    );
    assert!(store.contains(&set, "А41-2/2023").await.unwrap());
    assert!(!store.contains(&set, "А99-9/2020").await.unwrap());
    assert!(
        !store.contains(&other, "А41-2/2023").await.unwrap(),
        "sets are independent"
    );

    assert_eq!(
        store
            .remove(&set, &strings(&["А41-2/2023", "missing"]))
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.add(&set, &strings(&["А41-2/2023"])).await.unwrap(), 1);
    assert_eq!(
        store.members(&set).await.unwrap(),
        strings(&["А40-1/2024", "А42-3/2022", "А41-2/2023"]),
        "re-added goes last"
    );
    assert_eq!(store.add(&set, &[]).await.unwrap(), 0);
    assert_eq!(store.remove(&set, &[]).await.unwrap(), 0);

    store.add(&other, &strings(&["x"])).await.unwrap();
    assert_eq!(store.clear(&set).await.unwrap(), 3);
    assert_eq!(store.len(&set).await.unwrap(), 0);
    assert_eq!(store.len(&other).await.unwrap(), 1);
    assert_eq!(store.clear(&set).await.unwrap(), 0);

    let many: Vec<String> = (0..1500).map(|i| format!("m{i:05}")).collect();
    assert_eq!(store.add(&set, &many).await.unwrap(), 1500);
    assert_eq!(store.members(&set).await.unwrap(), many);
    assert_eq!(store.remove(&set, &many[..700]).await.unwrap(), 700);
    assert_eq!(store.len(&set).await.unwrap(), 800);
}
