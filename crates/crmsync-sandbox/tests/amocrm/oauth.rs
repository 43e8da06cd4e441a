//! OAuth over the wire with the manual clock: code expiry, refresh rotation and grace, revocation.

use std::time::Duration;

use crmsync_sandbox::SandboxClock;
use crmsync_sandbox::amocrm::AmoCrmConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Harness, Reply, config, start};

fn oauth_config(clock: &SandboxClock) -> AmoCrmConfig {
    AmoCrmConfig {
        clock: clock.clone(),
        long_lived_token: None,
        ..config()
    }
}

async fn token_request(h: &Harness, grant: &str, key: &str, value: &str) -> Reply {
    let body = json!({
        "client_id": h.emulator.client_id(),
        "client_secret": "sandbox-client-secret",
        "grant_type": grant,
        key: value,
        "redirect_uri": h.emulator.redirect_uri(),
    });
    h.call_with_token(Method::POST, "/oauth2/access_token", Some(body), None)
        .await
}

async fn api_status(h: &Harness, token: &str) -> StatusCode {
    h.call_with_token(Method::GET, "/api/v4/account", None, Some(token))
        .await
        .status
}

fn tokens(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert!(body["server_time"].as_i64().is_some());
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

fn hint(reply: &Reply) -> Value {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    let body = reply.json();
    assert_eq!(
        body["type"],
        "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"
    );
    body["hint"].clone()
}

#[tokio::test]
async fn codes_expire_after_twenty_minutes_and_tokens_after_a_day() {
    let clock = SandboxClock::manual(1_800_000_000);
    let h = start(oauth_config(&clock)).await;
    let stale = h.emulator.issue_authorization_code();
    clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(
        hint(&token_request(&h, "authorization_code", "code", &stale).await),
        "Authorization code has expired"
    );
    let code = h.emulator.issue_authorization_code();
    clock.advance(Duration::from_secs(19 * 60));
    let (access, _) = tokens(&token_request(&h, "authorization_code", "code", &code).await);
    assert_eq!(
        hint(&token_request(&h, "authorization_code", "code", &code).await),
        "Authorization code has been revoked"
    );
    assert_eq!(api_status(&h, &access).await, StatusCode::OK);
    clock.advance(Duration::from_secs(24 * 3600 - 1));
    assert_eq!(api_status(&h, &access).await, StatusCode::OK);
    clock.advance(Duration::from_secs(1));
    assert_eq!(api_status(&h, &access).await, StatusCode::UNAUTHORIZED);
    let stats = h.emulator.stats();
    assert_eq!(stats.token_requests.get("authorization_code"), Some(&3));
}

#[tokio::test]
async fn refresh_tokens_rotate_with_a_grace_until_the_new_pair_is_used() {
    let clock = SandboxClock::manual(1_800_000_000);
    let h = start(oauth_config(&clock)).await;
    let code = h.emulator.issue_authorization_code();
    let (_, first_refresh) = tokens(&token_request(&h, "authorization_code", "code", &code).await);
    let (lost_access, lost_refresh) =
        tokens(&token_request(&h, "refresh_token", "refresh_token", &first_refresh).await);
    // The answer was lost: the old refresh token still works and replaces the lost pair.
    let (access, refresh) =
        tokens(&token_request(&h, "refresh_token", "refresh_token", &first_refresh).await);
    assert_eq!(api_status(&h, &lost_access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        hint(&token_request(&h, "refresh_token", "refresh_token", &lost_refresh).await),
        "Token has been revoked"
    );
    // Using the new pair outdates the old refresh token.
    assert_eq!(api_status(&h, &access).await, StatusCode::OK);
    assert_eq!(
        hint(&token_request(&h, "refresh_token", "refresh_token", &first_refresh).await),
        "Token has been revoked"
    );
    let (next_access, _) =
        tokens(&token_request(&h, "refresh_token", "refresh_token", &refresh).await);
    assert_eq!(api_status(&h, &next_access).await, StatusCode::OK);
    assert_eq!(
        hint(&token_request(&h, "refresh_token", "refresh_token", &refresh).await),
        "Token has been revoked"
    );
    assert_eq!(
        h.emulator.stats().token_requests.get("refresh_token"),
        Some(&6)
    );
}

#[tokio::test]
async fn revocation_bad_clients_and_form_bodies() {
    let clock = SandboxClock::manual(1_800_000_000);
    let h = start(AmoCrmConfig {
        long_lived_token: Some("llt".to_owned()),
        ..oauth_config(&clock)
    })
    .await;
    clock.advance(Duration::from_secs(5 * 365 * 24 * 3600));
    assert_eq!(
        api_status(&h, "llt").await,
        StatusCode::OK,
        "long-lived tokens do not expire"
    );
    let wrong = h
        .call_with_token(
            Method::POST,
            "/oauth2/access_token",
            Some(json!({"client_id": h.emulator.client_id(), "client_secret": "nope", "grant_type": "authorization_code", "code": "x"})),
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["title"], "Некорректный клиент");
    let code = h.emulator.issue_authorization_code();
    let form = h
        .http
        .post(format!("{}/oauth2/access_token", h.base))
        .form(&[
            ("client_id", h.emulator.client_id()),
            ("client_secret", "sandbox-client-secret"),
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", h.emulator.redirect_uri()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let body: Value = form.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(api_status(&h, &access).await, StatusCode::OK);
    h.emulator.revoke_all_tokens();
    assert_eq!(api_status(&h, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&h, "llt").await, StatusCode::UNAUTHORIZED);
    let refresh = body["refresh_token"].as_str().unwrap();
    assert_eq!(
        hint(&token_request(&h, "refresh_token", "refresh_token", refresh).await),
        "Token has been revoked"
    );
    let unsupported = token_request(&h, "password", "username", "x").await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
}
