//! The axum extractor for deliveries: secret in the last path segment, body parsed, refusals as 404/400/413.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use crmsync_amocrm::webhook::extract::{AmoWebhook, WebhookSecret};
use crmsync_amocrm::webhook::{EventAction, EventEntity};
use tower::ServiceExt;

#[derive(Clone)]
struct State {
    secret: WebhookSecret,
}

impl FromRef<State> for WebhookSecret {
    fn from_ref(state: &State) -> Self {
        state.secret.clone()
    }
}

async fn hook(AmoWebhook(events): AmoWebhook) -> String {
    events
        .iter()
        .map(|e| format!("{:?}/{:?}/{}", e.entity, e.action, e.id.unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(",")
}

fn app() -> Router {
    Router::new()
        .route("/amocrm/hook/{secret}", post(hook))
        .with_state(State {
            secret: WebhookSecret("s3cret".into()),
        })
}

async fn send(path: &str, body: &'static [u8]) -> (StatusCode, String) {
    let request = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let response = app().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

const STATUS_CHANGE: &[u8] = b"leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142\
&leads%5Bstatus%5D%5B0%5D%5Bpipeline_id%5D=3177727&account%5Bid%5D=12345678&account%5Bsubdomain%5D=example";

#[tokio::test]
async fn a_delivery_with_the_secret_is_parsed() {
    let (status, text) = send("/amocrm/hook/s3cret", STATUS_CHANGE).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        text,
        format!("{:?}/{:?}/25399013", EventEntity::Lead, EventAction::Status)
    );
}

#[tokio::test]
async fn a_wrong_secret_is_404_and_a_bad_body_is_400() {
    assert_eq!(
        send("/amocrm/hook/guess", STATUS_CHANGE).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, text) = send("/amocrm/hook/s3cret", b"leads%5Bstatus%5D%5Bid%5D=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("numeric index"), "{text}");
}
