//! What every `CouponStore` must do, next to the `ProcessStore` of the same database.

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};
use crmsync_domain::coupon::{CouponFields, CouponType};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessKind, ProcessStatus};
use crmsync_ports::{ChunkCommit, ChunkOutcome, CouponStore, Expected, ProcessStore};
use serde_json::{Value, json};

fn fields() -> CouponFields {
    CouponFields {
        discount_id: 42,
        coupon_type: CouponType::MultiOrder,
        active: true,
        active_from: Some(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()),
        active_to: Some(Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap()),
        max_uses: Some(5),
        user_id: Some(77),
        description: Some("Новогодняя акция, 10%".into()),
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::microseconds(1))
        .unwrap()
}

fn checkpoint(next: u64) -> Value {
    json!({"key": "00112233445566778899aabbccddeeff", "next_index": next.to_string(), "version": 1})
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| (*c).to_owned()).collect()
}

/// A running generation entry holding `checkpoint(0)`.
async fn running(processes: &dyn ProcessStore) -> Process {
    let created = processes
        .create(NewProcess {
            kind: ProcessKind::new("contract.coupons").unwrap(),
            settings: json!({"template": "A#"}),
            total: Some(100),
        })
        .await
        .unwrap();
    let mut process = created.clone();
    process.start(Utc::now()).unwrap();
    process.set_checkpoint(checkpoint(0)).unwrap();
    assert!(
        processes
            .save(&process, Expected::from(&created))
            .await
            .unwrap()
    );
    process
}

async fn commit(
    coupons: &dyn CouponStore,
    process: &Process,
    from: u64,
    list: &[String],
) -> ChunkOutcome {
    let expected = checkpoint(from);
    let next = checkpoint(from + list.len() as u64);
    coupons
        .commit_chunk(&ChunkCommit {
            process: process.id(),
            attempts: process.attempts(),
            expected_checkpoint: &expected,
            next_checkpoint: &next,
            fields: &fields(),
            codes: list,
            at: now(),
        })
        .await
        .unwrap()
}

/// Runs every check; `processes` and `coupons` must share one empty database.
pub async fn coupon_store(processes: &dyn ProcessStore, coupons: &dyn CouponStore) {
    a_chunk_and_its_progress_commit_together(processes, coupons).await;
    existing_codes_are_skipped_and_not_counted(processes, coupons).await;
    large_chunks_skip_exactly_the_taken_codes(processes, coupons).await;
    stale_writers_write_nothing(processes, coupons).await;
    codes_are_case_sensitive_and_unicode(processes, coupons).await;
    listing_pages_in_insertion_order(processes, coupons).await;
    ending_a_run_never_touches_progress(processes, coupons).await;
    deleting_unused_coupons_touches_only_that_run(processes, coupons).await;
}

async fn a_chunk_and_its_progress_commit_together(
    processes: &dyn ProcessStore,
    coupons: &dyn CouponStore,
) {
    let process = running(processes).await;
    let at = now();
    let list = codes(&["C-A1", "C-Ж2", "C-b3"]);
    let expected = checkpoint(0);
    let next = checkpoint(3);
    let outcome = coupons
        .commit_chunk(&ChunkCommit {
            process: process.id(),
            attempts: process.attempts(),
            expected_checkpoint: &expected,
            next_checkpoint: &next,
            fields: &fields(),
            codes: &list,
            at,
        })
        .await
        .unwrap();
    assert_eq!(outcome, ChunkOutcome::Committed { inserted: 3 });
    let stored = processes.get(process.id()).await.unwrap().unwrap();
    assert_eq!(stored.processed(), 3);
    assert_eq!(stored.checkpoint(), Some(&next));
    assert_eq!(stored.record().heartbeat_at, Some(at));
    assert_eq!(stored.status(), ProcessStatus::Running);
    assert_eq!(coupons.count_by_process(process.id()).await.unwrap(), 3);
    let found = coupons.find("C-Ж2").await.unwrap().unwrap();
    assert_eq!(found.code, "C-Ж2");
    assert_eq!(found.fields, fields());
    assert_eq!(found.process, Some(process.id()));
    assert_eq!(found.created_at, at);
    assert!(coupons.find("C-none").await.unwrap().is_none());
}

async fn existing_codes_are_skipped_and_not_counted(
    processes: &dyn ProcessStore,
    coupons: &dyn CouponStore,
) {
    assert_eq!(
        coupons
            .import(&fields(), &codes(&["X-1", "X-2"]))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        coupons
            .import(&fields(), &codes(&["X-2", "X-3"]))
            .await
            .unwrap(),
        1
    );
    let process = running(processes).await;
    let outcome = commit(
        coupons,
        &process,
        0,
        &codes(&["X-1", "N-1", "X-3", "N-2", "N-2"]),
    )
    .await;
    assert_eq!(outcome, ChunkOutcome::Committed { inserted: 2 });
    let stored = processes.get(process.id()).await.unwrap().unwrap();
    assert_eq!(stored.processed(), 2);
    assert_eq!(stored.checkpoint(), Some(&checkpoint(5)));
    assert_eq!(coupons.find("X-1").await.unwrap().unwrap().process, None);
    assert_eq!(
        coupons.find("N-2").await.unwrap().unwrap().process,
        Some(process.id())
    );
}

