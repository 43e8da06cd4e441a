//! Unit tests of the OAuth store: code and token lifetimes, rotation with grace, revocation.

use super::*;

const MIN: i64 = 60_000;

#[test]
fn codes_expire_after_twenty_minutes_and_are_single_use() {
    let mut store = OAuthStore::new(None, TokenIssuer::default());
    let code = store.issue_code(0);
    assert_eq!(
        store.exchange_code(&code, 20 * MIN),
        Err(OAuthFailure::CodeExpired)
    );
    let code = store.issue_code(0);
    let pair = store.exchange_code(&code, 20 * MIN - 1).unwrap();
    assert_eq!(pair.expires_in, 86_400);
    assert_eq!(
        store.exchange_code(&code, 20 * MIN - 1),
        Err(OAuthFailure::CodeUsed)
    );
    assert_eq!(
        store.exchange_code("nope", 0),
        Err(OAuthFailure::CodeUnknown)
    );
}

#[test]
fn access_tokens_live_24_hours() {
    let mut store = OAuthStore::new(None, TokenIssuer::default());
    let code = store.issue_code(0);
    let pair = store.exchange_code(&code, 0).unwrap();
    assert!(store.authenticate(&pair.access_token, 24 * 60 * MIN - 1));
    assert!(!store.authenticate(&pair.access_token, 24 * 60 * MIN));
    assert!(!store.authenticate("unknown", 0));
}

#[test]
fn old_refresh_token_works_until_the_new_pair_is_used() {
    let mut store = OAuthStore::new(None, TokenIssuer::default());
    let code = store.issue_code(0);
    let first = store.exchange_code(&code, 0).unwrap();
    let second = store.refresh(&first.refresh_token, MIN).unwrap();
    // The response was "lost": the old refresh token still works and supersedes the unused pair.
    let third = store.refresh(&first.refresh_token, 2 * MIN).unwrap();
    assert_eq!(
        store.refresh(&second.refresh_token, 3 * MIN),
        Err(OAuthFailure::Revoked)
    );
    assert!(!store.authenticate(&second.access_token, 3 * MIN));
    // Using the new access token retires the old refresh token.
    assert!(store.authenticate(&third.access_token, 3 * MIN));
    assert_eq!(
        store.refresh(&first.refresh_token, 4 * MIN),
        Err(OAuthFailure::Revoked)
    );
    // The newest refresh token rotates normally.
    let fourth = store.refresh(&third.refresh_token, 5 * MIN).unwrap();
    assert!(store.authenticate(&fourth.access_token, 5 * MIN));
    assert_eq!(
        store.refresh(&third.refresh_token, 6 * MIN),
        Err(OAuthFailure::Revoked)
    );
}

#[test]
fn refresh_tokens_expire_after_three_months_unused() {
    let mut store = OAuthStore::new(None, TokenIssuer::default());
    let code = store.issue_code(0);
    let pair = store.exchange_code(&code, 0).unwrap();
    let three_months = REFRESH_TTL_SECS * 1000;
    assert_eq!(
        store.refresh(&pair.refresh_token, three_months),
        Err(OAuthFailure::RefreshExpired)
    );
}

#[test]
fn revocation_and_long_lived_tokens() {
    let mut store = OAuthStore::new(Some("llt".to_owned()), TokenIssuer::default());
    assert!(store.authenticate("llt", i64::MAX / 2));
    let code = store.issue_code(0);
    let pair = store.exchange_code(&code, 0).unwrap();
    assert!(store.revoke(&pair.access_token));
    assert!(!store.authenticate(&pair.access_token, 0));
    assert_eq!(
        store.refresh(&pair.refresh_token, 0),
        Err(OAuthFailure::Revoked)
    );
    store.revoke_all();
    assert!(!store.authenticate("llt", 0));
    assert_eq!(OAuthFailure::Revoked.hint(), "Token has been revoked");
}

#[test]
fn access_tokens_are_jwts_with_amocrm_claims() {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};

    use crate::amocrm::jwt::{AccessClaims, SANDBOX_SIGNING_KEY};

    let issuer = TokenIssuer::new("client-1".to_owned(), 31_000_001, 7_000_001);
    let mut store = OAuthStore::new(None, issuer);
    let code = store.issue_code(1_700_000_000_000);
    let pair = store.exchange_code(&code, 1_700_000_000_000).unwrap();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["client-1"]);
    validation.validate_exp = false;
    let claims = decode::<AccessClaims>(
        &pair.access_token,
        &DecodingKey::from_secret(SANDBOX_SIGNING_KEY.as_bytes()).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims.iat, 1_700_000_000);
    assert_eq!(claims.nbf, 1_700_000_000);
    assert_eq!(claims.exp, 1_700_000_000 + 86_400);
    assert_eq!(claims.account_id, 31_000_001);
    assert_eq!(claims.sub, "7000001");
    assert_eq!(claims.base_domain, "amocrm.ru");
    assert!(claims.scopes.iter().any(|s| s == "crm"));
    let other = store
        .refresh(&pair.refresh_token, 1_700_000_001_000)
        .unwrap();
    assert_ne!(other.access_token, pair.access_token);
    assert!(store.authenticate(&other.access_token, 1_700_000_002_000));
}
