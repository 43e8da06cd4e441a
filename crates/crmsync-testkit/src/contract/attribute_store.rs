//! What every `AttributeStore` must do: definitions registered once and updated only when they change (first
//! seen kept), unlisted definitions kept, users' values read back as written, upserts and removals that count
//! only changed rows, users found by attribute value, counts per identity and attribute, fenced writes.

use crmsync_domain::org::{AttributeDef, AttributeKind, StoredAttributes};
use crmsync_ports::{AttributeCounts, AttributeStore, AttributeUsage, StoreError};
use serde_json::{Map, Value, json};

fn def(identity: &str, key: &str, kind: AttributeKind, required: bool) -> AttributeDef {
    AttributeDef {
        identity: identity.into(),
        key: key.into(),
        label: format!("Label of {key} ✓"),
        kind,
        required,
    }
}

fn user(username: &str, identity: &str, values: Value) -> StoredAttributes {
    StoredAttributes {
        username: username.into(),
        identity: identity.into(),
        attributes: match values {
            Value::Object(map) => map,
            _ => Map::new(),
        },
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Runs every check against an empty `store`.
pub async fn attribute_store(store: &dyn AttributeStore) {
    assert_eq!(
        store.attribute_counts().await.unwrap(),
        AttributeCounts::default()
    );
    definitions(store).await;
    users(store).await;
    queries(store).await;
    fences(store).await;
}

async fn definitions(store: &dyn AttributeStore) {
    let title = AttributeKind::Enum(vec!["lecturer".into(), "professor".into()]);
    let defs = vec![
        def("student", "grade", AttributeKind::Number, true),
        def("student", "class", AttributeKind::Text, false),
        def("teacher", "title", title.clone(), true),
        def("staff", "since", AttributeKind::Date, false),
    ];
    assert_eq!(store.write_definitions(&defs, &[], 1_000).await.unwrap(), 4);
    assert_eq!(store.write_definitions(&defs, &[], 2_000).await.unwrap(), 0);
    let registry = store.registry().await.unwrap();
    let keys: Vec<(&str, &str)> = registry
        .iter()
        .map(|r| (r.definition.identity.as_str(), r.definition.key.as_str()))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("staff", "since"),
            ("student", "class"),
            ("student", "grade"),
            ("teacher", "title")
        ]
    );
    assert!(registry.iter().all(|r| r.listed && r.updated_at == 1_000));
    assert_eq!(registry[3].definition.kind, title);
    assert_eq!(registry[3].definition.label, "Label of title ✓");

    let mut changed = def(
        "teacher",
        "title",
        AttributeKind::Enum(vec!["lecturer".into(), "professor".into(), "dean".into()]),
        true,
    );
    let added = def("student", "boarder", AttributeKind::Bool, false);
    let unlist = vec![("staff".to_owned(), "since".to_owned())];
    assert_eq!(
        store
            .write_definitions(&[changed.clone(), added.clone()], &unlist, 3_000)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .write_definitions(&[changed.clone()], &unlist, 4_000)
            .await
            .unwrap(),
        0
    );
    let registry = store.registry().await.unwrap();
    let find = |identity: &str, key: &str| {
        registry
            .iter()
            .find(|r| r.definition.identity == identity && r.definition.key == key)
            .cloned()
            .unwrap()
    };
    let title = find("teacher", "title");
    assert_eq!(title.definition, changed);
    assert_eq!((title.first_seen, title.updated_at), (1_000, 3_000));
    let since = find("staff", "since");
    assert!(!since.listed);
    assert_eq!(since.updated_at, 3_000);
    assert_eq!(find("student", "boarder").first_seen, 3_000);
    assert_eq!(find("student", "grade").updated_at, 1_000);

    let relisted = def("staff", "since", AttributeKind::Date, false);
    assert_eq!(
        store
            .write_definitions(&[relisted], &[], 5_000)
            .await
            .unwrap(),
        1
    );
    assert!(store.registry().await.unwrap().iter().all(|r| r.listed));
    changed.required = false;
    assert_eq!(
        store
            .write_definitions(&[changed.clone()], &[], 6_000)
            .await
            .unwrap(),
        1
    );
}

