//! Unit tests of disposable-token verification and access-token claims.
#![allow(clippy::unwrap_used)]

use chrono::TimeZone;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::*;

const NOW: i64 = 1_767_225_600;

fn app() -> OAuthApp {
    OAuthApp {
        client_id: "5a1b7c4e-0000-4000-8000-000000000001".to_owned(),
        client_secret: "integration-secret".into(),
        redirect_uri: "https://widget.example.org/amocrm/oauth".to_owned(),
    }
}

fn claims() -> Value {
    json!({
        "iss": "https://example.amocrm.ru",
        "aud": "https://widget.example.org",
        "jti": "0f9b6b8e-4a7e-4f5d-9a51-3c5d3a0b9c11",
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "exp": NOW + 1_800,
        "account_id": 31_000_001,
        "user_id": 7_000_001,
        "client_uuid": "5a1b7c4e-0000-4000-8000-000000000001",
    })
}

fn sign(claims: &Value, secret: &str, alg: Algorithm) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(NOW, 0).unwrap()
}

fn with(key: &str, value: Value) -> Value {
    let mut c = claims();
    c[key] = value;
    c
}

#[test]
fn a_token_signed_with_the_secret_verifies() {
    let token = sign(&claims(), "integration-secret", Algorithm::HS256);
    let verified = verify_disposable_token(&token, &app(), now()).unwrap();
    assert_eq!(verified.user_id, 7_000_001);
    assert_eq!(verified.account_id, 31_000_001);
}

#[test]
fn every_claim_is_checked() {
    let app = app();
    let check = |claims: &Value| {
        verify_disposable_token(
            &sign(claims, "integration-secret", Algorithm::HS256),
            &app,
            now(),
        )
    };
    assert_eq!(
        verify_disposable_token(
            &sign(&claims(), "another-secret", Algorithm::HS256),
            &app,
            now()
        ),
        Err(JwtError::BadSignature)
    );
    assert_eq!(
        verify_disposable_token(
            &sign(&claims(), "integration-secret", Algorithm::HS512),
            &app,
            now()
        ),
        Err(JwtError::BadSignature)
    );
    assert_eq!(check(&with("exp", json!(NOW - 61))), Err(JwtError::Expired));
    assert_eq!(
        check(&with("nbf", json!(NOW + 120))),
        Err(JwtError::NotYetValid)
    );
    assert_eq!(
        check(&with("client_uuid", json!("another-integration"))),
        Err(JwtError::WrongIntegration)
    );
    assert_eq!(
        check(&with("iss", json!("https://example.amocrm.ru.evil.org"))),
        Err(JwtError::WrongIssuer)
    );
    assert_eq!(
        check(&with("aud", json!("https://evil.example.org"))),
        Err(JwtError::WrongAudience)
    );
    assert!(check(&with("iss", json!("https://example.kommo.com"))).is_ok());
    assert!(matches!(
        verify_disposable_token("not.a.jwt", &app, now()),
        Err(JwtError::Malformed(_))
    ));
}

#[test]
fn access_token_claims_are_read() {
    let token = sign(
        &json!({
            "aud": "client", "jti": "j", "iat": NOW, "nbf": NOW, "exp": NOW + 86_400, "sub": "7000001",
            "grant_type": "", "account_id": 31_000_001, "base_domain": "kommo.com", "version": 2,
            "scopes": ["crm", "notifications"], "api_domain": "api-c.kommo.com",
        }),
        "amocrm-private-key-stand-in",
        Algorithm::HS256,
    );
    let claims = AccessTokenClaims::read(&token).unwrap();
    assert_eq!(claims.account_id, 31_000_001);
    assert_eq!(claims.user_id(), Some(7_000_001));
    assert_eq!(claims.expires_at().unwrap().timestamp(), NOW + 86_400);
    assert_eq!(claims.base_domain.as_deref(), Some("kommo.com"));
    assert!(AccessTokenClaims::read("opaque-long-lived-token").is_err());
}
