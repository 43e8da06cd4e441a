//! `casemon.*`: the API calls and wall time of a case-monitoring run that must bring 600 new cases under a
//! 500-case limit, against the fewest calls that input needs and the seed's own pacing.
//!
//! The CyberJustice emulator runs at the service's documented rate, 1 request/s (so this area takes about nine
//! minutes); `CASEMON_BENCH_RATE_PER_S` runs it faster for a quick look, and the rate is recorded as
//! `casemon.rate_per_s_600_cases`.

use std::time::Instant;

use casemon::sandbox::{SANDBOX_TOKEN, SampleSpec, Sandbox, SandboxOptions};
use chrono::Utc;
use crmsync_amocrm::{AmoCrmClient, Credentials};
use crmsync_cyberjustice::CyberJusticeClient;
use crmsync_jobs::case_monitoring::{self, Plan, Ports, RunMode};
use crmsync_ports::NoProgress;
use crmsync_store::Stores;

use crate::report::Report;

/// Cases on leads, none monitored yet.
const CASES: usize = 600;
/// Monitored cases per list page (the client's default).
const PAGE: usize = 100;
/// The seed's sleep before each delete, in seconds.
const SEED_DELETE_S: f64 = 1.0;
/// The seed's sleep before each retrieve, in seconds.
const SEED_RETRIEVE_S: f64 = 1.5;

/// Runs every case-monitoring figure.
pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    let rate: u32 = std::env::var("CASEMON_BENCH_RATE_PER_S")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(six_hundred_cases(report, rate))
}

/// The fewest monitoring-service calls `plan` needs: every list page, one retrieval per case admission must
/// decide (all found here), one `syncCases` when the set changes, and the event pages of cases with new events.
fn minimum_calls(plan: &Plan, monitored_before: usize, event_fetches: usize) -> usize {
    let list_pages = monitored_before.div_ceil(PAGE).max(1);
    let sync = usize::from(
        !plan.removals.is_empty() || !plan.demoted.is_empty() || plan.planned_retrievals() > 0,
    );
    list_pages + plan.planned_retrievals() + sync + event_fetches
}

async fn six_hundred_cases(report: &mut Report, rate: u32) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(
        SampleSpec::plain(CASES),
        SandboxOptions {
            cyberjustice_rate_per_s: rate,
            ..SandboxOptions::default()
        },
    )
    .await?;
    let crm = AmoCrmClient::builder(
        sandbox.amocrm.base_url(),
        Credentials::LongLived(SANDBOX_TOKEN.into()),
    )
    .build()?;
    let monitor = CyberJusticeClient::new(sandbox.cyberjustice_config())?;
    let stores = Stores::memory();
    let settings = sandbox.world.settings();
    let ports = Ports {
        crm: &crm,
        monitor: &monitor,
        sets: stores.sets.as_ref(),
        store: stores.key_values.as_ref(),
    };
    let monitored_before = sandbox.cyberjustice.monitored_count();
    let started = Instant::now();
    let outcome =
        case_monitoring::run(ports, &settings, RunMode::Sync, Utc::now(), &NoProgress).await?;
    let wall = started.elapsed().as_secs_f64();
    let plan = outcome
        .plan
        .ok_or_else(|| anyhow::anyhow!("a sync run returns its plan"))?;
    let calls = sandbox.cyberjustice.stats().requests_total;
    let minimum = minimum_calls(&plan, monitored_before, 0);
    anyhow::ensure!(
        sandbox.cyberjustice.monitored_count() == settings.limit,
        "the run should fill the limit"
    );

    report.record("casemon.rate_per_s_600_cases", f64::from(rate));
    report.record("casemon.api_calls_600_cases", calls as f64);
    report.record("casemon.api_calls_minimum_600_cases", minimum as f64);
    report.record(
        "casemon.api_calls_ratio_600_cases",
        calls as f64 / minimum as f64,
    );
    report.record("casemon.wall_s_600_cases", wall);
    report.record(
        "casemon.amocrm_calls_600_cases",
        sandbox.amocrm.stats().requests_total as f64,
    );
    // The seed deletes removed cases one by one, then retrieves every case not monitored and not pending,
    // sleeping before each call; then one list and one syncCases.
    let seed_retrieves = plan.new_cases.len() + plan.overflow_queue.len();
    let seed_deletes = plan.removals.len();
    report.record(
        "casemon.seed_api_calls_600_cases",
        (2 + seed_deletes + seed_retrieves) as f64,
    );
    report.record(
        "casemon.seed_pacing_wall_s_600_cases",
        SEED_DELETE_S * seed_deletes as f64 + SEED_RETRIEVE_S * seed_retrieves as f64,
    );
    sandbox.shutdown().await;
    Ok(())
}
