//! Tests of coupon generation: the step flow, resume after a kill at a random chunk, collisions with existing
//! coupons, exhaustion and interruption — on memory, SQLite and PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use crmsync_domain::coupon::{CouponFields, CouponType, PermutationKey, SettingsDraft, Template};
use crmsync_domain::{NewProcess, Process, ProcessId, ProcessKind, ProcessStatus};
use crmsync_ports::{
    ChunkCommit, ChunkOutcome, CouponStore, Expected, MockCouponStore, NoProgress, StoreError,
    StoredCoupon,
};
use crmsync_store::CouponStores;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::shutdown::{self, Shutdown};

fn draft(template: &str, count: u64) -> SettingsDraft {
    SettingsDraft {
        template: Some(template.into()),
        count: Some(count),
        discount_id: Some(3),
        coupon_type: Some("one_order".into()),
        ..SettingsDraft::default()
    }
}

fn key() -> PermutationKey {
    PermutationKey::from_bytes(*b"fixed test key!!")
}

fn generator(stores: &CouponStores, chunk_size: u32) -> CouponGenerator {
    CouponGenerator::new(stores.processes.clone(), stores.coupons.clone())
        .with_options(GenerationOptions { chunk_size })
}

async fn sqlite_stores() -> CouponStores {
    let dir = std::env::temp_dir().join(format!("crmsync-coupons-{}", rand::random::<u64>()));
    let url = format!("sqlite:{}", dir.join("coupons.sqlite").display());
    CouponStores::open(&url).await.unwrap()
}

async fn postgres_stores() -> CouponStores {
    let db = crmsync_testkit::services::fresh_postgres().await;
    CouponStores::open(&db.url).await.unwrap()
}

async fn all_codes(generator: &CouponGenerator, id: ProcessId) -> Vec<String> {
    let mut codes = Vec::new();
    let mut after = 0;
    loop {
        let page = generator.coupons_page(id, after, 1000).await.unwrap();
        let Some(last) = page.last() else {
            return codes;
        };
        after = last.id;
        codes.extend(page.into_iter().map(|c| c.code));
    }
}

fn fields() -> CouponFields {
    CouponFields {
        discount_id: 9,
        coupon_type: CouponType::BasketRow,
        active: true,
        active_from: None,
        active_to: None,
        max_uses: None,
        user_id: None,
        description: None,
    }
}

/// Asserts run `id` stored exactly `count` distinct codes of `template` and says so in the journal.
async fn assert_exactly(stores: &CouponStores, id: ProcessId, template: &str, count: u64) {
    let generator = generator(stores, 1000);
    let codes = all_codes(&generator, id).await;
    assert_eq!(codes.len() as u64, count, "stored codes");
    let distinct: HashSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len() as u64, count, "distinct codes");
    let parsed = SettingsDraft {
        template: Some(template.into()),
        ..SettingsDraft::default()
    }
    .parse_template()
    .unwrap();
    assert!(codes.iter().all(|c| parsed.matches(c)));
    assert_eq!(stores.coupons.count_by_process(id).await.unwrap(), count);
    let process = stores.processes.get(id).await.unwrap().unwrap();
    assert_eq!(process.processed(), count);
    assert_eq!(process.status(), ProcessStatus::Completed);
}

