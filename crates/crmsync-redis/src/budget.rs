//! `RedisRequestBudget`: the amoCRM request budget shared by every process of an integration through Redis.
//!
//! amoCRM's 7 requests per second hold for the integration, not for a process. Each request reserves a slot with
//! one Lua script (GCRA on the server's clock, keyed by account): the slots of all processes are spaced by
//! `1 / rate` seconds, whatever the number of `serve` workers, `upload` runs or other binaries. A long `429`
//! pause is stored next to it, so one process's `retry_after` holds back all of them.
//!
//! | key                                | holds                                             |
//! |------------------------------------|---------------------------------------------------|
//! | `{prefix}amocrm-budget:{account}`  | the next free slot, microseconds (server clock)   |
//! | `{prefix}amocrm-pause:{account}`   | the end of the pause in force, ms since the epoch |
//!
//! When Redis cannot be reached the budget falls back to an in-process limiter at the same rate and logs it,
//! rather than stopping every request.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use crmsync_amocrm::{InProcessBudget, RateLimit, RequestBudget};
use crmsync_ports::StoreError;
use redis::Script;
use redis::aio::ConnectionManager;

use crate::RedisConfig;
use crate::keys::Keys;

static ACQUIRE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/budget_acquire.lua")));
static PAUSE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/budget_pause.lua")));

/// Extra spacing of every slot (5 %), so network jitter never packs more than the rate into a second: 7 per
/// second configured gives about 6.67 sent.
const MARGIN: f64 = 0.05;

/// The amoCRM request budget shared through Redis.
pub struct RedisRequestBudget {
    connection: ConnectionManager,
    slot_key: String,
    pause_key: String,
    interval_us: u64,
    burst: u32,
    fallback: InProcessBudget,
}

impl std::fmt::Debug for RedisRequestBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRequestBudget")
            .field("slot_key", &self.slot_key)
            .field("interval_us", &self.interval_us)
            .finish_non_exhaustive()
    }
}

impl RedisRequestBudget {
    /// Connects to `config.url`; `account` (the subdomain or id) keys the budget, `per_second` (more than 0,
    /// at most 50) is the combined rate of every process, `burst` (at least 1) how many may go back to back.
    pub async fn connect(
        config: &RedisConfig,
        account: &str,
        per_second: f64,
        burst: u32,
    ) -> Result<Self, StoreError> {
        let connection = crate::stores::connect(config).await?;
        Self::new(connection, &config.key_prefix, account, per_second, burst)
    }

    /// The budget on an open `connection`.
    pub fn new(
        connection: ConnectionManager,
        key_prefix: &str,
        account: &str,
        per_second: f64,
        burst: u32,
    ) -> Result<Self, StoreError> {
        if !(per_second > 0.0 && per_second <= 50.0) {
            return Err(StoreError::Invalid {
                field: "per_second",
                reason: "must be more than 0 and at most 50".into(),
            });
        }
        let account = account.trim();
        if account.is_empty() || account.len() > 128 {
            return Err(StoreError::Invalid {
                field: "account",
                reason: "must be 1 to 128 characters".into(),
            });
        }
        let burst = burst.max(1);
        let interval_us = (1_000_000.0 / per_second * (1.0 + MARGIN)).ceil() as u64;
        let keys = Keys::new(key_prefix);
        let local_rate =
            RateLimit::per_second(per_second.floor().max(1.0) as u32).unwrap_or_default();
        Ok(Self {
            connection,
            slot_key: keys.value(&format!("amocrm-budget:{account}")),
            pause_key: keys.value(&format!("amocrm-pause:{account}")),
            interval_us,
            burst,
            fallback: InProcessBudget::new(local_rate),
        })
    }

    /// Reserves one slot; returns how long to wait for it.
    pub async fn reserve(&self) -> Result<Duration, StoreError> {
        let mut connection = self.connection.clone();
        let wait: i64 = ACQUIRE
            .key(&self.slot_key)
            .arg(self.interval_us)
            .arg(self.burst)
            .invoke_async(&mut connection)
            .await
            .map_err(crate::error::redis_error)?;
        Ok(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
    }
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[async_trait]
impl RequestBudget for RedisRequestBudget {
    async fn acquire(&self) {
        match self.reserve().await {
            Ok(wait) if wait.is_zero() => {}
            Ok(wait) => tokio::time::sleep(wait).await,
            Err(error) => {
                tracing::warn!(%error, "the shared amoCRM budget is unreachable; pacing this process alone");
                self.fallback.acquire().await;
            }
        }
    }

    async fn pause_until(&self, until: SystemTime) {
        self.fallback.pause_until(until).await;
        let end = millis(until);
        let ttl = end.saturating_sub(millis(SystemTime::now())).max(1) + 60_000;
        let mut connection = self.connection.clone();
        let result: Result<i64, _> = PAUSE
            .key(&self.pause_key)
            .arg(end)
            .arg(ttl)
            .invoke_async(&mut connection)
            .await;
        if let Err(error) = result {
            tracing::warn!(error = %crate::error::redis_error(error), "cannot share the amoCRM pause through Redis");
        }
    }

    async fn paused_until(&self) -> Option<SystemTime> {
        let local = self.fallback.paused_until().await;
        let mut connection = self.connection.clone();
        let shared: Option<u64> = redis::cmd("GET")
            .arg(&self.pause_key)
            .query_async(&mut connection)
            .await
            .unwrap_or(None);
        let shared = shared.map(|ms| UNIX_EPOCH + Duration::from_millis(ms));
        match (local, shared) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}
