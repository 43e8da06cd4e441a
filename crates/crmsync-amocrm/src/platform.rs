//! The platform around the API: the account hosts of amoCRM and Kommo, and the signature of the hook amoCRM calls
//! when an integration is disconnected.

use hmac::{KeyInit, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::auth::OAuthApp;

/// The domains accounts live under: `SUBDOMAIN.amocrm.ru`, `SUBDOMAIN.amocrm.com`, `SUBDOMAIN.kommo.com`.
pub const ACCOUNT_DOMAINS: [&str; 3] = ["amocrm.ru", "amocrm.com", "kommo.com"];

/// Whether `host` is an account host (`example.amocrm.ru`, `example.kommo.com`...), not a common domain such as
/// `www.amocrm.ru`.
pub fn is_account_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ACCOUNT_DOMAINS.iter().any(|domain| {
        host.strip_suffix(domain)
            .and_then(|rest| rest.strip_suffix('.'))
            .is_some_and(|sub| is_subdomain_label(sub) && sub != "www")
    })
}

fn is_subdomain_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `address` is `https://` + an account host (with an optional trailing slash), as in a token's `iss`.
pub fn is_account_address(address: &str) -> bool {
    address
        .strip_prefix("https://")
        .map(|rest| rest.trim_end_matches('/'))
        .is_some_and(is_account_host)
}

/// The account URL for a `referer` amoCRM sends with an authorization code (`example.amocrm.ru`), if it is an
/// account host.
pub fn account_url(referer: &str) -> Option<String> {
    let host = referer
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    is_account_host(host).then(|| format!("https://{}", host.to_ascii_lowercase()))
}

/// `scheme://host[:port]` of a URL, lower-cased, without path or trailing slash.
pub(crate) fn origin(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// Why a disconnect-hook call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisconnectError {
    /// A query parameter is missing.
    #[error("the disconnect hook misses `{0}`")]
    Missing(&'static str),
    /// `client_uuid` names another integration.
    #[error("the disconnect hook names another integration")]
    WrongIntegration,
    /// The signature does not match.
    #[error("the disconnect hook's signature does not match")]
    BadSignature,
}

/// A verified "integration disconnected" call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disconnected {
    /// The account that disconnected the integration.
    pub account_id: String,
}

/// Verifies amoCRM's disconnect hook (`GET hook?client_uuid=..&account_id=..&signature=..`): `client_uuid` is the
/// integration id and `signature` is hex HMAC-SHA256 of `"{client_id}|{account_id}"` keyed with the secret.
/// `query` is the raw query string.
pub fn verify_disconnect(query: &str, app: &OAuthApp) -> Result<Disconnected, DisconnectError> {
    let mut client_uuid = None;
    let mut account_id = None;
    let mut signature = None;
    for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        match key.as_ref() {
            "client_uuid" => client_uuid = Some(value.into_owned()),
            "account_id" => account_id = Some(value.into_owned()),
            "signature" => signature = Some(value.into_owned()),
            _ => {}
        }
    }
    let client_uuid = client_uuid.ok_or(DisconnectError::Missing("client_uuid"))?;
    let account_id = account_id.ok_or(DisconnectError::Missing("account_id"))?;
    let signature = signature.ok_or(DisconnectError::Missing("signature"))?;
    if client_uuid != app.client_id {
        return Err(DisconnectError::WrongIntegration);
    }
    let expected = disconnect_signature(app, &account_id);
    if !expected.is_empty()
        && expected
            .as_bytes()
            .ct_eq(signature.to_ascii_lowercase().as_bytes())
            .into()
    {
        Ok(Disconnected { account_id })
    } else {
        Err(DisconnectError::BadSignature)
    }
}

/// The signature amoCRM puts on the disconnect hook for `account_id`.
pub fn disconnect_signature(app: &OAuthApp, account_id: &str) -> String {
    // HMAC takes keys of any length; the empty string (never a valid signature) covers the impossible refusal.
    let Ok(mut mac) = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(
        app.client_secret.expose_secret().as_bytes(),
    ) else {
        return String::new();
    };
    mac.update(format!("{}|{account_id}", app.client_id).as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
