//! The pure batch plan (create/update split and company bodies, no I/O) over generated sellers in batches of
//! 500, in sellers per second.

use std::collections::BTreeMap;
use std::time::Instant;

use crmsync_jobs::amonition::plan::plan_batch;
use crmsync_jobs::amonition::upload::DEFAULT_BATCH_SIZE;
use crmsync_ports::SellerSource;
use crmsync_sandbox::marketplace;
use crmsync_store::memory::MemorySellerSource;

use super::sellers::SEED;

/// Plans `n` generated sellers (all new) and returns sellers planned per second.
pub(super) async fn sellers_per_s(n: u64) -> anyhow::Result<f64> {
    let sellers = MemorySellerSource::new();
    sellers.insert(marketplace::sellers::sellers(SEED, 0, n));
    let mut batches = Vec::new();
    let mut stream = sellers.open().await?;
    loop {
        let batch = stream.next_batch(DEFAULT_BATCH_SIZE).await?;
        if batch.is_empty() {
            break;
        }
        batches.push(batch);
    }
    let fields = ::amonition::sandbox::seller_fields();
    let no_feeds = BTreeMap::new();
    let started = Instant::now();
    let mut planned = 0;
    for batch in batches {
        planned += plan_batch(batch, &no_feeds, &[], &fields).creates.len();
    }
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        planned == usize::try_from(n)?,
        "planned {planned} creates of {n}"
    );
    Ok(n as f64 / elapsed)
}