async fn step_flow_mirrors_the_module(stores: CouponStores) {
    let generator = generator(&stores, 300);
    let plan = plan(draft("ST-$$##", 2500)).unwrap();
    let started = generator.start_with_key(&plan, key()).await.unwrap();
    assert_eq!(started.status, ProcessStatus::Running);
    assert_eq!(started.processed, 0);
    assert_eq!(started.next_action, NextAction::Step);
    let id = started.id;
    assert!(matches!(
        generator.finish(id).await,
        Err(CouponError::InProgress {
            processed: 0,
            total: 2500,
            ..
        })
    ));
    let mut steps = 0;
    let mut report = started;
    while report.next_action == NextAction::Step {
        report = generator.step(id, StepBudget::MODULE).await.unwrap();
        steps += 1;
        assert!(report.processed <= 2500);
    }
    assert_eq!(steps, 3, "1000 codes per step");
    assert_eq!(report.next_action, NextAction::Finish);
    assert_eq!(report.progress_text(), "2500 of 2500 generated (100%)");
    let done = generator.finish(id).await.unwrap();
    assert_eq!(done.status, ProcessStatus::Completed);
    assert!(done.finished_at.is_some());
    assert_eq!(
        generator.finish(id).await.unwrap().status,
        ProcessStatus::Completed
    );
    assert!(matches!(
        generator.step(id, StepBudget::MODULE).await,
        Err(CouponError::NotRunning { .. })
    ));
    assert_exactly(&stores, id, "ST-$$##", 2500).await;
    let listed = generator.list(10).await.unwrap();
    assert_eq!(listed.first().map(|r| r.id), Some(id));
    assert_eq!(generator.latest().await.unwrap(), Some(id));
}

/// A coupon store that "dies" at chunk `kill_at`: before the commit (nothing written) or after it (written, but
/// the runner never learns it).
struct Killer {
    inner: Arc<dyn CouponStore>,
    kill_at: u32,
    after_commit: bool,
    seen: AtomicU32,
}

#[async_trait]
impl CouponStore for Killer {
    async fn commit_chunk<'a>(&self, chunk: &ChunkCommit<'a>) -> Result<ChunkOutcome, StoreError> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        if n == self.kill_at {
            if self.after_commit {
                self.inner.commit_chunk(chunk).await?;
            }
            return Err(StoreError::unavailable("killed", "the runner was killed"));
        }
        self.inner.commit_chunk(chunk).await
    }

    async fn end_run(&self, process: &Process, expected: Expected) -> Result<bool, StoreError> {
        self.inner.end_run(process, expected).await
    }

    async fn import(&self, fields: &CouponFields, codes: &[String]) -> Result<u64, StoreError> {
        self.inner.import(fields, codes).await
    }

    async fn delete_unused(&self, process: ProcessId) -> Result<u64, StoreError> {
        self.inner.delete_unused(process).await
    }

    async fn find(&self, code: &str) -> Result<Option<StoredCoupon>, StoreError> {
        self.inner.find(code).await
    }

    async fn count_by_process(&self, process: ProcessId) -> Result<u64, StoreError> {
        self.inner.count_by_process(process).await
    }

    async fn list_by_process(
        &self,
        process: ProcessId,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredCoupon>, StoreError> {
        self.inner.list_by_process(process, after_id, limit).await
    }
}

/// Generates `count` codes of `###-$$` in chunks of 97 with `preexisting` of its codes already in the table,
/// kills the runner at chunk `kill_at` (1000 codes take at least 11 chunks), resumes with a new runner, and
/// checks exactly `count` distinct codes.
async fn kill_and_resume(
    stores: CouponStores,
    count: u64,
    kill_at: u32,
    after_commit: bool,
    preexisting: usize,
) {
    let template = "###-$$";
    let parsed = draft(template, count).parse_template().unwrap();
    let mut rng = StdRng::seed_from_u64(u64::from(kill_at));
    let existing: Vec<String> = (0..preexisting)
        .map(|_| crmsync_domain::coupon::random_code(&parsed, &mut rng))
        .collect();
    stores.coupons.import(&fields(), &existing).await.unwrap();

    let killer = Arc::new(Killer {
        inner: stores.coupons.clone(),
        kill_at,
        after_commit,
        seen: AtomicU32::new(0),
    });
    let doomed = CouponGenerator::new(stores.processes.clone(), killer)
        .with_options(GenerationOptions { chunk_size: 97 });
    let plan = plan(draft(template, count)).unwrap();
    let id = doomed.start_with_key(&plan, key()).await.unwrap().id;
    let first = doomed.run_to_end(id, &NoProgress, &Shutdown::never()).await;
    assert!(matches!(first, Err(CouponError::Store(_))), "{first:?}");
    let stored = stores.processes.get(id).await.unwrap().unwrap();
    assert_eq!(
        stored.status(),
        ProcessStatus::Running,
        "a killed runner ends nothing"
    );

    let survivor = generator(&stores, 97);
    let reopened = survivor.reopen(id).await.unwrap();
    assert_eq!(reopened.status, ProcessStatus::Running);
    let done = survivor
        .run_to_end(id, &NoProgress, &Shutdown::never())
        .await
        .unwrap();
    assert_eq!(done.processed, count);
    assert_exactly(&stores, id, template, count).await;
    for code in &existing {
        let coupon = stores.coupons.find(code).await.unwrap().unwrap();
        assert_eq!(coupon.process, None, "pre-existing {code} kept its owner");
    }
}

