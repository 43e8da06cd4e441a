//! The upload figures: a first upload of `n` generated sellers (every tenth with a feed) in a child process of
//! its own, its sellers, links, journal and lock on a fresh PostgreSQL database, against the amoCRM emulator
//! (no rate limit) and the marketplace emulator in this process. amoCRM's requests are counted by the emulator,
//! the peak memory is the child's `VmHWM`.

use std::time::Instant;

use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_sandbox::marketplace::{self, MarketplaceConfig, MarketplaceEmulator};

use super::child::{TOKEN, UploadOutcome, UploadSpec, outcome_of};
use super::sellers;

/// What one upload child did, as measured.
#[derive(Debug)]
pub(super) struct Measured {
    /// Requests the amoCRM emulator received.
    pub(super) requests: u64,
    /// The child's peak resident memory, in MiB.
    pub(super) rss_mb: f64,
    /// Wall time of the child process, start to exit.
    pub(super) wall_s: f64,
}

/// Both runs on one database: the first upload (creates) and a rerun (updates).
#[derive(Debug)]
pub(super) struct Runs {
    /// The first upload.
    pub(super) first: Measured,
    /// The rerun, when asked for.
    pub(super) rerun: Option<Measured>,
}

async fn child(spec: &UploadSpec) -> anyhow::Result<(UploadOutcome, f64)> {
    let (line, wall_s) = outcome_of("amonition-upload", serde_json::to_string(spec)?).await?;
    Ok((serde_json::from_str(&line)?, wall_s))
}

async fn links(pool: &sqlx::PgPool) -> anyhow::Result<(i64, i64)> {
    Ok(
        sqlx::query_as("SELECT count(*), count(DISTINCT company_id) FROM companies")
            .fetch_one(pool)
            .await?,
    )
}

/// Uploads `n` sellers in a child process (and, with `rerun`, once more) and checks the end state: one company
/// and one link per seller.
pub(super) async fn run(n: u64, rerun: bool) -> anyhow::Result<Runs> {
    let loading = Instant::now();
    let db = sellers::database_with_sellers(n).await?;
    eprintln!(
        "  (loaded {n} sellers into PostgreSQL in {:.1} s)",
        loading.elapsed().as_secs_f64()
    );
    let amocrm = AmoCrmEmulator::start(AmoCrmConfig {
        long_lived_token: Some(TOKEN.to_owned()),
        rate_limit_per_s: None,
        fixture: ::amonition::sandbox::fixture(),
        ..AmoCrmConfig::default()
    })
    .await?;
    let market = MarketplaceEmulator::start(MarketplaceConfig::default()).await?;
    for i in (0..n).step_by(10) {
        let id = marketplace::sellers::seller_id(i);
        market.set_feed(&id, &format!("https://feeds.example/{id}.xml"), None);
    }
    let spec = UploadSpec {
        amocrm: amocrm.base_url(),
        market: market.base_url(),
        storage: db.url.clone(),
    };
    let n_i64 = i64::try_from(n)?;

    let (outcome, wall_s) = child(&spec).await?;
    let created = outcome.report["created"].as_u64();
    anyhow::ensure!(
        created == Some(n) && amocrm.count("companies") == usize::try_from(n)?,
        "the first upload did not create one company per seller: {}",
        outcome.report
    );
    anyhow::ensure!(
        links(&db.pool).await? == (n_i64, n_i64),
        "the first upload did not write one link per seller"
    );
    let requests = amocrm.stats().requests_total;
    anyhow::ensure!(
        requests == outcome.client_requests,
        "the emulator saw {requests} requests, the client sent {}",
        outcome.client_requests
    );
    let first = Measured {
        requests,
        rss_mb: outcome.rss_mb,
        wall_s,
    };

    let rerun = if rerun {
        amocrm.reset_request_stats();
        let (outcome, wall_s) = child(&spec).await?;
        anyhow::ensure!(
            outcome.report["updated"].as_u64() == Some(n)
                && outcome.report["created"].as_u64() == Some(0)
                && amocrm.count("companies") == usize::try_from(n)?,
            "the rerun did not only update: {}",
            outcome.report
        );
        Some(Measured {
            requests: amocrm.stats().requests_total,
            rss_mb: outcome.rss_mb,
            wall_s,
        })
    } else {
        None
    };
    amocrm.shutdown().await;
    market.shutdown().await;
    sellers::drop_database(db).await?;
    Ok(Runs { first, rerun })
}
