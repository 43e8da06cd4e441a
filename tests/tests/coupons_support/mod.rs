//! Shared by the `coupons` end-to-end suites: a scratch directory with a config, and running the binary.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_e2e-coupons");

/// A scratch directory with a config file pointing at `storage_url`.
pub(crate) struct Scratch {
    pub(crate) dir: PathBuf,
    pub(crate) config: PathBuf,
}

impl Scratch {
    pub(crate) fn new(storage_url: Option<&str>, extra: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "crmsync-e2e-coupons-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = storage_url
            .map(str::to_owned)
            .unwrap_or_else(|| format!("sqlite:{}", dir.join("coupons.sqlite").display()));
        let config = dir.join("coupons.toml");
        std::fs::write(&config, format!("[storage]\nurl = \"{url}\"\n{extra}")).unwrap();
        Self { dir, config }
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("RUST_LOG");
        command
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.run(&all);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    }

    pub(crate) fn codes(&self, id: &str) -> Vec<String> {
        let output = self.run(&["export", id, "--format", "codes"]);
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub(crate) fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// The last line of stderr that starts with `error:` (the one clear line of a failure).
pub(crate) fn error_line(output: &Output) -> String {
    stderr(output)
        .lines()
        .rfind(|l| l.starts_with("error:"))
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn assert_distinct(codes: &[String], count: usize) {
    assert_eq!(codes.len(), count, "exported codes");
    let distinct: HashSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), count, "distinct codes");
}

pub(crate) fn wait_for_progress(scratch: &Scratch, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no chunk was committed");
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            panic!("the run ended before it could be stopped: {status}\n{stderr}");
        }
        let output = scratch.run(&["--json", "list", "--limit", "1"]);
        if output.status.success()
            && let Ok(Value::Array(runs)) = serde_json::from_slice::<Value>(&output.stdout)
            && let Some(run) = runs.first()
            && run["processed"].as_u64().unwrap_or(0) > 0
        {
            return run["id"].to_string();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn random_millis(max: u64) -> u64 {
    u64::from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos(),
    ) % max
}