async fn large_chunks_skip_exactly_the_taken_codes(
    processes: &dyn ProcessStore,
    coupons: &dyn CouponStore,
) {
    let all: Vec<String> = (0..2000).map(|i| format!("L-{i:05}")).collect();
    let taken = [all[7].clone(), all[500].clone(), all[1999].clone()];
    assert_eq!(coupons.import(&fields(), &taken).await.unwrap(), 3);
    let process = running(processes).await;
    assert_eq!(
        commit(coupons, &process, 0, &all[..1000]).await,
        ChunkOutcome::Committed { inserted: 998 }
    );
    assert_eq!(
        commit(coupons, &process, 1000, &all[1000..]).await,
        ChunkOutcome::Committed { inserted: 999 }
    );
    let fresh: Vec<String> = (0..1000).map(|i| format!("M-{i:05}")).collect();
    assert_eq!(
        commit(coupons, &process, 2000, &fresh).await,
        ChunkOutcome::Committed { inserted: 1000 },
        "a chunk after one that met taken codes"
    );
    let stored = processes.get(process.id()).await.unwrap().unwrap();
    assert_eq!(stored.processed(), 2997);
    assert_eq!(stored.checkpoint(), Some(&checkpoint(3000)));
    assert_eq!(coupons.count_by_process(process.id()).await.unwrap(), 2997);
    for code in &taken {
        assert_eq!(
            coupons.find(code).await.unwrap().unwrap().process,
            None,
            "{code}"
        );
    }
    for code in [&all[8], &all[1998], &fresh[999]] {
        assert_eq!(
            coupons.find(code).await.unwrap().unwrap().process,
            Some(process.id()),
            "{code}"
        );
    }
}

/// A chunk with `refused` fields, which the store's database rejects, fails and writes nothing — not its codes,
/// not the journal's progress — even when it meets a code that already exists; the store then goes on as before.
/// `processes` and `coupons` must share one empty database.
pub async fn refused_chunk_writes_nothing(
    processes: &dyn ProcessStore,
    coupons: &dyn CouponStore,
    refused: CouponFields,
) {
    let process = running(processes).await;
    assert_eq!(
        commit(coupons, &process, 0, &codes(&["R-1"])).await,
        ChunkOutcome::Committed { inserted: 1 }
    );
    assert_eq!(
        coupons
            .import(&fields(), &codes(&["R-taken"]))
            .await
            .unwrap(),
        1
    );
    for list in [codes(&["R-2", "R-3"]), codes(&["R-2", "R-taken", "R-3"])] {
        let failed = coupons
            .commit_chunk(&ChunkCommit {
                process: process.id(),
                attempts: process.attempts(),
                expected_checkpoint: &checkpoint(1),
                next_checkpoint: &checkpoint(1 + list.len() as u64),
                fields: &refused,
                codes: &list,
                at: now(),
            })
            .await;
        assert!(failed.is_err(), "{list:?}: {failed:?}");
        let stored = processes.get(process.id()).await.unwrap().unwrap();
        assert_eq!(stored.processed(), 1);
        assert_eq!(stored.checkpoint(), Some(&checkpoint(1)));
        for code in ["R-2", "R-3"] {
            assert!(coupons.find(code).await.unwrap().is_none(), "{code}");
        }
        assert_eq!(
            coupons.find("R-taken").await.unwrap().unwrap().process,
            None
        );
    }
    assert_eq!(
        commit(coupons, &process, 1, &codes(&["R-2", "R-taken", "R-3"])).await,
        ChunkOutcome::Committed { inserted: 2 }
    );
    assert_eq!(coupons.count_by_process(process.id()).await.unwrap(), 3);
}

