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

use std::collections::BTreeSet;

use casemon::sandbox::{
    SANDBOX_TOKEN, SampleSpec, SampleWorld, Sandbox, SandboxOptions, case_number,
};
use chrono::Utc;
use crmsync_amocrm::{AmoCrmClient, Credentials};
use crmsync_cyberjustice::CyberJusticeClient;
use crmsync_jobs::case_monitoring::{self, Ports, RunMode};
use crmsync_ports::NoProgress;
use crmsync_store::Database;

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

/// What the benchmark's input holds, read from the sample world (never from the job's plan).
struct Input {
    /// Distinct valid case numbers on leads of the monitored stage that are not monitored yet.
    new_cases: usize,
    /// Cases monitored before the run.
    monitored_before: usize,
    /// Monitored cases no lead carries any more.
    stale: usize,
    /// The monitoring limit.
    limit: usize,
}

impl Input {
    fn of(world: &SampleWorld) -> Self {
        let monitored: BTreeSet<&str> = world
            .cyberjustice
            .monitored
            .iter()
            .map(|m| m.case_number.as_str())
            .collect();
        let on_leads: BTreeSet<String> = (0..world.spec.valid_cases).map(case_number).collect();
        Self {
            new_cases: on_leads
                .iter()
                .filter(|n| !monitored.contains(n.as_str()))
                .count(),
            monitored_before: monitored.len(),
            stale: monitored.iter().filter(|n| !on_leads.contains(**n)).count(),
            limit: world.spec.limit,
        }
    }
}

/// The seed's calls and sleeps for the same input, from its algorithm: it deletes the monitored cases no lead
/// carries one by one, then retrieves every case not monitored, sleeping before each call; then one list and
/// one `syncCases`.
struct SeedModel {
    calls: usize,
    pacing_s: f64,
}

impl SeedModel {
    fn of(input: &Input) -> Self {
        Self {
            calls: 2 + input.stale + input.new_cases,
            pacing_s: SEED_DELETE_S * input.stale as f64 + SEED_RETRIEVE_S * input.new_cases as f64,
        }
    }
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
    let monitor = CyberJusticeClient::new(casemon::sandbox::cyberjustice_config(&sandbox))?;
    let storage = Database::memory();
    let (sets, key_values) = (storage.sets(), storage.key_values());
    let settings = casemon::sandbox::job_settings(&sandbox.world);
    let ports = Ports {
        crm: &crm,
        monitor: &monitor,
        sets: sets.as_ref(),
        store: key_values.as_ref(),
    };
    let monitored_before = sandbox.cyberjustice.monitored_count();
    let started = Instant::now();
    case_monitoring::run(ports, &settings, RunMode::Sync, Utc::now(), &NoProgress).await?;
    let wall = started.elapsed().as_secs_f64();
    let calls = sandbox.cyberjustice.stats().requests_total;
    let input = Input::of(&sandbox.world);
    let minimum = minimum_calls(input.new_cases, input.monitored_before, input.limit);
    anyhow::ensure!(
        input.monitored_before == monitored_before,
        "the world's monitored cases are the emulator's"
    );
    anyhow::ensure!(
        sandbox.cyberjustice.monitored_count() == settings.limit,
        "the run should fill the limit"
    );
    let seed = SeedModel::of(&input);

    report.input(format!(
        "{} new cases on leads, {} monitored before, limit {}, CyberJustice at {rate} request/s",
        input.new_cases, input.monitored_before, input.limit
    ));
    report.record("casemon.rate_per_s_600_cases", f64::from(rate));
    report
        .record("casemon.api_calls_600_cases", calls as f64)
        .goal(format!("≤ 1.1 × minimum = {:.0}", 1.1 * minimum as f64))
        .baseline(format!(
            "{} calls (casemon.original_model_api_calls_600_cases)",
            seed.calls
        ));
    report
        .record("casemon.api_calls_minimum_600_cases", minimum as f64)
        .derived();
    report
        .record(
            "casemon.api_calls_ratio_600_cases",
            calls as f64 / minimum as f64,
        )
        .goal("≤ 1.1");
    report
        .record("casemon.wall_s_600_cases", wall)
        .baseline(format!(
            "{:.0} s of sleeps alone (casemon.original_model_pacing_wall_s_600_cases)",
            seed.pacing_s
        ));
    report.record(
        "casemon.amocrm_calls_600_cases",
        sandbox.amocrm.stats().requests_total as f64,
    );
    report.record(
        "casemon.original_model_api_calls_600_cases",
        seed.calls as f64,
    );
    report.record(
        "casemon.original_model_pacing_wall_s_600_cases",
        seed.pacing_s,
    );
    sandbox.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_and_the_seed_model_come_from_the_world_alone() {
        let world = SampleWorld::build(SampleSpec::plain(CASES), 1_800_000_000);
        let input = Input::of(&world);
        assert_eq!(
            (
                input.new_cases,
                input.monitored_before,
                input.stale,
                input.limit
            ),
            (600, 0, 0, 500)
        );
        assert_eq!(
            minimum_calls(input.new_cases, input.monitored_before, input.limit),
            502
        );
        let seed = SeedModel::of(&input);
        assert_eq!(seed.calls, 602);
        assert_eq!(seed.pacing_s, 900.0);
        let demo = Input::of(&SampleWorld::build(SampleSpec::demo(), 1_800_000_000));
        assert_eq!((demo.monitored_before, demo.stale), (6, 2));
        assert_eq!(demo.new_cases, 24 - 4);
    }

    #[test]
    fn the_minimum_depends_on_the_input_only() {
        assert_eq!(minimum_calls(600, 0, 500), 1 + 500 + 1);
        assert_eq!(minimum_calls(10, 450, 500), 5 + 10 + 1);
        assert_eq!(minimum_calls(0, 250, 500), 3);
    }
}
