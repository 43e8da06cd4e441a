//! `--sandbox` (cargo feature `sandbox`, on by default): the Officeflow emulator in-process with a generated
//! organisation and flows, one more emulator per further flow source, SQLite at `[sandbox] db`, an in-process
//! lock. A build without the feature refuses `--sandbox`.

#[cfg(feature = "sandbox")]
pub(crate) use with_emulator::{Emulator, start};
#[cfg(not(feature = "sandbox"))]
pub(crate) use without_emulator::{Emulator, start};

/// What a sandboxed run uses.
pub(crate) struct Sandboxed {
    /// The client's settings, pointing at the platform's emulator.
    pub(crate) client: crmsync_officeflow::OfficeflowConfig,
    /// The client settings of each further flow source, pointing at its emulator.
    pub(crate) sources: Vec<(String, crmsync_officeflow::OfficeflowConfig)>,
    /// The sandbox's SQLite database.
    pub(crate) database: crmsync_store::Database,
    /// The in-process lock.
    pub(crate) locks: std::sync::Arc<dyn crmsync_ports::LockStore>,
    /// The running emulators: the platform's first.
    pub(crate) emulators: Vec<Emulator>,
}

#[cfg(feature = "sandbox")]
mod with_emulator {
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Duration;

    use crmsync_cli::exit::Failure;
    use crmsync_officeflow::OfficeflowConfig;
    use crmsync_sandbox::officeflow::{
        ApiFaultSchedule, EmulatorConfig, FlowSpec, Flows, OfficeflowEmulator, Org, OrgSpec,
    };
    use crmsync_sandbox::rng::stable_hash;
    use crmsync_store::Database;
    use crmsync_store::memory::MemoryLockStore;
    use secrecy::SecretString;

    use super::Sandboxed;
    use crate::settings::{CategorySection, PLATFORM_SOURCE, Settings};

    /// The in-process emulator.
    pub(crate) type Emulator = OfficeflowEmulator;

    /// The client settings of `emulator`, with the sandbox's quick backoff.
    fn client(emulator: &OfficeflowEmulator) -> OfficeflowConfig {
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

    /// The platform's organisation.
    pub(super) fn organisation(settings: &Settings) -> Org {
        let spec = OrgSpec {
            platforms: settings.sandbox.platforms.clone(),
            seed: settings.sandbox.seed,
            ..OrgSpec::new(settings.sandbox.users)
        };
        let mut org = Org::generate(&spec);
        if settings.sandbox.mutations > 0 {
            org.mutate(settings.sandbox.seed + 1, settings.sandbox.mutations);
            org.mutate_attributes(settings.sandbox.seed + 1, settings.sandbox.mutations);
        }
        org
    }

    /// The flows of `categories`, seeded from `seed` and each category's name.
    pub(super) fn flows(
        flows: &mut Flows,
        settings: &Settings,
        categories: &[&CategorySection],
        seed: u64,
    ) {
        for category in categories {
            flows.generate(&FlowSpec {
                category: category.name.clone(),
                seed: seed ^ stable_hash(&category.name),
                ..FlowSpec::new(settings.sandbox.flows)
            });
        }
        if settings.sandbox.mutations > 0 {
            flows.advance(seed + 1, settings.sandbox.mutations);
        }
    }

    /// An emulator serving `org` and the flows of `categories`.
    async fn emulator(
        org: Org,
        settings: &Settings,
        categories: &[&CategorySection],
        seed: u64,
        source: &str,
    ) -> Result<OfficeflowEmulator, Failure> {
        let emulator = OfficeflowEmulator::start(org, EmulatorConfig::default())
            .await
            .map_err(|e| {
                Failure::job(format!("cannot start the emulator of source {source}: {e}"))
            })?;
        emulator.with_flows(|f| flows(f, settings, categories, seed));
        if settings.sandbox.faults {
            emulator.set_faults(ApiFaultSchedule::transient_mix(
                23,
                Duration::from_millis(200),
            ));
        }
        tracing::info!(
            source,
            base_url = emulator.base_url(),
            "sandbox: Officeflow emulator started in-process"
        );
        Ok(emulator)
    }

    /// Starts the platform's emulator with the organisation `[sandbox]` describes and the flows of the
    /// categories it serves, and one emulator per further source of `categories` (a small organisation of its
    /// own and the flows of its categories); `fresh` empties the database first.
    pub(crate) async fn start(
        settings: &Settings,
        fresh: bool,
        categories: &[CategorySection],
    ) -> Result<Sandboxed, Failure> {
        let own: Vec<&CategorySection> = categories
            .iter()
            .filter(|c| c.source == PLATFORM_SOURCE)
            .collect();
        let platform = emulator(
            organisation(settings),
            settings,
            &own,
            settings.sandbox.seed,
            PLATFORM_SOURCE,
        )
        .await?;
        let mut names: Vec<&str> = categories
            .iter()
            .map(|c| c.source.as_str())
            .filter(|s| *s != PLATFORM_SOURCE)
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut sources = Vec::new();
        let mut emulators = vec![platform];
        for name in names {
            let read: Vec<&CategorySection> =
                categories.iter().filter(|c| c.source == name).collect();
            let seed = settings.sandbox.seed ^ stable_hash(name);
            let org = Org::generate(&OrgSpec {
                seed,
                ..OrgSpec::new(settings.sandbox.users.clamp(10, 200))
            });
            let extra = emulator(org, settings, &read, seed, name).await?;
            sources.push((name.to_owned(), client(&extra)));
            emulators.push(extra);
        }
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
        Ok(Sandboxed {
            client: client(&emulators[0]),
            sources,
            database,
            locks: Arc::new(MemoryLockStore::new()),
            emulators,
        })
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
            let org = organisation(&settings);
            let mut generated = Flows::new(0, org.usernames());
            let categories = ProcessesSection::default().categories(true);
            let office: Vec<&CategorySection> = categories
                .iter()
                .filter(|c| c.source == PLATFORM_SOURCE)
                .collect();
            flows(&mut generated, &settings, &office, settings.sandbox.seed);
            let candidates = generated.instances_with_sub_flow_and_revert("office");
            assert!(
                candidates.iter().any(|id| id == DEMO_TRACE_ID),
                "the demo's instance must have a sub-flow and a revert; candidates: {candidates:?}"
            );
        }
    }
}

#[cfg(not(feature = "sandbox"))]
mod without_emulator {
    use crmsync_cli::exit::Failure;

    use super::Sandboxed;
    use crate::settings::{CategorySection, Settings};

    /// No emulator in this build.
    pub(crate) type Emulator = std::convert::Infallible;

    /// Refuses `--sandbox`.
    pub(crate) async fn start(
        _: &Settings,
        _: bool,
        _: &[CategorySection],
    ) -> Result<Sandboxed, Failure> {
        Err(crmsync_cli::args::no_sandbox())
    }
}
