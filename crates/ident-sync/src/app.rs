//! Composition: builds the adapters the configuration names (or the sandbox), runs a command — locked and
//! journaled unless it only reads — and prints the result.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use crmsync_amocrm::settings::{AmoCrmSettings, SettingsError};
use crmsync_amocrm::{AmoCrmClient, BatchPolicy};
use crmsync_cli::backends::{self, BackendError, Backends};
use crmsync_cli::config::{self, Validate};
use crmsync_cli::exit::Failure;
use crmsync_domain::{NewProcess, ProcessKind, ReceptionId};
use crmsync_ident::IdentDb;
use crmsync_jobs::lock::{LockError, LockOptions, LockedError, run_locked};
use crmsync_jobs::reception_sync::{
    self, Outcome, Ports, ReceptionSyncError, RunOptions, Scope, SyncSettings,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_jobs::tracking::{RunError, Tracker};
use crmsync_ports::{KeyValueStore, MisSource, NoProgress, ProcessStore, ReceptionLinkStore};
#[cfg(feature = "sandbox")]
use crmsync_sandbox::FaultPlan;
#[cfg(feature = "sandbox")]
use crmsync_sandbox::amocrm::AmoCrmEmulator;
#[cfg(feature = "sandbox")]
use crmsync_sandbox::clinic::ClinicSpec;
#[cfg(feature = "sandbox")]
use secrecy::SecretString;
use serde_json::json;

use crate::args::{Args, Command};
use crate::config::{Config, ENV_PREFIX, settings_error};
use crate::output;
#[cfg(feature = "sandbox")]
use crate::sandbox::{self, SANDBOX_TOKEN, SandboxFiles};

/// The adapters of one process.
pub struct Adapters {
    /// amoCRM.
    pub crm: AmoCrmClient,
    /// IDENT.
    pub mis: Box<dyn MisSource>,
    /// Storage, locks, key-value pairs.
    pub backends: Backends,
    /// Link tables.
    pub links: Arc<dyn ReceptionLinkStore>,
}

impl Adapters {
    fn ports(&self) -> Ports<'_> {
        Ports {
            crm: &self.crm,
            mis: self.mis.as_ref(),
            links: self.links.as_ref(),
            cursors: self.backends.key_values.as_ref(),
        }
    }

    fn journal(&self) -> Arc<dyn ProcessStore> {
        self.backends.database.processes()
    }
}

/// Runs `ident-sync` with parsed `args`.
pub(crate) async fn run(args: Args) -> Result<(), Failure> {
    let sandboxed = args.common.sandbox;
    #[cfg(not(feature = "sandbox"))]
    crmsync_cli::args::refuse_sandbox(sandboxed)?;
    let mut config: Config = match &args.common.config {
        Some(path) => config::load(Some(path), ENV_PREFIX).map_err(Failure::usage)?,
        None if sandboxed => Config::default(),
        None => config::load(None, ENV_PREFIX).map_err(Failure::usage)?,
    };
    config.fill_defaults();
    config.validate().map_err(Failure::usage)?;
    if let Command::Authorize(authorize) = &args.command {
        if sandboxed {
            return Err(Failure::usage(
                "authorize exchanges a code with the real amoCRM account: run it without --sandbox",
            ));
        }
        return authorize_app(&config, &authorize.code).await;
    }
    #[cfg(feature = "sandbox")]
    let emulator = start_sandbox(&mut config, &args).await?;
    config.require_live().map_err(Failure::usage)?;
    let settings = config.sync_settings();
    let adapters = build(&config, sandboxed).await?;
    let result = execute(&args, &config, &settings, &adapters).await;
    #[cfg(feature = "sandbox")]
    if let Some((emulator, files)) = emulator {
        if !args.dry_run
            && let Err(e) = sandbox::save_amocrm(&emulator, &files.account)
        {
            eprintln!("{e}");
        }
        emulator.shutdown().await;
    }
    result
}

