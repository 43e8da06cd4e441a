//! amoCRM's JWTs: the claims of an OAuth access token (read, not verified: amoCRM signs them with a key it does not
//! publish), and the one-time ("disposable") tokens a widget sends in `X-Auth-Token`, verified with HS256 and the
//! integration's secret key, their times, integration, issuer and audience checked.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::auth::OAuthApp;
use crate::platform;

/// How far a disposable token's times may be off the verifier's clock.
pub const CLOCK_LEEWAY_SECS: i64 = 60;

/// Why a JWT was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not a JWT, or its claims miss a required field.
    #[error("not an amoCRM token: {0}")]
    Malformed(String),
    /// The signature does not match the integration's secret key (or the algorithm is not HS256).
    #[error("the token's signature does not match the integration's secret key")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token expired")]
    Expired,
    /// `nbf` is still ahead.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `client_uuid` names another integration.
    #[error("the token was issued to another integration")]
    WrongIntegration,
    /// `iss` is not an amoCRM or Kommo account address.
    #[error("the token's issuer is not an amoCRM or Kommo account")]
    WrongIssuer,
    /// `aud` is not the base address of the integration's redirect URI.
    #[error("the token's audience is not this integration's address")]
    WrongAudience,
}

/// The claims of an amoCRM OAuth access token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccessTokenClaims {
    /// The integration id.
    pub aud: String,
    /// The token's id.
    #[serde(default)]
    pub jti: String,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Not valid before (unix seconds).
    #[serde(default)]
    pub nbf: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
    /// The user the token acts as.
    #[serde(default)]
    pub sub: String,
    /// The account id.
    pub account_id: i64,
    /// `amocrm.ru`, `amocrm.com` or `kommo.com`.
    #[serde(default)]
    pub base_domain: Option<String>,
    /// The API host of the account's region.
    #[serde(default)]
    pub api_domain: Option<String>,
    /// Granted scopes (`crm`, `notifications`...).
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl AccessTokenClaims {
    /// Reads the claims of an access token without verifying it (amoCRM's signing key is not public).
    pub fn read(token: &str) -> Result<Self, JwtError> {
        jsonwebtoken::dangerous::insecure_decode_claims::<Self>(token)
            .map_err(|e| JwtError::Malformed(e.to_string()))
    }

    /// When the token expires.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.exp, 0)
    }

    /// The user id from `sub`.
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
}

/// The claims of a verified one-time token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DisposableTokenClaims {
    /// The account's address (`https://example.amocrm.ru`).
    pub iss: String,
    /// The base address of the integration's redirect URI.
    pub aud: String,
    /// The token's id (UUID); reject a `jti` seen before to make the token single-use.
    pub jti: String,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Not valid before (unix seconds).
    pub nbf: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
    /// The account id.
    pub account_id: i64,
    /// The user who made the request.
    pub user_id: i64,
    /// The integration id.
    pub client_uuid: String,
}

/// Verifies a one-time token from a widget request (`X-Auth-Token`) at time `now`.
///
/// Checks: HS256 signature with `app.client_secret`; `client_uuid` is `app.client_id`; `iss` is an
/// `https://SUBDOMAIN.amocrm.ru` / `.amocrm.com` / `.kommo.com` address; `aud` is the scheme and host of
/// `app.redirect_uri`; `nbf` and `exp` enclose `now` within [`CLOCK_LEEWAY_SECS`].
pub fn verify_disposable_token(
    token: &str,
    app: &OAuthApp,
    now: DateTime<Utc>,
) -> Result<DisposableTokenClaims, JwtError> {
    let key = DecodingKey::from_secret(app.client_secret.expose_secret().as_bytes())
        .map_err(|e| JwtError::Malformed(e.to_string()))?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<DisposableTokenClaims>(token, &key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature
            | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => JwtError::BadSignature,
            _ => JwtError::Malformed(e.to_string()),
        })?
        .claims;
    let now = now.timestamp();
    if claims.exp <= now - CLOCK_LEEWAY_SECS {
        return Err(JwtError::Expired);
    }
    if claims.nbf > now + CLOCK_LEEWAY_SECS {
        return Err(JwtError::NotYetValid);
    }
    if claims.client_uuid != app.client_id {
        return Err(JwtError::WrongIntegration);
    }
    if !platform::is_account_address(&claims.iss) {
        return Err(JwtError::WrongIssuer);
    }
    if platform::origin(&claims.aud) != platform::origin(&app.redirect_uri) {
        return Err(JwtError::WrongAudience);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests;
