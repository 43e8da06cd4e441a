//! What every `ProcessStore` must do.

use chrono::{DateTime, Duration, DurationRound, Utc};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessKind, ProcessRecord, ProcessStatus};
use crmsync_ports::{Expected, Heartbeat, ProcessFilter, ProcessStore};
use serde_json::json;

fn kind(name: &str) -> ProcessKind {
    ProcessKind::new(name).unwrap()
}

fn new(name: &str) -> NewProcess {
    NewProcess {
        kind: kind(name),
        settings: json!({"template": "A-###", "count": 3, "note": "Привет"}),
        total: Some(3),
    }
}

/// Stores keep at least microseconds; compare at that precision.
fn micros(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.map(|t| t.duration_trunc(Duration::microseconds(1)).unwrap())
}

fn normalised(record: &ProcessRecord) -> ProcessRecord {
    let mut r = record.clone();
    r.created_at = micros(Some(r.created_at)).unwrap();
    r.started_at = micros(r.started_at);
    r.finished_at = micros(r.finished_at);
    r.heartbeat_at = micros(r.heartbeat_at);
    r
}

async fn save(store: &dyn ProcessStore, before: &Process, after: &Process) {
    assert!(
        store.save(after, Expected::from(before)).await.unwrap(),
        "save of process {} refused",
        after.id()
    );
}

/// Runs every check against `store`, which must be empty.
pub async fn process_store(store: &dyn ProcessStore) {
    create_assigns_increasing_ids_and_round_trips(store).await;
    save_is_a_compare_and_set(store).await;
    list_filters_newest_first(store).await;
    stale_and_retryable_entries_are_found(store).await;
    heartbeat_updates_progress_only_for_the_current_attempt(store).await;
}

async fn create_assigns_increasing_ids_and_round_trips(store: &dyn ProcessStore) {
    let a = store.create(new("contract.create")).await.unwrap();
    let b = store.create(new("contract.create")).await.unwrap();
    assert!(b.id() > a.id(), "ids must increase");
    assert_eq!(a.status(), ProcessStatus::Pending);
    assert_eq!(a.settings()["note"], "Привет");
    assert!(store.get(ProcessId(i64::MAX)).await.unwrap().is_none());

    let mut full = a.clone();
    full.start(Utc::now()).unwrap();
    full.progress(2, Some(5), Some("chunk 2 of 5 — ok".into()), Utc::now())
        .unwrap();
    full.set_checkpoint(json!({"key": "k", "next_index": 2, "big": u64::MAX}))
        .unwrap();
    save(store, &a, &full).await;
    let read = store.get(a.id()).await.unwrap().unwrap();
    assert_eq!(normalised(read.record()), normalised(full.record()));
}

async fn save_is_a_compare_and_set(store: &dyn ProcessStore) {
    let created = store.create(new("contract.cas")).await.unwrap();
    let mut first = created.clone();
    first.start(Utc::now()).unwrap();
    let mut second = created.clone();
    second.abort("operator", Utc::now()).unwrap();
    save(store, &created, &first).await;
    assert!(
        !store.save(&second, Expected::from(&created)).await.unwrap(),
        "a stale writer must lose"
    );
    assert_eq!(
        store.get(created.id()).await.unwrap().unwrap().status(),
        ProcessStatus::Running
    );

    // A zombie attempt (same status, older attempt count) cannot overwrite a newer attempt.
    let mut failed = first.clone();
    failed.fail("boom", Utc::now()).unwrap();
    save(store, &first, &failed).await;
    let mut retried = failed.clone();
    retried.requeue().unwrap();
    retried.start(Utc::now()).unwrap();
    save(store, &failed, &retried).await;
    let mut zombie = first.clone();
    zombie.complete(Utc::now()).unwrap();
    assert!(!store.save(&zombie, Expected::from(&first)).await.unwrap());
    let stored = store.get(created.id()).await.unwrap().unwrap();
    assert_eq!(
        (stored.status(), stored.attempts()),
        (ProcessStatus::Running, 2)
    );
}

