//! Access tokens shaped like amoCRM's: JWTs with the claims real tokens carry (audience = integration id, issue,
//! not-before and expiry times, account id, base domain, API domain, scopes, user id), signed with HS256 by the
//! emulator's own key. Real amoCRM signs with its private RS256 key; clients only decode the claims.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// The key the emulator signs its access tokens with (HS256). Public on purpose: it is a sandbox.
pub const SANDBOX_SIGNING_KEY: &str = "crmsync-sandbox-amocrm-signing-key";

/// The claims of an emulated access token (the names amoCRM uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The integration id (`client_id`).
    pub aud: String,
    /// The token's id.
    pub jti: String,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Not valid before (unix seconds).
    pub nbf: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
    /// The user the token acts as, as a string.
    pub sub: String,
    /// How the pair was obtained (empty in real tokens).
    pub grant_type: String,
    /// The account id.
    pub account_id: i64,
    /// `amocrm.ru` or `kommo.com`.
    pub base_domain: String,
    /// The claims' version (2).
    pub version: u32,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// A per-user hash id.
    pub hash_uuid: String,
    /// The API host of the account's region.
    pub api_domain: String,
}

/// Who the emulator issues tokens for.
#[derive(Clone)]
pub(crate) struct TokenIssuer {
    pub(crate) client_id: String,
    pub(crate) account_id: i64,
    pub(crate) user_id: i64,
    key: Option<EncodingKey>,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl Default for TokenIssuer {
    fn default() -> Self {
        Self::new(String::new(), 0, 0)
    }
}

impl TokenIssuer {
    pub(crate) fn new(client_id: String, account_id: i64, user_id: i64) -> Self {
        Self {
            client_id,
            account_id,
            user_id,
            key: EncodingKey::from_secret(SANDBOX_SIGNING_KEY.as_bytes()).ok(),
        }
    }

    /// A signed access token valid from `now` for `ttl` seconds.
    pub(crate) fn access_token(&self, now: i64, ttl: i64) -> String {
        let claims = AccessClaims {
            aud: self.client_id.clone(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(ttl),
            sub: self.user_id.to_string(),
            grant_type: String::new(),
            account_id: self.account_id,
            base_domain: "amocrm.ru".to_owned(),
            version: 2,
            scopes: vec![
                "crm".to_owned(),
                "files".to_owned(),
                "files_delete".to_owned(),
                "notifications".to_owned(),
                "push_notifications".to_owned(),
            ],
            hash_uuid: uuid::Uuid::new_v4().to_string(),
            api_domain: "api-b.amocrm.ru".to_owned(),
        };
        // Signing an HMAC over serialisable claims does not fail; a random opaque token stands in if it ever did.
        self.key
            .as_ref()
            .and_then(|key| jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, key).ok())
            .unwrap_or_else(|| format!("sbx.at.{}", uuid::Uuid::new_v4().simple()))
    }
}
