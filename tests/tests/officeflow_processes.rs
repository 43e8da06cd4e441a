//! `officeflow-sync`'s processes part end to end: the binary as real processes against two emulators — the
//! platform serving the office flows and a source of its own serving the out-of-school flows, a category
//! that is configuration only — a fresh PostgreSQL database and the lock on Redis. A first run fills, a rerun
//! writes nothing, a run killed with SIGKILL then rerun and a run under injected faults end where a clean run
//! ends, changes are picked up incrementally, and `trace` reads the result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crmsync_sandbox::faults::{FaultPlan, FaultRates};
use crmsync_sandbox::officeflow::{
    ApiFaultSchedule, EmulatorConfig, FlowSpec, OfficeflowEmulator, Org, OrgSpec,
};
use crmsync_testkit::services::{self, RedisNamespace, TestDatabase};
use serde_json::Value;
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_e2e-officeflow-sync");

struct Setup {
    platform: OfficeflowEmulator,
    outing: OfficeflowEmulator,
    db: TestDatabase,
    redis: RedisNamespace,
    config: TempConfig,
}

/// A config file in the temp directory, removed on drop.
struct TempConfig(std::path::PathBuf);

impl Drop for TempConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
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

fn assert_ok(outcome: &Outcome) {
    assert_eq!(
        outcome.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        outcome.stdout,
        outcome.stderr
    );
}

async fn emulator(users: usize, category: &str, instances: usize, seed: u64) -> OfficeflowEmulator {
    let emulator = OfficeflowEmulator::start(
        Org::generate(&OrgSpec {
            seed,
            ..OrgSpec::new(users)
        }),
        EmulatorConfig::default(),
    )
    .await
    .unwrap();
    emulator.with_flows(|flows| {
        flows.generate(&FlowSpec {
            category: category.into(),
            seed,
            ..FlowSpec::new(instances)
        });
    });
    emulator
}

impl Setup {
    async fn new(instances: usize) -> Self {
        let platform = emulator(300, "office", instances, 4).await;
        let outing = emulator(100, "outing", instances / 4, 9).await;
        let path = std::env::temp_dir().join(format!(
            "officeflow-processes-{}.toml",
            uuid::Uuid::new_v4().simple()
        ));
        let mut file = std::fs::File::create(&path).unwrap();
        writeln!(
            file,
            "[[processes.categories]]\nname = \"office\"\n\n\
             [[processes.categories]]\nname = \"outing\"\nsource = \"outing\"\n\n\
             [sources.outing]\nbase_url = \"{}\"\napp_key = \"{}\"\napp_secret = \"{}\"\n\
             rate_limit_per_s = 45\ntimeout_s = 1\nmax_retries = 8\nbackoff_base_ms = 20\nbackoff_max_ms = 200\n\
             page_size = 500",
            outing.base_url(),
            outing.app_key(),
            outing.app_secret()
        )
        .unwrap();
        Self {
            platform,
            outing,
            db: services::fresh_postgres().await,
            redis: services::fresh_redis().await,
            config: TempConfig(path),
        }
    }

    fn command(&self, db_url: &str, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .arg("--config")
            .arg(&self.config.0)
            .arg("--json")
            .arg("-q")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let settings = [
            ("OFFICEFLOW__BASE_URL", self.platform.base_url().to_owned()),
            ("OFFICEFLOW__APP_KEY", self.platform.app_key().to_owned()),
            (
                "OFFICEFLOW__APP_SECRET",
                self.platform.app_secret().to_owned(),
            ),
            ("OFFICEFLOW__RATE_LIMIT_PER_S", "45".to_owned()),
            ("OFFICEFLOW__TIMEOUT_S", "1".to_owned()),
            ("OFFICEFLOW__MAX_RETRIES", "8".to_owned()),
            ("OFFICEFLOW__BACKOFF_BASE_MS", "20".to_owned()),
            ("OFFICEFLOW__BACKOFF_MAX_MS", "200".to_owned()),
            ("OFFICEFLOW__PAGE_SIZE", "500".to_owned()),
            ("STORAGE__URL", db_url.to_owned()),
            ("REDIS__URL", self.redis.url.clone()),
            ("REDIS__KEY_PREFIX", self.redis.prefix.clone()),
            ("LOCK__TTL_S", "3".to_owned()),
            ("SYNC__BATCH_SIZE", "200".to_owned()),
            ("RETRY__HEARTBEAT_S", "1".to_owned()),
            ("RETRY__STALE_AFTER_S", "2".to_owned()),
        ];
        for (key, value) in settings {
            command.env(format!("OFFICEFLOW_SYNC__{key}"), value);
        }
        command
    }

    async fn run_on(&self, db_url: &str, args: &[&str]) -> Outcome {
        finish(self.command(db_url, args).spawn().unwrap()).await
    }

    async fn run(&self, args: &[&str]) -> Outcome {
        self.run_on(&self.db.url, args).await
    }

    fn counts(&self) -> (usize, usize) {
        let office = self
            .platform
            .with_flows(|f| (f.instance_count("office"), f.task_count("office")));
        let outing = self
            .outing
            .with_flows(|f| (f.instance_count("outing"), f.task_count("outing")));
        (office.0 + outing.0, office.1 + outing.1)
    }
}