async fn list_filters_newest_first(store: &dyn ProcessStore) {
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(store.create(new("contract.list-a")).await.unwrap().id());
    }
    let b = store.create(new("contract.list-b")).await.unwrap();
    let listed = store
        .list(&ProcessFilter {
            kind: Some(kind("contract.list-a")),
            ..ProcessFilter::default()
        })
        .await
        .unwrap();
    let listed_ids: Vec<_> = listed.iter().map(Process::id).collect();
    ids.reverse();
    assert_eq!(listed_ids, ids);

    let limited = store
        .list(&ProcessFilter {
            kind: Some(kind("contract.list-a")),
            limit: Some(2),
            ..Default::default()
        })
        .await;
    assert_eq!(limited.unwrap().len(), 2);

    let mut running = b.clone();
    running.start(Utc::now()).unwrap();
    save(store, &b, &running).await;
    let by_status = store
        .list(&ProcessFilter {
            status: Some(ProcessStatus::Running),
            kind: Some(kind("contract.list-b")),
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(
        by_status.iter().map(Process::id).collect::<Vec<_>>(),
        vec![b.id()]
    );
}

async fn stale_and_retryable_entries_are_found(store: &dyn ProcessStore) {
    let now = Utc::now();
    let long_ago = now - Duration::hours(2);

    let old = store.create(new("contract.stale")).await.unwrap();
    let mut old_running = old.clone();
    old_running.start(long_ago).unwrap();
    save(store, &old, &old_running).await;

    let fresh = store.create(new("contract.stale")).await.unwrap();
    let mut fresh_running = fresh.clone();
    fresh_running.start(now).unwrap();
    save(store, &fresh, &fresh_running).await;

    let stale = store
        .find_stale(now - Duration::minutes(10), 100)
        .await
        .unwrap();
    let stale_ids: Vec<_> = stale.iter().map(Process::id).collect();
    assert!(stale_ids.contains(&old.id()), "an old heartbeat is stale");
    assert!(
        !stale_ids.contains(&fresh.id()),
        "a fresh heartbeat is not stale"
    );

    let mut failed_once = old_running.clone();
    failed_once.fail("first", now).unwrap();
    save(store, &old_running, &failed_once).await;
    let candidates = store.retry_candidates(2, 100).await.unwrap();
    assert!(
        candidates.iter().any(|p| p.id() == old.id()),
        "1 attempt < max 2: retryable"
    );
    let candidates = store.retry_candidates(1, 100).await.unwrap();
    assert!(
        candidates.iter().all(|p| p.id() != old.id()),
        "1 attempt = max 1: not retryable"
    );
    assert!(
        store
            .retry_candidates(5, 100)
            .await
            .unwrap()
            .iter()
            .all(|p| p.status() == ProcessStatus::Failed)
    );
}

async fn heartbeat_updates_progress_only_for_the_current_attempt(store: &dyn ProcessStore) {
    let created = store.create(new("contract.heartbeat")).await.unwrap();
    let mut running = created.clone();
    running.start(Utc::now()).unwrap();
    running.set_checkpoint(json!({"next": 1})).unwrap();
    save(store, &created, &running).await;

    let beat = Heartbeat {
        id: created.id(),
        processed: 7,
        total: None,
        message: Some("7 done".into()),
        at: Utc::now(),
    };
    assert!(
        store
            .heartbeat(&beat, Expected::from(&running))
            .await
            .unwrap()
    );
    let read = store.get(created.id()).await.unwrap().unwrap();
    assert_eq!(
        (
            read.processed(),
            read.total(),
            read.record().message.as_deref()
        ),
        (7, Some(3), Some("7 done"))
    );
    assert_eq!(
        read.checkpoint(),
        Some(&json!({"next": 1})),
        "a heartbeat keeps the checkpoint"
    );
    assert_eq!(micros(read.record().heartbeat_at), micros(Some(beat.at)));

    let stale_attempt = Expected {
        status: ProcessStatus::Running,
        attempts: running.attempts() + 1,
    };
    assert!(
        !store.heartbeat(&beat, stale_attempt).await.unwrap(),
        "another attempt's heartbeat is refused"
    );
    let mut done = read.clone();
    done.complete(Utc::now()).unwrap();
    save(store, &read, &done).await;
    assert!(
        !store.heartbeat(&beat, Expected::from(&read)).await.unwrap(),
        "no heartbeat after the end"
    );
}
