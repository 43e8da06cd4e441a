//! Builds the ports a run uses: the platform client, the stores and the lock service — production (the storage
//! database, the lock on Redis when configured, else leases in that database, the real platform) or sandbox (SQLite under `target/demo/`, the emulator in-process, in-process lock).

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
use crmsync_store::Database;

use crate::sandbox;
use crate::settings::{DEFAULT_WAIT_S, OfficeflowSection, Settings};

/// The ports of a run, and the emulator when it runs in-process (kept alive for the run).
pub(crate) struct Wired {
    /// What the job needs.
    pub(crate) deps: SyncDeps,
    /// The in-process emulator of `--sandbox`, served until the run ends.
    pub(crate) _emulator: Option<sandbox::Emulator>,
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
        Option<sandbox::Emulator>,
    ) = if sandbox {
        let sandboxed = sandbox::start(settings, fresh).await?;
        (
            sandboxed.client,
            sandboxed.database,
            sandboxed.locks,
            Some(sandboxed.emulator),
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
    Ok(Wired {
        deps,
        _emulator: emulator,
    })
}
