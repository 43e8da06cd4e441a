//! OpenIDs: the identifier a user has on a messaging platform (WeCom, DingTalk, WeChat, ...).

use serde::{Deserialize, Serialize};

use super::{OrgRecordError, check_identifier};

/// One binding of a user to an OpenID on a platform; unique per `(platform, openid)` once stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserOpenId {
    /// Platform name (`wecom`, `dingtalk`, ...).
    pub platform: String,
    /// The OpenID on that platform.
    pub openid: String,
    /// The user it belongs to.
    pub username: String,
}

/// One user's OpenIDs on one platform, as a page of the platform's listing returns them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserOpenIds {
    /// The user.
    pub username: String,
    /// Every OpenID the user has on the platform; empty when all were unbound or the user left.
    pub openids: Vec<String>,
    /// When the platform last changed these bindings (milliseconds since the Unix epoch).
    pub updated_at: i64,
}

impl UserOpenIds {
    /// Checks the username and each OpenID.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        check_identifier("openid binding", &self.username, "username", &self.username)?;
        for openid in &self.openids {
            check_identifier("openid binding", &self.username, "openid", openid)?;
        }
        Ok(())
    }
}

/// Checks a platform name: 1 to 32 characters from `a-z`, `0-9`, `_` and `-`.
pub fn check_platform(platform: &str) -> Result<(), OrgRecordError> {
    let valid = !platform.is_empty()
        && platform.len() <= 32
        && platform
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(OrgRecordError {
            entity: "platform",
            id: platform.to_owned(),
            field: "name",
            reason: "must be 1 to 32 characters from a-z, 0-9, `_` and `-`".into(),
        })
    }
}