async fn authorize_app(config: &Config, code: &str) -> Result<(), Failure> {
    config
        .amocrm
        .validate()
        .map_err(|e| Failure::usage(settings_error(e)))?;
    let backends = backends::open(&config.storage, &config.redis, false)
        .await
        .map_err(|e| Failure::job(format!("cannot open storage: {e}")))?;
    config
        .amocrm
        .authorize(code, backends.key_values.clone())
        .await
        .map_err(|e| match e {
            SettingsError::Invalid { .. } => Failure::usage(settings_error(e)),
            other => Failure::job(other),
        })?;
    println!("amoCRM authorized: tokens stored; runs refresh them from now on");
    Ok(())
}

/// Under `--sandbox`: creates the clinic (first run only), starts the amoCRM emulator on the saved account and
/// points `config` at both.
#[cfg(feature = "sandbox")]
async fn start_sandbox(
    config: &mut Config,
    args: &Args,
) -> Result<Option<(AmoCrmEmulator, SandboxFiles)>, Failure> {
    if !args.common.sandbox {
        return Ok(None);
    }
    let files = SandboxFiles::under(&args.sandbox_dir);
    if !files.clinic.exists() {
        sandbox::create_clinic(
            &format!("sqlite:{}", files.clinic.display()),
            ClinicSpec::demo(sandbox::clinic_now()),
        )
        .await
        .map_err(|e| Failure::job(format!("cannot create the sandbox clinic: {e}")))?;
    }
    let emulator = sandbox::start_amocrm(Some(&files.account), 7, FaultPlan::none())
        .await
        .map_err(|e| Failure::job(format!("cannot start the sandbox: {e}")))?;
    point_at(config, &emulator, &files);
    if !args.common.json {
        println!(
            "sandbox: amoCRM emulator at {}, IDENT clinic in {}",
            emulator.base_url(),
            files.clinic.display()
        );
    }
    Ok(Some((emulator, files)))
}

#[cfg(feature = "sandbox")]
fn point_at(config: &mut Config, emulator: &AmoCrmEmulator, files: &SandboxFiles) {
    config.amocrm.base_url = emulator.base_url();
    config.amocrm.long_lived_token = SecretString::from(SANDBOX_TOKEN);
    config.amocrm.oauth = None;
    config.mis.url = crmsync_cli::SecretUrl::new(format!("sqlite:{}", files.clinic.display()));
    let s = sandbox::settings();
    let p = &mut config.pipelines;
    p.primary_pipeline_id = s.primary.pipeline_id.0;
    p.primary_status_id = s.primary.status_id.0;
    p.secondary_pipeline_id = s.secondary.pipeline_id.0;
    p.secondary_status_id = s.secondary.status_id.0;
    let f = &mut config.fields;
    f.reception_id = s.fields.reception_id.0;
    f.reception_date = s.fields.reception_date.map(|x| x.0);
    f.doctor_name = s.fields.doctor.map(|x| x.0);
    f.service_name = s.fields.service.map(|x| x.0);
    f.reception_cost = s.fields.cost.map(|x| x.0);
    f.patient_number = s.fields.patient_number.map(|x| x.0);
    f.contact_birthday = None;
}

/// The amoCRM client of a reception sync (OAuth tokens in `tokens`): contacts and deals are created and updated
/// up to 250 per request, so a batch costs one request per kind (the client's default is amoCRM's suggested 50).
pub fn crm_client(
    amocrm: &AmoCrmSettings,
    tokens: Arc<dyn KeyValueStore>,
) -> Result<AmoCrmClient, SettingsError> {
    Ok(amocrm
        .builder(tokens, concat!("ident-sync/", env!("CARGO_PKG_VERSION")))?
        .batch(BatchPolicy {
            write_chunk: reception_sync::MAX_BATCH,
            ..BatchPolicy::default()
        })
        .build()?)
}

/// Opens the IDENT database `url` names.
pub async fn open_mis(url: &str) -> Result<Box<dyn MisSource>, Failure> {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("server=") || lower.starts_with("mssql://") {
        return open_mssql(url).await;
    }
    let db = IdentDb::open(url)
        .await
        .map_err(|e| Failure::usage(format!("config key `mis.url`: {e}")))?;
    Ok(Box::new(db))
}

#[cfg(feature = "mssql")]
async fn open_mssql(url: &str) -> Result<Box<dyn MisSource>, Failure> {
    let ado = url.trim().trim_start_matches("mssql://");
    let db = crmsync_ident::MssqlIdent::connect(ado)
        .await
        .map_err(|e| Failure::job(format!("IDENT: {e}")))?;
    Ok(Box::new(db))
}

