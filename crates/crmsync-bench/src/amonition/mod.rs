//! `amonition.*`: AMONITION's upload of 20,000 generated sellers (every tenth with a feed) as amoCRM companies,
//! against the in-process amoCRM and marketplace emulators over loopback HTTP (the emulator without its rate
//! limit, the client at 200 requests/s and 250 companies per write, links in memory): the first run (creates)
//! and the rerun (updates) in sellers per second and amoCRM requests; the pure batch plan in sellers per second;
//! and, from the measured requests per seller, the model of 1M sellers at amoCRM's 7 requests per second.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crmsync_amocrm::{AmoCrmClient, BatchPolicy, Credentials, RateLimit, RetryPolicy};
use crmsync_jobs::amonition::plan::plan_batch;
use crmsync_jobs::amonition::upload::{self, DEFAULT_BATCH_SIZE, UploadPorts, UploadSettings};
use crmsync_marketplace::{FeedClient, ServiceConfig};
use crmsync_ports::{NoProgress, SellerSource};
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_sandbox::marketplace::{self, MarketplaceConfig, MarketplaceEmulator};
use crmsync_store::memory::{MemoryCompanyStore, MemorySellerSource};
use secrecy::SecretString;

use crate::report::Report;

const SELLERS: u64 = 20_000;
const TOKEN: &str = "bench-amonition-token";
/// amoCRM's limit per integration.
const AMOCRM_RPS: f64 = 7.0;

pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    report.input(format!(
        "{SELLERS} generated sellers (every tenth with a feed), the amoCRM emulator"
    ));
    tokio::runtime::Runtime::new()?.block_on(async {
        let amocrm = AmoCrmEmulator::start(AmoCrmConfig {
            long_lived_token: Some(TOKEN.to_owned()),
            rate_limit_per_s: None,
            fixture: ::amonition::sandbox::fixture(),
            ..AmoCrmConfig::default()
        })
        .await?;
        let market = MarketplaceEmulator::start(MarketplaceConfig::default()).await?;
        let sellers = MemorySellerSource::new();
        sellers.insert(marketplace::sellers::sellers(2, 0, SELLERS));
        for i in (0..SELLERS).step_by(10) {
            let id = marketplace::sellers::seller_id(i);
            market.set_feed(&id, &format!("https://feeds.example/{id}.xml"), None);
        }
        let companies = MemoryCompanyStore::new();
        let rate = RateLimit::per_second(200).ok_or_else(|| anyhow::anyhow!("no rate"))?;
        let crm = AmoCrmClient::builder(
            amocrm.base_url(),
            Credentials::LongLived(SecretString::from(TOKEN)),
        )
        .rate_limit(rate)
        .retry(RetryPolicy {
            base_delay: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .batch(BatchPolicy {
            write_chunk: 250,
            ..BatchPolicy::default()
        })
        .build()?;
        let feeds = FeedClient::new(&ServiceConfig::new(
            market.base_url(),
            marketplace::DEFAULT_TOKEN,
        ))?;
        let settings = UploadSettings {
            batch_size: DEFAULT_BATCH_SIZE,
            fields: ::amonition::sandbox::seller_fields(),
            enrich_feeds: true,
        };
        let ports = UploadPorts {
            sellers: &sellers,
            feeds: &feeds,
            companies: &companies,
            crm: &crm,
        };
        let n = SELLERS as f64;

        let started = Instant::now();
        let first = upload::run(ports, &settings, 1, &NoProgress).await?;
        let elapsed = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            first.created == SELLERS && amocrm.count("companies") == SELLERS as usize,
            "the first run did not create one company per seller: {first:?}"
        );
        let requests_first = crm.stats().requests;
        report.record("amonition.upload_20k_first_run_s", elapsed);
        report.record("amonition.upload_first_run_sellers_per_s", n / elapsed);
        report.record("amonition.amocrm_requests_first_run", requests_first as f64);

        let started = Instant::now();
        let second = upload::run(ports, &settings, 2, &NoProgress).await?;
        let elapsed = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            second.updated == SELLERS && second.created == 0,
            "the rerun did not only update: {second:?}"
        );
        let requests_rerun = crm.stats().requests - requests_first;
        report.record("amonition.upload_rerun_sellers_per_s", n / elapsed);
        report.record("amonition.amocrm_requests_rerun", requests_rerun as f64);

        let mut batches = Vec::new();
        let mut stream = sellers.open().await?;
        loop {
            let batch = stream.next_batch(DEFAULT_BATCH_SIZE).await?;
            if batch.is_empty() {
                break;
            }
            batches.push(batch);
        }
        let no_feeds = BTreeMap::new();
        let started = Instant::now();
        let mut planned = 0;
        for batch in batches {
            let plan = plan_batch(batch, &no_feeds, &[], &settings.fields);
            planned += plan.creates.len();
        }
        let elapsed = started.elapsed().as_secs_f64();
        anyhow::ensure!(planned == SELLERS as usize, "planned {planned} creates");
        report.record("amonition.plan_sellers_per_s", n / elapsed);

        let million = 1_000_000.0 / n;
        report.record(
            "amonition.upload_model_1m_sellers_first_run_min_at_7rps",
            requests_first as f64 * million / AMOCRM_RPS / 60.0,
        );
        report.record(
            "amonition.upload_model_1m_sellers_rerun_min_at_7rps",
            requests_rerun as f64 * million / AMOCRM_RPS / 60.0,
        );
        amocrm.shutdown().await;
        market.shutdown().await;
        Ok(())
    })
}
