//! `ident-sync service`: receptions, patients and deep sync on their cron schedules. A kind whose run is still
//! going (here or in another process: the lock) is skipped at that tick. SIGTERM or Ctrl-C lets the current
//! batch finish, then the service exits 0.

use std::time::Duration;

use crmsync_cli::exit::Failure;
use crmsync_jobs::reception_sync::{Scope, SyncSettings};
use crmsync_jobs::shutdown::Shutdown;

use crate::app::{Adapters, Kind, next_fire, run_kind};
use crate::args::Args;
use crate::config::Config;

/// Runs until a stop is requested.
pub(crate) async fn run(
    args: &Args,
    config: &Config,
    settings: &SyncSettings,
    adapters: &Adapters,
) -> Result<(), Failure> {
    let shutdown = Shutdown::on_signals();
    let schedule = [
        (
            Kind::Receptions(Scope::Incremental),
            config.schedule.receptions.as_str(),
        ),
        (Kind::Patients, config.schedule.patients.as_str()),
        (Kind::Receptions(Scope::Deep), config.schedule.deep.as_str()),
    ];
    tracing::info!("service started");
    loop {
        let (kind, wait) = schedule
            .iter()
            .filter_map(|(kind, expression)| next_fire(expression).map(|w| (*kind, w)))
            .min_by_key(|(_, wait)| *wait)
            .ok_or_else(|| Failure::usage("config section `schedule`: no expression ever fires"))?;
        tokio::select! {
            () = tokio::time::sleep(wait.max(Duration::from_millis(10))) => {}
            _ = shutdown.requested() => break,
        }
        if let Err(failure) =
            run_kind(args, config, settings, adapters, kind, shutdown.clone()).await
        {
            tracing::warn!(error = %failure.message, "scheduled run failed; the next tick retries");
        }
        if shutdown.reason().is_some() {
            break;
        }
    }
    tracing::info!("service stopped");
    Ok(())
}
