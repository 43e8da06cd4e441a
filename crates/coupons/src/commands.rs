//! Runs one command: loads the configuration, opens the storage, calls the job and prints its report.

use std::io::Write;

use crmsync_cli::exit::Failure;
use crmsync_domain::ProcessId;
use crmsync_jobs::coupons::{
    CouponError, CouponGenerator, GenerationOptions, GenerationReport, StepBudget, plan, preview,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_store::{CouponStores, StorageUrlError};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::cli::{Cli, Command, GenerateArgs, RunRef};
use crate::config::{CouponsConfig, ENV_PREFIX, SANDBOX_STORAGE};
use crate::export::{ExportError, export};
use crate::output;

/// A job error as an exit: the caller's mistake is bad usage (2), anything else a failed job (1).
pub(crate) fn failure(error: CouponError) -> Failure {
    if error.is_bad_request() {
        Failure::usage(error)
    } else {
        Failure::job(error)
    }
}

/// Prints `value` as JSON with `--json`, else `human()`.
fn print<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce() -> String,
) -> Result<(), Failure> {
    let text = if json {
        let mut text = serde_json::to_string_pretty(value)
            .map_err(|e| Failure::job(format!("cannot print JSON: {e}")))?;
        text.push('\n');
        text
    } else {
        human()
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::job(format!("cannot write to stdout: {e}")))
}

/// Runs the command `cli` names.
pub(crate) async fn run(cli: Cli) -> Result<(), Failure> {
    let json = cli.common.json;
    if let Command::Preview(args) = &cli.command {
        let shown = preview(&args.draft(), args.count, &mut rand::rng()).map_err(Failure::usage)?;
        return print(json, &shown, || output::preview(&shown));
    }
    if let Command::Generate(args) = &cli.command
        && args.dry_run
    {
        return dry_run(args, json);
    }
    let config: CouponsConfig = crmsync_cli::config::load(cli.common.config.as_deref(), ENV_PREFIX)
        .map_err(Failure::usage)?;
    let stores = open(&config, cli.common.sandbox).await?;
    let generator = CouponGenerator::new(stores.processes.clone(), stores.coupons.clone())
        .with_options(GenerationOptions {
            chunk_size: config.generation.chunk_size,
        });
    match cli.command {
        Command::Preview(_) => Ok(()),
        Command::Generate(args) => generate(&generator, &args, json).await,
        Command::Resume { id } => {
            let id = resolve(&generator, id).await?;
            generator.reopen(id).await.map_err(failure)?;
            run_to_end(&generator, id, json).await
        }
        Command::List { limit } => {
            let reports = generator.list(limit).await.map_err(failure)?;
            print(json, &reports, || output::list(&reports))
        }
        Command::Show { id } => {
            let id = resolve(&generator, id).await?;
            let report = generator.status(id).await.map_err(failure)?;
            print(json, &report, || output::report(&report))
        }
        Command::Export(args) => {
            let id = resolve(&generator, args.id).await?;
            let written = match &args.output {
                Some(path) => {
                    let file = std::fs::File::create(path).map_err(|e| {
                        Failure::usage(format!("output: cannot create {}: {e}", path.display()))
                    })?;
                    let mut writer = std::io::BufWriter::new(file);
                    export(&generator, id, args.format, &mut writer).await
                }
                None => {
                    let mut writer = std::io::BufWriter::new(std::io::stdout().lock());
                    export(&generator, id, args.format, &mut writer).await
                }
            }
            .map_err(|e| match e {
                ExportError::Job(job) => failure(job),
                write @ ExportError::Write(_) => Failure::job(write),
            })?;
            tracing::info!(process = %id, written, "coupons exported");
            match &args.output {
                Some(path) => print(
                    json,
                    &serde_json::json!({"process": id, "written": written}),
                    || {
                        format!(
                            "exported {written} coupons of process {id} to {}\n",
                            path.display()
                        )
                    },
                ),
                None => Ok(()),
            }
        }
        Command::Serve(args) => {
            let token: SecretString = config.serve.token.clone().ok_or_else(|| {
                Failure::usage(
                    "config key `serve.token`: required to serve the API (set [serve] token in --config FILE or \
                     COUPONS__SERVE__TOKEN)",
                )
            })?;
            let budget = StepBudget {
                max_codes: Some(config.generation.step_codes),
                max_time: Some(std::time::Duration::from_secs(
                    config.generation.step_seconds,
                )),
            };
            let address = args.address.unwrap_or(config.serve.address);
            crate::serve::serve(generator, budget, address, token, Shutdown::on_signals()).await
        }
    }
}

/// Opens the storage the config (or `--sandbox`) names.
async fn open(config: &CouponsConfig, sandbox: bool) -> Result<CouponStores, Failure> {
    let url = if sandbox {
        SANDBOX_STORAGE.to_owned()
    } else {
        config
            .storage
            .url
            .as_ref()
            .map(|url| url.expose_secret().to_owned())
            .ok_or_else(|| {
                Failure::usage(
                    "config key `storage.url`: required (set [storage] url in --config FILE or COUPONS__STORAGE__URL, \
                     or use --sandbox)",
                )
            })?
    };
    CouponStores::open(&url).await.map_err(|e| match e {
        unsupported @ StorageUrlError::Unsupported { .. } => {
            Failure::usage(format!("config key `storage.url`: {unsupported}"))
        }
        StorageUrlError::Store(store) => Failure::job(format!("storage: {store}")),
    })
}

async fn resolve(generator: &CouponGenerator, id: RunRef) -> Result<ProcessId, Failure> {
    match id {
        RunRef::Id(id) => Ok(id),
        RunRef::Latest => generator
            .latest()
            .await
            .map_err(failure)?
            .ok_or_else(|| Failure::usage("id: there is no generation run yet")),
    }
}

fn dry_run(args: &GenerateArgs, json: bool) -> Result<(), Failure> {
    let planned = plan(args.draft()).map_err(Failure::usage)?;
    #[derive(Serialize)]
    struct DryRun<'a> {
        template: &'a str,
        count: u64,
        capacity: String,
        warnings: &'a [String],
    }
    let shown = DryRun {
        template: &planned.settings.template,
        count: planned.settings.count,
        capacity: planned.capacity.to_string(),
        warnings: &planned.warnings,
    };
    print(json, &shown, || {
        let mut text = format!(
            "dry run: {} codes of {} (capacity {}); nothing stored\n",
            shown.count, shown.template, shown.capacity
        );
        for warning in shown.warnings {
            text.push_str(&format!("warning: {warning}\n"));
        }
        text
    })
}

async fn generate(
    generator: &CouponGenerator,
    args: &GenerateArgs,
    json: bool,
) -> Result<(), Failure> {
    let planned = plan(args.draft()).map_err(Failure::usage)?;
    for warning in &planned.warnings {
        tracing::warn!("{warning}");
    }
    let started = generator.start(&planned).await.map_err(failure)?;
    run_to_end(generator, started.id, json).await
}

async fn run_to_end(generator: &CouponGenerator, id: ProcessId, json: bool) -> Result<(), Failure> {
    let progress = crmsync_cli::progress::for_terminal("coupons");
    let outcome = generator
        .run_to_end(id, progress.as_ref(), &Shutdown::on_signals())
        .await;
    drop(progress);
    let report: GenerationReport = outcome.map_err(|error| match error {
        interrupted @ CouponError::Interrupted { .. } => {
            Failure::job(format!("{interrupted} (`coupons resume {id}`)"))
        }
        other => failure(other),
    })?;
    print(json, &report, || output::report(&report))
}
