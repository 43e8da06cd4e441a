//! Builds the ports a run uses: the platform client, the stores and the lock service — production (the storage
//! database, the lock on Redis when configured, else leases in that database, the real platform) or sandbox (SQLite under `target/demo/`, the emulator in-process, in-process lock).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crmsync_cli::backends::{self, BackendError};
use crmsync_cli::exit::Failure;
use crmsync_jobs::officeflow::{JobSettings, LockSettings, ProgressFactory, SyncDeps};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_jobs::sweeper::RetryPolicy;
use crmsync_jobs::tracking::TrackOptions;
use crmsync_officeflow::{OfficeflowClient, OfficeflowConfig};
use crmsync_ports::LockStore;
use crmsync_sandbox::officeflow::{
    ApiFaultSchedule, EmulatorConfig, OfficeflowEmulator, Org, OrgSpec,
};
use crmsync_store::Database;
use crmsync_store::memory::MemoryLockStore;
use secrecy::SecretString;

use crate::settings::{DEFAULT_WAIT_S, OfficeflowSection, Settings};

/// The ports of a run, and the emulator when it runs in-process (kept alive for the run).
pub(crate) struct Wired {
    /// What the job needs.
    pub(crate) deps: SyncDeps,
    /// The in-process emulator of `--sandbox`.
    pub(crate) emulator: Option<OfficeflowEmulator>,
}

fn client_config(section: &OfficeflowSection) -> OfficeflowConfig {
    OfficeflowConfig {
        rate_limit_per_s: section.rate_limit_per_s,
        request_timeout: Duration::from_secs(section.timeout_s),
        max_retries: section.max_retries,
        backoff_base: Duration::from_millis(section.backoff_base_ms),
        backoff_max: Duration::from_millis(section.backoff_max_ms),
        page_size: section.page_size,
        max_response_bytes: section.max_response_bytes,
        ..OfficeflowConfig::new(
            section.base_url.clone(),
            section.app_key.clone(),
            section.app_secret.clone(),
        )
    }
}

/// The lock settings of the configuration; with `--wait`, waits up to `lock.wait_s` (8 hours when it is 0).
pub(crate) fn lock_settings(settings: &Settings, wait: bool) -> LockSettings {
    let wait_s = match settings.lock.wait_s {
        0 if wait => DEFAULT_WAIT_S,
        seconds => seconds,
    };
    LockSettings {
        ttl: settings.lock.ttl(),
        wait: (wait_s > 0).then(|| Duration::from_secs(wait_s)),
        ..LockSettings::default()
    }
}

/// The retry policy of the configuration.
pub(crate) fn retry_policy(settings: &Settings) -> RetryPolicy {
    RetryPolicy {
        max_attempts: settings.retry.max_attempts,
        base_backoff: Duration::from_secs(settings.retry.backoff_base_s),
        max_backoff: Duration::from_secs(settings.retry.backoff_max_s),
        stale_after: Duration::from_secs(settings.retry.stale_after_s),
    }
}

/// Builds everything; `fresh` empties the sandbox database first.
pub(crate) async fn wire(
    settings: &Settings,
    sandbox: bool,
    fresh: bool,
    shutdown: Shutdown,
    progress: Option<ProgressFactory>,
) -> Result<Wired, Failure> {
    let (client_settings, database, locks, emulator): (
        OfficeflowConfig,
        Database,
        Arc<dyn LockStore>,
        Option<OfficeflowEmulator>,
    ) = if sandbox {
        let spec = OrgSpec {
            platforms: settings.sandbox.platforms.clone(),
            seed: settings.sandbox.seed,
            ..OrgSpec::new(settings.sandbox.users)
        };
        let mut org = Org::generate(&spec);
        if settings.sandbox.mutations > 0 {
            org.mutate(settings.sandbox.seed + 1, settings.sandbox.mutations);
        }
        let emulator = OfficeflowEmulator::start(org, EmulatorConfig::default())
            .await
            .map_err(|e| Failure::job(format!("cannot start the Officeflow emulator: {e}")))?;
        if settings.sandbox.faults {
            emulator.set_faults(ApiFaultSchedule::transient_mix(
                23,
                Duration::from_millis(200),
            ));
        }
        let client = OfficeflowConfig {
            rate_limit_per_s: 45,
            backoff_base: Duration::from_millis(50),
            backoff_max: Duration::from_millis(500),
            ..OfficeflowConfig::new(
                emulator.base_url(),
                emulator.app_key(),
                SecretString::from(emulator.app_secret()),
            )
        };
        if fresh {
            for suffix in ["", "-wal", "-shm"] {
                let file = format!("{}{suffix}", settings.sandbox.db);
                if Path::new(&file).exists() {
                    std::fs::remove_file(&file).map_err(|e| {
                        Failure::job(format!("cannot remove the sandbox database {file}: {e}"))
                    })?;
                }
            }
        }
        let database = Database::open(&format!("sqlite:{}", settings.sandbox.db))
            .await
            .map_err(|e| Failure::job(format!("sandbox storage: {e}")))?;
        (
            client,
            database,
            Arc::new(MemoryLockStore::new()),
            Some(emulator),
        )
    } else {
        let Some(platform) = &settings.officeflow else {
            return Err(Failure::usage(
                "config section [officeflow] (base_url, app_key, app_secret) is required unless --sandbox",
            ));
        };
        let backends = backends::open(&settings.storage, &settings.redis, false)
            .await
            .map_err(|e| match e {
                BackendError::Config(e) => Failure::usage(format!("{e} (unless --sandbox)")),
                other => Failure::job(other),
            })?;
        tracing::info!(
            storage = backends.database.backend(),
            lock = %backends.lock_kind,
            "backends open"
        );
        (
            client_config(platform),
            backends.database,
            backends.locks,
            None,
        )
    };
    if fresh && !sandbox {
        return Err(Failure::usage("--fresh only applies to --sandbox"));
    }
    let client = OfficeflowClient::new(client_settings)
        .map_err(|e| Failure::usage(format!("config: {e}")))?;
    let deps = SyncDeps {
        source: Arc::new(client),
        store: database.org(),
        processes: database.processes(),
        locks,
        settings: JobSettings {
            batch_size: settings.sync.batch_size,
            platforms: settings.openids.platforms.clone(),
        },
        track: TrackOptions {
            heartbeat_every: Duration::from_secs(settings.retry.heartbeat_s),
            stale_after: Duration::from_secs(settings.retry.stale_after_s),
        },
        shutdown,
        progress,
    };
    Ok(Wired { deps, emulator })
}
