//! `casemon` as real processes: `--sandbox` touches nothing the configuration names (a Redis database index and
//! a PostgreSQL database), and two overlapping runs on one SQLite file or one PostgreSQL database exclude each
//! other without Redis — one runs, the other exits 3 naming the holder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use casemon::sandbox::{SANDBOX_TOKEN, SampleSpec, Sandbox, SandboxOptions};
use crmsync_sandbox::FaultPlan;
use crmsync_sandbox::cyberjustice::DEFAULT_API_KEY;
use crmsync_sandbox::faults::{Fault, Injection};
use crmsync_store::Database;
use crmsync_testkit::services::{fresh_postgres, fresh_redis};

const LOCK_KEY: &str = "casemon:sync";

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "casemon-iso-{label}-{}-{}",
            std::process::id(),
            uuid_like()
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

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

fn casemon(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_e2e-casemon"));
    command
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

async fn wait(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_leaves_the_configured_redis_and_postgres_untouched() {
    let redis = fresh_redis().await;
    let pg = fresh_postgres().await;
    let dir = TempDir::new("sandbox");
    let redis_db = format!("{}/7", redis.url.trim_end_matches('/'));
    let config = dir.0.join("casemon.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\nurl = \"{}\"\n[redis]\nurl = \"{redis_db}\"\nkey_prefix = \"{}\"\n",
            pg.url, redis.prefix
        ),
    )
    .unwrap();

    let output = wait(
        casemon(&["--sandbox", "--config", config.to_str().unwrap(), "--json"])
            .spawn()
            .unwrap(),
    )
    .await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("\"synced\":true"));

    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(&pg.pool)
            .await
            .unwrap();
    assert_eq!(
        tables, 0,
        "not even a migration ran on the configured database"
    );
    let client = redis::Client::open(redis_db.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", redis.prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(keys.is_empty(), "{keys:?}");
}

/// A config running casemon on `sandbox` with the journal, sets, state and lock in `storage_url`, no Redis.
fn live_config(dir: &Path, sandbox: &Sandbox, storage_url: &str) -> PathBuf {
    let settings = casemon::sandbox::job_settings(&sandbox.world);
    let stage = settings.stages[0];
    let path = dir.join("casemon.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[amocrm]
base_url = "{amocrm}"
long_lived_token = "{token}"
request_timeout_ms = 20000
[cyberjustice]
base_url = "{cyberjustice}"
api_key = "{key}"
rate_limit_per_s = {rate}
[monitoring]
pipeline_id = {pipeline}
status_ids = [{status}]
case_field_id = {field}
limit = {limit}
[storage]
url = "{storage_url}"
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
        ),
    )
    .unwrap();
    path
}

/// Starts a run whose first lead page is slow, waits until it holds the lock, starts a second run, and checks
/// that the second exits 3 naming the first as the holder while the first completes.
async fn second_run_is_refused(label: &str, storage_url: &str) {
    let database = Database::open(storage_url).await.unwrap();
    let locks = database.locks();
    let options = SandboxOptions {
        amocrm_faults: FaultPlan::none()
            .with_script("/api/v4/leads", vec![Injection::before(Fault::Slow)])
            .with_slow_delay(Duration::from_secs(3)),
        ..SandboxOptions::default()
    };
    let spec = SampleSpec {
        limit: 50,
        ..SampleSpec::plain(5)
    };
    let sandbox = Sandbox::start(spec, options).await.unwrap();
    let dir = TempDir::new(label);
    let config = live_config(&dir.0, &sandbox, storage_url);
    let config = config.to_str().unwrap();

    let first = casemon(&["--config", config, "--json", "-q"])
        .spawn()
        .unwrap();
    let first_pid = first.id();
    let mut holder = None;
    for _ in 0..600 {
        holder = locks.holder(LOCK_KEY).await.unwrap();
        if holder.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let holder = holder.expect("the first run takes the lock");
    assert!(holder.ends_with(&format!(":{first_pid}")), "{holder}");

    let second = wait(casemon(&["--config", config, "--json"]).spawn().unwrap()).await;
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&holder), "names the holder: {stderr}");

    let first = wait(first).await;
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(locks.holder(LOCK_KEY).await.unwrap(), None, "released");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_sqlite_file_exclude_each_other() {
    let dir = TempDir::new("sqlite");
    let url = format!("sqlite:{}", dir.0.join("casemon.sqlite").display());
    second_run_is_refused("sqlite-runs", &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_database_exclude_each_other() {
    let pg = fresh_postgres().await;
    second_run_is_refused("pg-runs", &pg.url).await;
}
