//! Builds the ports a run uses: the platform client, the stores and the lock service — production (the storage
//! database, the lock on Redis when configured, else leases in that database, the real platform) or sandbox (SQLite under `target/demo/`, the emulator in-process, in-process lock).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crmsync_cli::backends::{self, BackendError};
use crmsync_cli::exit::Failure;
use crmsync_jobs::officeflow::{
    FlowCategory, FlowDeps, JobSettings, LockSettings, ProgressFactory, SyncDeps,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_jobs::sweeper::RetryPolicy;
use crmsync_jobs::tracking::TrackOptions;
use crmsync_officeflow::{OfficeflowClient, OfficeflowConfig};
use crmsync_ports::LockStore;
use crmsync_sandbox::officeflow::{
    ApiFaultSchedule, EmulatorConfig, FlowSpec, Flows, OfficeflowEmulator, Org, OrgSpec,
};
use crmsync_store::Database;
use crmsync_store::memory::MemoryLockStore;
use secrecy::SecretString;

use crate::settings::{
    CategorySection, DEFAULT_WAIT_S, OfficeflowSection, PLATFORM_SOURCE, Settings,
};

/// The ports of a run, and the emulators when they run in-process (kept alive for the run).
pub(crate) struct Wired {
    /// What the job needs.
    pub(crate) deps: SyncDeps,
    /// The in-process emulators of `--sandbox`: the platform's first, then one per further flow source.
    pub(crate) emulators: Vec<(String, OfficeflowEmulator)>,
}

/// The client settings of the emulator `emulator`, with the sandbox's quick backoff.
fn sandbox_client(emulator: &OfficeflowEmulator) -> OfficeflowConfig {
    OfficeflowConfig {
        rate_limit_per_s: 45,
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        ..OfficeflowConfig::new(
            emulator.base_url(),
            emulator.app_key(),
            SecretString::from(emulator.app_secret()),
        )
    }
}

/// The emulator of a further flow source in the sandbox: a small organisation of its own, with the flows of
/// the categories read from it.
async fn source_emulator(
    settings: &Settings,
    source: &str,
    categories: &[&CategorySection],
) -> Result<OfficeflowEmulator, Failure> {
    let seed = settings.sandbox.seed ^ crmsync_sandbox::rng::stable_hash(source);
    let org = Org::generate(&OrgSpec {
        seed,
        ..OrgSpec::new(settings.sandbox.users.clamp(10, 200))
    });
    let emulator = OfficeflowEmulator::start(org, EmulatorConfig::default())
        .await
        .map_err(|e| Failure::job(format!("cannot start the emulator of source {source}: {e}")))?;
    generate_flows(&emulator, settings, categories, seed);
    Ok(emulator)
}

/// Generates the sandbox's flows of `categories` in `emulator`.
fn generate_flows(
    emulator: &OfficeflowEmulator,
    settings: &Settings,
    categories: &[&CategorySection],
    seed: u64,
) {
    emulator.with_flows(|flows| sandbox_flows(flows, settings, categories, seed));
}

/// The sandbox's flows of `categories`, seeded from `seed` and each category's name.
fn sandbox_flows(
    flows: &mut Flows,
    settings: &Settings,
    categories: &[&CategorySection],
    seed: u64,
) {
    for category in categories {
        flows.generate(&FlowSpec {
            category: category.name.clone(),
            seed: seed ^ crmsync_sandbox::rng::stable_hash(&category.name),
            ..FlowSpec::new(settings.sandbox.flows)
        });
    }
    if settings.sandbox.mutations > 0 {
        flows.advance(seed + 1, settings.sandbox.mutations);
    }
}

/// The platform's organisation in the sandbox.
fn sandbox_org(settings: &Settings) -> Org {
    let spec = OrgSpec {
        platforms: settings.sandbox.platforms.clone(),
        seed: settings.sandbox.seed,
        ..OrgSpec::new(settings.sandbox.users)
    };
    let mut org = Org::generate(&spec);
    if settings.sandbox.mutations > 0 {
        org.mutate(settings.sandbox.seed + 1, settings.sandbox.mutations);
    }
    org
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
    let categories = settings.processes.categories(sandbox);
    let mut emulators: Vec<(String, OfficeflowEmulator)> = Vec::new();
    let mut source_configs: Vec<(String, OfficeflowConfig)> = Vec::new();
    let (client_settings, database, locks): (OfficeflowConfig, Database, Arc<dyn LockStore>) =
        if sandbox {
            let org = sandbox_org(settings);
            let emulator = OfficeflowEmulator::start(org, EmulatorConfig::default())
                .await
                .map_err(|e| Failure::job(format!("cannot start the Officeflow emulator: {e}")))?;
            if settings.sandbox.faults {
                emulator.set_faults(ApiFaultSchedule::transient_mix(
                    23,
                    Duration::from_millis(200),
                ));
            }
            let own: Vec<&CategorySection> = categories
                .iter()
                .filter(|c| c.source == PLATFORM_SOURCE)
                .collect();
            generate_flows(&emulator, settings, &own, settings.sandbox.seed);
            let client = sandbox_client(&emulator);
            let mut sources: Vec<&str> = categories
                .iter()
                .map(|c| c.source.as_str())
                .filter(|s| *s != PLATFORM_SOURCE)
                .collect();
            sources.sort_unstable();
            sources.dedup();
            for source in sources {
                let read: Vec<&CategorySection> =
                    categories.iter().filter(|c| c.source == source).collect();
                let extra = source_emulator(settings, source, &read).await?;
                source_configs.push((source.to_owned(), sandbox_client(&extra)));
                emulators.push((source.to_owned(), extra));
            }
            emulators.insert(0, (PLATFORM_SOURCE.to_owned(), emulator));
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
            (client, database, Arc::new(MemoryLockStore::new()))
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
            for (name, section) in &settings.sources {
                source_configs.push((name.clone(), client_config(section)));
            }
            (client_config(platform), backends.database, backends.locks)
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
        },
        track: TrackOptions {
            heartbeat_every: Duration::from_secs(settings.retry.heartbeat_s),
            stale_after: Duration::from_secs(settings.retry.stale_after_s),
        },
        shutdown,
        progress,
    };
    Ok(Wired { deps, emulators })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ProcessesSection;

    /// The instance `cargo xtask demo` traces (`xtask/src/demo.rs`).
    const DEMO_TRACE_ID: &str = "pi-0000112";

    #[test]
    fn the_demo_traces_an_office_flow_with_a_sub_flow_and_a_revert() {
        let settings = Settings::default();
        let org = sandbox_org(&settings);
        let mut flows = Flows::new(0, org.usernames());
        let categories = ProcessesSection::default().categories(true);
        let office: Vec<&CategorySection> = categories
            .iter()
            .filter(|c| c.source == PLATFORM_SOURCE)
            .collect();
        sandbox_flows(&mut flows, &settings, &office, settings.sandbox.seed);
        let candidates = flows.instances_with_sub_flow_and_revert("office");
        assert!(
            candidates.iter().any(|id| id == DEMO_TRACE_ID),
            "the demo's instance must have a sub-flow and a revert; candidates: {candidates:?}"
        );
    }
}
