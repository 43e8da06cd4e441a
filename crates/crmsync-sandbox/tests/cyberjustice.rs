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

/// `crmsync-sandbox serve --cyberjustice` until dropped, with what it printed up to "press Ctrl-C".
struct Served {
    child: std::process::Child,
    lines: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_cyberjustice() -> Served {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_crmsync-sandbox"))
        .args([
            "serve",
            "--cyberjustice",
            "--cyberjustice-addr",
            "127.0.0.1:0",
            "--cyberjustice-rate-limit",
            "50",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    Served { child, lines }
}

#[tokio::test]
async fn serve_cyberjustice_answers_with_the_case_monitoring_sample_world() {
    let served = serve_cyberjustice();
    let base = served
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("CyberJustice emulator:"))
        .map(|url| url.trim().to_owned())
        .unwrap_or_else(|| panic!("no base URL in {:#?}", served.lines));
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let http = reqwest::Client::new();
    let (status, listed) = body(
        http.get(format!("{base}/api/v1/monitoring/cases"))
            .header("X-Api-Key", DEFAULT_API_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let spec = crmsync_sandbox::case_monitoring::SampleSpec::demo();
    assert_eq!(
        listed["total"],
        json!(spec.pre_monitored + spec.stale_monitored),
        "{listed}"
    );
    let refused = http
        .get(format!("{base}/api/v1/monitoring/cases"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}
