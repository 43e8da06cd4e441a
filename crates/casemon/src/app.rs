//! Composition: builds the adapters the configuration names, runs the job (locked and journaled, except a dry
//! run) and maps the result to an exit code.

use std::sync::Arc;

use chrono::Utc;
use crmsync_amocrm::AmoCrmClient;
use crmsync_amocrm::settings::SettingsError;
use crmsync_cli::backends::{self, BackendError};
use crmsync_cli::config::{self, Validate};
use crmsync_cli::exit::Failure;
use crmsync_cyberjustice::CyberJusticeClient;
use crmsync_domain::{NewProcess, ProcessKind};
use crmsync_jobs::case_monitoring::{
    self, CaseMonitoringError, JobSettings, Outcome, Ports, RunMode,
};
use crmsync_jobs::lock::{LockError, LockOptions, LockedError, run_locked};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_jobs::tracking::{RunError, Tracker};
use crmsync_ports::{KeyValueStore, LockStore, NoProgress, ProcessStore, SetStore};
use serde_json::json;

use crate::args::{Args, Command};
use crate::config::{Config, ENV_PREFIX, settings_error};
use crate::output;
#[cfg(feature = "sandbox")]
use crate::sandbox::{SANDBOX_TOKEN, SampleSpec, Sandbox, SandboxOptions};

/// The adapters of one run.
struct Adapters {
    crm: AmoCrmClient,
    monitor: CyberJusticeClient,
    sets: Arc<dyn SetStore>,
    state: Arc<dyn KeyValueStore>,
    journal: Arc<dyn ProcessStore>,
    locks: Arc<dyn LockStore>,
}

/// Runs `casemon` with parsed `args`; prints the report on stdout.
pub(crate) async fn run(args: Args) -> Result<(), Failure> {
    let sandboxed = args.common.sandbox;
    let mut config: Config = match &args.common.config {
        Some(path) => config::load(Some(path), ENV_PREFIX).map_err(Failure::usage)?,
        None if sandboxed => Config::default(),
        None => config::load(None, ENV_PREFIX).map_err(Failure::usage)?,
    };
    config.fill_defaults();
    if let Some(Command::Authorize(authorize)) = &args.command {
        if sandboxed {
            return Err(Failure::usage(
                "authorize exchanges a code with the real amoCRM account: run it without --sandbox",
            ));
        }
        return authorize_app(&config, &authorize.code).await;
    }
    #[cfg(feature = "sandbox")]
    let sandbox = start_sandbox(&mut config, sandboxed, args.common.json).await?;
    #[cfg(not(feature = "sandbox"))]
    crmsync_cli::args::refuse_sandbox(sandboxed)?;
    config.validate().map_err(Failure::usage)?;
    config.require_live().map_err(Failure::usage)?;
    let settings = config.job_settings();
    let adapters = build(&config, sandboxed).await?;
    let result = execute(&args, &config, &settings, &adapters).await;
    #[cfg(feature = "sandbox")]
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    result
}

/// Under `--sandbox`, starts the emulators with the demo world and points `config` at them.
#[cfg(feature = "sandbox")]
async fn start_sandbox(
    config: &mut Config,
    sandboxed: bool,
    json: bool,
) -> Result<Option<Sandbox>, Failure> {
    if !sandboxed {
        return Ok(None);
    }
    let sandbox = Sandbox::start(SampleSpec::demo(), SandboxOptions::default())
        .await
        .map_err(|e| Failure::job(format!("cannot start the sandbox: {e}")))?;
    point_at(config, &sandbox);
    if !json {
        println!(
            "sandbox: amoCRM emulator at {}, CyberJustice emulator at {}",
            sandbox.amocrm.base_url(),
            sandbox.cyberjustice.base_url()
        );
    }
    Ok(Some(sandbox))
}

/// `casemon authorize --code CODE`: stores the first OAuth token pair where the runs will read it.
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

/// Points the amoCRM, CyberJustice and monitoring sections at a running sandbox.
#[cfg(feature = "sandbox")]
fn point_at(config: &mut Config, sandbox: &Sandbox) {
    config.amocrm.base_url = sandbox.amocrm.base_url();
    config.amocrm.long_lived_token = secrecy::SecretString::from(SANDBOX_TOKEN);
    config.amocrm.oauth = None;
    config.cyberjustice = crate::sandbox::cyberjustice_config(sandbox);
    let settings = crate::sandbox::job_settings(&sandbox.world);
    let monitoring = &mut config.monitoring;
    monitoring.pipeline_id = settings.stages.first().map_or(0, |s| s.pipeline_id.0);
    monitoring.status_ids = settings.stages.iter().map(|s| s.status_id.0).collect();
    monitoring.case_field_id = settings.case_field.0;
    monitoring.limit = settings.limit;
}

