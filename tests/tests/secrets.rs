//! Secrets never printed: `casemon` and `officeflow-sync` as real processes with a password in every URL, at
//! the most verbose logging (`-vv`) with `--json`, in both log formats, on a successful run and on one that
//! fails to reach Redis: no line of stdout or stderr contains a password, a token or an API secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use casemon::sandbox::{SANDBOX_TOKEN, SampleSpec, Sandbox, SandboxOptions};
use crmsync_sandbox::cyberjustice::DEFAULT_API_KEY;
use crmsync_sandbox::officeflow::{EmulatorConfig, OfficeflowEmulator, Org, OrgSpec};
use crmsync_testkit::services::{fresh_postgres, redis_url};

const PG_PASSWORD: &str = "pg-s3cret-pw";
const REDIS_PASSWORD: &str = "rd-s3cret-pw";

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!(
            "crmsync-secrets-{label}-{}-{nanos}",
            std::process::id()
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

/// `url` (`postgres://user@host/db…`) with a password added.
fn with_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    format!("{scheme}://{user}:{PG_PASSWORD}@{host}")
}

/// `redis://host:port` with a password and a database index.
fn redis_with_password() -> String {
    let url = redis_url();
    let host = url.trim_start_matches("redis://").trim_end_matches('/');
    format!("redis://:{REDIS_PASSWORD}@{host}/3")
}

async fn run(mut command: Command) -> Output {
    command.env_remove("RUST_LOG");
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn assert_no_secret(output: &Output, secrets: &[&str]) {
    for stream in [&output.stdout, &output.stderr] {
        for line in String::from_utf8_lossy(stream).lines() {
            for secret in secrets {
                assert!(!line.contains(secret), "{secret} printed in: {line}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn casemon_prints_no_secret_at_the_most_verbose_logging() {
    let pg = fresh_postgres().await;
    let sandbox = Sandbox::start(SampleSpec::plain(4), SandboxOptions::default())
        .await
        .unwrap();
    let settings = casemon::sandbox::job_settings(&sandbox.world);
    let stage = settings.stages[0];
    let dir = TempDir::new("casemon");
    let config = |redis: &str| {
        format!(
            r#"
[amocrm]
base_url = "{amocrm}"
long_lived_token = "{token}"
[cyberjustice]
base_url = "{cyberjustice}"
api_key = "{key}"
rate_limit_per_s = 10
[monitoring]
pipeline_id = {pipeline}
status_ids = [{status}]
case_field_id = {field}
[storage]
url = "{storage}"
[redis]
url = "{redis}"
"#,
            amocrm = sandbox.amocrm.base_url(),
            token = SANDBOX_TOKEN,
            cyberjustice = sandbox.cyberjustice.base_url(),
            key = DEFAULT_API_KEY,
            pipeline = stage.pipeline_id.0,
            status = stage.status_id.0,
            field = settings.case_field.0,
            storage = with_password(&pg.url),
        )
    };
    let secrets = [PG_PASSWORD, REDIS_PASSWORD, SANDBOX_TOKEN, DEFAULT_API_KEY];
    let live = dir.0.join("live.toml");
    std::fs::write(&live, config("")).unwrap();
    let unreachable = dir.0.join("redis.toml");
    std::fs::write(&unreachable, config(&redis_with_password())).unwrap();

    for format in ["human", "json"] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_e2e-casemon"));
        command.args([
            "--config",
            live.to_str().unwrap(),
            "--json",
            "-vv",
            "--log-format",
            format,
        ]);
        let output = run(command).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stderr.is_empty(), "trace logging wrote something");
        assert_no_secret(&output, &secrets);

        let mut command = Command::new(env!("CARGO_BIN_EXE_e2e-casemon"));
        command.args([
            "--config",
            unreachable.to_str().unwrap(),
            "--json",
            "-vv",
            "--log-format",
            format,
        ]);
        let output = run(command).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("redis://:***@"),
            "names the server: {stderr}"
        );
        assert_no_secret(&output, &secrets);
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officeflow_sync_prints_no_secret_at_the_most_verbose_logging() {
    let pg = fresh_postgres().await;
    let emulator =
        OfficeflowEmulator::start(Org::generate(&OrgSpec::new(30)), EmulatorConfig::default())
            .await
            .unwrap();
    let secret = emulator.app_secret().to_owned();
    let secrets = [PG_PASSWORD, REDIS_PASSWORD, secret.as_str()];
    for (redis, code) in [("", 0), (redis_with_password().as_str(), 1)] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_e2e-officeflow-sync"));
        command
            .args(["--json", "-vv"])
            .env("OFFICEFLOW_SYNC__OFFICEFLOW__BASE_URL", emulator.base_url())
            .env("OFFICEFLOW_SYNC__OFFICEFLOW__APP_KEY", emulator.app_key())
            .env("OFFICEFLOW_SYNC__OFFICEFLOW__APP_SECRET", &secret)
            .env("OFFICEFLOW_SYNC__STORAGE__URL", with_password(&pg.url))
            .env("OFFICEFLOW_SYNC__REDIS__URL", redis);
        let output = run(command).await;
        assert_eq!(
            output.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_no_secret(&output, &secrets);
    }
}
