//! `casemon.*`: the API calls and wall time of a case-monitoring run that must bring 600 new cases under a
//! 500-case limit, against the fewest calls that input needs and the original command's pacing.
//!
//! The minimum is derived from the input alone, never from the implementation's plan: the list pages of the
//! cases monitored before, one retrieval per case that fits under the limit, and one `syncCases`. Figures of
//! the original command are computed from its algorithm and sleeps, so they are named `…_model_…`.
//!
//! The CyberJustice emulator runs at the service's documented rate, 1 request/s (so this area takes about nine
//! minutes); `CASEMON_BENCH_RATE_PER_S` runs it faster for a quick look, and the rate is recorded as
//! `casemon.rate_per_s_600_cases`.

use std::time::Instant;

use casemon::sandbox::{SANDBOX_TOKEN, SampleSpec, Sandbox, SandboxOptions};
use chrono::Utc;
use crmsync_amocrm::{AmoCrmClient, Credentials};
use crmsync_cyberjustice::CyberJusticeClient;
use crmsync_jobs::case_monitoring::{self, Ports, RunMode};
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

/// The fewest monitoring-service calls the input needs, whatever the implementation: every list page of the
/// `monitored_before` cases (at least one), one retrieval per new case that fits under `limit` (every case is
/// known here), and one `syncCases` when anything is added.
fn minimum_calls(new_cases: usize, monitored_before: usize, limit: usize) -> usize {
    let list_pages = monitored_before.div_ceil(PAGE).max(1);
    let admitted = new_cases.min(limit.saturating_sub(monitored_before));
    list_pages + admitted + usize::from(admitted > 0)
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
    let minimum = minimum_calls(CASES, monitored_before, settings.limit);
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
        "casemon.original_model_api_calls_600_cases",
        (2 + seed_deletes + seed_retrieves) as f64,
    );
    report.record(
        "casemon.original_model_pacing_wall_s_600_cases",
        SEED_DELETE_S * seed_deletes as f64 + SEED_RETRIEVE_S * seed_retrieves as f64,
    );
    sandbox.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_depends_on_the_input_only() {
        assert_eq!(minimum_calls(600, 0, 500), 1 + 500 + 1);
        assert_eq!(minimum_calls(10, 450, 500), 5 + 10 + 1);
        assert_eq!(minimum_calls(0, 250, 500), 3);
    }
}
