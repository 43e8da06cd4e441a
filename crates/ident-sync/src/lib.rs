//! `ident-sync`: IDENT clinic receptions into amoCRM contacts and deals (reception sync).
//!
//! `ident-sync [--config FILE] [--sandbox] [--dry-run] [--json] <command>`; commands `reception-sync [--since
//! TIME]`, `patient-sync`, `deep-sync`, `test-reception ID`, `service`, `stats`, `test-db`, `test-amocrm`,
//! `authorize --code CODE`. The job is `crmsync_jobs::reception_sync`; this crate builds the adapters (amoCRM,
//! IDENT, storage, locks), runs commands locked and journaled, and prints reports. Exit codes: 0 done, 1
//! failed, 2 bad usage or configuration (a field the account lacks included), 3 another run holds the lock.
//! See `docs/reception-sync.md`.

pub mod app;
pub mod args;
pub mod config;
mod output;
#[cfg(feature = "sandbox")]
pub mod sandbox;
mod service;
pub mod stats;

use std::process::ExitCode;

use crmsync_cli::exit;

/// Parses the command line, runs, and maps the outcome to the exit code.
pub fn main_entry() -> ExitCode {
    exit::main_entry(|args: &args::Args| &args.common, app::run)
}
