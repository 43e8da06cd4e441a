//! `officeflow-sync` end to end: the binary as real processes against the Officeflow emulator, a fresh
//! PostgreSQL database and a fresh Redis namespace — filling, no-op reruns, convergence after changes, after a
//! killed run and under injected faults; the lock between processes (exit 3, a killed holder, renewal,
//! `--wait`, SIGTERM).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crmsync_domain::org::{Department, Tag, TagGroup, TagMember, UserOpenId};
use crmsync_ports::{LockStore, OrgStore};
use crmsync_redis::{RedisConfig, RedisStores};
use crmsync_sandbox::faults::{FaultPlan, FaultRates};
use crmsync_sandbox::officeflow::{
    ApiFaultSchedule, EmulatorConfig, OfficeflowEmulator, Org, OrgSpec,
};
use crmsync_store::postgres::PgOrgStore;
use crmsync_testkit::services::{self, RedisNamespace, TestDatabase};
use serde_json::Value;
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_e2e-officeflow-sync");
const PLATFORMS: [&str; 2] = ["wecom", "dingtalk"];

struct Setup {
    emulator: OfficeflowEmulator,
    db: TestDatabase,
    redis: RedisNamespace,
    lock_ttl_s: u64,
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn report(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("report is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }

    fn writes(&self) -> u64 {
        self.report()["writes"].as_u64().unwrap()
    }
}

impl Setup {
    async fn new(users: usize) -> Self {
        let emulator = OfficeflowEmulator::start(
            Org::generate(&OrgSpec::new(users)),
            EmulatorConfig::default(),
        )
        .await
        .unwrap();
        Self {
            emulator,
            db: services::fresh_postgres().await,
            redis: services::fresh_redis().await,
            lock_ttl_s: 3,
        }
    }

    fn command(&self, db_url: &str, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .arg("--json")
            .arg("-q")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let settings = [
            ("OFFICEFLOW__BASE_URL", self.emulator.base_url().to_owned()),
            ("OFFICEFLOW__APP_KEY", self.emulator.app_key().to_owned()),
            (
                "OFFICEFLOW__APP_SECRET",
                self.emulator.app_secret().to_owned(),
            ),
            ("OFFICEFLOW__RATE_LIMIT_PER_S", "45".to_owned()),
            ("OFFICEFLOW__TIMEOUT_S", "1".to_owned()),
            ("OFFICEFLOW__MAX_RETRIES", "8".to_owned()),
            ("OFFICEFLOW__BACKOFF_BASE_MS", "20".to_owned()),
            ("OFFICEFLOW__BACKOFF_MAX_MS", "200".to_owned()),
            ("OFFICEFLOW__PAGE_SIZE", "250".to_owned()),
            ("STORAGE__URL", db_url.to_owned()),
            ("REDIS__URL", self.redis.url.clone()),
            ("REDIS__KEY_PREFIX", self.redis.prefix.clone()),
            ("LOCK__TTL_S", self.lock_ttl_s.to_string()),
            ("SYNC__BATCH_SIZE", "500".to_owned()),
            ("RETRY__HEARTBEAT_S", "1".to_owned()),
            ("RETRY__STALE_AFTER_S", "2".to_owned()),
            ("RETRY__BACKOFF_BASE_S", "0".to_owned()),
        ];
        for (key, value) in settings {
            command.env(format!("OFFICEFLOW_SYNC__{key}"), value);
        }
        command
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(&self.db.url, args).spawn().unwrap()
    }

    async fn run_on(&self, db_url: &str, args: &[&str]) -> Outcome {
        let child = self.command(db_url, args).spawn().unwrap();
        finish(child).await
    }

    async fn run(&self, args: &[&str]) -> Outcome {
        self.run_on(&self.db.url, args).await
    }

    async fn locks(&self) -> impl LockStore {
        let config =
            RedisConfig::new(self.redis.url.clone()).with_key_prefix(self.redis.prefix.clone());
        RedisStores::connect(&config).await.unwrap().locks
    }

    fn store(&self) -> PgOrgStore {
        PgOrgStore::new(self.db.pool.clone())
    }
}

async fn finish(child: Child) -> Outcome {
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("officeflow-sync did not finish within 2 minutes")
        .unwrap();
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn assert_ok(outcome: &Outcome) {
    assert_eq!(
        outcome.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        outcome.stdout,
        outcome.stderr
    );
}

/// Waits until the lock is held (by a process that just started).
async fn wait_for_holder(locks: &impl LockStore) -> String {
    let started = Instant::now();
    loop {
        if let Some(holder) = locks.holder("officeflow:sync").await.unwrap() {
            return holder;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nobody took the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Everything the local copy holds, keyed by platform ids (local position ids may differ between databases).
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    departments: Vec<Department>,
    positions: BTreeSet<(String, String, bool)>,
    members: BTreeSet<(String, String, String)>,
    groups: Vec<TagGroup>,
    tags: Vec<Tag>,
    tag_members: Vec<TagMember>,
    openids: BTreeMap<String, Vec<UserOpenId>>,
    losing: BTreeMap<String, Vec<UserOpenId>>,
}

async fn snapshot(store: &impl OrgStore) -> Snapshot {
    let positions = store.positions().await.unwrap();
    let remote_of: BTreeMap<i64, String> = positions
        .iter()
        .map(|p| (p.id, p.remote_ids.join(",")))
        .collect();
    let mut openids = BTreeMap::new();
    let mut losing = BTreeMap::new();
    for platform in PLATFORMS {
        openids.insert(
            platform.to_owned(),
            store.user_openids(platform).await.unwrap(),
        );
        losing.insert(
            platform.to_owned(),
            store.openid_conflict_claims(platform).await.unwrap(),
        );
    }
    Snapshot {
        departments: store.departments().await.unwrap(),
        positions: positions
            .iter()
            .map(|p| (p.remote_ids.join(","), p.name.clone(), p.enabled))
            .collect(),
        members: store
            .position_members()
            .await
            .unwrap()
            .into_iter()
            .map(|m| {
                (
                    remote_of[&m.position_id].clone(),
                    m.department_id,
                    m.username,
                )
            })
            .collect(),
        groups: store.tag_groups().await.unwrap(),
        tags: store.tags().await.unwrap(),
        tag_members: store.tag_members().await.unwrap(),
        openids,
        losing,
    }
}

/// The end state of one clean run of the emulator's organisation into a fresh database.
async fn clean_reference(setup: &Setup) -> Snapshot {
    let reference = services::fresh_postgres().await;
    assert_ok(&setup.run_on(&reference.url, &["--all"]).await);
    snapshot(&PgOrgStore::new(reference.pool.clone())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_run_fills_the_database_and_a_second_writes_nothing() {
    let setup = Setup::new(2_000).await;
    let first = setup.run(&[]).await;
    assert_ok(&first);
    assert!(first.writes() > 2_000, "{}", first.stdout);
    let report = first.report();
    let tags = &report["parts"][2];
    assert_eq!(tags["part"], "tags");
    assert_eq!(
        tags["conflicts_total"], 1,
        "the generated static/dynamic name clash"
    );

    let counts = setup.store().counts().await.unwrap();
    let (departments, positions, users) = setup.emulator.with_org(|org| {
        (
            org.department_ids().len() as u64,
            org.position_ids().len() as u64,
            org.usernames().len(),
        )
    });
    assert_eq!(counts.departments, departments);
    assert_eq!(counts.positions, positions);
    assert!(counts.position_members > (users as u64) * 8 / 10);
    assert!(counts.user_openids > (users as u64) * 2 * 9 / 10);
    let filled = snapshot(&setup.store()).await;

    for args in [&[][..], &["--all"][..]] {
        let again = setup.run(args).await;
        assert_ok(&again);
        assert_eq!(again.writes(), 0, "{args:?}: {}", again.stdout);
    }
    assert_eq!(snapshot(&setup.store()).await, filled);

    let stats = setup.run(&["stats"]).await;
    assert_ok(&stats);
    let stats = stats.report();
    assert_eq!(
        stats["parts"].as_array().unwrap().len(),
        6,
        "departments, positions, tags, openids, attributes, processes"
    );
    assert_eq!(stats["counts"]["positions"], positions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_between_runs_are_picked_up_incrementally_and_match_a_full_reconciliation() {
    let setup = Setup::new(1_500).await;
    assert_ok(&setup.run(&[]).await);
    setup.emulator.with_org(|org| org.mutate(11, 3));
    let incremental = setup.run(&[]).await;
    assert_ok(&incremental);
    let report = incremental.report();
    let positions = &report["parts"][1]["changes"];
    assert!(
        positions["positions.added"].as_u64().unwrap() >= 1,
        "{positions}"
    );
    assert!(
        positions["positions.renamed"].as_u64().unwrap() >= 1,
        "{positions}"
    );
    assert!(
        positions["positions.disabled"].as_u64().unwrap() >= 1,
        "{positions}"
    );
    assert_eq!(report["parts"][1]["mode"], "incremental");

    let full = setup.run(&["--all"]).await;
    assert_ok(&full);
    assert_eq!(
        full.writes(),
        0,
        "the incremental run already reached what a full reconciliation reaches: {}",
        full.stdout
    );

    let (removed, name) = setup.emulator.with_org(|org| {
        let removed = org.position_ids()[0].clone();
        let name = org.position_name(&removed).unwrap().to_owned();
        org.remove_position(&removed);
        (removed, name)
    });
    assert_ok(&setup.run(&[]).await);
    let store = setup.store();
    let local = |positions: Vec<crmsync_domain::org::Position>| {
        positions
            .into_iter()
            .find(|p| p.remote_ids.contains(&removed))
            .unwrap()
    };
    let gone = local(store.positions().await.unwrap());
    assert!(
        !gone.enabled,
        "a vanished position is disabled, not deleted"
    );

    setup
        .emulator
        .with_org(|org| org.restore_position(&removed, &name));
    assert_ok(&setup.run(&[]).await);
    let back = local(store.positions().await.unwrap());
    assert!(back.enabled);
    assert_eq!(back.id, gone.id, "the returned position keeps its local id");
    let events: Vec<_> = store
        .position_history(back.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(events.first(), Some(&"added"));
    assert!(events.ends_with(&["disabled", "enabled"]), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_mid_way_then_rerun_reaches_the_clean_end_state() {
    let setup = Setup::new(2_000).await;
    let reference = clean_reference(&setup).await;

    setup.emulator.set_latency(Duration::from_millis(40));
    let mut victim = setup.spawn(&[]);
    let store = setup.store();
    let started = Instant::now();
    while store.counts().await.map_or(0, |c| c.position_members) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never wrote"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    victim.start_kill().unwrap();
    let status = victim.wait().await.unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    assert_ne!(
        snapshot(&store).await,
        reference,
        "the run was killed before it finished"
    );

    setup.emulator.set_latency(Duration::ZERO);
    let rerun = setup.run(&["--wait"]).await;
    assert_ok(&rerun);
    assert_eq!(snapshot(&store).await, reference);

    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let retried = setup.run(&["retry-failed"]).await;
    assert_ok(&retried);
    let report = retried.report();
    assert!(
        !report["sweep"]["marked_stale"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the killed run's part stopped heart-beating: {report}"
    );
    assert_eq!(
        snapshot(&store).await,
        reference,
        "the retry changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_lead_to_the_same_end_state() {
    let setup = Setup::new(1_000).await;
    let reference = clean_reference(&setup).await;
    let clean_requests = setup.emulator.requests();

    setup.emulator.set_faults(ApiFaultSchedule::transient_mix(
        29,
        Duration::from_millis(1_300),
    ));
    setup.emulator.set_transport_faults(
        FaultPlan::uniform(7, FaultRates::spread(0.08)).with_hang(Duration::from_millis(1_300)),
    );
    let before = setup.emulator.requests();
    let faulty = setup.run(&[]).await;
    assert_ok(&faulty);
    assert!(
        setup.emulator.requests() - before > clean_requests,
        "faults made the client retry"
    );
    let transport: u64 = setup
        .emulator
        .transport_fault_counts()
        .values()
        .map(|c| c.total())
        .sum();
    assert!(
        transport > 0,
        "dropped connections, 5xx pages and hangs were injected"
    );
    assert_eq!(snapshot(&setup.store()).await, reference);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_exits_3_while_the_first_runs() {
    let setup = Setup::new(300).await;
    setup.emulator.set_latency(Duration::from_millis(80));
    let locks = setup.locks().await;
    let first = setup.spawn(&[]);
    let holder = wait_for_holder(&locks).await;
    assert!(
        holder.ends_with(&format!(":{}", first.id().unwrap())),
        "{holder}"
    );

    let second = setup.run(&[]).await;
    assert_eq!(second.code, Some(3), "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains(&format!("already running by {holder}")),
        "{}",
        second.stderr
    );
    assert!(second.stdout.is_empty());
    assert_ok(&finish(first).await);
    assert!(
        locks.holder("officeflow:sync").await.unwrap().is_none(),
        "released"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_killed_with_sigkill_frees_the_lock_after_its_ttl() {
    let mut setup = Setup::new(300).await;
    setup.lock_ttl_s = 5;
    setup.emulator.set_latency(Duration::from_millis(80));
    let locks = setup.locks().await;
    let mut holder = setup.spawn(&[]);
    wait_for_holder(&locks).await;
    holder.start_kill().unwrap();
    holder.wait().await.unwrap();

    let too_early = setup.run(&[]).await;
    assert_eq!(
        too_early.code,
        Some(3),
        "the dead holder's lease still runs"
    );

    let started = Instant::now();
    while locks.holder("officeflow:sync").await.unwrap().is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the lease never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    setup.emulator.set_latency(Duration::ZERO);
    assert_ok(&setup.run(&[]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_keeps_a_long_runs_lock_beyond_its_ttl() {
    let mut setup = Setup::new(300).await;
    setup.lock_ttl_s = 1;
    setup.emulator.set_latency(Duration::from_millis(150));
    let locks = setup.locks().await;
    let mut long_run = setup.spawn(&[]);
    wait_for_holder(&locks).await;
    let started = Instant::now();
    let mut refused = 0;
    while long_run.try_wait().unwrap().is_none() {
        let contender = setup.run(&[]).await;
        if long_run.try_wait().unwrap().is_some() {
            break;
        }
        assert_eq!(
            contender.code,
            Some(3),
            "a contender got the lock {:?} into the run: {}",
            started.elapsed(),
            contender.stderr
        );
        refused += 1;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(
        refused >= 4,
        "the run lasted several TTLs; contenders refused: {refused}"
    );
    assert_ok(&finish(long_run).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_runs_after_the_holder_and_sigterm_releases_the_lock() {
    let setup = Setup::new(300).await;
    setup.emulator.set_latency(Duration::from_millis(60));
    let locks = setup.locks().await;
    let first = setup.spawn(&[]);
    wait_for_holder(&locks).await;
    let waiting = setup.spawn(&["--wait"]);
    assert_ok(&finish(first).await);
    let waited = finish(waiting).await;
    assert_ok(&waited);

    let stopped = setup.spawn(&["--all"]);
    wait_for_holder(&locks).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = stopped.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let outcome = finish(stopped).await;
    assert_eq!(outcome.code, Some(1), "{}", outcome.stderr);
    let report = outcome.report();
    let statuses: Vec<&str> = report["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"interrupted"), "{statuses:?}");
    assert!(
        locks.holder("officeflow:sync").await.unwrap().is_none(),
        "released on SIGTERM, not after the TTL"
    );
    let stats = setup.run(&["stats"]).await.report();
    let errors: Vec<String> = stats["parts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["recent_errors"].as_array().unwrap().clone())
        .map(|e| e["error"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("interrupted: SIGTERM")),
        "{errors:?}"
    );
}
