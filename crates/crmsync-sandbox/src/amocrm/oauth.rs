//! OAuth 2.0 as amoCRM does it: 20-minute authorization codes, 24-hour access tokens, rotating single-use
//! refresh tokens (3 months) whose predecessor stays usable until the new pair is first used, revocation, and a
//! long-lived token. All times come from the emulator's clock (unix milliseconds).

use std::collections::HashMap;

use super::jwt::TokenIssuer;

/// Authorization code lifetime.
pub const CODE_TTL_SECS: i64 = 20 * 60;
/// Access token lifetime.
pub const ACCESS_TTL_SECS: i64 = 24 * 60 * 60;
/// Refresh token lifetime when unused.
pub const REFRESH_TTL_SECS: i64 = 90 * 24 * 60 * 60;

/// Why a token request or a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OAuthFailure {
    CodeUnknown,
    CodeExpired,
    CodeUsed,
    RefreshUnknown,
    RefreshExpired,
    Revoked,
}

impl OAuthFailure {
    /// The `hint` of amoCRM's OAuthProblemJson body.
    pub(crate) fn hint(self) -> &'static str {
        match self {
            OAuthFailure::CodeUnknown => "Cannot decrypt the authorization code",
            OAuthFailure::CodeExpired => "Authorization code has expired",
            OAuthFailure::CodeUsed => "Authorization code has been revoked",
            OAuthFailure::RefreshUnknown => "Cannot decrypt the refresh token",
            OAuthFailure::RefreshExpired => "Token has expired",
            OAuthFailure::Revoked => "Token has been revoked",
        }
    }
}

/// A freshly issued pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenPair {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_in: i64,
}

#[derive(Debug)]
struct Code {
    issued_ms: i64,
    used: bool,
}

#[derive(Debug)]
struct Access {
    expires_ms: i64,
    revoked: bool,
    refresh: String,
}

#[derive(Debug)]
struct Refresh {
    issued_ms: i64,
    revoked: bool,
    /// The refresh token this one replaced, still usable until this pair is first used.
    predecessor: Option<String>,
    /// The pair issued from this token (while it is in its grace period).
    successor: Option<String>,
}

/// Every code and token of the account.
#[derive(Debug, Default)]
pub(crate) struct OAuthStore {
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    long_lived: Option<String>,
    long_lived_revoked: bool,
    issuer: TokenIssuer,
}

fn random_token(prefix: &str, blocks: usize) -> String {
    let mut token = prefix.to_owned();
    for _ in 0..blocks {
        token.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    token
}

impl OAuthStore {
    pub(crate) fn new(long_lived: Option<String>, issuer: TokenIssuer) -> Self {
        Self {
            long_lived: long_lived.filter(|t| !t.is_empty()),
            issuer,
            ..Self::default()
        }
    }

    pub(crate) fn issue_code(&mut self, now_ms: i64) -> String {
        let code = random_token("def50200", 3);
        self.codes.insert(
            code.clone(),
            Code {
                issued_ms: now_ms,
                used: false,
            },
        );
        code
    }

    fn issue_pair(&mut self, now_ms: i64, predecessor: Option<String>) -> TokenPair {
        let access_token = self
            .issuer
            .access_token(now_ms.div_euclid(1000), ACCESS_TTL_SECS);
        let refresh_token = random_token("def50200", 4);
        self.access.insert(
            access_token.clone(),
            Access {
                expires_ms: now_ms.saturating_add(ACCESS_TTL_SECS * 1000),
                revoked: false,
                refresh: refresh_token.clone(),
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            Refresh {
                issued_ms: now_ms,
                revoked: false,
                predecessor,
                successor: None,
            },
        );
        TokenPair {
            access_token,
            refresh_token,
            expires_in: ACCESS_TTL_SECS,
        }
    }

    pub(crate) fn exchange_code(
        &mut self,
        code: &str,
        now_ms: i64,
    ) -> Result<TokenPair, OAuthFailure> {
        let entry = self.codes.get_mut(code).ok_or(OAuthFailure::CodeUnknown)?;
        if entry.used {
            return Err(OAuthFailure::CodeUsed);
        }
        if now_ms >= entry.issued_ms.saturating_add(CODE_TTL_SECS * 1000) {
            return Err(OAuthFailure::CodeExpired);
        }
        entry.used = true;
        Ok(self.issue_pair(now_ms, None))
    }

    pub(crate) fn refresh(&mut self, token: &str, now_ms: i64) -> Result<TokenPair, OAuthFailure> {
        let entry = self
            .refresh
            .get(token)
            .ok_or(OAuthFailure::RefreshUnknown)?;
        if entry.revoked {
            return Err(OAuthFailure::Revoked);
        }
        if now_ms >= entry.issued_ms.saturating_add(REFRESH_TTL_SECS * 1000) {
            return Err(OAuthFailure::RefreshExpired);
        }
        // Using this token is the first use of its own pair: its predecessor is outdated now.
        self.retire_predecessor(token);
        // A pair issued earlier from this same token was never used (its response was lost): supersede it.
        if let Some(previous) = self.refresh.get_mut(token).and_then(|e| e.successor.take()) {
            self.revoke_pair(&previous);
        }
        let pair = self.issue_pair(now_ms, Some(token.to_owned()));
        if let Some(entry) = self.refresh.get_mut(token) {
            entry.successor = Some(pair.refresh_token.clone());
        }
        Ok(pair)
    }

    fn retire_predecessor(&mut self, refresh_token: &str) {
        let predecessor = self
            .refresh
            .get_mut(refresh_token)
            .and_then(|e| e.predecessor.take());
        if let Some(old) = predecessor
            && let Some(entry) = self.refresh.get_mut(&old)
        {
            entry.revoked = true;
            entry.successor = None;
        }
    }

    fn revoke_pair(&mut self, refresh_token: &str) {
        if let Some(entry) = self.refresh.get_mut(refresh_token) {
            entry.revoked = true;
        }
        for access in self.access.values_mut() {
            if access.refresh == refresh_token {
                access.revoked = true;
            }
        }
    }

    /// Checks a bearer token; a valid access token is the first use of its pair.
    pub(crate) fn authenticate(&mut self, token: &str, now_ms: i64) -> bool {
        if self.long_lived.as_deref() == Some(token) {
            return !self.long_lived_revoked;
        }
        let Some(access) = self.access.get(token) else {
            return false;
        };
        if access.revoked || now_ms >= access.expires_ms {
            return false;
        }
        let refresh = access.refresh.clone();
        self.retire_predecessor(&refresh);
        true
    }

    /// Revokes every code and token, as deactivating the integration does.
    pub(crate) fn revoke_all(&mut self) {
        for access in self.access.values_mut() {
            access.revoked = true;
        }
        for refresh in self.refresh.values_mut() {
            refresh.revoked = true;
        }
        for code in self.codes.values_mut() {
            code.used = true;
        }
        self.long_lived_revoked = true;
    }

    /// Revokes one access or refresh token (and its pair).
    pub(crate) fn revoke(&mut self, token: &str) -> bool {
        if self.long_lived.as_deref() == Some(token) {
            self.long_lived_revoked = true;
            return true;
        }
        if self.refresh.contains_key(token) {
            self.revoke_pair(token);
            return true;
        }
        if let Some(refresh) = self.access.get(token).map(|a| a.refresh.clone()) {
            self.revoke_pair(&refresh);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests;
