//! `cargo xtask bench`: builds and runs `crmsync-bench` in release mode; it prints the figures and writes
//! `target/bench/report.json`.

use std::process::Command;

use crate::{services, shell};

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    services::ensure()?;
    let root = shell::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let report = root.join("target/bench/report.json");
    shell::run(
        Command::new(cargo)
            .args([
                "run",
                "--release",
                "--quiet",
                "--package",
                "crmsync-bench",
                "--",
            ])
            .arg("--out")
            .arg(&report)
            .args(args)
            .current_dir(&root),
    )
}