#[cfg(not(feature = "mssql"))]
async fn open_mssql(_url: &str) -> Result<Box<dyn MisSource>, Failure> {
    Err(Failure::usage(
        "config key `mis.url`: SQL Server needs ident-sync built with `--features mssql`",
    ))
}

async fn build(config: &Config, sandbox: bool) -> Result<Adapters, Failure> {
    let backends = backends::open(&config.storage, &config.redis, sandbox)
        .await
        .map_err(|e| match e {
            BackendError::Config(e) => Failure::usage(e),
            other => Failure::job(other),
        })?;
    let crm = crm_client(&config.amocrm, backends.key_values.clone())
        .map_err(|e| Failure::usage(settings_error(e)))?;
    let mis = open_mis(config.mis.url.expose_secret()).await?;
    let links = backends.database.reception_links();
    Ok(Adapters {
        crm,
        mis,
        backends,
        links,
    })
}

fn parse_since(text: &str) -> Result<NaiveDateTime, Failure> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| Failure::usage("--since: use `YYYY-MM-DD HH:MM:SS` (IDENT's local time)"))
}

fn job_error(error: ReceptionSyncError) -> Failure {
    match error {
        ReceptionSyncError::Config { .. } => Failure::usage(error),
        other => Failure::job(other),
    }
}

async fn execute(
    args: &Args,
    config: &Config,
    settings: &SyncSettings,
    adapters: &Adapters,
) -> Result<(), Failure> {
    let json = args.common.json;
    match &args.command {
        Command::TestDb => {
            let info = adapters
                .mis
                .info()
                .await
                .map_err(|e| Failure::job(format!("IDENT: {e}")))?;
            output::print_json_or(json, &json!(info), || {
                format!(
                    "IDENT ({}) reachable: {} receptions, {} patients",
                    info.engine, info.receptions, info.patients
                )
            });
            Ok(())
        }
        Command::TestAmocrm => {
            adapters
                .backends
                .key_values
                .delete(&settings.key("account-check"))
                .await
                .map_err(Failure::job)?;
            reception_sync::check_account(
                &adapters.crm,
                adapters.backends.key_values.as_ref(),
                settings,
            )
            .await
            .map_err(job_error)?;
            output::print_json_or(json, &json!({ "ok": true }), || {
                "amoCRM reachable: both pipelines, their stages and every mapped field exist"
                    .to_owned()
            });
            Ok(())
        }
        Command::Stats => {
            let stats = crate::stats::collect(adapters.journal().as_ref(), adapters.links.as_ref())
                .await
                .map_err(Failure::job)?;
            output::print_stats(&stats, json);
            Ok(())
        }
        Command::TestReception { id } => {
            let options = RunOptions {
                scope: Scope::Single(ReceptionId(*id)),
                dry_run: true,
                now: Utc::now(),
                shutdown: Shutdown::never(),
            };
            let outcome = reception_sync::run(adapters.ports(), settings, &options, &NoProgress)
                .await
                .map_err(job_error)?;
            if outcome.report.receptions == 0 {
                return Err(Failure::job(format!("reception {id} not found in IDENT")));
            }
            output::print_outcome(&outcome, None, json, adapters.crm.stats().requests);
            Ok(())
        }
        Command::ReceptionSync { since } => {
            let scope = match since {
                Some(text) => Scope::Since(parse_since(text)?),
                None => Scope::Incremental,
            };
            run_kind(
                args,
                config,
                settings,
                adapters,
                Kind::Receptions(scope),
                Shutdown::on_signals(),
            )
            .await
        }
        Command::DeepSync => {
            run_kind(
                args,
                config,
                settings,
                adapters,
                Kind::Receptions(Scope::Deep),
                Shutdown::on_signals(),
            )
            .await
        }
        Command::PatientSync => {
            run_kind(
                args,
                config,
                settings,
                adapters,
                Kind::Patients,
                Shutdown::on_signals(),
            )
            .await
        }
        Command::Service => crate::service::run(args, config, settings, adapters).await,
        Command::Authorize(_) => Ok(()),
    }
}

