//! Roles and the audit over HTTP: each role's routes, 403 naming the missing role, and every state-changing call
//! in the audit with its caller and outcome.

use serde_json::json;

use super::tests::{OPERATOR, TOKEN, VIEWER, app, call};
use super::*;
use crmsync_domain::ProcessId;
use crmsync_store::CouponStores;

fn start_body() -> Value {
    json!({"template": "R-####", "count": 30, "discount_id": 2, "type": "one_order"})
}

#[tokio::test]
async fn each_role_reaches_only_its_routes_and_403_names_the_missing_role() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let (status, answer) = call(&app, "POST", "/processes", Some(start_body()), Some(VIEWER)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"], "forbidden");
    assert_eq!(
        answer["message"],
        "this needs the operator role; token `витрина` has the viewer role"
    );
    let (status, started) = call(
        &app,
        "POST",
        "/processes",
        Some(start_body()),
        Some(OPERATOR),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let id = started["id"].as_i64().unwrap();
    for (method, uri) in [
        ("GET", format!("/processes/{id}")),
        ("GET", "/processes".to_owned()),
        ("GET", format!("/processes/{id}/export")),
        ("POST", "/preview".to_owned()),
    ] {
        let body = (method == "POST").then(|| json!({"template": "A##"}));
        let (status, answer) = call(&app, method, &uri, body, Some(VIEWER)).await;
        assert_eq!(status, StatusCode::OK, "viewer {method} {uri}: {answer}");
    }
    let (status, _) = call(
        &app,
        "POST",
        &format!("/processes/{id}/step"),
        None,
        Some(VIEWER),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, report) = call(
        &app,
        "POST",
        &format!("/processes/{id}/step"),
        None,
        Some(OPERATOR),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["processed"], 30);
    let (status, answer) = call(
        &app,
        "POST",
        &format!("/processes/{id}/abort"),
        None,
        Some(OPERATOR),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer["message"],
        "this needs the admin role; token `shop` has the operator role"
    );
    let (status, answer) = call(
        &app,
        "DELETE",
        &format!("/processes/{id}/coupons"),
        None,
        Some(OPERATOR),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, _) = call(&app, "GET", "/audit", None, Some(OPERATOR)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, aborted) = call(
        &app,
        "POST",
        &format!("/processes/{id}/abort"),
        None,
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{aborted}");
    assert_eq!(aborted["status"], "aborted");
    let (status, deleted) = call(
        &app,
        "DELETE",
        &format!("/processes/{id}/coupons"),
        None,
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["deleted"], 30);
    assert_eq!(
        stores
            .coupons
            .count_by_process(ProcessId(id))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn every_state_changing_call_is_audited_with_caller_and_outcome() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let (_, started) = call(
        &app,
        "POST",
        "/processes",
        Some(start_body()),
        Some(OPERATOR),
    )
    .await;
    let id = started["id"].as_i64().unwrap();
    call(
        &app,
        "POST",
        &format!("/processes/{id}/finish"),
        None,
        Some(OPERATOR),
    )
    .await;
    call(
        &app,
        "POST",
        &format!("/processes/{id}/abort"),
        None,
        Some(VIEWER),
    )
    .await;
    call(&app, "GET", &format!("/processes/{id}"), None, Some(VIEWER)).await;
    call(
        &app,
        "POST",
        "/processes",
        Some(json!({"template": ""})),
        Some(OPERATOR),
    )
    .await;
    let (status, audit) = call(&app, "GET", &format!("/audit?run={id}"), None, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let rows: Vec<(String, String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("token:витрина", "abort", "denied"),
        ("token:shop", "finish", "failed"),
        ("token:shop", "start", "ok"),
    ];
    assert_eq!(
        rows,
        expected.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
    assert!(
        audit[1]["detail"]
            .as_str()
            .unwrap()
            .contains("still in progress"),
        "{audit}"
    );
    assert_eq!(audit[0]["detail"], "needs the admin role");
    let (_, everything) = call(&app, "GET", "/audit", None, Some(TOKEN)).await;
    let first = &everything.as_array().unwrap()[0];
    assert_eq!(first["action"], "start");
    assert_eq!(first["outcome"], "failed");
    assert!(first["process"].is_null());
}

#[tokio::test]
async fn unknown_tokens_get_401_in_the_readers_language() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let request = axum::http::Request::builder()
        .uri("/processes")
        .header(header::ACCEPT_LANGUAGE, "ru")
        .header(header::AUTHORIZATION, "Bearer nope")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["message"], "нет токена доступа или он неизвестен");
}
