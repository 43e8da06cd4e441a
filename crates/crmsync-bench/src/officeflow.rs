//! `officeflow.*`: 100 000 users on 2 platforms synced from the Officeflow emulator (over loopback HTTP, default
//! client limits: 40 requests/s, 5 000 records a page) into a fresh PostgreSQL database under the Redis lock; a
//! no-op rerun; peak memory of the whole process (emulator included).

use std::sync::Arc;
use std::time::Instant;

use crmsync_jobs::officeflow::{
    JobSettings, LockSettings, Part, SyncDeps, SyncMode, SyncRequest, sync,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_jobs::tracking::TrackOptions;
use crmsync_officeflow::{OfficeflowClient, OfficeflowConfig};
use crmsync_redis::{RedisConfig, RedisStores};
use crmsync_sandbox::officeflow::{EmulatorConfig, OfficeflowEmulator, Org, OrgSpec};
use secrecy::SecretString;

use crate::report::Report;

pub(crate) mod processes;

const USERS: usize = 100_000;

pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let emulator = OfficeflowEmulator::start(
            Org::generate(&OrgSpec::new(USERS)),
            EmulatorConfig::default(),
        )
        .await?;
        let db = crmsync_testkit::services::fresh_postgres().await;
        let redis = crmsync_testkit::services::fresh_redis().await;
        let locks = RedisStores::connect(
            &RedisConfig::new(redis.url.clone()).with_key_prefix(redis.prefix.clone()),
        )
        .await?
        .locks;
        let storage = crmsync_store::Database::open(&db.url).await?;
        let org_store = storage.org();
        let client = Arc::new(OfficeflowClient::new(OfficeflowConfig::new(
            emulator.base_url(),
            emulator.app_key(),
            SecretString::from(emulator.app_secret()),
        ))?);
        let deps = SyncDeps {
            source: client.clone(),
            store: org_store.clone(),
            processes: storage.processes(),
            locks: Arc::new(locks),
            settings: JobSettings::default(),
            flows: None,
            attributes: None,
            track: TrackOptions::default(),
            shutdown: Shutdown::never(),
            progress: None,
        };
        let request = SyncRequest {
            parts: Part::ALL
                .into_iter()
                .filter(|part| *part != Part::Processes)
                .collect(),
            mode: SyncMode::Incremental,
            dry_run: false,
        };

        report.input(format!(
            "{USERS} users on 2 platforms from the emulator into PostgreSQL under the Redis lock"
        ));
        let started = Instant::now();
        let first = sync(&deps, &request, &LockSettings::default()).await?;
        let elapsed = started.elapsed().as_secs_f64();
        anyhow::ensure!(first.succeeded(), "the first sync failed: {first:?}");
        let counts = org_store.counts().await?;
        anyhow::ensure!(
            counts.user_openids > (USERS as u64) * 2 * 9 / 10,
            "too few OpenIDs stored: {counts:?}"
        );
        report
            .record("officeflow.sync_100k_users_s", elapsed)
            .goal("≤ 10 s");
        for part in &first.parts {
            report.record(
                &format!("officeflow.first_run_{}_s", part.part),
                part.elapsed_ms as f64 / 1000.0,
            );
        }
        report.record("officeflow.rows_written_first_run", first.writes as f64);
        let requests_first = client.requests_sent();
        report.record("officeflow.requests_first_run", requests_first as f64);

        let started = Instant::now();
        let second = sync(&deps, &request, &LockSettings::default()).await?;
        anyhow::ensure!(second.succeeded(), "the rerun failed: {second:?}");
        report.record("officeflow.noop_rerun_s", started.elapsed().as_secs_f64());
        report
            .record("officeflow.noop_rerun_writes", second.writes as f64)
            .goal("0");
        report.record(
            "officeflow.requests_noop_rerun",
            (client.requests_sent() - requests_first) as f64,
        );
        report.record("officeflow.rss_mb_100k", crate::report::peak_rss_mb()?);
        Ok(())
    })
}