async fn users(store: &dyn AttributeStore) {
    let ann = user(
        "ann",
        "student",
        json!({"grade": 7, "class": "7B", "boarder": true}),
    );
    let bob = user(
        "bob",
        "student",
        json!({"grade": 8, "class": "8A", "note": null}),
    );
    let cat = user("cat", "teacher", json!({"title": "professor"}));
    let dan = user("dan", "staff", json!({}));
    let all = vec![ann.clone(), bob.clone(), cat.clone(), dan.clone()];
    assert_eq!(store.write_user_attributes(&all, &[]).await.unwrap(), 4);
    assert_eq!(store.write_user_attributes(&all, &[]).await.unwrap(), 0);
    let read = store
        .user_attributes(&names(&["dan", "ann", "zoe", "bob", "ann"]))
        .await
        .unwrap();
    let bob_stored = user("bob", "student", json!({"grade": 8, "class": "8A"}));
    assert_eq!(read, vec![ann.clone(), bob_stored, dan.clone()]);
    assert_eq!(store.user_attributes(&[]).await.unwrap(), vec![]);
    assert_eq!(
        store.attribute_users().await.unwrap(),
        names(&["ann", "bob", "cat", "dan"])
    );

    let ann_moved = user(
        "ann",
        "student",
        json!({"grade": 8, "class": "8A", "boarder": true}),
    );
    let dan_teaching = user("dan", "teacher", json!({}));
    assert_eq!(
        store
            .write_user_attributes(&[ann_moved.clone(), dan_teaching.clone(), cat.clone()], &[])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .write_user_attributes(&[], &names(&["bob", "nobody"]))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .user_attributes(&names(&["ann", "bob", "dan"]))
            .await
            .unwrap(),
        vec![ann_moved, dan_teaching]
    );
}

async fn queries(store: &dyn AttributeStore) {
    let extra = vec![
        user(
            "eve",
            "student",
            json!({"grade": 8, "class": "8B", "boarder": false}),
        ),
        user(
            "fay",
            "student",
            json!({"grade": 7, "class": "8", "boarder": true}),
        ),
        user("gus", "teacher", json!({"title": "lecturer", "grade": 8})),
    ];
    store.write_user_attributes(&extra, &[]).await.unwrap();
    let with = |identity: Option<&'static str>, key: &'static str, value: Value, limit: u32| async move {
        store
            .users_with_attribute(identity.map(str::to_owned), key, &value, limit)
            .await
            .unwrap()
    };
    assert_eq!(
        with(None, "grade", json!(8), 10).await,
        names(&["ann", "eve", "gus"])
    );
    assert_eq!(
        with(Some("student"), "grade", json!(8), 10).await,
        names(&["ann", "eve"])
    );
    assert_eq!(with(None, "grade", json!(8), 1).await, names(&["ann"]));
    assert_eq!(with(None, "grade", json!("8"), 10).await, names(&[]));
    assert_eq!(with(None, "class", json!("8"), 10).await, names(&["fay"]));
    assert_eq!(
        with(None, "boarder", json!(true), 10).await,
        names(&["ann", "fay"])
    );
    assert_eq!(
        with(None, "boarder", json!(false), 10).await,
        names(&["eve"])
    );
    assert_eq!(
        with(None, "title", json!("lecturer"), 10).await,
        names(&["gus"])
    );
    assert_eq!(with(None, "nothing", json!(1), 10).await, names(&[]));
    for (key, value) in [
        ("a\"b", json!(1)),
        ("", json!(1)),
        ("grade", json!(null)),
        ("grade", json!([8])),
        ("grade", json!({"x": 8})),
    ] {
        assert!(
            matches!(
                store.users_with_attribute(None, key, &value, 10).await,
                Err(StoreError::Invalid { .. })
            ),
            "{key:?} {value}"
        );
    }

    let counts = store.attribute_counts().await.unwrap();
    assert_eq!(
        counts.users_by_identity,
        vec![("student".to_owned(), 3), ("teacher".to_owned(), 3)]
    );
    let usage = |identity: &str, key: &str, users: u64| AttributeUsage {
        identity: identity.into(),
        key: key.into(),
        users,
    };
    assert_eq!(
        counts.usage,
        vec![
            usage("student", "boarder", 3),
            usage("student", "class", 3),
            usage("student", "grade", 3),
            usage("teacher", "grade", 1),
            usage("teacher", "title", 2),
        ]
    );
}

/// A write with an older fence than one that has written is refused and changes nothing.
async fn fences(store: &dyn AttributeStore) {
    let older = store.fenced(70);
    let newer = store.fenced(71);
    let hal = user("hal", "staff", json!({"since": "2020-01-01"}));
    assert_eq!(
        newer
            .write_user_attributes(std::slice::from_ref(&hal), &[])
            .await
            .unwrap(),
        1
    );
    let stale = user("hal", "staff", json!({"since": "1999-01-01"}));
    assert!(matches!(
        older.write_user_attributes(&[stale], &[]).await.unwrap_err(),
        StoreError::Fenced { scope, fence: 70, newest: 71 } if scope == "officeflow:sync"
    ));
    assert!(matches!(
        older
            .write_definitions(&[def("staff", "room", AttributeKind::Text, false)], &[], 9)
            .await
            .unwrap_err(),
        StoreError::Fenced { .. }
    ));
    assert_eq!(
        store.user_attributes(&names(&["hal"])).await.unwrap(),
        vec![hal]
    );
    assert!(
        store
            .registry()
            .await
            .unwrap()
            .iter()
            .all(|r| r.definition.key != "room")
    );
}
