//! Rate limits: 429 (JSON or HTML), escalation to 403 for everything, account-level 402/403 switches.

use std::time::Duration;

use crmsync_sandbox::amocrm::AmoCrmConfig;
use reqwest::StatusCode;

use crate::common::{config, start};

/// A window of a minute makes "within the window" independent of how fast the machine is.
fn limited(per_window: u32, block_after: u32, html: bool) -> AmoCrmConfig {
    AmoCrmConfig {
        rate_limit_per_s: Some(per_window),
        rate_limit_window: Duration::from_secs(60),
        block_after_violations: block_after,
        html_429: html,
        ..config()
    }
}

#[tokio::test]
async fn the_eighth_request_in_the_window_gets_429_with_retry_after() {
    let h = start(limited(7, 0, false)).await;
    for i in 0..7 {
        assert_eq!(
            h.get("/api/v4/account").await.status,
            StatusCode::OK,
            "request {i}"
        );
    }
    let refused = h.get("/api/v4/account").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let body = refused.json();
    assert_eq!(body["title"], "Too Many Requests");
    assert_eq!(body["status"], 429);
    assert!(body["retry_after"].as_u64().unwrap() >= 1);
    let stats = h.emulator.stats();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.routes["GET /api/v4/account"].statuses[&429], 1);
    assert_eq!(stats.routes["GET /api/v4/account"].statuses[&200], 7);
}

#[tokio::test]
async fn html_429_when_configured() {
    let h = start(limited(1, 0, true)).await;
    assert_eq!(h.get("/api/v4/account").await.status, StatusCode::OK);
    let refused = h.get("/api/v4/account").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.content_type, "text/html");
    assert!(refused.text.contains("429 Too Many Requests"));
}

#[tokio::test]
async fn repeated_violations_block_the_client_for_everything() {
    let h = start(limited(1, 3, false)).await;
    assert_eq!(h.get("/api/v4/leads").await.status, StatusCode::NO_CONTENT);
    for _ in 0..3 {
        assert_eq!(
            h.get("/api/v4/leads").await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let blocked = h.get("/api/v4/leads").await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN);
    assert!(blocked.text.contains("403 Forbidden"));
    let token = h
        .http
        .post(format!("{}/oauth2/access_token", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        token.status(),
        StatusCode::FORBIDDEN,
        "the block covers every route"
    );
    let stats = h.emulator.stats();
    assert_eq!((stats.rate_limited, stats.blocked), (3, 2));
    let control = h
        .http
        .get(format!("{}/sandbox/amocrm/stats", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        control.status(),
        StatusCode::OK,
        "control routes are never limited"
    );
    h.emulator.unblock_all();
    assert_eq!(h.get("/api/v4/leads").await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn account_switches_for_402_and_403() {
    let h = start(config()).await;
    h.emulator.set_payment_required(true);
    let unpaid = h.get("/api/v4/leads").await;
    assert_eq!(unpaid.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(unpaid.json()["detail"], "Payment required");
    h.emulator.set_payment_required(false);
    h.emulator.set_blocked(true);
    assert_eq!(h.get("/api/v4/leads").await.status, StatusCode::FORBIDDEN);
    h.emulator.set_blocked(false);
    assert_eq!(h.get("/api/v4/leads").await.status, StatusCode::NO_CONTENT);
}
