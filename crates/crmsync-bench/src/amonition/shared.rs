//! The shared-budget figures: three child processes, each an amoCRM client drawing from one Redis budget
//! (`crmsync_redis::RedisRequestBudget`, 7 per second for the account), send as fast as the budget lets them,
//! from a common instant for a fixed time, against the amoCRM emulator at its real limit of 7 per second.

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_testkit::services;

use super::child::{BudgetOutcome, BudgetSpec, CHILD_ENV, SPEC_ENV, TOKEN};

/// Processes sharing the budget.
pub(super) const PROCESSES: usize = 3;
/// amoCRM's limit per integration, the emulator's and the shared budget's rate.
pub(super) const AMOCRM_RPS: u32 = 7;

/// What the emulator saw.
#[derive(Debug)]
pub(super) struct Shared {
    /// Accepted requests per second, all processes together (first to last answer).
    pub(super) rps: f64,
    /// 429 answers the emulator's limiter served.
    pub(super) too_many: u64,
    /// Requests the emulator accepted.
    pub(super) accepted: u64,
}

/// Runs [`PROCESSES`] budget children for `duration` and measures their combined rate.
pub(super) async fn run(duration: Duration) -> anyhow::Result<Shared> {
    let redis = services::fresh_redis().await;
    let amocrm = AmoCrmEmulator::start(AmoCrmConfig {
        long_lived_token: Some(TOKEN.to_owned()),
        rate_limit_per_s: Some(AMOCRM_RPS),
        ..AmoCrmConfig::default()
    })
    .await?;
    let start_ms = u64::try_from(
        (SystemTime::now() + Duration::from_millis(1_500))
            .duration_since(UNIX_EPOCH)?
            .as_millis(),
    )?;
    let spec = serde_json::to_string(&BudgetSpec {
        amocrm: amocrm.base_url(),
        redis: redis.url.clone(),
        prefix: redis.prefix.clone(),
        per_second: f64::from(AMOCRM_RPS),
        start_ms,
        duration_ms: u64::try_from(duration.as_millis())?,
    })?;
    let exe = std::env::current_exe()?;
    let children = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .env(CHILD_ENV, "amonition-budget")
                .env(SPEC_ENV, &spec)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut answered = Vec::new();
    for child in children {
        let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await??;
        let stdout = String::from_utf8_lossy(&output.stdout);
        anyhow::ensure!(
            output.status.success(),
            "a budget child failed with {}:\n{stdout}",
            output.status
        );
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .ok_or_else(|| anyhow::anyhow!("a budget child printed nothing:\n{stdout}"))?;
        let outcome: BudgetOutcome = serde_json::from_str(line)?;
        anyhow::ensure!(
            !outcome.answered_us.is_empty(),
            "a budget child sent nothing"
        );
        answered.extend(outcome.answered_us);
    }
    answered.sort_unstable();
    let stats = amocrm.stats();
    let accepted = stats.responses_with_status(200);
    anyhow::ensure!(
        accepted == answered.len() as u64,
        "the emulator accepted {accepted} requests, the children saw {} answers",
        answered.len()
    );
    let span_s = match (answered.first(), answered.last()) {
        (Some(first), Some(last)) if last > first => (last - first) as f64 / 1e6,
        _ => anyhow::bail!("too few answers to measure a rate"),
    };
    amocrm.shutdown().await;
    Ok(Shared {
        rps: (answered.len() - 1) as f64 / span_s,
        too_many: stats.rate_limited,
        accepted,
    })
}