async fn stale_writers_write_nothing(processes: &dyn ProcessStore, coupons: &dyn CouponStore) {
    let process = running(processes).await;
    assert!(matches!(
        commit(coupons, &process, 0, &codes(&["S-1"])).await,
        ChunkOutcome::Committed { inserted: 1 }
    ));
    assert_eq!(
        commit(coupons, &process, 0, &codes(&["S-2"])).await,
        ChunkOutcome::Stale,
        "the checkpoint moved on"
    );
    let mut one_more_key = checkpoint(1);
    one_more_key["extra"] = json!(true);
    let mut wrong_type = checkpoint(1);
    wrong_type["version"] = json!("1");
    for expected in [one_more_key, wrong_type, json!({"next_index": "1"})] {
        let outcome = coupons
            .commit_chunk(&ChunkCommit {
                process: process.id(),
                attempts: process.attempts(),
                expected_checkpoint: &expected,
                next_checkpoint: &checkpoint(2),
                fields: &fields(),
                codes: &codes(&["S-6"]),
                at: now(),
            })
            .await
            .unwrap();
        assert_eq!(outcome, ChunkOutcome::Stale, "{expected}");
    }
    let mut other_attempt = process.clone();
    other_attempt.fail("x", Utc::now()).unwrap();
    other_attempt.requeue().unwrap();
    other_attempt.start(Utc::now()).unwrap();
    assert_eq!(
        commit(coupons, &other_attempt, 1, &codes(&["S-3"])).await,
        ChunkOutcome::Stale,
        "another attempt"
    );
    let missing = Process::restore(crmsync_domain::ProcessRecord {
        id: ProcessId(i64::MAX),
        ..process.record().clone()
    });
    assert_eq!(
        commit(coupons, &missing, 1, &codes(&["S-4"])).await,
        ChunkOutcome::Stale
    );
    let mut done = processes.get(process.id()).await.unwrap().unwrap();
    let before = Expected::from(&done);
    done.complete(Utc::now()).unwrap();
    assert!(coupons.end_run(&done, before).await.unwrap());
    assert_eq!(
        commit(coupons, &process, 1, &codes(&["S-5"])).await,
        ChunkOutcome::Stale,
        "no longer running"
    );
    for code in ["S-2", "S-3", "S-4", "S-5", "S-6"] {
        assert!(coupons.find(code).await.unwrap().is_none(), "{code}");
    }
    let stored = processes.get(process.id()).await.unwrap().unwrap();
    assert_eq!(stored.processed(), 1);
    assert_eq!(stored.checkpoint(), Some(&checkpoint(1)));
}

async fn codes_are_case_sensitive_and_unicode(
    processes: &dyn ProcessStore,
    coupons: &dyn CouponStore,
) {
    let process = running(processes).await;
    let outcome = commit(
        coupons,
        &process,
        0,
        &codes(&["case-ab", "CASE-AB", "case-ёж", "CASE-ЁЖ", r"case-\#"]),
    )
    .await;
    assert_eq!(outcome, ChunkOutcome::Committed { inserted: 5 });
    assert_eq!(
        coupons.find(r"case-\#").await.unwrap().unwrap().code,
        r"case-\#"
    );
}

async fn listing_pages_in_insertion_order(processes: &dyn ProcessStore, coupons: &dyn CouponStore) {
    let process = running(processes).await;
    let all: Vec<String> = (0..25).rev().map(|i| format!("P-{i:03}")).collect();
    commit(coupons, &process, 0, &all[..12]).await;
    commit(coupons, &process, 12, &all[12..]).await;
    let mut listed = Vec::new();
    let mut after = 0;
    loop {
        let page = coupons
            .list_by_process(process.id(), after, 10)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 10);
        after = page.last().unwrap().id;
        listed.extend(page.into_iter().map(|c| c.code));
    }
    assert_eq!(listed, all);
    assert_eq!(coupons.count_by_process(process.id()).await.unwrap(), 25);
}

async fn ending_a_run_never_touches_progress(
    processes: &dyn ProcessStore,
    coupons: &dyn CouponStore,
) {
    let process = running(processes).await;
    let stale_mirror = process.clone();
    commit(coupons, &process, 0, &codes(&["E-1", "E-2"])).await;
    let mut failed = stale_mirror.clone();
    failed.fail("interrupted: SIGINT", Utc::now()).unwrap();
    assert!(
        coupons
            .end_run(&failed, Expected::from(&stale_mirror))
            .await
            .unwrap()
    );
    let stored = processes.get(process.id()).await.unwrap().unwrap();
    assert_eq!(stored.status(), ProcessStatus::Failed);
    assert_eq!(
        stored.record().last_error.as_deref(),
        Some("interrupted: SIGINT")
    );
    assert_eq!(stored.processed(), 2);
    assert_eq!(stored.checkpoint(), Some(&checkpoint(2)));
    assert!(
        !coupons
            .end_run(&failed, Expected::from(&stale_mirror))
            .await
            .unwrap(),
        "the entry is no longer running"
    );
}

async fn deleting_unused_coupons_touches_only_that_run(
    processes: &dyn ProcessStore,
    coupons: &dyn CouponStore,
) {
    let doomed = running(processes).await;
    let kept = running(processes).await;
    commit(coupons, &doomed, 0, &codes(&["D-1", "D-2", "D-3"])).await;
    commit(coupons, &kept, 0, &codes(&["D-4"])).await;
    assert_eq!(
        coupons.import(&fields(), &codes(&["D-5"])).await.unwrap(),
        1
    );
    assert_eq!(coupons.delete_unused(doomed.id()).await.unwrap(), 3);
    assert_eq!(coupons.count_by_process(doomed.id()).await.unwrap(), 0);
    assert!(coupons.find("D-2").await.unwrap().is_none());
    assert_eq!(coupons.count_by_process(kept.id()).await.unwrap(), 1);
    assert!(coupons.find("D-5").await.unwrap().is_some());
    assert_eq!(coupons.delete_unused(doomed.id()).await.unwrap(), 0);
    commit(coupons, &kept, 1, &codes(&["D-6"])).await;
    let page = coupons.list_by_process(kept.id(), 0, 10).await.unwrap();
    assert_eq!(
        page.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(),
        ["D-4", "D-6"],
        "ids keep increasing after a delete"
    );
}
