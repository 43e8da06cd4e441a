//! Three processes share one amoCRM budget through Redis: together they stay under the emulator's 7 requests
//! per second (no 429) and pace at the configured combined rate. A pause recorded by one holds back the others.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crmsync_amocrm::{AmoCrmClient, Credentials, RequestBudget};
use crmsync_ports::CrmClient;
use crmsync_redis::{RedisConfig, RedisRequestBudget};
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_testkit::services;
use secrecy::SecretString;

const CHILD: &str = "CRMSYNC_BUDGET_CHILD";
const REQUESTS_PER_CHILD: usize = 15;

/// Runs in a child process when `CRMSYNC_BUDGET_CHILD` holds `base_url|redis_url|prefix`.
#[tokio::test]
async fn budget_child() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let budget = RedisRequestBudget::connect(
        &RedisConfig::new(parts[1]).with_key_prefix(parts[2]),
        "sandbox",
        7.0,
        1,
    )
    .await
    .unwrap();
    let client = AmoCrmClient::builder(
        parts[0],
        Credentials::LongLived(SecretString::from("budget-token")),
    )
    .budget(Arc::new(budget))
    .build()
    .unwrap();
    for _ in 0..REQUESTS_PER_CHILD {
        client.pipelines().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_one_budget_without_a_429() {
    let redis = services::fresh_redis().await;
    let emulator = AmoCrmEmulator::start(AmoCrmConfig {
        long_lived_token: Some("budget-token".into()),
        ..AmoCrmConfig::default()
    })
    .await
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    let spec = format!("{}|{}|{}", emulator.base_url(), redis.url, redis.prefix);
    let started = Instant::now();
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "budget_child", "--test-threads", "1"])
                .env(CHILD, &spec)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "a child process failed");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = emulator.stats();
    let sent = stats.requests("GET /api/v4/leads/pipelines");
    assert_eq!(sent, 3 * REQUESTS_PER_CHILD as u64);
    assert_eq!(stats.rate_limited, 0, "no request was refused with 429");
    let rate = (sent - 1) as f64 / elapsed;
    println!("amonition.shared_limit_rps {rate:.2} (3 processes, {sent} requests, {elapsed:.1} s)");
    assert!(rate <= 7.0, "combined rate {rate:.2}/s exceeds 7/s");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_pause_recorded_by_one_budget_holds_back_another_and_is_never_shortened() {
    let redis = services::fresh_redis().await;
    let config = RedisConfig::new(redis.url.clone()).with_key_prefix(redis.prefix.clone());
    let a = RedisRequestBudget::connect(&config, "acct", 7.0, 1)
        .await
        .unwrap();
    let b = RedisRequestBudget::connect(&config, "acct", 7.0, 1)
        .await
        .unwrap();
    let other = RedisRequestBudget::connect(&config, "other", 7.0, 1)
        .await
        .unwrap();
    assert_eq!(b.paused_until().await, None);
    let until = SystemTime::now() + Duration::from_secs(300);
    a.pause_until(until).await;
    a.pause_until(SystemTime::now() + Duration::from_secs(5))
        .await;
    let seen = b.paused_until().await.unwrap();
    let diff = seen.duration_since(until).unwrap_or_else(|e| e.duration());
    assert!(diff < Duration::from_millis(2), "{diff:?}");
    assert_eq!(other.paused_until().await, None, "budgets are per account");
    // Slots are spaced across both budgets: the third reservation waits about two intervals.
    assert_eq!(a.reserve().await.unwrap(), Duration::ZERO);
    b.reserve().await.unwrap();
    let third = a.reserve().await.unwrap();
    assert!(
        third > Duration::from_millis(200) && third < Duration::from_millis(320),
        "{third:?}"
    );
    assert!(
        RedisRequestBudget::connect(&config, "acct", 0.0, 1)
            .await
            .is_err()
    );
}
