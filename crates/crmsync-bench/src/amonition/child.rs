//! The processes the `amonition.*` figures are measured on: this binary re-executed with `CRMSYNC_BENCH_CHILD`
//! set, so the uploading process's peak memory is its own and three processes really share one budget.
//!
//! - `amonition`: the real `amonition` command line (`--config FILE serve`).
//! - `amonition-upload`: AMONITION's locked, journaled upload (`amonition::upload_locked`) over the services
//!   `amonition upload` builds from its configuration (sellers, links, journal and lock on PostgreSQL), with one
//!   change: the amoCRM client may send 1,000 requests per second, not 7. Prints its report and `VmHWM`.
//! - `amonition-budget`: an amoCRM client whose requests go through the Redis budget shared by every child,
//!   sending from a common start instant for a fixed time. Prints when each answer arrived.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::amonition::config::Config;
use crmsync_amocrm::{AmoCrmClient, BatchPolicy, Credentials, RateLimit};
use crmsync_cli::SecretUrl;
use crmsync_ports::CrmClient;
use crmsync_redis::{RedisConfig, RedisRequestBudget};
use crmsync_sandbox::marketplace;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Which child this process is (unset: the benchmark runner itself).
pub(crate) const CHILD_ENV: &str = "CRMSYNC_BENCH_CHILD";
/// The child's JSON spec.
pub(crate) const SPEC_ENV: &str = "CRMSYNC_BENCH_SPEC";
/// The bearer token the benchmark's amoCRM emulators accept.
pub(crate) const TOKEN: &str = "bench-amonition-token";
/// The account every shared-budget child draws from.
const BUDGET_ACCOUNT: &str = "bench-amonition";
/// The upload child's amoCRM rate: far above amoCRM's 7 so a million sellers upload in minutes.
const FAST_RPS: u32 = 1_000;

/// Where an upload child finds the emulators and the database.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct UploadSpec {
    /// The amoCRM emulator's base URL.
    pub(crate) amocrm: String,
    /// The marketplace emulator's base URL.
    pub(crate) market: String,
    /// The PostgreSQL database with the sellers (and the links, journal and lock).
    pub(crate) storage: String,
}

/// What an upload child prints as its last line.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct UploadOutcome {
    /// `UploadReport` as JSON.
    pub(crate) report: serde_json::Value,
    /// Requests the child's amoCRM client sent.
    pub(crate) client_requests: u64,
    /// The child's `VmHWM`, in MiB.
    pub(crate) rss_mb: f64,
}

/// Where a budget child sends and for how long.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct BudgetSpec {
    /// The amoCRM emulator's base URL.
    pub(crate) amocrm: String,
    /// The Redis URL.
    pub(crate) redis: String,
    /// The Redis key prefix of this run.
    pub(crate) prefix: String,
    /// The combined rate every child shares.
    pub(crate) per_second: f64,
    /// When to send the first request, in milliseconds since the epoch.
    pub(crate) start_ms: u64,
    /// How long to keep sending, in milliseconds.
    pub(crate) duration_ms: u64,
}

/// What a budget child prints: when each answer arrived, in microseconds since the epoch.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct BudgetOutcome {
    /// Arrival of each answer.
    pub(crate) answered_us: Vec<u64>,
}

/// Runs this binary as the child `kind` with `spec` (JSON) and returns the JSON line it printed last and its wall
/// time in seconds; fails with the child's output when it fails or prints no such line.
pub(crate) async fn outcome_of(kind: &'static str, spec: String) -> anyhow::Result<(String, f64)> {
    let exe = std::env::current_exe()?;
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .env(CHILD_ENV, kind)
            .env(SPEC_ENV, spec)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .output()
    })
    .await??;
    let wall_s = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "the {kind} child failed with {}:\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| anyhow::anyhow!("the {kind} child printed no outcome:\n{stdout}"))?;
    Ok((line.to_owned(), wall_s))
}

