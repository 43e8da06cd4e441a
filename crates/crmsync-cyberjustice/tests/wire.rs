//! The client against the CyberJustice emulator over loopback HTTP: every call, errors, rate limits, faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crmsync_cyberjustice::{CyberJusticeClient, CyberJusticeConfig};
use crmsync_domain::CaseNumber;
use crmsync_ports::{EventsSince, MonitorApi, MonitorApiExt, MonitorError, MonitorId, Retrieval};
use crmsync_sandbox::cyberjustice::{
    CyberJusticeEmulator, CyberJusticeFixture, DEFAULT_API_KEY, EmulatorConfig, FixtureCase,
    FixtureMonitored,
};
use crmsync_sandbox::faults::{Fault, Injection};
use crmsync_sandbox::{FaultPlan, SandboxClock};

const RETRIEVE: &str = "POST /api/v1/cases/retrieve";

fn n(text: &str) -> CaseNumber {
    CaseNumber::parse(text).unwrap()
}

fn case(i: u32) -> String {
    format!("А40-{i}/2024")
}

async fn emulator(
    fixture: CyberJusticeFixture,
    limit: usize,
    rate: Option<u32>,
) -> CyberJusticeEmulator {
    CyberJusticeEmulator::start(EmulatorConfig {
        fixture,
        limit,
        rate_limit_per_s: rate,
        clock: SandboxClock::manual(1_800_000_000),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn config(emulator: &CyberJusticeEmulator) -> CyberJusticeConfig {
    CyberJusticeConfig::new(emulator.base_url(), DEFAULT_API_KEY)
        .with_rate_limit(200.0)
        .with_retries(4, Duration::from_millis(10), Duration::from_millis(200))
        .with_timeout(Duration::from_millis(800))
}

fn catalogue(count: u32) -> Vec<FixtureCase> {
    (1..=count).map(|i| FixtureCase::new(case(i))).collect()
}

#[tokio::test]
async fn retrieve_sync_list_events_and_delete() {
    let mut cases = catalogue(5);
    cases[1] = FixtureCase::new(case(2)).accepted_for(1);
    cases[0] =
        FixtureCase::new(case(1)).with_event(1_799_000_000, "Определение", Some("О принятии"));
    let emulator = emulator(
        CyberJusticeFixture {
            cases,
            monitored: Vec::new(),
        },
        500,
        None,
    )
    .await;
    let mut settings = config(&emulator);
    settings.page_size = 2;
    let client = CyberJusticeClient::new(settings).unwrap();

    let (empty, limit) = client.all_monitored().await.unwrap();
    assert!(empty.is_empty());
    assert_eq!(limit, Some(500));

    let Retrieval::Found(card) = client.retrieve(&n("A40-1/24"), false).await.unwrap() else {
        panic!("case 1 is in the catalogue");
    };
    assert_eq!(card.case_number, case(1));
    assert!(card.last_event_id.is_some());
    assert!(matches!(
        client.retrieve(&n(&case(2)), false).await.unwrap(),
        Retrieval::Accepted {
            retry_after: Some(_)
        }
    ));
    assert!(matches!(
        client.retrieve(&n(&case(2)), false).await.unwrap(),
        Retrieval::Found(_)
    ));
    assert_eq!(
        client.retrieve(&n(&case(9)), false).await.unwrap(),
        Retrieval::NotFound
    );
    for i in 3..=5 {
        let _ = client.retrieve(&n(&case(i)), false).await.unwrap();
    }

    let numbers: Vec<CaseNumber> = (1..=5).map(|i| n(&case(i))).collect();
    let outcome = client.sync_cases(&numbers).await.unwrap();
    assert_eq!((outcome.added, outcome.removed, outcome.kept), (5, 0, 0));
    assert_eq!(outcome.items.len(), 5);

    let (all, _) = client.all_monitored().await.unwrap();
    let listed: Vec<&str> = all.iter().map(|e| e.case_number.as_str()).collect();
    assert_eq!(listed, (1..=5).map(case).collect::<Vec<_>>());

    let first = &all[0];
    let history = client
        .events_since(first.id, EventsSince::After(crmsync_ports::EventId(0)))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].kind, "Определение");
    let new_ids = emulator.add_events(&case(1), 150).unwrap();
    let fresh = client
        .events_since(first.id, EventsSince::After(history[0].id))
        .await
        .unwrap();
    assert_eq!(
        fresh.iter().map(|e| e.id.0).collect::<Vec<_>>(),
        new_ids,
        "paged in order"
    );
    let by_date = client
        .case_events(first.id, EventsSince::Date(first.added_at), 500)
        .await
        .unwrap();
    assert_eq!(by_date.items.len(), 150, "history predates monitoring");

    assert!(client.delete_monitored(first.id).await.unwrap());
    assert!(
        !client.delete_monitored(first.id).await.unwrap(),
        "a second delete finds nothing"
    );
    assert_eq!(emulator.monitored_count(), 4);
    assert!(matches!(
        client
            .case_events(
                MonitorId(first.id.0),
                EventsSince::After(crmsync_ports::EventId(0)),
                10
            )
            .await,
        Err(MonitorError::NotFound { .. })
    ));
    assert_eq!(client.retries(), 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn service_refusals_are_typed_and_not_retried() {
    let emulator = emulator(
        CyberJusticeFixture {
            cases: catalogue(3),
            monitored: vec![FixtureMonitored {
                case_number: case(1),
                added_at: 1_799_000_000,
            }],
        },
        2,
        None,
    )
    .await;
    let client = CyberJusticeClient::new(config(&emulator)).unwrap();
    let three: Vec<CaseNumber> = (1..=3).map(|i| n(&case(i))).collect();
    assert_eq!(
        client.sync_cases(&three).await.unwrap_err(),
        MonitorError::LimitExceeded {
            limit: 2,
            requested: 3
        }
    );
    assert_eq!(
        client.sync_cases(&three[..2]).await.unwrap_err(),
        MonitorError::UnknownCases {
            case_numbers: vec![case(2)]
        }
    );
    let wrong_key = CyberJusticeClient::new(
        CyberJusticeConfig::new(emulator.base_url(), "wrong-key").with_rate_limit(200.0),
    )
    .unwrap();
    let error = wrong_key.list_monitored(1).await.unwrap_err();
    assert!(
        matches!(error, MonitorError::Unauthorized { .. }),
        "{error}"
    );
    assert!(!error.to_string().contains("wrong-key"));
    assert_eq!(wrong_key.requests_sent(), 1);
    assert_eq!(client.retries(), 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn answers_429_are_waited_out_with_retry_after() {
    let emulator = emulator(
        CyberJusticeFixture {
            cases: catalogue(3),
            monitored: Vec::new(),
        },
        500,
        Some(2),
    )
    .await;
    // The client believes the service allows 50 requests/s; the service allows 2.
    let client = CyberJusticeClient::new(config(&emulator).with_rate_limit(50.0).with_retries(
        6,
        Duration::from_millis(10),
        Duration::from_secs(2),
    ))
    .unwrap();
    for i in 1..=3 {
        assert!(matches!(
            client.retrieve(&n(&case(i)), false).await.unwrap(),
            Retrieval::Found(_)
        ));
    }
    let stats = emulator.stats();
    assert!(stats.rate_limited > 0, "{stats:?}");
    assert_eq!(stats.retrievals.found, 3);
    assert_eq!(client.retries(), stats.rate_limited);
    emulator.shutdown().await;
}

#[tokio::test]
async fn paced_at_the_service_rate_the_client_never_meets_a_429() {
    let emulator = emulator(
        CyberJusticeFixture {
            cases: catalogue(6),
            monitored: Vec::new(),
        },
        500,
        Some(5),
    )
    .await;
    let client = CyberJusticeClient::new(config(&emulator).with_rate_limit(5.0)).unwrap();
    for i in 1..=6 {
        let _ = client.retrieve(&n(&case(i)), false).await.unwrap();
    }
    let stats = emulator.stats();
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(stats.requests(RETRIEVE), 6);
    emulator.shutdown().await;
}

#[tokio::test]
async fn server_errors_timeouts_and_dropped_connections_are_retried() {
    let emulator = emulator(
        CyberJusticeFixture {
            cases: catalogue(1),
            monitored: Vec::new(),
        },
        500,
        None,
    )
    .await;
    emulator.set_faults(
        FaultPlan::none()
            .with_hang(Duration::from_secs(3))
            .with_script(
                RETRIEVE,
                vec![
                    Injection::before(Fault::Error500),
                    Injection::before(Fault::Error502),
                    Injection::before(Fault::Drop),
                    Injection::after(Fault::Timeout),
                    None,
                ],
            ),
    );
    let client = CyberJusticeClient::new(config(&emulator)).unwrap();
    let answer = client.retrieve(&n(&case(1)), false).await.unwrap();
    assert!(matches!(answer, Retrieval::Found(_)));
    assert_eq!(client.requests_sent(), 5);
    assert_eq!(client.retries(), 4);
    assert_eq!(emulator.stats().requests(RETRIEVE), 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn retries_run_out_into_a_server_error() {
    let emulator = emulator(CyberJusticeFixture::default(), 500, None).await;
    emulator.set_faults(FaultPlan::none().with_script(
        "GET /api/v1/monitoring/cases",
        vec![Injection::before(Fault::Error504); 10],
    ));
    let client = CyberJusticeClient::new(config(&emulator).with_retries(
        2,
        Duration::from_millis(5),
        Duration::from_millis(20),
    ))
    .unwrap();
    let error = client.list_monitored(1).await.unwrap_err();
    assert_eq!(
        error,
        MonitorError::Server {
            status: 504,
            detail: "an HTML page (a proxy error)".into()
        }
    );
    assert!(error.is_transient());
    assert_eq!(client.requests_sent(), 3);
    emulator.shutdown().await;
}

fn monitored(count: u32) -> CyberJusticeFixture {
    CyberJusticeFixture {
        cases: catalogue(count),
        monitored: (1..=count)
            .map(|i| FixtureMonitored {
                case_number: case(i),
                added_at: 1_799_000_000,
            })
            .collect(),
    }
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_a_typed_error_and_not_retried() {
    let emulator = emulator(monitored(40), 500, None).await;
    let mut settings = config(&emulator).with_max_response_bytes(1024);
    settings.page_size = 40;
    let small = CyberJusticeClient::new(settings).unwrap();
    let error = small.list_monitored(1).await.unwrap_err();
    assert_eq!(
        error,
        MonitorError::ResponseTooLarge {
            context: "GET /api/v1/monitoring/cases".into(),
            limit: 1024
        }
    );
    assert_eq!(error.kind(), "response_too_large");
    assert!(!error.is_transient());
    assert_eq!(
        small.requests_sent(),
        1,
        "a body over the cap is not asked for again"
    );
    let page = CyberJusticeClient::new(config(&emulator))
        .unwrap()
        .list_monitored(1)
        .await
        .unwrap();
    assert!(!page.items.is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_full_500_case_page_fits_the_default_limit() {
    let emulator = emulator(monitored(500), 500, None).await;
    let mut settings = config(&emulator);
    settings.page_size = 500;
    assert_eq!(
        settings.max_response_bytes,
        crmsync_cyberjustice::DEFAULT_MAX_RESPONSE_BYTES
    );
    let client = CyberJusticeClient::new(settings).unwrap();
    let page = client.list_monitored(1).await.unwrap();
    assert_eq!(page.items.len(), 500);
    emulator.shutdown().await;
}
