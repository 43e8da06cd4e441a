//! `officeflow-sync --sandbox` with department rules: a rule set that loops or names a department the platform
//! does not list stops the run with exit code 2 naming the rule, before anything is written; a valid set is
//! applied and reported, and a rerun writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_officeflow-sync");

/// A config file and the sandbox database it names, in the temp directory, removed on drop.
struct Sandbox {
    config: PathBuf,
    db: PathBuf,
}

impl Sandbox {
    fn new(rules: &str) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir();
        let config = dir.join(format!("officeflow-rules-{id}.toml"));
        let db = dir.join(format!("officeflow-rules-{id}.sqlite"));
        std::fs::write(
            &config,
            format!(
                "[sandbox]\nusers = 60\nflows = 0\ndb = \"{}\"\n\n{rules}",
                db.display()
            ),
        )
        .unwrap();
        Self { config, db }
    }

    fn run(&self) -> Output {
        Command::new(BINARY)
            .args([
                "--sandbox",
                "--parts",
                "departments",
                "--json",
                "-q",
                "--config",
            ])
            .arg(&self.config)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.config);
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.db.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn bad_rules_exit_2_naming_the_rule_and_good_ones_are_reported() {
    let looped = Sandbox::new(
        "[[departments.rules]]\nname = \"there\"\nkind = \"map\"\nfrom = \"2\"\nto = \"x2\"\n\n\
         [[departments.rules]]\nname = \"and back\"\nkind = \"merge\"\nfrom = [\"x2\"]\ninto = \"2\"\n",
    );
    let output = looped.run();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("departments.rules")
            && stderr.contains("\"and back\"")
            && stderr.contains("cycle"),
        "{stderr}"
    );
    assert!(
        !looped.db.exists(),
        "a bad config opened the sandbox database"
    );

    let unknown = Sandbox::new(
        "[[departments.rules]]\nname = \"closed school\"\nkind = \"revoke\"\ndepartment = \"no-such-school\"\n",
    );
    let output = unknown.run();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("\"closed school\"")
            && stderr.contains("unknown department \"no-such-school\""),
        "{stderr}"
    );
    assert!(
        text(&output.stdout).trim().is_empty(),
        "a report was printed"
    );

    let good = Sandbox::new(
        "[[departments.rules]]\nname = \"closed campus\"\nkind = \"revoke\"\ndepartment = \"2\"\n",
    );
    let output = good.run();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let part = &report["parts"][0];
    assert!(
        part["changes"]["departments.revoked"].as_u64().unwrap() >= 1,
        "{part}"
    );
    let notes = part["notes"].to_string();
    assert!(
        notes.contains("rule \\\"closed campus\\\": department 2 revoked with its subtree"),
        "{notes}"
    );
    let rerun = good.run();
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun.stderr));
    let report: serde_json::Value = serde_json::from_slice(&rerun.stdout).unwrap();
    assert_eq!(report["writes"], 0, "{report}");
}