async fn existing_coupons_are_skipped_up_to_the_exact_capacity(stores: CouponStores) {
    let existing: Vec<String> = (0..100).map(|i| format!("{:03}", i * 7)).collect();
    assert_eq!(
        stores.coupons.import(&fields(), &existing).await.unwrap(),
        100
    );
    let generator = generator(&stores, 128);
    let plan = plan(draft("###", 900)).unwrap();
    let id = generator.start_with_key(&plan, key()).await.unwrap().id;
    let done = generator
        .run_to_end(id, &NoProgress, &Shutdown::never())
        .await
        .unwrap();
    assert_eq!(done.processed, 900);
    assert_eq!(done.collisions, 100, "every index was needed");
    assert_exactly(&stores, id, "###", 900).await;
}

async fn an_exhausted_template_stops_with_what_was_possible(stores: CouponStores) {
    let existing: Vec<String> = (0..10).map(|i| format!("{i:02}")).collect();
    stores.coupons.import(&fields(), &existing).await.unwrap();
    let generator = generator(&stores, 16);
    let plan = plan(draft("##", 100)).unwrap();
    assert!(
        plan.warnings.iter().any(|w| w.contains("guess")),
        "{:?}",
        plan.warnings
    );
    let id = generator.start_with_key(&plan, key()).await.unwrap().id;
    let error = generator
        .run_to_end(id, &NoProgress, &Shutdown::never())
        .await
        .unwrap_err();
    match &error {
        CouponError::Exhausted {
            generated,
            requested,
            collisions,
            ..
        } => assert_eq!((*generated, *requested, *collisions), (90, 100, 10)),
        other => panic!("{other:?}"),
    }
    let process = stores.processes.get(id).await.unwrap().unwrap();
    assert_eq!(process.status(), ProcessStatus::Aborted);
    assert!(
        process
            .record()
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("only 90 of 100"),
        "{:?}",
        process.record().last_error
    );
    assert_eq!(stores.coupons.count_by_process(id).await.unwrap(), 90);
    assert!(matches!(
        generator.reopen(id).await,
        Err(CouponError::NotResumable { .. })
    ));
}

async fn an_interrupted_run_resumes_as_a_new_attempt(stores: CouponStores) {
    let generator = generator(&stores, 50);
    let plan = plan(draft("IN-####", 400)).unwrap();
    let id = generator.start_with_key(&plan, key()).await.unwrap().id;
    generator
        .step(
            id,
            StepBudget {
                max_codes: Some(120),
                max_time: None,
            },
        )
        .await
        .unwrap();
    let (trigger, stop) = shutdown::channel();
    trigger.trigger("SIGINT");
    let error = generator
        .run_to_end(id, &NoProgress, &stop)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, CouponError::Interrupted { processed: 120, reason, .. } if reason == "SIGINT"),
        "{error:?}"
    );
    let failed = stores.processes.get(id).await.unwrap().unwrap();
    assert_eq!(failed.status(), ProcessStatus::Failed);
    assert_eq!(failed.processed(), 120);
    let reopened = generator.reopen(id).await.unwrap();
    assert_eq!(reopened.status, ProcessStatus::Running);
    assert_eq!(
        stores.processes.get(id).await.unwrap().unwrap().attempts(),
        2
    );
    generator
        .run_to_end(id, &NoProgress, &Shutdown::never())
        .await
        .unwrap();
    assert_exactly(&stores, id, "IN-####", 400).await;
}