/// Runs the child `CRMSYNC_BENCH_CHILD` names, if any; `None` when this is the benchmark runner.
pub(crate) fn run_if_child() -> anyhow::Result<Option<ExitCode>> {
    let Ok(kind) = std::env::var(CHILD_ENV) else {
        return Ok(None);
    };
    if kind == "amonition" {
        return Ok(Some(::amonition::main_entry()));
    }
    let spec = std::env::var(SPEC_ENV)
        .map_err(|_| anyhow::anyhow!("the {kind} child needs {SPEC_ENV}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match kind.as_str() {
        "amonition-upload" => runtime.block_on(upload(serde_json::from_str(&spec)?))?,
        "amonition-budget" => runtime.block_on(budget(serde_json::from_str(&spec)?))?,
        other => anyhow::bail!("no benchmark child {other:?}"),
    }
    Ok(Some(ExitCode::SUCCESS))
}

/// The configuration `amonition upload` would read for the benchmark's emulators and database.
fn upload_config(spec: &UploadSpec) -> Config {
    let mut config = Config::default();
    config.amocrm.base_url = spec.amocrm.clone();
    config.amocrm.long_lived_token = SecretString::from(TOKEN);
    config.amonition.account_id = ::amonition::sandbox::fixture().account.id;
    config.fields = ::amonition::sandbox::seller_fields();
    let market =
        || crmsync_marketplace::ServiceConfig::new(spec.market.clone(), marketplace::DEFAULT_TOKEN);
    config.snatcher = market();
    config.feeds = market();
    config.storage.url = SecretUrl::new(&spec.storage);
    config.fill_defaults();
    config
}

async fn upload(spec: UploadSpec) -> anyhow::Result<()> {
    let config = upload_config(&spec);
    crmsync_cli::config::Validate::validate(&config)?;
    config.require_live()?;
    let mut services = ::amonition::live_services(&config)
        .await
        .map_err(|f| anyhow::anyhow!(f.message))?;
    let rate = RateLimit::per_second(FAST_RPS).ok_or_else(|| anyhow::anyhow!("no rate"))?;
    services.crm = Arc::new(
        AmoCrmClient::builder(
            config.amocrm.base_url.clone(),
            Credentials::LongLived(SecretString::from(TOKEN)),
        )
        .rate_limit(rate)
        .batch(BatchPolicy {
            write_chunk: 250,
            ..BatchPolicy::default()
        })
        .build()?,
    );
    let (_, report) = ::amonition::upload_locked(&config, &services, true)
        .await
        .map_err(|f| anyhow::anyhow!(f.message))?;
    let outcome = UploadOutcome {
        report: serde_json::to_value(report)?,
        client_requests: services.crm.stats().requests,
        rss_mb: crate::report::peak_rss_mb()?,
    };
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

fn epoch_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

async fn budget(spec: BudgetSpec) -> anyhow::Result<()> {
    let redis = RedisConfig::new(spec.redis.clone()).with_key_prefix(spec.prefix.clone());
    let budget = RedisRequestBudget::connect(&redis, BUDGET_ACCOUNT, spec.per_second, 1).await?;
    let client = AmoCrmClient::builder(
        spec.amocrm.clone(),
        Credentials::LongLived(SecretString::from(TOKEN)),
    )
    .budget(Arc::new(budget))
    .build()?;
    let start_us = spec.start_ms.saturating_mul(1_000);
    let end_us = start_us.saturating_add(spec.duration_ms.saturating_mul(1_000));
    tokio::time::sleep(Duration::from_micros(start_us.saturating_sub(epoch_us()))).await;
    let mut answered_us = Vec::new();
    while epoch_us() < end_us {
        client.pipelines().await?;
        answered_us.push(epoch_us());
    }
    println!("{}", serde_json::to_string(&BudgetOutcome { answered_us })?);
    Ok(())
}