/// Opens storage, the lock and the clients; under `sandbox`, nothing `[storage]` or `[redis]` names.
async fn build(config: &Config, sandbox: bool) -> Result<Adapters, Failure> {
    let backends = backends::open(&config.storage, &config.redis, sandbox)
        .await
        .map_err(|e| match e {
            BackendError::Config(e) => Failure::usage(e),
            other => Failure::job(other),
        })?;
    tracing::info!(
        storage = backends.database.backend(),
        lock = %backends.lock_kind,
        "backends open"
    );
    let crm = config
        .amocrm
        .client(
            backends.key_values.clone(),
            concat!("casemon/", env!("CARGO_PKG_VERSION")),
        )
        .await
        .map_err(|e| Failure::usage(settings_error(e)))?;
    let monitor = CyberJusticeClient::new(config.cyberjustice.clone())
        .map_err(|e| Failure::usage(format!("config key `cyberjustice.{e}`")))?;
    Ok(Adapters {
        crm,
        monitor,
        sets: backends.sets,
        state: backends.key_values,
        journal: backends.database.processes(),
        locks: backends.locks,
    })
}

async fn execute(
    args: &Args,
    config: &Config,
    settings: &JobSettings,
    adapters: &Adapters,
) -> Result<(), Failure> {
    let ports = Ports {
        crm: &adapters.crm,
        monitor: &adapters.monitor,
        sets: adapters.sets.as_ref(),
        store: adapters.state.as_ref(),
    };
    let json = args.common.json;
    if args.dry_run {
        let outcome = if args.clear {
            case_monitoring::dry_run_clear(ports, settings).await
        } else {
            case_monitoring::run(ports, settings, RunMode::DryRun, Utc::now(), &NoProgress).await
        };
        let mut outcome = outcome.map_err(|e| Failure::job(e.to_string()))?;
        outcome.report.monitor_requests = Some(adapters.monitor.requests_sent());
        output::print(&outcome, None, json);
        return Ok(());
    }
    let mode = if args.clear {
        RunMode::Clear
    } else {
        RunMode::Sync
    };
    let kind = ProcessKind::new(if args.clear {
        "casemon.clear"
    } else {
        "casemon.sync"
    })
    .map_err(Failure::job)?;
    let shutdown = Shutdown::on_signals();
    let mut tracker = Tracker::new(adapters.journal.clone());
    if !json {
        tracker = tracker.with_progress_sink(crmsync_cli::progress::for_terminal("casemon"));
    }
    let lock = LockOptions {
        wait: config.lock.wait(),
        ..LockOptions::new(config.lock.key.clone(), config.lock.ttl())
    };
    let new = NewProcess {
        kind,
        settings: json!({
            "mode": mode,
            "limit": settings.limit,
            "pending_set": settings.pending_set,
            "overflow_set": settings.overflow_set,
        }),
        total: None,
    };
    let result = run_locked(adapters.locks.clone(), &lock, |lease, lost| {
        let tracker = tracker
            .with_shutdown(Shutdown::either(shutdown, lost))
            .with_fence(lease.fence);
        async move {
            tracker
                .run(new, |context| async move {
                    let progress = context.progress();
                    case_monitoring::run(ports, settings, mode, Utc::now(), progress).await
                })
                .await
        }
    })
    .await;
    let requests = adapters.monitor.requests_sent();
    match result {
        Ok(tracked) => {
            let mut outcome = tracked.output;
            outcome.report.monitor_requests = Some(requests);
            output::print(&outcome, Some(tracked.id), json);
            Ok(())
        }
        Err(LockedError::Lock(error @ LockError::Busy { .. })) => Err(Failure::locked(error)),
        Err(LockedError::Lock(error)) => Err(Failure::job(error)),
        Err(LockedError::Job(error)) => Err(job_failure(error, requests, json)),
    }
}

/// Prints the report of a run that went through with errors, and says why the run failed.
fn job_failure(error: RunError<CaseMonitoringError>, requests: u64, json: bool) -> Failure {
    if let RunError::Job { id, source } = &error
        && let Some(report) = source.report()
    {
        let mut report = report.clone();
        report.monitor_requests = Some(requests);
        let outcome = Outcome {
            report,
            plan: None,
            settlement: None,
            clear: None,
        };
        output::print(&outcome, Some(*id), json);
    }
    Failure::job(error)
}
