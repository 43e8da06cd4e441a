//! `casemon`: keeps CyberJustice watching exactly the valid case numbers on amoCRM leads.
//!
//! `casemon [--config FILE] [--sandbox] [--test|--dry-run] [--clear] [--json]`
//!
//! The job itself is `crmsync_jobs::case_monitoring`; this crate parses the command line and the
//! configuration, builds the adapters (amoCRM, CyberJustice, storage, Redis), runs the job under a lock as a
//! journaled process and prints its report. `--sandbox` (cargo feature `sandbox`, on by default) serves both
//! systems from in-process emulators with sample data (`sandbox`); a production build
//! (`--no-default-features`) links no emulator. See `docs/case-monitoring.md`.

mod app;
pub mod args;
pub mod config;
mod output;
#[cfg(feature = "sandbox")]
pub mod sandbox;

use std::process::ExitCode;

use crmsync_cli::exit;

/// Parses the command line, runs, and maps the outcome to the exit code (0 done, 1 failed, 2 bad usage or
/// configuration, 3 another run holds the lock).
pub fn main_entry() -> ExitCode {
    exit::main_entry(|args: &args::Args| &args.common, app::run)
}
