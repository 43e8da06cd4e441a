//! End to end: `casemon` as a real process against the amoCRM and CyberJustice emulators, with the sets, the
//! state and the lock on Redis and the journal on SQLite. Two runs: the second changes nothing. Under injected
//! faults on both emulators, repeated runs converge to the end state of a clean world.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use casemon::sandbox::{SANDBOX_TOKEN, SampleSpec, Sandbox, SandboxOptions};
use crmsync_ports::{KeyValueStore, LockStore, SetStore};
use crmsync_redis::{RedisConfig, RedisStores};
use crmsync_sandbox::cyberjustice::DEFAULT_API_KEY;
use crmsync_sandbox::faults::{Fault, Injection};
use crmsync_sandbox::{FaultPlan, FaultRates};
use crmsync_testkit::services::{RedisNamespace, fresh_redis};
use serde_json::Value;

const PENDING: &str = "cyberjustice:case:retrieve";
const OVERFLOW: &str = "cyberjustice:case:overflow";
const STATE: &str = "cyberjustice:casemon:state";

/// Every behaviour that settles in one run: removal, duplicates, invalid numbers, notes of new events.
fn steady_world() -> SampleSpec {
    SampleSpec {
        valid_cases: 8,
        duplicate_leads: 2,
        invalid_leads: 3,
        not_found: 0,
        accepted: 0,
        accepted_polls: 0,
        pre_monitored: 3,
        stale_monitored: 2,
        other_stage_leads: 1,
        limit: 50,
    }
}

/// Adds cases that answer `accepted` for two polls and cases the court's site does not know (tasks after three
/// runs); everything fits under the limit, so the end state does not depend on the order of events.
fn settling_world() -> SampleSpec {
    SampleSpec {
        valid_cases: 12,
        not_found: 2,
        accepted: 3,
        accepted_polls: 2,
        ..steady_world()
    }
}

