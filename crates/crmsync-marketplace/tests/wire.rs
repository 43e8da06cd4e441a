//! The marketplace clients against the sandbox emulator over real HTTP: requests, idempotency, retries of
//! transient faults (a lost answer included), refusals and bad configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crmsync_domain::Phone;
use crmsync_domain::seller::SellerId;
use crmsync_marketplace::{FeedClient, ServiceConfig, TransferClient};
use crmsync_ports::{FeedService, ProfileTransfer, ServiceError, TransferRequest};
use crmsync_sandbox::faults::{Fault, FaultPlan, Injection};
use crmsync_sandbox::marketplace::{DEFAULT_TOKEN, MarketplaceConfig, MarketplaceEmulator};

fn config(emulator: &MarketplaceEmulator) -> ServiceConfig {
    ServiceConfig {
        backoff_ms: 1,
        timeout_ms: 2_000,
        ..ServiceConfig::new(emulator.base_url(), DEFAULT_TOKEN)
    }
}

fn request(key: &str) -> TransferRequest {
    TransferRequest {
        account_url: "https://other-classifieds.example/user/77".to_owned(),
        phone: Phone::parse("+7 916 123-45-67").unwrap(),
        lead_id: 501,
        idempotency_key: key.to_owned(),
    }
}

#[tokio::test]
async fn a_transfer_is_started_once_per_key_even_when_its_answer_was_lost() {
    let emulator = MarketplaceEmulator::start(MarketplaceConfig {
        faults: FaultPlan::none().with_script(
            "POST /api/v1/transfers",
            vec![
                Injection::after(Fault::Error502),
                Injection::before(Fault::Error500),
            ],
        ),
        ..MarketplaceConfig::default()
    })
    .await
    .unwrap();
    let client = TransferClient::new(&config(&emulator)).unwrap();
    let started = client.start(&request("lead-501-ev-1")).await.unwrap();
    let again = client.start(&request("lead-501-ev-1")).await.unwrap();
    assert_eq!(started, again);
    let transfers = emulator.transfers();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].phone, "+79161234567");
    assert_eq!(transfers[0].lead_id, 501);
    assert_eq!(emulator.requests("POST /api/v1/transfers"), 4);
    emulator.shutdown().await;
}

#[tokio::test]
async fn refusals_are_not_retried_and_persistent_faults_give_up() {
    let emulator = MarketplaceEmulator::start(MarketplaceConfig::default())
        .await
        .unwrap();
    let client = TransferClient::new(&config(&emulator)).unwrap();
    let mut bad = request("k");
    bad.account_url = "ftp://x".into();
    let error = client.start(&bad).await.unwrap_err();
    assert!(
        matches!(error, ServiceError::Rejected { status: 422, .. }),
        "{error}"
    );
    assert!(!error.is_retryable());
    assert_eq!(emulator.requests("POST /api/v1/transfers"), 1);

    let wrong_token = TransferClient::new(&ServiceConfig {
        backoff_ms: 1,
        ..ServiceConfig::new(emulator.base_url(), "nope")
    })
    .unwrap();
    let error = wrong_token.start(&request("k")).await.unwrap_err();
    assert!(
        matches!(error, ServiceError::Rejected { status: 401, .. }),
        "{error}"
    );

    emulator.set_faults(FaultPlan::uniform(
        1,
        crmsync_sandbox::FaultRates {
            error_500: 1.0,
            ..Default::default()
        },
    ));
    let error = client.start(&request("k2")).await.unwrap_err();
    assert!(
        matches!(error, ServiceError::Unavailable { attempts: 4, .. }),
        "{error}"
    );
    assert!(error.is_retryable());
    assert!(emulator.transfers().is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn feeds_are_looked_up_in_chunks_and_periodic_loads_recorded() {
    let emulator = MarketplaceEmulator::start(MarketplaceConfig::default())
        .await
        .unwrap();
    emulator.set_feed(
        "u7",
        " https://feeds.example/u7.xml ",
        Some("https://feeds.example/u7/errors"),
    );
    emulator.set_feed("u1500", "https://feeds.example/u1500.xml", None);
    let client = FeedClient::new(&config(&emulator)).unwrap();
    let users: Vec<SellerId> = (0..1600)
        .map(|i| SellerId::parse(&format!("u{i}")).unwrap())
        .collect();
    let feeds = client.feeds(&users).await.unwrap();
    assert_eq!(feeds.len(), 2);
    let u7 = &feeds[&SellerId::parse("u7").unwrap()];
    assert_eq!(u7.url.as_deref(), Some("https://feeds.example/u7.xml"));
    assert_eq!(
        u7.errors_url.as_deref(),
        Some("https://feeds.example/u7/errors")
    );
    assert_eq!(
        emulator.lookups(),
        2,
        "1600 users take two lookups of at most 1000"
    );

    let user = SellerId::parse("u9").unwrap();
    client
        .request_periodic_load(&user, "https://feeds.example/u9.xml")
        .await
        .unwrap();
    client
        .request_periodic_load(&user, "https://feeds.example/u9.xml")
        .await
        .unwrap();
    assert_eq!(emulator.loads().len(), 1);
    emulator.shutdown().await;
}

#[test]
fn bad_configuration_names_the_key() {
    let error = FeedClient::new(&ServiceConfig::new("feeds.internal", "t")).unwrap_err();
    assert_eq!(error.field, "base_url");
    let error = FeedClient::new(&ServiceConfig::new("http://feeds.internal", " ")).unwrap_err();
    assert_eq!(error.field, "token");
    let error = TransferClient::new(&ServiceConfig {
        max_attempts: 0,
        ..ServiceConfig::new("http://x", "t")
    })
    .unwrap_err();
    assert_eq!(error.field, "max_attempts");
}
