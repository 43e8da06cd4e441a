//! Wire tests of limits: the shared limiter keeps a client under 7 requests/s, 429s are waited out, 403 blocks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use crmsync_amocrm::{CrmClient, CrmError, RateLimit, RetryPolicy};
use crmsync_domain::crm::{ContactId, EntityKind};
use crmsync_ports::LeadFilter;
use crmsync_sandbox::amocrm::AmoCrmConfig;

use common::*;

#[tokio::test]
async fn three_hundred_mixed_requests_from_clones_get_no_429() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let workers = (0..4).map(|w| {
        let client = client.clone();
        tokio::spawn(async move {
            for i in 0..75 {
                match (w + i) % 3 {
                    0 => drop(
                        client
                            .list_leads(&LeadFilter::default(), None)
                            .await
                            .unwrap(),
                    ),
                    1 => drop(client.get_contact(ContactId(1)).await.unwrap()),
                    _ => drop(client.custom_fields(EntityKind::Contacts).await.unwrap()),
                }
            }
        })
    });
    for worker in workers {
        worker.await.unwrap();
    }
    let stats = emulator.stats();
    assert_eq!(stats.requests_total, 300);
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(client.stats().rate_limited, 0);
}

fn greedy(emulator: &crmsync_sandbox::amocrm::AmoCrmEmulator) -> crmsync_amocrm::AmoCrmClient {
    long_lived_builder(emulator)
        .rate_limit(RateLimit::per_second(40).unwrap())
        .retry(RetryPolicy {
            max_rate_limit_retries: 10,
            default_rate_limit_wait: Duration::from_millis(300),
            ..quick_retry()
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn json_429s_are_waited_out_and_retried() {
    let emulator = emulator(AmoCrmConfig {
        block_after_violations: 0,
        ..AmoCrmConfig::default()
    })
    .await;
    let client = greedy(&emulator);
    for _ in 0..20 {
        client.pipelines().await.unwrap();
    }
    assert!(
        emulator.stats().rate_limited > 0,
        "the greedy client did hit the limit"
    );
    assert_eq!(client.stats().rate_limited, emulator.stats().rate_limited);
}

#[tokio::test]
async fn html_429s_are_waited_out_too() {
    let emulator = emulator(AmoCrmConfig {
        block_after_violations: 0,
        html_429: true,
        ..AmoCrmConfig::default()
    })
    .await;
    let client = greedy(&emulator);
    for _ in 0..15 {
        client.pipelines().await.unwrap();
    }
    assert!(emulator.stats().rate_limited > 0);
}

#[tokio::test]
async fn rate_limit_retries_are_bounded() {
    let emulator = emulator(AmoCrmConfig {
        block_after_violations: 0,
        rate_limit_per_s: Some(1),
        rate_limit_window: Duration::from_secs(30),
        ..AmoCrmConfig::default()
    })
    .await;
    let client = long_lived_builder(&emulator)
        .retry(RetryPolicy {
            max_rate_limit_retries: 2,
            max_rate_limit_wait: Duration::from_secs(1),
            default_rate_limit_wait: Duration::from_millis(50),
            ..quick_retry()
        })
        .build()
        .unwrap();
    client.pipelines().await.unwrap();
    let error = client.pipelines().await.unwrap_err();
    assert!(matches!(error, CrmError::RateLimited { .. }), "{error:?}");
    assert!(
        emulator.stats().rate_limited <= 3,
        "waits are bounded: {}",
        emulator.stats().rate_limited
    );
}

#[tokio::test]
async fn a_403_blocks_every_clone_and_nothing_more_is_sent() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    client.pipelines().await.unwrap();
    emulator.set_blocked(true);
    let error = client
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap_err();
    assert!(matches!(error, CrmError::Blocked { .. }), "{error:?}");
    let sent = emulator.stats().requests_total;
    let clone = client.clone();
    assert_eq!(clone.pipelines().await.unwrap_err().kind(), "blocked");
    assert_eq!(
        clone
            .add_contacts(&[Default::default()])
            .await
            .unwrap_err()
            .kind(),
        "blocked"
    );
    assert_eq!(
        emulator.stats().requests_total,
        sent,
        "a blocked client sends nothing"
    );
    assert!(client.blocked().is_some());
    emulator.set_blocked(false);
    client.unblock();
    client.pipelines().await.unwrap();
}

#[tokio::test]
async fn repeated_violations_end_in_a_block_not_in_hammering() {
    let emulator = emulator(AmoCrmConfig {
        block_after_violations: 3,
        ..AmoCrmConfig::default()
    })
    .await;
    let client = long_lived_builder(&emulator)
        .rate_limit(RateLimit::per_second(200).unwrap())
        .retry(RetryPolicy {
            max_rate_limit_retries: 0,
            ..quick_retry()
        })
        .build()
        .unwrap();
    let mut blocked = false;
    for _ in 0..40 {
        match client.pipelines().await {
            Err(CrmError::Blocked { .. }) => {
                blocked = true;
                break;
            }
            Ok(_) | Err(CrmError::RateLimited { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(blocked);
    let sent = emulator.stats().requests_total;
    for _ in 0..5 {
        assert_eq!(client.pipelines().await.unwrap_err().kind(), "blocked");
    }
    assert_eq!(emulator.stats().requests_total, sent);
    assert_eq!(emulator.stats().blocked, 1);
}
