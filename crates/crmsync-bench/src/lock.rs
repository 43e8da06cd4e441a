//! `lock.*`: acquire + release cycles per second of the Redis lock.

use std::time::{Duration, Instant};

use crmsync_ports::LockStore;
use crmsync_redis::{RedisConfig, RedisStores};

use crate::report::Report;

const CYCLES: u32 = 5_000;

pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let namespace = crmsync_testkit::services::fresh_redis().await;
        let config =
            RedisConfig::new(namespace.url.clone()).with_key_prefix(namespace.prefix.clone());
        let locks = RedisStores::connect(&config).await?.locks;
        let started = Instant::now();
        for _ in 0..CYCLES {
            let lease = locks
                .try_acquire("bench", "bench", Duration::from_secs(10))
                .await?
                .ok_or_else(|| anyhow::anyhow!("lock unexpectedly held"))?;
            anyhow::ensure!(locks.release(&lease).await?, "release refused");
        }
        report.input(format!(
            "{CYCLES} sequential acquire + release cycles on Redis (loopback)"
        ));
        report.record(
            "lock.redis_acquire_release_per_s",
            f64::from(CYCLES) / started.elapsed().as_secs_f64(),
        );
        Ok(())
    })
}
