//! Wire tests of the request budget and response caps: a long `429` holds back every sender sharing the budget
//! until `retry_after` has passed on the (controllable) clock, and answers over the size limit are typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use crmsync_amocrm::{CrmClient, CrmError, InProcessBudget, RateLimit, RequestBudget};
use crmsync_domain::crm::NewContact;
use crmsync_ports::LeadFilter;
use crmsync_sandbox::SandboxClock;
use crmsync_sandbox::amocrm::{AmoCrmConfig, Fixture, GenerateCounts};

use common::*;

async fn manual_emulator() -> (crmsync_sandbox::amocrm::AmoCrmEmulator, SandboxClock) {
    let clock = SandboxClock::manual_at_now();
    let emulator = emulator(AmoCrmConfig {
        clock: clock.clone(),
        ..AmoCrmConfig::default()
    })
    .await;
    (emulator, clock)
}

fn rate_limited_for(error: &CrmError) -> Duration {
    match error {
        CrmError::RateLimited {
            retry_after: Some(wait),
        } => *wait,
        other => panic!("expected RateLimited with a wait, got {other:?}"),
    }
}

#[tokio::test]
async fn a_300_s_429_pauses_the_client_and_every_clone_until_it_has_passed() {
    let (emulator, clock) = manual_emulator().await;
    let client = long_lived_builder(&emulator)
        .clock(Arc::new(EmulatorClock(clock.clone())))
        .build()
        .unwrap();
    client.pipelines().await.unwrap();
    emulator.rate_limit_for(Duration::from_secs(300));

    let error = client.pipelines().await.unwrap_err();
    assert_eq!(rate_limited_for(&error), Duration::from_secs(300));
    let sent = emulator.stats().requests_total;
    assert_eq!(emulator.stats().rate_limited, 1);

    let clone = client.clone();
    let error = clone
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap_err();
    assert_eq!(rate_limited_for(&error), Duration::from_secs(300));
    let error = clone
        .add_contacts(&[NewContact::default()])
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        "rate_limited",
        "a create that was never sent is not ambiguous"
    );
    assert_eq!(client.paused_for().await, Some(Duration::from_secs(300)));

    clock.advance(Duration::from_secs(200));
    let error = clone.pipelines().await.unwrap_err();
    assert_eq!(rate_limited_for(&error), Duration::from_secs(100));
    assert_eq!(
        emulator.stats().requests_total,
        sent,
        "nothing is sent while amoCRM's pause lasts"
    );

    clock.advance(Duration::from_secs(100));
    assert_eq!(clone.paused_for().await, None);
    clone.pipelines().await.unwrap();
    client
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap();
    assert_eq!(emulator.stats().requests_total, sent + 2);
    assert_eq!(emulator.stats().rate_limited, 1);
}

#[tokio::test]
async fn clients_sharing_a_budget_share_the_pause() {
    let (emulator, clock) = manual_emulator().await;
    let budget: Arc<dyn RequestBudget> = Arc::new(InProcessBudget::new(RateLimit::default()));
    let build = || {
        long_lived_builder(&emulator)
            .clock(Arc::new(EmulatorClock(clock.clone())))
            .budget(Arc::clone(&budget))
            .build()
            .unwrap()
    };
    let first = build();
    let second = build();
    emulator.rate_limit_for(Duration::from_secs(300));
    assert_eq!(
        rate_limited_for(&first.pipelines().await.unwrap_err()),
        Duration::from_secs(300)
    );
    let sent = emulator.stats().requests_total;
    assert_eq!(
        rate_limited_for(&second.pipelines().await.unwrap_err()),
        Duration::from_secs(300)
    );
    assert_eq!(emulator.stats().requests_total, sent);
    assert!(budget.paused_until().await.is_some());
    clock.advance(Duration::from_secs(301));
    second.pipelines().await.unwrap();
}

#[tokio::test]
async fn a_short_429_is_waited_out_within_the_call() {
    let (emulator, clock) = manual_emulator().await;
    let client = long_lived_builder(&emulator)
        .clock(Arc::new(EmulatorClock(clock.clone())))
        .build()
        .unwrap();
    emulator.rate_limit_for(Duration::from_secs(1));
    let waiter = {
        let client = client.clone();
        tokio::spawn(async move { client.pipelines().await })
    };
    while emulator.stats().rate_limited == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    clock.advance(Duration::from_secs(1));
    waiter.await.unwrap().unwrap();
    assert!(client.paused_for().await.is_none());
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_a_typed_error() {
    let emulator = emulator(AmoCrmConfig {
        fixture: Fixture::generated(
            7,
            GenerateCounts {
                companies: 5,
                contacts: 20,
                leads: 60,
                tasks: 0,
            },
        ),
        ..AmoCrmConfig::default()
    })
    .await;
    let small = long_lived_builder(&emulator)
        .max_response_bytes(4096)
        .build()
        .unwrap();
    let error = small
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap_err();
    match &error {
        CrmError::ResponseTooLarge { context, limit } => {
            assert_eq!(*limit, 4096);
            assert_eq!(context, "GET /api/v4/leads");
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert_eq!(error.kind(), "response_too_large");
    client(&emulator)
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_create_whose_answer_is_too_large_is_ambiguous_not_resent() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let before = emulator.count("contacts");
    let tiny = long_lived_builder(&emulator)
        .max_response_bytes(64)
        .build()
        .unwrap();
    let error = tiny
        .add_contacts(&[NewContact::default()])
        .await
        .unwrap_err();
    assert!(
        matches!(error, CrmError::Ambiguous { .. }),
        "the contact was written but its id is unknown: {error:?}"
    );
    assert_eq!(emulator.count("contacts"), before + 1, "sent once");
}

#[tokio::test]
async fn a_full_250_lead_page_fits_the_default_limit() {
    let emulator = emulator(AmoCrmConfig {
        fixture: Fixture::generated(
            3,
            GenerateCounts {
                companies: 50,
                contacts: 250,
                leads: 250,
                tasks: 0,
            },
        ),
        ..AmoCrmConfig::default()
    })
    .await;
    let page = client(&emulator)
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 250);
}
