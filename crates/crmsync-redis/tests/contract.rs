//! The lock, set and key-value contract suites against a local Redis, and checks specific to the Redis adapters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use crmsync_ports::{KeyValueStore, LockStore, SetStore, StoreError};
use crmsync_redis::{RedisConfig, RedisStores};
use crmsync_testkit::contract;
use crmsync_testkit::services::{self, RedisNamespace};
use redis::aio::MultiplexedConnection;

/// Longest a connection attempt against a dead or silent server may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(30);

async fn stores(namespace: &RedisNamespace) -> RedisStores {
    let config = RedisConfig::new(namespace.url.clone()).with_key_prefix(namespace.prefix.clone());
    RedisStores::connect(&config).await.unwrap()
}

async fn raw(namespace: &RedisNamespace) -> MultiplexedConnection {
    redis::Client::open(namespace.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_lock_store() {
    let namespace = services::fresh_redis().await;
    let stores = stores(&namespace).await;
    contract::lock_store(Arc::new(stores.locks), "").await;
}

#[tokio::test]
async fn redis_set_store() {
    let namespace = services::fresh_redis().await;
    contract::set_store(&stores(&namespace).await.sets, "").await;
}

#[tokio::test]
async fn redis_key_value_store() {
    let namespace = services::fresh_redis().await;
    contract::key_value_store(&stores(&namespace).await.key_values, "").await;
}

#[tokio::test]
async fn the_fence_counter_outlives_every_lease() {
    let namespace = services::fresh_redis().await;
    let locks = stores(&namespace).await.locks;
    let mut raw = raw(&namespace).await;
    let ttl = Duration::from_secs(20);
    let mut fences = Vec::new();
    for round in 0..3 {
        let lease = locks
            .try_acquire("fenced", &format!("worker-{round}"), ttl)
            .await
            .unwrap()
            .expect("a released lock is free");
        let lock_ttl: i64 = redis::cmd("PTTL")
            .arg(format!("{}lock:fenced", namespace.prefix))
            .query_async(&mut raw)
            .await
            .unwrap();
        assert!(
            lock_ttl > 0 && lock_ttl <= 20_000,
            "the lock expires with its lease, PTTL {lock_ttl}"
        );
        fences.push(lease.fence);
        assert!(locks.release(&lease).await.unwrap());
    }
    assert!(
        fences.windows(2).all(|pair| pair[0] < pair[1]),
        "fences {fences:?} must strictly increase across releases"
    );
    let fence_key = format!("{}lock-fence:fenced", namespace.prefix);
    let (counter, fence_ttl): (u64, i64) = redis::pipe()
        .cmd("GET")
        .arg(&fence_key)
        .cmd("PTTL")
        .arg(&fence_key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        counter, fences[2],
        "the counter holds the last fence handed out"
    );
    assert_eq!(fence_ttl, -1, "the fence counter never expires");
}

#[tokio::test]
async fn every_key_carries_the_prefix() {
    let namespace = services::fresh_redis().await;
    let stores = stores(&namespace).await;
    let marker = uuid::Uuid::new_v4().simple().to_string();
    let (lock, set, value) = (
        format!("lock-{marker}"),
        format!("set-{marker}"),
        format!("kv-{marker}"),
    );
    let lease = stores
        .locks
        .try_acquire(&lock, "host:1", Duration::from_secs(20))
        .await
        .unwrap()
        .unwrap();
    stores.sets.add(&set, &strings(&["a", "b"])).await.unwrap();
    stores.key_values.put(&value, "v", None).await.unwrap();

    let mut raw = raw(&namespace).await;
    let mut found: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{marker}*"))
        .query_async(&mut raw)
        .await
        .unwrap();
    found.sort();
    let p = &namespace.prefix;
    let mut expected = vec![
        format!("{p}kv:{value}"),
        format!("{p}lock-fence:{lock}"),
        format!("{p}lock:{lock}"),
        format!("{p}set-seq:{set}"),
        format!("{p}set:{set}"),
    ];
    expected.sort();
    assert_eq!(found, expected);

    let stored: String = redis::cmd("GET")
        .arg(format!("{p}lock:{lock}"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        stored,
        format!("{}|host:1", lease.token),
        "the lock holds token and owner"
    );

    assert!(stores.locks.release(&lease).await.unwrap());
    stores
        .sets
        .remove(&set, &strings(&["a", "b"]))
        .await
        .unwrap();
    assert!(stores.key_values.delete(&value).await.unwrap());
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{marker}*"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        left,
        vec![format!("{p}lock-fence:{lock}")],
        "only the fence counter outlives its data"
    );
}

#[tokio::test]
async fn a_lost_set_counter_does_not_reorder_members() {
    let namespace = services::fresh_redis().await;
    let sets = stores(&namespace).await.sets;
    sets.add("queue", &strings(&["a", "b", "c"])).await.unwrap();
    let mut raw = raw(&namespace).await;
    let deleted: u64 = redis::cmd("DEL")
        .arg(format!("{}set-seq:queue", namespace.prefix))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(sets.add("queue", &strings(&["d", "a"])).await.unwrap(), 1);
    assert_eq!(
        sets.members("queue").await.unwrap(),
        strings(&["a", "b", "c", "d"])
    );
}

#[tokio::test]
async fn a_lock_value_without_owner_is_reported_corrupt() {
    let namespace = services::fresh_redis().await;
    let locks = stores(&namespace).await.locks;
    let mut raw = raw(&namespace).await;
    redis::cmd("SET")
        .arg(format!("{}lock:odd", namespace.prefix))
        .arg("no-separator")
        .query_async::<()>(&mut raw)
        .await
        .unwrap();
    assert!(matches!(
        locks.holder("odd").await,
        Err(StoreError::Corrupt {
            what: "lock value",
            ..
        })
    ));
}

#[tokio::test]
async fn zero_ttls_are_refused_before_anything_is_written() {
    let namespace = services::fresh_redis().await;
    let stores = stores(&namespace).await;
    assert!(matches!(
        stores.locks.try_acquire("l", "o", Duration::ZERO).await,
        Err(StoreError::Invalid { field: "ttl", .. })
    ));
    assert!(matches!(
        stores.key_values.put("k", "v", Some(Duration::ZERO)).await,
        Err(StoreError::Invalid { field: "ttl", .. })
    ));
    assert_eq!(stores.locks.holder("l").await.unwrap(), None);
    assert_eq!(stores.key_values.get("k").await.unwrap(), None);
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_not_a_hang() {
    let config = RedisConfig::new("redis://127.0.0.1:1");
    let result = tokio::time::timeout(HANG, RedisStores::connect(&config))
        .await
        .expect("connecting to a closed port must give up, not hang");
    match result {
        Err(StoreError::Unavailable { backend, .. }) => assert_eq!(backend, "Redis"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_unavailable_not_a_hang() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let mut config = RedisConfig::new(format!("redis://{address}"));
    config.response_timeout = Duration::from_millis(300);
    config.connect_timeout = Duration::from_millis(300);
    let result = tokio::time::timeout(HANG, RedisStores::connect(&config))
        .await
        .expect("a silent server must time out, not hang");
    silent.abort();
    assert!(
        matches!(
            result,
            Err(StoreError::Unavailable {
                backend: "Redis",
                ..
            })
        ),
        "expected Unavailable, got {result:?}"
    );
}

#[tokio::test]
async fn a_malformed_url_names_the_field_without_its_password() {
    let config = RedisConfig::new("redis://:hunter2@127.0.0.1:notaport");
    match RedisStores::connect(&config).await {
        Err(StoreError::Invalid { field, reason }) => {
            assert_eq!(field, "url");
            assert!(!reason.contains("hunter2"), "{reason}");
        }
        other => panic!("expected Invalid url, got {other:?}"),
    }
}
