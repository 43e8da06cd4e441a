//! `officeflow.processes_*` and `officeflow.trace_*`: 100 000 office flow instances (about a million tasks, with
//! their engine events) synced by the processes part from the Officeflow emulator (over loopback HTTP, default
//! client limits) into a fresh PostgreSQL database under the Redis lock; a no-op rerun; then `trace_instance`
//! over 10 000 of the stored top-level instances, timed one by one.
//!
//! `CRMSYNC_BENCH_OFFICEFLOW_SCALE=N` divides the sizes by N while developing (the figures' names keep the full
//! sizes, so a scaled run is never reported as the real one: the input line says the sizes used).

use std::sync::Arc;
use std::time::Instant;

use crmsync_jobs::officeflow::{
    FlowCategory, FlowDeps, JobSettings, LockSettings, Part, SyncDeps, SyncMode, SyncRequest, sync,
    trace_instance,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_jobs::tracking::TrackOptions;
use crmsync_officeflow::{OfficeflowClient, OfficeflowConfig};
use crmsync_redis::{RedisConfig, RedisStores};
use crmsync_sandbox::officeflow::{EmulatorConfig, FlowSpec, OfficeflowEmulator, Org, OrgSpec};
use crmsync_store::Database;
use secrecy::SecretString;

use crate::report::Report;

/// Top-level instances generated (sub-flows come on top).
const INSTANCES: usize = 100_000;
/// Users the tasks are assigned to.
const USERS: usize = 5_000;
/// Instances traced.
const TRACED: usize = 10_000;

/// The divisor of the sizes, from `CRMSYNC_BENCH_OFFICEFLOW_SCALE` (1 when unset).
fn scale() -> usize {
    std::env::var("CRMSYNC_BENCH_OFFICEFLOW_SCALE")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(1)
}

/// The `p`-th percentile of sorted `samples` (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    let scale = scale();
    let (instances_wanted, traced_wanted) = (INSTANCES / scale, TRACED / scale);
    tokio::runtime::Runtime::new()?.block_on(async {
        let emulator = OfficeflowEmulator::start(
            Org::generate(&OrgSpec::new(USERS / scale)),
            EmulatorConfig::default(),
        )
        .await?;
        emulator.with_flows(|flows| flows.generate(&FlowSpec::new(instances_wanted)));
        let (instances, tasks, events) = emulator.with_flows(|flows| {
            (
                flows.instance_count("office"),
                flows.task_count("office"),
                flows.event_count("office"),
            )
        });
        let db = crmsync_testkit::services::fresh_postgres().await;
        let redis = crmsync_testkit::services::fresh_redis().await;
        let locks = RedisStores::connect(
            &RedisConfig::new(redis.url.clone()).with_key_prefix(redis.prefix.clone()),
        )
        .await?
        .locks;
        let database = Database::open(&db.url).await?;
        let client = Arc::new(OfficeflowClient::new(OfficeflowConfig::new(
            emulator.base_url(),
            emulator.app_key(),
            SecretString::from(emulator.app_secret()),
        ))?);
        let flow_store = database.flows();
        let deps = SyncDeps {
            source: client.clone(),
            store: database.org(),
            processes: database.processes(),
            locks: Arc::new(locks),
            settings: JobSettings::default(),
            flows: Some(FlowDeps {
                store: flow_store.clone(),
                categories: vec![FlowCategory {
                    name: "office".into(),
                    source_name: "officeflow".into(),
                    source: client.clone(),
                    namespace: None,
                }],
            }),
            attributes: None,
            track: TrackOptions::default(),
            shutdown: Shutdown::never(),
            progress: None,
        };
        let request = SyncRequest {
            parts: vec![Part::Processes],
            mode: SyncMode::Incremental,
            dry_run: false,
        };

        report.input(format!(
            "{instances_wanted} office instances ({instances} with sub-flows, {tasks} tasks, {events} engine events) \
             from the emulator into PostgreSQL under the Redis lock"
        ));
        let started = Instant::now();
        let first = sync(&deps, &request, &LockSettings::default()).await?;
        let elapsed = started.elapsed().as_secs_f64();
        anyhow::ensure!(first.succeeded(), "the first sync failed: {first:?}");
        let counts = flow_store.flow_counts().await?;
        anyhow::ensure!(
            counts.instances == instances as u64 && counts.tasks == tasks as u64,
            "stored {counts:?}, the emulator has {instances} instances and {tasks} tasks"
        );
        report
            .record("officeflow.processes_100k_instances_s", elapsed)
            .goal("≤ 30 s");
        report.record(
            "officeflow.processes_rows_written_first_run",
            first.writes as f64,
        );
        let requests_first = client.requests_sent();
        report.record("officeflow.processes_requests_first_run", requests_first as f64);

        let started = Instant::now();
        let second = sync(&deps, &request, &LockSettings::default()).await?;
        anyhow::ensure!(second.succeeded(), "the rerun failed: {second:?}");
        report.record("officeflow.processes_noop_rerun_s", started.elapsed().as_secs_f64());
        report
            .record("officeflow.processes_noop_writes", second.writes as f64)
            .goal("0");

        let pool = sqlx::PgPool::connect(&db.url).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM app_session WHERE parent_id IS NULL ORDER BY md5(id) LIMIT $1",
        )
        .bind(traced_wanted as i64)
        .fetch_all(&pool)
        .await?;
        anyhow::ensure!(ids.len() == traced_wanted, "only {} instances to trace", ids.len());
        report.input(format!(
            "trace_instance of {traced_wanted} top-level instances (sub-flows followed) out of the {instances} \
             stored with {tasks} tasks in PostgreSQL, one at a time"
        ));
        let mut samples = Vec::with_capacity(ids.len());
        let mut nodes = 0usize;
        for id in &ids {
            let started = Instant::now();
            let trace = trace_instance(flow_store.as_ref(), id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("instance {id} is stored but not traced"))?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            nodes += trace.history.len();
        }
        anyhow::ensure!(nodes >= ids.len(), "traces without history: {nodes} visits");
        samples.sort_by(f64::total_cmp);
        report.record("officeflow.trace_p50_ms", percentile(&samples, 50.0));
        report
            .record("officeflow.trace_p99_ms", percentile(&samples, 99.0))
            .goal("≤ 5 ms");
        report.record("officeflow.trace_max_ms", percentile(&samples, 100.0));
        report.record("officeflow.rss_mb_processes_100k", crate::report::peak_rss_mb()?);
        Ok(())
    })
}