async fn other_runs_are_refused(stores: CouponStores) {
    let generator = generator(&stores, 10);
    assert!(matches!(
        generator.status(ProcessId(999_999)).await,
        Err(CouponError::NotFound { .. })
    ));
    let other = stores
        .processes
        .create(NewProcess {
            kind: ProcessKind::new("officeflow.positions").unwrap(),
            settings: serde_json::json!({}),
            total: None,
        })
        .await
        .unwrap();
    let error = generator.status(other.id()).await.unwrap_err();
    assert!(matches!(error, CouponError::WrongKind { .. }));
    assert!(error.is_bad_request());
}

#[tokio::test]
async fn memory_step_flow() {
    step_flow_mirrors_the_module(CouponStores::memory()).await;
}

#[tokio::test]
async fn sqlite_step_flow() {
    step_flow_mirrors_the_module(sqlite_stores().await).await;
}

#[tokio::test]
async fn postgres_step_flow() {
    step_flow_mirrors_the_module(postgres_stores().await).await;
}

#[tokio::test]
async fn memory_existing_coupons() {
    existing_coupons_are_skipped_up_to_the_exact_capacity(CouponStores::memory()).await;
}

#[tokio::test]
async fn sqlite_existing_coupons() {
    existing_coupons_are_skipped_up_to_the_exact_capacity(sqlite_stores().await).await;
}

#[tokio::test]
async fn postgres_existing_coupons() {
    existing_coupons_are_skipped_up_to_the_exact_capacity(postgres_stores().await).await;
}

#[tokio::test]
async fn memory_exhaustion() {
    an_exhausted_template_stops_with_what_was_possible(CouponStores::memory()).await;
}

#[tokio::test]
async fn sqlite_exhaustion() {
    an_exhausted_template_stops_with_what_was_possible(sqlite_stores().await).await;
}

#[tokio::test]
async fn postgres_exhaustion() {
    an_exhausted_template_stops_with_what_was_possible(postgres_stores().await).await;
}

#[tokio::test]
async fn memory_interruption() {
    an_interrupted_run_resumes_as_a_new_attempt(CouponStores::memory()).await;
}

#[tokio::test]
async fn sqlite_interruption() {
    an_interrupted_run_resumes_as_a_new_attempt(sqlite_stores().await).await;
}

#[tokio::test]
async fn postgres_interruption() {
    an_interrupted_run_resumes_as_a_new_attempt(postgres_stores().await).await;
}

