//! `--sandbox` (cargo feature `sandbox`, on by default): the Officeflow emulator in-process with a generated
//! organisation, SQLite at `[sandbox] db`, an in-process lock. A build without the feature refuses `--sandbox`.

#[cfg(feature = "sandbox")]
pub(crate) use with_emulator::{Emulator, start};
#[cfg(not(feature = "sandbox"))]
pub(crate) use without_emulator::{Emulator, start};

/// What a sandboxed run uses.
pub(crate) struct Sandboxed {
    /// The client's settings, pointing at the emulator.
    pub(crate) client: crmsync_officeflow::OfficeflowConfig,
    /// The sandbox's SQLite database.
    pub(crate) database: crmsync_store::Database,
    /// The in-process lock.
    pub(crate) locks: std::sync::Arc<dyn crmsync_ports::LockStore>,
    /// The running emulator.
    pub(crate) emulator: Emulator,
}

#[cfg(feature = "sandbox")]
mod with_emulator {
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Duration;

    use crmsync_cli::exit::Failure;
    use crmsync_officeflow::OfficeflowConfig;
    use crmsync_sandbox::officeflow::{
        ApiFaultSchedule, EmulatorConfig, OfficeflowEmulator, Org, OrgSpec,
    };
    use crmsync_store::Database;
    use crmsync_store::memory::MemoryLockStore;
    use secrecy::SecretString;

    use super::Sandboxed;
    use crate::settings::Settings;

    /// The in-process emulator.
    pub(crate) type Emulator = OfficeflowEmulator;

    /// Starts the emulator with the organisation `[sandbox]` describes; `fresh` empties the database first.
    pub(crate) async fn start(settings: &Settings, fresh: bool) -> Result<Sandboxed, Failure> {
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
        tracing::info!(
            base_url = emulator.base_url(),
            "sandbox: Officeflow emulator started in-process"
        );
        Ok(Sandboxed {
            client,
            database,
            locks: Arc::new(MemoryLockStore::new()),
            emulator,
        })
    }
}

#[cfg(not(feature = "sandbox"))]
mod without_emulator {
    use crmsync_cli::exit::Failure;

    use super::Sandboxed;
    use crate::settings::Settings;

    /// No emulator in this build.
    pub(crate) type Emulator = std::convert::Infallible;

    /// Refuses `--sandbox`.
    pub(crate) async fn start(_: &Settings, _: bool) -> Result<Sandboxed, Failure> {
        Err(crmsync_cli::args::no_sandbox())
    }
}
