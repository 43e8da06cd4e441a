//! `amonition.*`: AMONITION's figures, each measured on real processes.
//!
//! - Upload (`upload.rs`): a first upload of 100,000 and of 1,000,000 generated sellers, each in a child process
//!   running AMONITION's locked, journaled upload with its sellers, links, journal and lock on a fresh
//!   PostgreSQL database; amoCRM requests counted by the emulator, peak memory the child's `VmHWM` (the
//!   emulators run in this process and do not count). The 100,000 are uploaded once more (updates only).
//! - Webhooks (`webhooks.rs`): a real `amonition serve` with its inbox on PostgreSQL under 16 concurrent senders.
//! - Shared budget (`shared.rs`): three processes sharing one Redis budget against the emulator at 7 per second.
//! - The pure batch plan (`plan.rs`), CPU only.
//!
//! `CRMSYNC_BENCH_AMONITION_SCALE=N` divides the sizes by N while developing (the figures' names keep the
//! issue's sizes; the input column says what ran).

mod child;
mod plan;
mod sellers;
mod shared;
mod upload;
mod webhooks;

use std::time::Duration;

pub(crate) use child::run_if_child;

use crate::report::Report;

/// Sellers of the first measured upload.
const SELLERS_100K: u64 = 100_000;
/// Sellers of the large upload.
const SELLERS_1M: u64 = 1_000_000;
/// Webhook deliveries posted.
const DELIVERIES: usize = 4_000;
/// How long the three processes share the budget.
const SHARED_FOR: Duration = Duration::from_secs(10);

fn scale() -> u64 {
    std::env::var("CRMSYNC_BENCH_AMONITION_SCALE")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(1)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs every `amonition.*` figure.
pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    let scale = scale();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        shared_budget(report, SHARED_FOR / u32::try_from(scale.min(3))?).await?;
        webhooks(report, DELIVERIES / usize::try_from(scale)?).await?;
        plan(report, SELLERS_100K / scale).await?;
        uploads(report, SELLERS_100K / scale, SELLERS_1M / scale).await
    })
}

async fn shared_budget(report: &mut Report, duration: Duration) -> anyhow::Result<()> {
    let measured = shared::run(duration).await?;
    report.input(format!(
        "{} processes, one Redis budget of {} requests/s, {:.0} s against the amoCRM emulator at its limit of {} \
         requests/s ({} requests accepted)",
        shared::PROCESSES,
        shared::AMOCRM_RPS,
        duration.as_secs_f64(),
        shared::AMOCRM_RPS,
        measured.accepted
    ));
    report
        .record("amonition.shared_limit_rps", measured.rps)
        .goal("6.5–7.0");
    report
        .record("amonition.shared_limit_429s", measured.too_many as f64)
        .goal("0");
    Ok(())
}

async fn webhooks(report: &mut Report, deliveries: usize) -> anyhow::Result<()> {
    let acks = webhooks::run(deliveries).await?;
    report.input(format!(
        "`amonition serve` (inbox on PostgreSQL, 2 workers), {} distinct lead-status deliveries from {} \
         concurrent senders",
        thousands(deliveries as u64),
        webhooks::SENDERS
    ));
    report.record("amonition.webhook_acks_per_s", acks.per_s);
    report
        .record("amonition.webhook_ack_p99_ms", acks.p99_ms)
        .goal("< 50 ms");
    report.record("amonition.webhook_ack_p50_ms", acks.p50_ms);
    Ok(())
}

async fn plan(report: &mut Report, sellers: u64) -> anyhow::Result<()> {
    let per_s = plan::sellers_per_s(sellers).await?;
    report.input(format!(
        "{} generated sellers in batches of 500, all new, in memory (CPU only)",
        thousands(sellers)
    ));
    report
        .record("amonition.plan_sellers_per_s", per_s)
        .goal("≥ 200,000");
    Ok(())
}

async fn uploads(report: &mut Report, small: u64, large: u64) -> anyhow::Result<()> {
    let input = |n: u64| {
        format!(
            "first upload of {} generated sellers (every tenth with a feed) on PostgreSQL, in a child process; \
             amoCRM emulator without its rate limit, client at 1,000 requests/s, 250 companies per request",
            thousands(n)
        )
    };
    let runs = upload::run(small, true).await?;
    report.input(input(small));
    report
        .record(
            "amonition.requests_100k_sellers",
            runs.first.requests as f64,
        )
        .goal("≤ 420");
    report
        .record("amonition.rss_mb_100k_sellers", runs.first.rss_mb)
        .goal("≤ 100 MB");
    report.record(
        "amonition.upload_sellers_per_s_100k_sellers",
        small as f64 / runs.first.wall_s,
    );
    if let Some(rerun) = &runs.rerun {
        report.input(format!(
            "a second upload of the same {} sellers (updates only), in a child process",
            thousands(small)
        ));
        report.record(
            "amonition.requests_rerun_100k_sellers",
            rerun.requests as f64,
        );
        report.record("amonition.rss_mb_rerun_100k_sellers", rerun.rss_mb);
        report.record(
            "amonition.upload_model_1m_sellers_rerun_min_at_7rps",
            rerun.requests as f64 * (SELLERS_1M as f64 / small as f64) / 7.0 / 60.0,
        );
    }

    let large_runs = upload::run(large, false).await?;
    report.input(input(large));
    report
        .record(
            "amonition.requests_1m_sellers",
            large_runs.first.requests as f64,
        )
        .baseline("≈ 4k requests an hour (issue 10)");
    report
        .record("amonition.rss_mb_1m_sellers", large_runs.first.rss_mb)
        .goal("≤ 100 MB, flat from 100k");
    report.record(
        "amonition.upload_sellers_per_s_1m_sellers",
        large as f64 / large_runs.first.wall_s,
    );
    report.record(
        "amonition.upload_model_1m_sellers_first_run_min_at_7rps",
        large_runs.first.requests as f64 * (SELLERS_1M as f64 / large as f64) / 7.0 / 60.0,
    );
    Ok(())
}
