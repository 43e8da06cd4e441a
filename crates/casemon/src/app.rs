//! Composition: builds the adapters the configuration names, runs the job (locked and journaled, except a dry
//! run) and maps the result to an exit code.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crmsync_amocrm::{AmoCrmClient, Credentials, RateLimit, RetryPolicy, Timeouts};
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
use crmsync_redis::{RedisConfig, RedisStores};
use crmsync_store::Stores;
use crmsync_store::memory::MemoryLockStore;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::args::Args;
use crate::config::{Config, ENV_PREFIX};
use crate::output;
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
    let mut config: Config = match &args.common.config {
        Some(path) => config::load(Some(path), ENV_PREFIX).map_err(Failure::usage)?,
        None if args.common.sandbox => Config {
            storage: crate::config::StorageSection {
                url: "memory:".to_owned(),
            },
            ..Config::default()
        },
        None => config::load(None, ENV_PREFIX).map_err(Failure::usage)?,
    };
    let sandbox = if args.common.sandbox {
        let sandbox = Sandbox::start(SampleSpec::demo(), SandboxOptions::default())
            .await
            .map_err(|e| Failure::job(format!("cannot start the sandbox: {e}")))?;
        point_at(&mut config, &sandbox);
        if !args.common.json {
            println!(
                "sandbox: amoCRM emulator at {}, CyberJustice emulator at {}",
                sandbox.amocrm.base_url(),
                sandbox.cyberjustice.base_url()
            );
        }
        Some(sandbox)
    } else {
        None
    };
    config.validate().map_err(Failure::usage)?;
    config.require_live().map_err(Failure::usage)?;
    let settings = config.job_settings();
    let adapters = build(&config).await?;
    let result = execute(&args, &config, &settings, &adapters).await;
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    result
}

/// Points the amoCRM, CyberJustice and monitoring sections at a running sandbox.
fn point_at(config: &mut Config, sandbox: &Sandbox) {
    config.amocrm.base_url = sandbox.amocrm.base_url();
    config.amocrm.long_lived_token = SecretString::from(SANDBOX_TOKEN);
    config.cyberjustice = sandbox.cyberjustice_config();
    let settings = sandbox.world.settings();
    let monitoring = &mut config.monitoring;
    monitoring.pipeline_id = settings.stages.first().map_or(0, |s| s.pipeline_id.0);
    monitoring.status_ids = settings.stages.iter().map(|s| s.status_id.0).collect();
    monitoring.case_field_id = settings.case_field.0;
    monitoring.limit = settings.limit;
}

async fn build(config: &Config) -> Result<Adapters, Failure> {
    let amocrm = &config.amocrm;
    let rate = RateLimit::per_second(amocrm.rate_limit_per_s).ok_or_else(|| {
        Failure::usage("config key `amocrm.rate_limit_per_s`: must be at least 1")
    })?;
    let crm = AmoCrmClient::builder(
        amocrm.base_url.trim(),
        Credentials::LongLived(SecretString::from(
            amocrm.long_lived_token.expose_secret().trim(),
        )),
    )
    .rate_limit(rate)
    .timeouts(Timeouts {
        connect: Duration::from_millis(amocrm.request_timeout_ms.min(5_000)),
        request: Duration::from_millis(amocrm.request_timeout_ms),
    })
    .retry(RetryPolicy {
        max_attempts: amocrm.max_attempts,
        base_delay: Duration::from_millis(amocrm.retry_base_delay_ms),
        ..RetryPolicy::default()
    })
    .user_agent(concat!("casemon/", env!("CARGO_PKG_VERSION")))
    .build()
    .map_err(|e| Failure::usage(format!("config section `amocrm`: {e}")))?;
    let monitor = CyberJusticeClient::new(config.cyberjustice.clone())
        .map_err(|e| Failure::usage(format!("config key `cyberjustice.{e}`")))?;
    let stores = Stores::open(&config.storage.url)
        .await
        .map_err(|e| Failure::job(format!("storage: {e}")))?;
    let (sets, state, locks): (
        Arc<dyn SetStore>,
        Arc<dyn KeyValueStore>,
        Arc<dyn LockStore>,
    ) = if config.redis.url.trim().is_empty() {
        (
            stores.sets.clone(),
            stores.key_values.clone(),
            Arc::new(MemoryLockStore::new()),
        )
    } else {
        let redis = RedisStores::connect(
            &RedisConfig::new(config.redis.url.trim())
                .with_key_prefix(config.redis.key_prefix.clone()),
        )
        .await
        .map_err(|e| Failure::job(format!("redis: {e}")))?;
        (
            Arc::new(redis.sets),
            Arc::new(redis.key_values),
            Arc::new(redis.locks),
        )
    };
    Ok(Adapters {
        crm,
        monitor,
        sets,
        state,
        journal: stores.processes,
        locks,
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
    let mut tracker = Tracker::new(adapters.journal.clone()).with_shutdown(shutdown);
    if !json {
        tracker = tracker.with_progress_sink(crmsync_cli::progress::for_terminal("casemon"));
    }
    let lock = LockOptions {
        wait: (config.lock.wait_s > 0).then(|| Duration::from_secs(config.lock.wait_s)),
        ..LockOptions::new(
            config.lock.key.clone(),
            Duration::from_secs(config.lock.ttl_s),
        )
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
    let result = run_locked(adapters.locks.clone(), &lock, |_lease, _lost| {
        tracker.run(new, |context| async move {
            let progress = context.progress();
            case_monitoring::run(ports, settings, mode, Utc::now(), progress).await
        })
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
