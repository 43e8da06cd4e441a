//! `officeflow-sync`: departments, positions, tags and user OpenIDs from the Officeflow office platform into the
//! local database, under the `officeflow:sync` lock.
//!
//! ```text
//! officeflow-sync [--all] [--parts positions,tags,openids] [--wait] [--dry-run] [--config FILE] [--sandbox] [--json]
//! officeflow-sync retry-failed [--wait]
//! officeflow-sync stats
//! officeflow-sync trace INSTANCE_ID [--json]
//! ```
//!
//! Production: PostgreSQL (`storage.url`), the lock on Redis (`redis.url`) or else in that database, the platform
//! (`[officeflow]`).
//! `--sandbox` (cargo feature `sandbox`, on by default; a `--no-default-features` build links no emulator): the
//! emulator in-process, SQLite under `target/demo/`, an in-process lock. Exit codes: 0 done,
//! 1 a part failed (see the report and `stats`), 2 bad usage or configuration, 3 another instance holds the
//! lock ("already running by host:pid") and `--wait` was not given. The job itself lives in
//! `crmsync_jobs::officeflow`; this crate only parses, wires and prints.

mod cli;
mod output;
mod sandbox;
mod settings;
mod trace_output;
mod wiring;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use crmsync_cli::exit::{self, Failure};
use crmsync_jobs::lock::LockError;
use crmsync_jobs::officeflow::{
    Part, PartError, ProgressFactory, SyncError, SyncMode, SyncRequest, check_department_rules,
    officeflow_stats, parse_parts, retry_failed, sync, trace_instance,
};
use crmsync_jobs::shutdown::Shutdown;

use crate::cli::{Cli, Command};
use crate::settings::{ENV_PREFIX, Settings};

/// How many journal entries `stats` summarises.
const STATS_WINDOW: u32 = 1_000;

/// Parses the command line, runs, prints the report and maps the outcome to the exit code.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    crmsync_cli::logging::init(&cli.common);
    exit::finish(run(&cli))
}

fn run(cli: &Cli) -> Result<(), Failure> {
    let settings: Settings = crmsync_cli::config::load(cli.common.config.as_deref(), ENV_PREFIX)
        .map_err(Failure::usage)?;
    let parts = parts(cli, &settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::job(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async_run(cli, &settings, parts))
}

fn parts(cli: &Cli, settings: &Settings) -> Result<Vec<Part>, Failure> {
    let parts = match &cli.parts {
        Some(list) => parse_parts(list).map_err(|e| Failure::usage(format!("--parts: {e}")))?,
        None => Part::ALL
            .into_iter()
            .filter(|part| match part {
                Part::Departments => settings.parts.departments,
                Part::Positions => settings.parts.positions,
                Part::Tags => settings.parts.tags,
                Part::Openids => settings.parts.openids,
                Part::Attributes => settings.parts.attributes,
                Part::Processes => settings.parts.processes,
            })
            .collect(),
    };
    if parts.is_empty() {
        return Err(Failure::usage(
            "no part to run: enable one in [parts] or name some with --parts",
        ));
    }
    Ok(parts)
}

async fn async_run(cli: &Cli, settings: &Settings, parts: Vec<Part>) -> Result<(), Failure> {
    let shutdown = Shutdown::on_signals();
    let progress = (!cli.common.quiet).then(|| -> ProgressFactory {
        Arc::new(|part: Part| crmsync_cli::progress::for_terminal(&format!("officeflow {part}")))
    });
    let wired = wiring::wire(settings, cli.common.sandbox, cli.fresh, shutdown, progress).await?;
    let deps = &wired.deps;
    let lock = wiring::lock_settings(settings, cli.wait);
    let rules = &settings.departments.rules;
    let syncs_departments = match &cli.command {
        None => parts.contains(&Part::Departments),
        Some(Command::RetryFailed) => true,
        Some(Command::Stats | Command::Trace { .. }) => false,
    };
    if syncs_departments && !rules.is_empty() {
        check_department_rules(deps.source.as_ref(), rules)
            .await
            .map_err(|e| match e {
                PartError::Rule(rule) => {
                    Failure::usage(format!("config: departments.rules: {rule}"))
                }
                other => Failure::job(format!("checking the department rules: {other}")),
            })?;
    }
    match &cli.command {
        None => {
            let request = SyncRequest {
                parts,
                mode: if cli.all {
                    SyncMode::Full
                } else {
                    SyncMode::Incremental
                },
                dry_run: cli.dry_run,
            };
            let report = sync(deps, &request, &lock).await.map_err(sync_failure)?;
            println!(
                "{}",
                if cli.common.json {
                    output::json(&report)
                } else {
                    output::sync_report(&report)
                }
            );
            if report.succeeded() {
                Ok(())
            } else {
                Err(Failure::job(
                    "one or more parts did not complete; see the report above (retry with `officeflow-sync retry-failed`)",
                ))
            }
        }
        Some(Command::RetryFailed) => {
            let report = retry_failed(deps, wiring::retry_policy(settings), &lock)
                .await
                .map_err(sync_failure)?;
            println!(
                "{}",
                if cli.common.json {
                    output::json(&report)
                } else {
                    output::retry_report(&report)
                }
            );
            if report.succeeded() {
                Ok(())
            } else {
                Err(Failure::job("a retried part failed again"))
            }
        }
        Some(Command::Trace { instance_id }) => {
            let Some(flows) = &deps.flows else {
                return Err(Failure::usage(
                    "trace needs the flow tables; none are wired",
                ));
            };
            let trace = trace_instance(flows.store.as_ref(), instance_id)
                .await
                .map_err(|e| Failure::job(format!("trace: {e}")))?
                .ok_or_else(|| {
                    Failure::job(format!(
                        "no process instance {instance_id:?} in the local copy (run the processes part first)"
                    ))
                })?;
            println!(
                "{}",
                if cli.common.json {
                    output::json(&trace)
                } else {
                    trace_output::trace(&trace)
                }
            );
            Ok(())
        }
        Some(Command::Stats) => {
            let stats = officeflow_stats(
                deps.processes.as_ref(),
                deps.store.as_ref(),
                deps.flows.as_ref().map(|f| f.store.as_ref()),
                STATS_WINDOW,
            )
            .await
            .map_err(|e| Failure::job(format!("stats: {e}")))?;
            let stats = match &deps.attributes {
                Some(attributes) => stats
                    .with_attributes(attributes.store.as_ref())
                    .await
                    .map_err(|e| Failure::job(format!("stats: {e}")))?,
                None => stats,
            };
            let view = output::StatsView {
                stats: &stats,
                data_sources: &wired.sources,
            };
            println!(
                "{}",
                if cli.common.json {
                    output::json(&view)
                } else {
                    output::stats(&view)
                }
            );
            Ok(())
        }
    }
}

fn sync_failure(error: SyncError) -> Failure {
    match error {
        SyncError::Lock(LockError::Busy { .. }) => Failure::locked(error),
        other => Failure::job(other),
    }
}
