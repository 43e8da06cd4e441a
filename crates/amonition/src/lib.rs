//! `amonition`: AMONITION, the marketplace's amoCRM service.
//!
//! `amonition [--config FILE] [--sandbox] serve [--drain] | upload | inbox list|retry ID|purge`
//!
//! - `serve`: `POST /webhooks/amocrm/{secret}` stores amoCRM's events in a durable inbox before answering 200;
//!   workers (any number of processes) handle them — profile transfer, company refresh, feed upload — with
//!   retries, backoff and a dead letter; `GET /healthz`, `GET /metrics` (Prometheus); the upload on its cron
//!   schedule.
//! - `upload`: every seller with listings uploaded as an amoCRM company now, locked and journaled.
//! - `inbox`: list rows and dead letters, retry one, purge old ones.
//!
//! The jobs are `crmsync_jobs::amonition`. See `docs/amonition.md`.

mod app;
pub mod args;
pub mod config;
pub mod metrics;
#[cfg(feature = "sandbox")]
pub mod sandbox;
mod serve;
pub mod server;

pub use app::{Services, authorize_app, crm_client, live_services, upload_locked};
pub use serve::form;

use std::process::ExitCode;

use crmsync_cli::exit;

/// Parses the command line, runs, and maps the outcome to the exit code (0 done, 1 failed, 2 bad usage or
/// configuration, 3 another upload holds the lock).
pub fn main_entry() -> ExitCode {
    exit::main_entry(|args: &args::Args| &args.common, app::run)
}
