//! Runs one command: loads the configuration, opens the storage, calls the job and prints its report.

use std::io::Write;

use crmsync_cli::exit::Failure;
use crmsync_domain::ProcessId;
use crmsync_jobs::coupons::{
    CouponError, CouponGenerator, GenerationOptions, GenerationReport, StepBudget, plan, preview,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_ports::{AuditFilter, AuditOutcome};
use crmsync_store::{CouponStores, StorageUrlError};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::cli::{Cli, Command, GenerateArgs, RunRef};
use crate::config::{CouponsConfig, ENV_PREFIX, SANDBOX_STORAGE};
use crate::export::{ExportError, export};
use crate::i18n::{self, Lang, args, tr};
use crate::output;
use crate::rights::{Auditor, NamedToken, Role, Tokens, os_actor};

/// A job error as an exit in `lang`: the caller's mistake is bad usage (2), anything else a failed job (1).
pub(crate) fn failure(lang: Lang, error: CouponError) -> Failure {
    let text = i18n::coupon_error(lang, &error);
    if error.is_bad_request() {
        Failure::usage(text)
    } else {
        Failure::job(text)
    }
}

/// Prints `value` as JSON with `--json`, else `human()`.
fn print<T: Serialize>(
    lang: Lang,
    json: bool,
    value: &T,
    human: impl FnOnce() -> String,
) -> Result<(), Failure> {
    let text = if json {
        let mut text = serde_json::to_string_pretty(value)
            .map_err(|e| Failure::job(tr(lang, "error-print-json", args!["reason" => e])))?;
        text.push('\n');
        text
    } else {
        human()
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::job(tr(lang, "error-stdout", args!["reason" => e])))
}

/// Runs the command `cli` names.
pub(crate) async fn run(cli: Cli) -> Result<(), Failure> {
    let json = cli.common.json;
    let lang = Lang::choose(cli.lang, |name| std::env::var(name).ok());
    if let Command::Preview(args) = &cli.command {
        let shown = preview(&args.draft(), args.count, &mut rand::rng())
            .map_err(|e| Failure::usage(i18n::settings_errors(lang, &e)))?;
        return print(lang, json, &shown, || output::preview(lang, &shown));
    }
    if let Command::Generate(args) = &cli.command
        && args.dry_run
    {
        return dry_run(lang, args, json);
    }
    let config: CouponsConfig = crmsync_cli::config::load(cli.common.config.as_deref(), ENV_PREFIX)
        .map_err(Failure::usage)?;
    let stores = open(lang, &config, cli.common.sandbox).await?;
    let generator = CouponGenerator::new(stores.processes.clone(), stores.coupons.clone())
        .with_options(GenerationOptions {
            chunk_size: config.generation.chunk_size,
        });
    let auditor = Auditor::new(stores.audit.clone());
    let actor = os_actor(|name| std::env::var(name).ok());
    let audited =
        |action: &'static str, process: Option<ProcessId>, result: Result<(), Failure>| {
            let auditor = auditor.clone();
            let actor = actor.clone();
            async move {
                let (outcome, detail) = match &result {
                    Ok(()) => (AuditOutcome::Ok, None),
                    Err(failure) => (AuditOutcome::Failed, Some(failure.message.clone())),
                };
                auditor
                    .record(actor, action, process, outcome, detail)
                    .await;
                result
            }
        };
    match cli.command {
        Command::Preview(_) => Ok(()),
        Command::Generate(args) => {
            let started = start(lang, &generator, &args).await;
            let id = match started {
                Ok(id) => id,
                Err(failure) => return audited("generate", None, Err(failure)).await,
            };
            let result = run_to_end(lang, &generator, id, json).await;
            audited("generate", Some(id), result).await
        }
        Command::Resume { id } => {
            let id = resolve(lang, &generator, id).await?;
            let result = match generator.reopen(id).await {
                Ok(_) => run_to_end(lang, &generator, id, json).await,
                Err(e) => Err(failure(lang, e)),
            };
            audited("resume", Some(id), result).await
        }
        Command::Abort { id } => {
            let id = resolve(lang, &generator, id).await?;
            let result = match generator.abort(id, &format!("aborted by {actor}")).await {
                Ok(report) => print(lang, json, &report, || output::report(lang, &report)),
                Err(e) => Err(failure(lang, e)),
            };
            audited("abort", Some(id), result).await
        }
        Command::DeleteUnused { id } => {
            let id = resolve(lang, &generator, id).await?;
            let result = match generator.delete_unused(id).await {
                Ok(deleted) => print(
                    lang,
                    json,
                    &serde_json::json!({"process": id, "deleted": deleted}),
                    || {
                        let mut line = tr(lang, "deleted", args!["deleted" => deleted, "id" => id]);
                        line.push('\n');
                        line
                    },
                ),
                Err(e) => Err(failure(lang, e)),
            };
            audited("delete_unused", Some(id), result).await
        }
        Command::Audit { run, limit } => {
            let filter = AuditFilter {
                process: run,
                limit: Some(limit),
            };
            let entries = stores
                .audit
                .list(&filter)
                .await
                .map_err(|e| failure(lang, CouponError::Store(e)))?;
            print(lang, json, &entries, || output::audit(lang, &entries))
        }
        Command::List { limit } => {
            let reports = generator.list(limit).await.map_err(|e| failure(lang, e))?;
            print(lang, json, &reports, || output::list(lang, &reports))
        }
        Command::Show { id } => {
            let id = resolve(lang, &generator, id).await?;
            let report = generator.status(id).await.map_err(|e| failure(lang, e))?;
            print(lang, json, &report, || output::report(lang, &report))
        }
        Command::Export(args) => {
            let id = resolve(lang, &generator, args.id).await?;
            let written = match &args.output {
                Some(path) => {
                    let file = std::fs::File::create(path).map_err(|e| {
                        Failure::usage(tr(
                            lang,
                            "error-output",
                            args!["path" => path.display(), "reason" => e],
                        ))
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
                ExportError::Job(job) => failure(lang, job),
                ExportError::Write(e) => {
                    Failure::job(tr(lang, "error-write", args!["reason" => e]))
                }
            })?;
            tracing::info!(process = %id, written, "coupons exported");
            match &args.output {
                Some(path) => print(
                    lang,
                    json,
                    &serde_json::json!({"process": id, "written": written}),
                    || {
                        let mut line = tr(
                            lang,
                            "exported",
                            args!["written" => written, "id" => id, "path" => path.display()],
                        );
                        line.push('\n');
                        line
                    },
                ),
                None => Ok(()),
            }
        }
        Command::Serve(args) => {
            let mut tokens = config.serve.named_tokens();
            if tokens.is_empty() && cli.common.sandbox {
                tokens.push(sandbox_token(lang));
            }
            if tokens.is_empty() {
                return Err(Failure::usage(tr(lang, "error-serve-tokens-required", &[])));
            }
            let budget = StepBudget {
                max_codes: Some(config.generation.step_codes),
                max_time: Some(std::time::Duration::from_secs(
                    config.generation.step_seconds,
                )),
            };
            let address = args.address.unwrap_or(config.serve.address);
            let app =
                crate::serve::router(generator, budget, Tokens::new(tokens), stores.audit.clone());
            crate::serve::serve(app, address, Shutdown::on_signals(), lang, args.check).await
        }
    }
}

/// `--sandbox serve` without configured tokens: a fresh admin token for this process only, printed so it can be
/// typed into the page (the sandbox listens on loopback and keeps demo data only).
fn sandbox_token(lang: Lang) -> NamedToken {
    use rand::RngExt as _;
    let secret: u128 = rand::rng().random();
    let token = format!("{secret:032x}");
    println!(
        "{}",
        tr(lang, "serve-sandbox-token", args!["token" => token])
    );
    NamedToken {
        name: "sandbox".to_owned(),
        token: secrecy::SecretString::from(token),
        role: Role::Admin,
    }
}

/// Opens the storage the config (or `--sandbox`) names.
async fn open(lang: Lang, config: &CouponsConfig, sandbox: bool) -> Result<CouponStores, Failure> {
    let url = if sandbox {
        SANDBOX_STORAGE.to_owned()
    } else {
        config
            .storage
            .url
            .as_ref()
            .map(|url| url.expose_secret().to_owned())
            .ok_or_else(|| Failure::usage(tr(lang, "error-storage-url-required", &[])))?
    };
    CouponStores::open(&url).await.map_err(|e| match e {
        unsupported @ StorageUrlError::Unsupported { .. } => Failure::usage(tr(
            lang,
            "error-storage-url",
            args!["reason" => unsupported],
        )),
        StorageUrlError::Store(store) => {
            Failure::job(tr(lang, "error-storage", args!["reason" => store]))
        }
    })
}

async fn resolve(
    lang: Lang,
    generator: &CouponGenerator,
    id: RunRef,
) -> Result<ProcessId, Failure> {
    match id {
        RunRef::Id(id) => Ok(id),
        RunRef::Latest => generator
            .latest()
            .await
            .map_err(|e| failure(lang, e))?
            .ok_or_else(|| Failure::usage(tr(lang, "error-no-runs", &[]))),
    }
}

fn dry_run(lang: Lang, args: &GenerateArgs, json: bool) -> Result<(), Failure> {
    let planned =
        plan(args.draft()).map_err(|e| Failure::usage(i18n::settings_errors(lang, &e)))?;
    #[derive(Serialize)]
    struct DryRun<'a> {
        template: &'a str,
        count: u64,
        capacity: String,
        warnings: &'a [crmsync_domain::Message],
    }
    let shown = DryRun {
        template: &planned.settings.template,
        count: planned.settings.count,
        capacity: planned.capacity.to_string(),
        warnings: &planned.warnings,
    };
    print(lang, json, &shown, || {
        let mut text = tr(
            lang,
            "dry-run",
            args![
                "count" => shown.count,
                "template" => shown.template,
                "capacity" => shown.capacity,
            ],
        );
        text.push('\n');
        for warning in shown.warnings {
            text.push_str(&tr(
                lang,
                "warning-line",
                args!["warning" => i18n::message(lang, warning)],
            ));
            text.push('\n');
        }
        text
    })
}

/// Checks the settings and records a new run; its id.
async fn start(
    lang: Lang,
    generator: &CouponGenerator,
    args: &GenerateArgs,
) -> Result<ProcessId, Failure> {
    let planned =
        plan(args.draft()).map_err(|e| Failure::usage(i18n::settings_errors(lang, &e)))?;
    for warning in &planned.warnings {
        tracing::warn!("{}", i18n::message(lang, warning));
    }
    let started = generator
        .start(&planned)
        .await
        .map_err(|e| failure(lang, e))?;
    Ok(started.id)
}

async fn run_to_end(
    lang: Lang,
    generator: &CouponGenerator,
    id: ProcessId,
    json: bool,
) -> Result<(), Failure> {
    let progress = crmsync_cli::progress::for_terminal(&tr(lang, "progress-label", &[]));
    let outcome = generator
        .run_to_end(id, progress.as_ref(), &Shutdown::on_signals())
        .await;
    drop(progress);
    let report: GenerationReport = outcome.map_err(|error| match error {
        interrupted @ CouponError::Interrupted { .. } => Failure::job(tr(
            lang,
            "error-resume-hint",
            args!["error" => i18n::coupon_error(lang, &interrupted), "id" => id],
        )),
        other => failure(lang, other),
    })?;
    print(lang, json, &report, || output::report(lang, &report))
}