async fn finish(child: Child) -> Outcome {
    let output = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .expect("officeflow-sync did not finish within 3 minutes")
        .unwrap();
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// An `app_session` row: id, status, ended_at, closed_by, form.
type InstanceRow = (String, String, Option<i64>, Option<String>, String);
/// A `task_history` row: id, sess_id, status, notice, finished_at, closed_by.
type TaskRow = (
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// Every stored instance and task, as rows by id.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    instances: Vec<InstanceRow>,
    tasks: Vec<TaskRow>,
}

async fn snapshot(pool: &sqlx::PgPool) -> Snapshot {
    Snapshot {
        instances: sqlx::query_as(
            "SELECT id, status, ended_at, closed_by, form::text FROM app_session ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        tasks: sqlx::query_as(
            "SELECT id, sess_id, status, notice, finished_at, closed_by FROM task_history ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    }
}

async fn clean_reference(setup: &Setup) -> Snapshot {
    let reference = services::fresh_postgres().await;
    assert_ok(
        &setup
            .run_on(&reference.url, &["--all", "--parts", "processes"])
            .await,
    );
    snapshot(&reference.pool).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_run_fills_both_categories_a_rerun_writes_nothing_and_trace_reads_the_result() {
    let setup = Setup::new(600).await;
    let first = setup.run(&["--parts", "processes"]).await;
    assert_ok(&first);
    let report = first.report();
    let part = &report["parts"][0];
    assert_eq!(part["part"], "processes");
    assert_eq!(
        part["mode"],
        "office from officeflow: full, outing from outing: full"
    );
    assert!(
        part["changes"]["tasks.closed_by_events"].as_u64().unwrap() > 0,
        "{part}"
    );
    let filled = snapshot(&setup.db.pool).await;
    let (instances, tasks) = setup.counts();
    assert_eq!(filled.instances.len(), instances);
    assert_eq!(filled.tasks.len(), tasks);
    assert!(filled.instances.iter().any(|i| i.0.starts_with("outing:")));
    let open_in_ended: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM task_history t JOIN app_session s ON s.id = t.sess_id \
         WHERE s.status <> 'running' AND t.status = 'pending'",
    )
    .fetch_one(&setup.db.pool)
    .await
    .unwrap();
    assert_eq!(open_in_ended, 0, "an ended instance keeps no open task");

    for args in [
        &["--parts", "processes"][..],
        &["--parts", "processes", "--all"][..],
    ] {
        let again = setup.run(args).await;
        assert_ok(&again);
        assert_eq!(again.writes(), 0, "{args:?}: {}", again.stdout);
    }
    assert_eq!(snapshot(&setup.db.pool).await, filled);

    let id = setup
        .platform
        .with_flows(|f| f.instances_with_sub_flow_and_revert("office"))
        .into_iter()
        .next()
        .expect("a flow with a sub-flow and a revert");
    let traced = setup.run(&["trace", &id]).await;
    assert_ok(&traced);
    let trace = traced.report();
    assert_eq!(trace["instance_id"], id.as_str());
    let history = trace["history"].as_array().unwrap();
    assert!(
        history.iter().any(|v| v["outcome"] == "reverted"),
        "{trace}"
    );
    assert!(
        history
            .iter()
            .any(|v| !v["sub_flows"].as_array().unwrap().is_empty()),
        "{trace}"
    );
    let stats = setup.run(&["stats"]).await.report();
    assert_eq!(stats["flows"]["instances"], instances as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_while_writing_then_rerun_reaches_the_clean_end_state() {
    let setup = Setup::new(3_000).await;
    let reference = clean_reference(&setup).await;
    let mut victim = setup
        .command(&setup.db.url, &["--parts", "processes"])
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let written: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM task_history")
            .fetch_one(&setup.db.pool)
            .await
            .unwrap_or(0);
        if written > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the run never wrote"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    victim.start_kill().unwrap();
    assert_eq!(
        victim.wait().await.unwrap().code(),
        None,
        "killed by a signal"
    );
    assert_ne!(
        snapshot(&setup.db.pool).await,
        reference,
        "killed before it finished"
    );
    let rerun = setup.run(&["--parts", "processes", "--wait"]).await;
    assert_ok(&rerun);
    assert_eq!(snapshot(&setup.db.pool).await, reference);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_lead_to_the_same_end_state() {
    let setup = Setup::new(800).await;
    let reference = clean_reference(&setup).await;
    let before = setup.platform.requests();
    setup.platform.set_faults(ApiFaultSchedule::transient_mix(
        13,
        Duration::from_millis(1_300),
    ));
    setup.outing.set_faults(ApiFaultSchedule::transient_mix(
        7,
        Duration::from_millis(1_300),
    ));
    setup.platform.set_transport_faults(
        FaultPlan::uniform(3, FaultRates::spread(0.1)).with_hang(Duration::from_millis(1_300)),
    );
    let faulty = setup.run(&["--parts", "processes"]).await;
    assert_ok(&faulty);
    assert!(
        setup.platform.requests() - before > 4,
        "faults made the client retry"
    );
    assert_eq!(snapshot(&setup.db.pool).await, reference);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_picked_up_incrementally_and_match_a_full_reconciliation() {
    let setup = Setup::new(800).await;
    assert_ok(&setup.run(&["--parts", "processes"]).await);
    setup.platform.with_flows(|f| f.advance(21, 2));
    setup.outing.with_flows(|f| f.advance(22, 1));
    let incremental = setup.run(&["--parts", "processes"]).await;
    assert_ok(&incremental);
    let report = incremental.report();
    assert_eq!(
        report["parts"][0]["mode"],
        "office from officeflow: incremental, outing from outing: incremental"
    );
    assert!(incremental.writes() > 0);
    let fetched = report["parts"][0]["fetched"].as_u64().unwrap();
    let (_, tasks) = setup.counts();
    assert!(
        fetched < tasks as u64 / 2,
        "an incremental run reads what changed: {fetched}"
    );
    assert_eq!(
        snapshot(&setup.db.pool).await,
        clean_reference(&setup).await
    );
    let full = setup.run(&["--parts", "processes", "--all"]).await;
    assert_ok(&full);
    assert_eq!(full.writes(), 0, "{}", full.stdout);
}
