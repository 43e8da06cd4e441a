//! The webhook endpoint against every bad input the issue names, a redelivery, health and metrics; the inbox is
//! in memory, requests go through the router.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use amonition::form;
use amonition::server::{ServerState, router};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use crmsync_ports::WebhookInbox;
use crmsync_store::memory::MemoryWebhookInbox;
use secrecy::SecretString;
use tokio::sync::Notify;
use tower::ServiceExt;

const SECRET: &str = "a-long-webhook-secret-0001";
const ACCOUNT: i64 = 31_000_001;

fn state(inbox: &MemoryWebhookInbox) -> ServerState {
    ServerState {
        inbox: Arc::new(inbox.clone()),
        secret: Arc::new(SecretString::from(SECRET)),
        account_id: ACCOUNT,
        metrics_token: Arc::new(SecretString::from("")),
        stored: Arc::new(Notify::new()),
    }
}

fn lead_status(account: i64, lead: i64) -> String {
    form(&[
        ("leads[status][0][id]", lead.to_string()),
        ("leads[status][0][status_id]", "8000015".into()),
        ("leads[status][0][pipeline_id]", "8000001".into()),
        ("account[id]", account.to_string()),
        ("account[subdomain]", "sandbox".into()),
    ])
}

async fn post(
    inbox: &MemoryWebhookInbox,
    secret: &str,
    content_type: &str,
    body: impl Into<Body>,
) -> (StatusCode, String) {
    let request = Request::post(format!("/webhooks/amocrm/{secret}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap();
    let response = router(state(inbox)).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

const FORM: &str = "application/x-www-form-urlencoded";

async fn stored(inbox: &MemoryWebhookInbox) -> u64 {
    let counts = inbox.counts().await.unwrap();
    counts.depth() + counts.done + counts.dead
}

#[tokio::test]
async fn an_accepted_delivery_is_stored_once_however_often_it_is_redelivered() {
    let inbox = MemoryWebhookInbox::new();
    let body = lead_status(ACCOUNT, 42);
    assert_eq!(
        post(&inbox, SECRET, FORM, body.clone()).await.0,
        StatusCode::OK
    );
    assert_eq!(post(&inbox, SECRET, FORM, body).await.0, StatusCode::OK);
    assert_eq!(stored(&inbox).await, 1);
    let rows = inbox.list(None, 10).await.unwrap();
    assert_eq!(rows[0].kind, "lead.status");
    assert!(rows[0].dedupe_key.starts_with("lead.status:42:"));
    assert_eq!(
        post(&inbox, SECRET, FORM, lead_status(ACCOUNT, 43)).await.0,
        StatusCode::OK
    );
    assert_eq!(stored(&inbox).await, 2, "another event is another row");
}

#[tokio::test]
async fn each_bad_input_gets_its_status_and_nothing_is_stored() {
    let inbox = MemoryWebhookInbox::new();
    let good = lead_status(ACCOUNT, 42);
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "wrong secret",
            "not-the-secret",
            good.clone().into_bytes(),
            StatusCode::NOT_FOUND,
            "not found",
        ),
        (
            "oversize",
            SECRET,
            vec![b'a'; 1024 * 1024 + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "exceeds",
        ),
        (
            "invalid UTF-8",
            SECRET,
            b"leads%5Bstatus%5D%5B0%5D%5Bid%5D=\xff\xfe".to_vec(),
            StatusCode::BAD_REQUEST,
            "UTF-8",
        ),
        (
            "unknown entity",
            SECRET,
            form(&[("spaceships[add][0][id]", "1".into())]).into_bytes(),
            StatusCode::BAD_REQUEST,
            "unknown entity",
        ),
        (
            "not a PHP form structure",
            SECRET,
            b"just some words".to_vec(),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            "foreign account",
            SECRET,
            lead_status(999, 42).into_bytes(),
            StatusCode::FORBIDDEN,
            "account 999",
        ),
        (
            "no account",
            SECRET,
            form(&[("leads[status][0][id]", "1".into())]).into_bytes(),
            StatusCode::FORBIDDEN,
            "no account",
        ),
    ];
    for (what, secret, body, status, text) in cases {
        let (got, reply) = post(&inbox, secret, FORM, body).await;
        assert_eq!(got, status, "{what}: {reply}");
        assert!(reply.contains(text), "{what}: {reply}");
    }
    let (got, _) = post(&inbox, SECRET, "application/json", good).await;
    assert_eq!(got, StatusCode::UNSUPPORTED_MEDIA_TYPE, "not a form");
    assert_eq!(stored(&inbox).await, 0);
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let inbox = MemoryWebhookInbox::new();
    let _ = amonition::metrics::handle();
    post(&inbox, SECRET, FORM, lead_status(ACCOUNT, 7)).await;
    post(&inbox, "wrong", FORM, lead_status(ACCOUNT, 7)).await;
    let app = router(state(&inbox));
    let health = app
        .clone()
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let metrics = app
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = String::from_utf8(
        axum::body::to_bytes(metrics.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    for name in [
        "amonition_webhook_received_total",
        "amonition_webhook_rejected_total{reason=\"secret\"}",
        "amonition_inbox_stored_total",
        "amonition_inbox_depth 1",
        "amonition_webhook_ack_seconds_bucket",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
}