#[tokio::test]
async fn memory_other_runs() {
    other_runs_are_refused(CouponStores::memory()).await;
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn memory_resume_after_a_kill_at_a_random_chunk(
        kill_at in 0u32..11,
        after_commit in any::<bool>(),
        preexisting in 0usize..40,
    ) {
        runtime().block_on(kill_and_resume(CouponStores::memory(), 1000, kill_at, after_commit, preexisting));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn sqlite_resume_after_a_kill_at_a_random_chunk(
        kill_at in 0u32..11,
        after_commit in any::<bool>(),
        preexisting in 0usize..40,
    ) {
        runtime().block_on(async {
            kill_and_resume(sqlite_stores().await, 1000, kill_at, after_commit, preexisting).await;
        });
    }

    #[test]
    fn postgres_resume_after_a_kill_at_a_random_chunk(
        kill_at in 0u32..11,
        after_commit in any::<bool>(),
        preexisting in 0usize..40,
    ) {
        runtime().block_on(async {
            kill_and_resume(postgres_stores().await, 1000, kill_at, after_commit, preexisting).await;
        });
    }
}

#[tokio::test]
async fn chunks_replace_collisions_with_further_draws() {
    let stores = CouponStores::memory();
    let mut coupons = MockCouponStore::new();
    coupons
        .expect_check_settings()
        .returning(|_, _| Ok(Vec::new()));
    let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = sizes.clone();
    coupons
        .expect_commit_chunk()
        .times(4)
        .returning(move |chunk| {
            let mut sizes = recorded.lock().unwrap();
            let inserted = [10u64, 7, 5, 3][sizes.len()];
            sizes.push(chunk.codes.len());
            Ok(ChunkOutcome::Committed { inserted })
        });
    let generator = CouponGenerator::new(stores.processes.clone(), Arc::new(coupons))
        .with_options(GenerationOptions { chunk_size: 10 });
    let plan = plan(draft("MK-####", 25)).unwrap();
    let id = generator.start_with_key(&plan, key()).await.unwrap().id;
    let report = generator.step(id, StepBudget::UNLIMITED).await.unwrap();
    assert_eq!(report.processed, 25);
    assert_eq!(report.collisions, 3 + 3, "10 drawn for 7, then 8 for 5");
    assert_eq!(*sizes.lock().unwrap(), vec![10, 10, 8, 3]);
}

#[tokio::test]
async fn a_stale_chunk_is_a_conflict_and_changes_nothing() {
    let stores = CouponStores::memory();
    let mut coupons = MockCouponStore::new();
    coupons
        .expect_check_settings()
        .returning(|_, _| Ok(Vec::new()));
    coupons
        .expect_commit_chunk()
        .times(1)
        .returning(|_| Ok(ChunkOutcome::Stale));
    coupons.expect_end_run().never();
    let generator = CouponGenerator::new(stores.processes.clone(), Arc::new(coupons));
    let plan = plan(draft("CF-####", 5)).unwrap();
    let id = generator.start_with_key(&plan, key()).await.unwrap().id;
    assert!(matches!(
        generator.step(id, StepBudget::MODULE).await,
        Err(CouponError::Conflict { .. })
    ));
}

#[test]
fn plans_reject_bad_settings_and_previews_draw_matching_codes() {
    let errors = plan(SettingsDraft::default()).unwrap_err();
    assert!(errors.has("template") && errors.has("count") && errors.has("discount_id"));
    let mut rng = StdRng::seed_from_u64(1);
    let shown = preview(&draft("PR-@@##", 1), 20, &mut rng).unwrap();
    assert_eq!(shown.codes.len(), 20);
    let template: Template = draft("PR-@@##", 1).parse_template().unwrap();
    assert!(shown.codes.iter().all(|c| template.matches(c)));
    assert_eq!(shown.capacity.value(), 33 * 33 * 100);
    assert!(preview(&draft("#", 1), 0, &mut rng).is_err());
    assert!(preview(&draft("#", 1), MAX_PREVIEW + 1, &mut rng).is_err());
    assert!(
        preview(&draft(r"\q", 1), 5, &mut rng)
            .unwrap_err()
            .has("template")
    );
    let new = plan(draft("#", 3)).unwrap().new_process().unwrap();
    assert_eq!(new.kind.as_str(), KIND);
    assert_eq!(new.total, Some(3));
}

#[test]
fn checkpoints_round_trip_and_refuse_other_versions() {
    let checkpoint = Checkpoint::start(key()).advanced(u128::MAX - 5);
    let json = checkpoint.to_json();
    assert_eq!(Checkpoint::from_json(&json), Ok(checkpoint));
    let mut future = json.clone();
    future["version"] = serde_json::json!(2);
    assert!(
        Checkpoint::from_json(&future)
            .unwrap_err()
            .contains("version 2")
    );
    let mut broken = json;
    broken["next_index"] = serde_json::json!("-1");
    assert!(Checkpoint::from_json(&broken).is_err());
}

#[tokio::test]
async fn stored_settings_are_checked_again_on_load() {
    let stores = CouponStores::memory();
    let process = stores
        .processes
        .create(NewProcess {
            kind: kind(),
            settings: serde_json::json!({"template": "#"}),
            total: Some(1),
        })
        .await
        .unwrap();
    let generator = generator(&stores, 10);
    assert!(matches!(
        generator.status(process.id()).await,
        Err(CouponError::Corrupt { .. })
    ));
}
