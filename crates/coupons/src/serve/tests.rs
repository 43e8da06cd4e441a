//! Tests of the HTTP step API on in-memory storage: the module's flow, the bearer token, field errors.

use axum::body::Body;
use axum::http::{Request, header};
use crmsync_store::CouponStores;
use tower::ServiceExt;

use super::*;
use crate::rights::{NamedToken, Role};
use crmsync_domain::ProcessId;
use secrecy::SecretString;

pub(super) const TOKEN: &str = "test-token-0123456789";
pub(super) const OPERATOR: &str = "operator-token-0123456789";
pub(super) const VIEWER: &str = "viewer-token-0123456789";

pub(super) fn app(stores: &CouponStores) -> Router {
    let generator = CouponGenerator::new(stores.processes.clone(), stores.coupons.clone());
    let named = |name: &str, token: &str, role| NamedToken {
        name: name.to_owned(),
        token: SecretString::from(token),
        role,
    };
    let tokens = Tokens::new(vec![
        named("root", TOKEN, Role::Admin),
        named("shop", OPERATOR, Role::Operator),
        named("витрина", VIEWER, Role::Viewer),
    ]);
    router(generator, StepBudget::MODULE, tokens, stores.audit.clone())
}

pub(super) async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

#[tokio::test]
async fn every_route_needs_the_bearer_token() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    for (method, uri) in [
        ("POST", "/preview"),
        ("POST", "/processes"),
        ("GET", "/processes/1"),
        ("POST", "/processes/1/step"),
        ("POST", "/processes/1/finish"),
    ] {
        let (status, _) = call(&app, method, uri, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        let (status, _) = call(&app, method, uri, None, Some("wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
}

#[tokio::test]
async fn the_module_flow_start_step_finish() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let (status, started) = call(
        &app,
        "POST",
        "/processes",
        Some(json!({"template": "WEB-$$##", "count": 2300, "discount_id": 4, "type": 2})),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(started["next_action"], "step");
    assert_eq!(started["progress"], "0 of 2300 generated (0%)");
    let id = started["id"].as_i64().unwrap();
    let (status, early) = call(
        &app,
        "POST",
        &format!("/processes/{id}/finish"),
        None,
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(early["error"], "in_progress");
    let mut last = Value::Null;
    for expected in [1000, 2000, 2300] {
        let (status, report) = call(
            &app,
            "POST",
            &format!("/processes/{id}/step"),
            None,
            Some(TOKEN),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["processed"], expected);
        last = report;
    }
    assert_eq!(last["next_action"], "finish");
    let (status, small) = call(
        &app,
        "POST",
        &format!("/processes/{id}/step"),
        Some(json!({"max_codes": 5})),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a complete run's step does nothing");
    assert_eq!(small["processed"], 2300);
    let (status, done) = call(
        &app,
        "POST",
        &format!("/processes/{id}/finish"),
        None,
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["status"], "completed");
    let (status, shown) = call(&app, "GET", &format!("/processes/{id}"), None, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["status"], "completed");
    assert!(shown.get("key").is_none() && !shown.to_string().contains("next_index"));
    let (status, refused) = call(
        &app,
        "POST",
        &format!("/processes/{id}/step"),
        None,
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["error"], "not_running");
    assert_eq!(
        stores
            .coupons
            .count_by_process(ProcessId(id))
            .await
            .unwrap(),
        2300
    );
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let cases = [
        (
            json!({"template": "#", "count": 1, "discount_id": 1, "type": "one_order", "colour": 1}),
            "colour",
        ),
        (json!({"template": 5}), "template"),
        (json!({"template": "#", "count": -1}), "count"),
        (
            json!({"template": "#", "count": 1, "discount_id": 1, "type": "one_order", "active": "yes"}),
            "active",
        ),
        (
            json!({"template": "#", "placeholders": "*=digits"}),
            "placeholders",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) =
            call(&app, "POST", "/processes", Some(body.clone()), Some(TOKEN)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["errors"][0]["field"], field, "{answer}");
    }
    let (status, answer) = call(
        &app,
        "POST",
        "/processes",
        Some(json!({"template": "##", "count": 101, "type": "multi_order"})),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"], "invalid_settings");
    let fields: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["count", "discount_id", "max_uses"]);
    assert!(answer["message"].as_str().unwrap().contains("at most 100"));

    let (status, answer) = call(&app, "GET", "/processes/abc", None, Some(TOKEN)).await;
    assert_eq!(
        (status, answer["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("id"))
    );
    let (status, answer) = call(&app, "GET", "/processes/4242", None, Some(TOKEN)).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = call(
        &app,
        "POST",
        "/processes/1/step",
        Some(json!({"max_seconds": 0})),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn preview_draws_codes_of_the_template() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let (status, shown) = call(
        &app,
        "POST",
        "/preview",
        Some(json!({"template": "Ё-@@", "count": 7, "case": "lower"})),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let codes = shown["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 7);
    assert!(codes.iter().all(|c| {
        let c = c.as_str().unwrap();
        c.starts_with("Ё-") && c.chars().skip(2).all(char::is_lowercase)
    }));
    assert_eq!(shown["capacity"], "1089");
    let (status, answer) = call(
        &app,
        "POST",
        "/preview",
        Some(json!({"template": "A\\"})),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["message"].as_str().unwrap().contains("position 2"),
        "{answer}"
    );
    let (status, answer) = call(
        &app,
        "POST",
        "/preview",
        Some(json!({"template": "#"})),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["codes"].as_array().unwrap().len(), 20);
}

async fn call_in(
    app: &Router,
    uri: &str,
    body: &str,
    accept_language: &str,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::ACCEPT_LANGUAGE, accept_language)
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn errors_and_progress_follow_accept_language_or_the_lang_parameter() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let (status, answer) = call_in(&app, "/processes", "{not json", "ru-RU,ru;q=0.9").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("body: не JSON"),
        "{answer}"
    );
    let (_, answer) = call_in(
        &app,
        "/processes",
        r#"{"template": "КОД-##", "count": 500, "discount_id": 1, "type": "one_order"}"#,
        "ru",
    )
    .await;
    assert_eq!(
        answer["errors"][0]["reason"], "шаблон даёт не больше 100 разных кодов; запрошено 500",
        "{answer}"
    );
    let (_, answer) = call_in(
        &app,
        "/processes?lang=en",
        r#"{"template": "КОД-##", "count": 500, "discount_id": 1, "type": "one_order"}"#,
        "ru",
    )
    .await;
    assert_eq!(
        answer["errors"][0]["reason"],
        "the template yields at most 100 distinct codes; 500 requested"
    );
    let (status, started) = call_in(
        &app,
        "/processes",
        r#"{"template": "КОД-###", "count": 10, "discount_id": 1, "type": "one_order"}"#,
        "ru",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(started["progress"], "сгенерировано 0 из 10 (0%)");
    assert_eq!(started["status_text"], "выполняется");
    assert_eq!(started["template"], "КОД-###");
}

async fn get_page(app: &Router, uri: &str, accept_language: &str) -> (StatusCode, String, String) {
    let request = Request::builder()
        .uri(uri)
        .header(header::ACCEPT_LANGUAGE, accept_language)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn the_page_and_its_assets_need_no_token_and_follow_the_language() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let (status, kind, page) = get_page(&app, "/", "ru-RU,ru;q=0.9,en;q=0.5").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        page.contains(r#"<label for="template">Шаблон</label>"#),
        "{page}"
    );
    let (_, _, page) = get_page(&app, "/?lang=en", "ru").await;
    assert!(page.contains(r#"<label for="template">Template</label>"#));
    let (status, kind, script) = get_page(&app, "/app.js", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/javascript") && script.contains("/processes"));
    let (status, kind, _) = get_page(&app, "/app.css", "en").await;
    assert_eq!(
        (status, kind.starts_with("text/css")),
        (StatusCode::OK, true)
    );
    let (status, _) = call(&app, "POST", "/capacity", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn capacity_answers_the_template_count_and_warnings() {
    let stores = CouponStores::memory();
    let app = app(&stores);
    let ask = |body: Value| call(&app, "POST", "/capacity", Some(body), Some(VIEWER));
    let (status, answer) = ask(json!({"template": "SALE-###", "count": 100})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["capacity"], "1000");
    assert_eq!(answer["capacity_text"], "Capacity: 1000 distinct codes");
    assert_eq!(answer["warnings"], json!([]));
    assert_eq!(answer["errors"], json!([]));
    let (_, answer) = ask(json!({"template": "SALE-###", "count": 500})).await;
    let warning = answer["warnings"][0].as_str().unwrap_or_default();
    assert!(warning.contains("50.0% of the 1000"), "{answer}");
    let (_, answer) = ask(json!({"template": "SALE-###", "count": 1001})).await;
    assert_eq!(answer["errors"][0]["field"], "count", "{answer}");
    assert_eq!(answer["warnings"], json!([]));
    let (status, answer) = ask(json!({"template": "A\\x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["errors"][0]["field"], "template", "{answer}");
    let (status, answer) = ask(json!({"template": "#", "discount_id": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["errors"][0]["field"], "discount_id", "{answer}");
}
