//! Project automation, run as `cargo xtask <task>`:
//!
//! - `services`: checks PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379), starting them when installed but
//!   down, and says exactly what is missing otherwise.
//! - `test`: services, then `cargo fmt --check`, clippy with `-D warnings`, every test, and the production builds
//!   (each binary without default features: no `crmsync-sandbox` in its tree, compiles, clippy-clean), and the
//!   publishable crates (`crmsync-domain`, `crmsync-ports`, `crmsync-amocrm`: complete metadata, `cargo package`).
//! - `demo`: every integration end to end on embedded defaults (no server needed).
//! - `bench`: every benchmark; prints a table and writes `target/bench/report.json`.

mod bench;
mod demo;
mod production;
mod publish;
mod services;
mod shell;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <services|test|demo|bench> [args]

  services          check PostgreSQL, Redis and MariaDB on 127.0.0.1, start them if installed but down
  test              services + fmt check + clippy -D warnings + all tests + production builds
  demo              run every integration end to end on embedded defaults
  bench [--only P]  run the benchmarks (figures whose area starts with P), write target/bench/report.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("services") => services::ensure(),
        Some("test") => test(),
        Some("demo") => demo::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown task\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The README's test command: everything CI checks.
fn test() -> Result<(), String> {
    services::ensure()?;
    shell::cargo(&["fmt", "--all", "--", "--check"])?;
    shell::cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ])?;
    shell::cargo(&["test", "--workspace", "--all-features", "--no-fail-fast"])?;
    production::check()?;
    publish::check()?;
    println!("xtask test: all checks passed");
    Ok(())
}
