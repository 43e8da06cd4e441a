//! Builds the ports a run uses: the platform client, the stores and the lock service — production (the storage
//! database, the lock on Redis when configured, else leases in that database, the real platform) or sandbox (SQLite under `target/demo/`, the emulator in-process, in-process lock).

use std::sync::Arc;
use std::time::Duration;

use crmsync_cli::backends::{self, BackendError};
use crmsync_cli::exit::Failure;
use crmsync_jobs::officeflow::{
    AttributeDeps, FlowCategory, FlowDeps, JobSettings, LockSettings, ProgressFactory, SyncDeps,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_jobs::sweeper::RetryPolicy;
use crmsync_jobs::tracking::TrackOptions;
use crmsync_officeflow::{OfficeflowClient, OfficeflowConfig};
use crmsync_ports::LockStore;
use crmsync_store::Database;

use crate::sandbox;
use crate::settings::{
    DEFAULT_WAIT_S, Origin, PLATFORM_SOURCE, Settings, SourceError, SourceUse, resolve,
};

/// The ports of a run, and the emulator when it runs in-process (kept alive for the run).
pub(crate) struct Wired {
    /// What the job needs.
    pub(crate) deps: SyncDeps,
    /// Where each data source's settings came from.
    pub(crate) sources: Vec<SourceUse>,
    /// The in-process emulators of `--sandbox`, served until the run ends.
    pub(crate) _emulators: Vec<sandbox::Emulator>,
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

fn source_failure(error: SourceError) -> Failure {
    match error {
        SourceError::Store { .. } => Failure::job(error),
        other => Failure::usage(other),
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
    let categories = settings.processes.categories(sandbox);
    let mut source_configs: Vec<(String, OfficeflowConfig)> = Vec::new();
    let mut sources: Vec<SourceUse> = Vec::new();
    let (client_settings, database, locks, emulators): (
        OfficeflowConfig,
        Database,
        Arc<dyn LockStore>,
        Vec<sandbox::Emulator>,
    ) = if sandbox {
        let sandboxed = sandbox::start(settings, fresh, &categories).await?;
        sources.push(SourceUse {
            name: PLATFORM_SOURCE.to_owned(),
            origin: Origin::Sandbox,
            row: None,
            base_url: sandboxed.client.base_url.clone(),
        });
        for (name, config) in &sandboxed.sources {
            sources.push(SourceUse {
                name: name.clone(),
                origin: Origin::Sandbox,
                row: None,
                base_url: config.base_url.clone(),
            });
        }
        source_configs = sandboxed.sources;
        (
            sandboxed.client,
            sandboxed.database,
            sandboxed.locks,
            sandboxed.emulators,
        )
    } else {
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
        let rows = backends.database.key_values();
        let (platform, used) = resolve(
            PLATFORM_SOURCE,
            "officeflow",
            settings.officeflow.as_ref(),
            rows.as_ref(),
        )
        .await
        .map_err(source_failure)?;
        sources.push(used);
        for (name, section) in &settings.sources {
            let (config, used) = resolve(
                name,
                &format!("sources.{name}"),
                Some(section),
                rows.as_ref(),
            )
            .await
            .map_err(source_failure)?;
            sources.push(used);
            source_configs.push((name.clone(), config));
        }
        for used in &sources {
            tracing::info!(source = %used.name, origin = %used.origin, base_url = %used.base_url, "data source");
        }
        (platform, backends.database, backends.locks, Vec::new())
    };
    if fresh && !sandbox {
        return Err(Failure::usage("--fresh only applies to --sandbox"));
    }
    let client = Arc::new(
        OfficeflowClient::new(client_settings)
            .map_err(|e| Failure::usage(format!("config: {e}")))?,
    );
    let mut flow_sources: Vec<(String, Arc<OfficeflowClient>)> =
        vec![(PLATFORM_SOURCE.to_owned(), client.clone())];
    for (name, config) in source_configs {
        let source = OfficeflowClient::new(config)
            .map_err(|e| Failure::usage(format!("config of source {name}: {e}")))?;
        flow_sources.push((name, Arc::new(source)));
    }
    let mut flow_categories = Vec::with_capacity(categories.len());
    for category in &categories {
        let Some((_, source)) = flow_sources
            .iter()
            .find(|(name, _)| *name == category.source)
        else {
            return Err(Failure::usage(format!(
                "config: processes.categories.source: category {:?} names source {:?}, which has no [sources.{}] section",
                category.name, category.source, category.source
            )));
        };
        flow_categories.push(FlowCategory {
            name: category.name.clone(),
            source_name: category.source.clone(),
            source: source.clone(),
            namespace: (category.source != PLATFORM_SOURCE).then(|| category.source.clone()),
        });
    }
    let deps = SyncDeps {
        attributes: Some(AttributeDeps {
            source: client.clone(),
            store: database.attributes(),
        }),
        source: client,
        flows: Some(FlowDeps {
            store: database.flows(),
            categories: flow_categories,
        }),
        store: database.org(),
        processes: database.processes(),
        locks,
        settings: JobSettings {
            batch_size: settings.sync.batch_size,
            platforms: settings.openids.platforms.clone(),
            department_rules: settings.departments.rules.clone(),
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
        sources,
        _emulators: emulators,
    })
}

#[cfg(test)]
mod tests;