/// What a journaled run does.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// Receptions in a scope.
    Receptions(Scope),
    /// Patients.
    Patients,
}

impl Kind {
    fn process_kind(self) -> &'static str {
        match self {
            Self::Receptions(Scope::Deep) => "ident.deep-sync",
            Self::Receptions(_) => "ident.reception-sync",
            Self::Patients => "ident.patient-sync",
        }
    }

    fn lock_suffix(self) -> &'static str {
        match self {
            Self::Receptions(_) => "receptions",
            Self::Patients => "patients",
        }
    }
}

/// Runs one kind of sync: locked (one run of a kind at a time, across processes), journaled, its report saved
/// as the journal entry's checkpoint; a dry run does neither.
pub(crate) async fn run_kind(
    args: &Args,
    config: &Config,
    settings: &SyncSettings,
    adapters: &Adapters,
    kind: Kind,
    shutdown: Shutdown,
) -> Result<(), Failure> {
    let json = args.common.json;
    let options = RunOptions {
        scope: match kind {
            Kind::Receptions(scope) => scope,
            Kind::Patients => Scope::Incremental,
        },
        dry_run: args.dry_run,
        now: Utc::now(),
        shutdown,
    };
    let ports = adapters.ports();
    if args.dry_run {
        let outcome = job(kind, ports, settings, &options, &NoProgress)
            .await
            .map_err(job_error)?;
        output::print_outcome(&outcome, None, json, adapters.crm.stats().requests);
        return Ok(());
    }
    let kind_name = ProcessKind::new(kind.process_kind()).map_err(Failure::job)?;
    let mut tracker = Tracker::new(adapters.journal());
    if !json {
        tracker = tracker.with_progress_sink(crmsync_cli::progress::for_terminal("ident-sync"));
    }
    let lock = LockOptions {
        wait: config.lock.wait(),
        ..LockOptions::new(
            format!("{}:{}", config.lock.key, kind.lock_suffix()),
            config.lock.ttl(),
        )
    };
    let new = NewProcess {
        kind: kind_name,
        settings: json!({ "scope": options.scope, "batch_size": settings.batch_size }),
        total: None,
    };
    let before = adapters.crm.stats().requests;
    let result = run_locked(adapters.backends.locks.clone(), &lock, |_lease, _lost| {
        tracker.run(new, |context| async move {
            let outcome = job(kind, ports, settings, &options, context.progress()).await?;
            let _ = context.save_checkpoint(json!(outcome.report)).await;
            Ok::<_, ReceptionSyncError>(outcome)
        })
    })
    .await;
    let requests = adapters.crm.stats().requests.saturating_sub(before);
    match result {
        Ok(tracked) => {
            output::print_outcome(&tracked.output, Some(tracked.id), json, requests);
            Ok(())
        }
        Err(LockedError::Lock(error @ LockError::Busy { .. })) => Err(Failure::locked(error)),
        Err(LockedError::Lock(error)) => Err(Failure::job(error)),
        Err(LockedError::Job(RunError::Job { id, source })) => {
            if let Some(report) = source.report() {
                let outcome = Outcome {
                    report: report.clone(),
                    ..Outcome::default()
                };
                output::print_outcome(&outcome, Some(id), json, requests);
            }
            Err(job_error(source))
        }
        Err(LockedError::Job(error)) => Err(Failure::job(error)),
    }
}

async fn job(
    kind: Kind,
    ports: Ports<'_>,
    settings: &SyncSettings,
    options: &RunOptions,
    progress: &dyn crmsync_ports::Progress,
) -> Result<Outcome, ReceptionSyncError> {
    match kind {
        Kind::Receptions(_) => reception_sync::run(ports, settings, options, progress).await,
        Kind::Patients => reception_sync::sync_patients(ports, settings, options, progress)
            .await
            .map(|report| Outcome {
                report,
                ..Outcome::default()
            }),
    }
}

/// The next time a cron `expression` fires after now.
pub(crate) fn next_fire(expression: &str) -> Option<Duration> {
    let cron = expression.trim().parse::<croner::Cron>().ok()?;
    let now = Utc::now();
    let next = cron.find_next_occurrence(&now, false).ok()?;
    (next - now).to_std().ok()
}