struct Harness {
    sandbox: Sandbox,
    redis: RedisNamespace,
    config: PathBuf,
    _dir: TempDir,
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "casemon-e2e-{label}-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

async fn harness(label: &str, spec: SampleSpec, options: SandboxOptions) -> Harness {
    let redis = fresh_redis().await;
    let sandbox = Sandbox::start(spec, options).await.unwrap();
    let dir = TempDir::new(label);
    let settings = casemon::sandbox::job_settings(&sandbox.world);
    let stage = settings.stages[0];
    let config = dir.0.join("casemon.toml");
    let toml = format!(
        r#"
[amocrm]
base_url = "{amocrm}"
long_lived_token = "{token}"
request_timeout_ms = 800
max_attempts = 4
retry_base_delay_ms = 50

[cyberjustice]
base_url = "{cyberjustice}"
api_key = "{key}"
rate_limit_per_s = {rate}
timeout_ms = 800
max_retries = 6
backoff_initial_ms = 50
backoff_max_ms = 1000

[monitoring]
pipeline_id = {pipeline}
status_ids = [{status}]
case_field_id = {field}
limit = {limit}
not_found_task_after = 3

[storage]
url = "sqlite:{journal}"

[redis]
url = "{redis_url}"
key_prefix = "{prefix}"

[lock]
ttl_s = 30
"#,
        amocrm = sandbox.amocrm.base_url(),
        token = SANDBOX_TOKEN,
        cyberjustice = sandbox.cyberjustice.base_url(),
        key = DEFAULT_API_KEY,
        rate = sandbox.options.cyberjustice_rate_per_s,
        pipeline = stage.pipeline_id.0,
        status = stage.status_id.0,
        field = settings.case_field.0,
        limit = settings.limit,
        journal = dir.0.join("journal.sqlite").display(),
        redis_url = redis.url,
        prefix = redis.prefix,
    );
    std::fs::write(&config, toml).unwrap();
    Harness {
        sandbox,
        redis,
        config,
        _dir: dir,
    }
}

/// One `casemon` process with `args`.
async fn casemon(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_e2e-casemon"))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// One `casemon --json` process; its exit code and the report it printed.
async fn run_casemon(config: &Path) -> (i32, Value) {
    run_casemon_with(config, &[]).await
}

/// [`run_casemon`] with extra flags.
async fn run_casemon_with(config: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "--config".to_owned(),
        config.to_str().unwrap().to_owned(),
        "--json".to_owned(),
        "-q".to_owned(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let output = casemon(args).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| {
            panic!(
                "no JSON report; stdout: {stdout}\nstderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let document: Value = serde_json::from_str(line).unwrap();
    (
        output.status.code().unwrap_or(-1),
        document["report"].clone(),
    )
}

/// Whether a run changed nothing: it succeeded, synced nothing, created nothing, resolved no retrieval.
fn quiet(code: i32, report: &Value) -> bool {
    code == 0
        && report["synced"] == false
        && report["tasks_created"] == 0
        && report["notes_added"] == 0
        && report["overflowed"] == 0
        && report["retrieved"]["found"] == 0
        && report["retrieved"]["accepted"] == 0
}

/// What a world looks like after the runs, without ids.
#[derive(Debug, PartialEq, Eq)]
struct EndState {
    monitored: Vec<String>,
    pending: Vec<String>,
    overflow: Vec<String>,
    tasks: Vec<(i64, String)>,
    notes: Vec<(i64, String)>,
}

async fn stores(redis: &RedisNamespace) -> RedisStores {
    RedisStores::connect(&RedisConfig::new(redis.url.clone()).with_key_prefix(redis.prefix.clone()))
        .await
        .unwrap()
}

async fn end_state(harness: &Harness) -> EndState {
    let redis = stores(&harness.redis).await;
    let mut monitored = harness.sandbox.cyberjustice.monitored();
    monitored.sort();
    let mut pending = redis.sets.members(PENDING).await.unwrap();
    pending.sort();
    let mut overflow = redis.sets.members(OVERFLOW).await.unwrap();
    overflow.sort();
    let dump = harness.sandbox.amocrm.dump();
    let mut tasks: Vec<(i64, String)> = dump
        .tasks
        .iter()
        .map(|t| {
            (
                t["entity_id"].as_i64().unwrap(),
                t["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    tasks.sort();
    let mut notes: Vec<(i64, String)> = dump
        .notes
        .iter()
        .map(|n| {
            (
                n["entity_id"].as_i64().unwrap(),
                n["params"]["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    notes.sort();
    EndState {
        monitored,
        pending,
        overflow,
        tasks,
        notes,
    }
}

/// Requests that change something, per emulator: amoCRM writes and CyberJustice replaces, deletes, retrieves.
fn mutations(harness: &Harness) -> (u64, u64) {
    let writes = |routes: &BTreeMap<String, crmsync_sandbox::stats::RouteStats>| -> u64 {
        routes
            .iter()
            .filter(|(route, _)| {
                ["POST ", "PATCH ", "PUT ", "DELETE "]
                    .iter()
                    .any(|m| route.starts_with(m))
            })
            .map(|(_, stats)| stats.requests)
            .sum()
    };
    (
        writes(&harness.sandbox.amocrm.stats().routes),
        writes(&harness.sandbox.cyberjustice.stats().routes),
    )
}

async fn run_until_quiet(harness: &Harness, most: usize) -> Vec<(i32, Value)> {
    let mut runs = Vec::new();
    for _ in 0..most {
        let (code, report) = run_casemon(&harness.config).await;
        let done = quiet(code, &report);
        runs.push((code, report));
        if done {
            break;
        }
    }
    runs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_run_changes_nothing() {
    let harness = harness("steady", steady_world(), SandboxOptions::default()).await;
    let spec = steady_world();

    let (code, dry) = run_casemon_with(&harness.config, &["--test"]).await;
    assert_eq!(code, 0, "{dry}");
    assert_eq!(dry["mode"], "dry_run");
    assert_eq!(
        dry["tasks_created"], spec.invalid_leads as u64,
        "what the run would do"
    );
    assert_eq!(mutations(&harness), (0, 0), "a dry run writes nothing");
    let redis = stores(&harness.redis).await;
    assert_eq!(redis.key_values.get(STATE).await.unwrap(), None);

    let (code, first) = run_casemon(&harness.config).await;
    assert_eq!(code, 0, "{first}");
    assert_eq!(first["removed"], spec.stale_monitored as u64);
    assert_eq!(first["kept"], spec.pre_monitored as u64);
    assert_eq!(
        first["retrieved"]["found"],
        (spec.valid_cases - spec.pre_monitored) as u64
    );
    assert_eq!(first["invalid_numbers"], spec.invalid_leads as u64);
    assert_eq!(first["tasks_created"], spec.invalid_leads as u64);
    assert_eq!(first["duplicate_leads"], spec.duplicate_leads as u64);
    // Each pre-monitored case has a new event; the duplicates repeat cases 0 and 1, which are among them.
    assert_eq!(
        first["notes_added"],
        (spec.pre_monitored + spec.duplicate_leads) as u64
    );
    assert_eq!(first["synced"], true);
    assert_eq!(
        harness.sandbox.cyberjustice.monitored_count(),
        spec.valid_cases
    );

    let state_before = redis.key_values.get(STATE).await.unwrap();
    assert!(state_before.is_some());
    let state_before_sets = end_state(&harness).await;
    let mutations_before = mutations(&harness);

    let (code, second) = run_casemon(&harness.config).await;
    assert_eq!(code, 0, "{second}");
    assert!(quiet(code, &second), "{second}");
    assert_eq!(second["retrieved"]["not_found"], 0);
    assert_eq!(
        mutations(&harness),
        mutations_before,
        "no write reached either system"
    );
    assert_eq!(redis.key_values.get(STATE).await.unwrap(), state_before);
    assert_eq!(end_state(&harness).await, state_before_sets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_the_runs_converge_to_the_clean_end_state() {
    let clean = harness("clean", settling_world(), SandboxOptions::default()).await;
    let clean_runs = run_until_quiet(&clean, 8).await;
    let (code, last) = clean_runs.last().unwrap();
    assert!(
        quiet(*code, last),
        "the clean world settles: {clean_runs:?}"
    );
    let expected = end_state(&clean).await;
    let spec = settling_world();
    assert_eq!(expected.monitored.len(), spec.valid_cases - spec.not_found);
    assert!(expected.pending.is_empty() && expected.overflow.is_empty());
    assert_eq!(
        expected.tasks.len(),
        spec.invalid_leads + spec.not_found,
        "one task per invalid lead and per lead of a case never found"
    );

    let faults = |seed| {
        FaultPlan::uniform(
            seed,
            FaultRates {
                after_processing: 0.5,
                ..FaultRates::spread(0.2)
            },
        )
        .with_hang(Duration::from_millis(1_200))
        .with_slow_delay(Duration::from_millis(100))
    };
    // Creates get no 504s: the amoCRM client reads a 504 as "not processed" (amoCRM's answer to batches too big
    // to finish) and sends the entities again. Every other fault may hit them, before or after processing, and
    // the first task and note creates are processed but their answers lost.
    let create_faults = FaultRates {
        error_500: 0.06,
        error_502: 0.06,
        timeout: 0.04,
        drop: 0.04,
        after_processing: 0.5,
        ..FaultRates::default()
    };
    let amocrm_faults = faults(11)
        .with_route("POST /api/v4/tasks", create_faults.clone())
        .with_route("POST /api/v4/leads/notes", create_faults)
        .with_script(
            "POST /api/v4/tasks",
            vec![Injection::after(Fault::Error500)],
        )
        .with_script(
            "POST /api/v4/leads/notes",
            vec![Injection::after(Fault::Drop)],
        );
    let faulty = harness(
        "faulty",
        settling_world(),
        SandboxOptions {
            amocrm_faults,
            cyberjustice_faults: faults(12),
            ..SandboxOptions::default()
        },
    )
    .await;
    let faulty_runs = run_until_quiet(&faulty, 20).await;
    let (code, last) = faulty_runs.last().unwrap();
    assert!(
        quiet(*code, last),
        "the faulty world settles: {faulty_runs:?}"
    );
    let amocrm_faults = faulty.sandbox.amocrm.stats().faults;
    assert!(amocrm_faults["POST /api/v4/tasks"].after_processing >= 1);
    assert!(amocrm_faults["POST /api/v4/leads/notes"].after_processing >= 1);
    assert!(faulty.sandbox.cyberjustice.stats().faults_total() > 0);
    assert!(
        faulty_runs.iter().any(|(code, _)| *code != 0),
        "some faulty runs fail"
    );
    assert_eq!(end_state(&faulty).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_exits_3_and_a_bad_config_exits_2() {
    let harness = harness("exit-codes", steady_world(), SandboxOptions::default()).await;
    let redis = stores(&harness.redis).await;
    let lease = redis
        .locks
        .try_acquire("casemon:sync", "other-host:42", Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let output = casemon(vec![
        "--config".into(),
        harness.config.to_str().unwrap().into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("other-host:42"), "{stderr}");
    assert_eq!(mutations(&harness), (0, 0));
    redis.locks.release(&lease).await.unwrap();

    let broken = harness.config.with_file_name("broken.toml");
    let text = std::fs::read_to_string(&harness.config).unwrap();
    std::fs::write(&broken, text.replace("case_field_id", "case_field")).unwrap();
    let output = casemon(vec!["--config".into(), broken.to_str().unwrap().into()]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("case_field"));
}
