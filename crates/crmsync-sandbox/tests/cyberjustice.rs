//! Wire tests of the CyberJustice emulator, driven with plain HTTP (reqwest), not the client crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crmsync_sandbox::cyberjustice::{
    CyberJusticeEmulator, CyberJusticeFixture, DEFAULT_API_KEY, EmulatorConfig, FixtureCase,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn start(rate: Option<u32>) -> (CyberJusticeEmulator, reqwest::Client, String) {
    let emulator = CyberJusticeEmulator::start(EmulatorConfig {
        rate_limit_per_s: rate,
        fixture: CyberJusticeFixture {
            cases: vec![
                FixtureCase::new("А40-1/2024"),
                FixtureCase::new("А40-2/2024"),
            ],
            monitored: Vec::new(),
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let base = emulator.base_url();
    (emulator, reqwest::Client::new(), base)
}

async fn body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn every_api_route_needs_the_key() {
    let (emulator, http, base) = start(None).await;
    let (status, error) = body(
        http.get(format!("{base}/api/v1/monitoring/cases"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"]["code"], "unauthorized");
    let wrong = http
        .post(format!("{base}/api/v1/cases/retrieve"))
        .header("X-Api-Key", "nope")
        .json(&json!({"case_number": "А40-1/2024"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(emulator.stats().retrievals.found, 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_and_paths_are_named() {
    let (emulator, http, base) = start(None).await;
    let get = |path: &str| {
        http.get(format!("{base}{path}"))
            .header("X-Api-Key", DEFAULT_API_KEY)
            .send()
    };
    let (status, error) = body(get("/api/v1/monitoring/cases?per_page=501").await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("per_page")
    );
    let (status, error) = body(
        get("/api/v1/monitoring/cases/7/events?since=yesterday")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("since")
    );
    let (status, _) = body(get("/api/v1/nothing").await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = body(
        http.post(format!("{base}/api/v1/cases/retrieve"))
            .header("X-Api-Key", DEFAULT_API_KEY)
            .json(&json!({"case_number": "305-ЭС23-1234"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "invalid_case_number");
    assert_eq!(error["error"]["case_numbers"][0], "305-ЭС23-1234");
    emulator.shutdown().await;
}

#[tokio::test]
async fn over_the_rate_answers_429_with_retry_after() {
    let (emulator, http, base) = start(Some(1)).await;
    let call = || {
        http.get(format!("{base}/api/v1/monitoring/cases"))
            .header("X-Api-Key", DEFAULT_API_KEY)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), StatusCode::OK);
    let second = call().await.unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.headers()["retry-after"], "1");
    let (_, error) = body(second).await;
    assert_eq!(error["error"]["code"], "rate_limited");
    let control = http
        .get(format!("{base}/sandbox/cyberjustice/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        control.status(),
        StatusCode::OK,
        "control routes are not limited"
    );
    let (_, stats) = body(control).await;
    assert_eq!(stats["rate_limited"], 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn control_routes_generate_events_and_dump_the_monitored_set() {
    let (emulator, http, base) = start(None).await;
    let retrieve = http
        .post(format!("{base}/api/v1/cases/retrieve"))
        .header("X-Api-Key", DEFAULT_API_KEY)
        .json(&json!({"case_number": "a40-1/24"}))
        .send()
        .await
        .unwrap();
    let (_, found) = body(retrieve).await;
    assert_eq!(found["status"], "found");
    let sync = http
        .put(format!("{base}/api/v1/monitoring/cases"))
        .header("X-Api-Key", DEFAULT_API_KEY)
        .json(&json!({"case_numbers": ["А40-1/2024"]}))
        .send()
        .await
        .unwrap();
    let (status, synced) = body(sync).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(synced["added"], 1);
    let (status, added) = body(
        http.post(format!("{base}/sandbox/cyberjustice/events"))
            .json(&json!({"case_numbers": ["А40-1/2024"], "count": 2}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(added["added"].as_array().unwrap().len(), 2);
    let (_, dump) = body(
        http.get(format!("{base}/sandbox/cyberjustice/dump"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(dump["monitored"][0]["case_number"], "А40-1/2024");
    assert_eq!(dump["monitored"][0]["last_event_id"], added["added"][1]);
    assert_eq!(emulator.monitored(), ["А40-1/2024"]);
    emulator.shutdown().await;
}
