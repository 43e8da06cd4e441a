//! `SecretUrl`: a configured URL that may carry credentials (`postgres://user:password@host/db`,
//! `redis://:password@host/2`, `…?password=…`), kept in `secrecy` and shown only with its secrets replaced.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// What replaces a password or a secret query value when a URL is shown.
pub const REDACTED: &str = "***";

/// A URL from the configuration that may hold a password or a token.
///
/// The full text lives in a [`SecretString`] and is handed out only by [`SecretUrl::expose_secret`];
/// `Debug` and `Display` show it with the userinfo password and the values of secret-looking query parameters
/// (`password`, `pass`, `pwd`, `token`, `secret`, `key`, …) replaced by `***`.
#[derive(Clone, Default)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    /// Wraps `url` (surrounding whitespace dropped).
    pub fn new(url: impl AsRef<str>) -> Self {
        Self(SecretString::from(url.as_ref().trim()))
    }

    /// The whole URL, credentials included: only for opening the connection.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether no URL is set.
    pub fn is_empty(&self) -> bool {
        self.expose_secret().is_empty()
    }

    /// The URL with its secrets replaced by `***`, for messages and logs.
    pub fn redacted(&self) -> String {
        redact(self.expose_secret())
    }
}

impl From<&str> for SecretUrl {
    fn from(url: &str) -> Self {
        Self::new(url)
    }
}

impl From<String> for SecretUrl {
    fn from(url: String) -> Self {
        Self::new(url)
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({:?})", self.redacted())
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// Deserialises an optional URL where an empty string (e.g. an environment override `…__URL=`) means none.
pub fn empty_as_none<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretUrl>, D::Error> {
    let url = Option::<String>::deserialize(deserializer)?.map(SecretUrl::new);
    Ok(url.filter(|u| !u.is_empty()))
}

/// Query parameters whose values are secrets, matched case-insensitively as a part of the name.
const SECRET_PARAMS: [&str; 7] = [
    "pass",
    "pwd",
    "token",
    "secret",
    "key",
    "auth",
    "credential",
];

/// `url` with the userinfo password and secret query values replaced by [`REDACTED`].
pub fn redact(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (before_fragment, None),
    };
    let mut out = redact_userinfo(base);
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret_param(name) => format!("{name}={REDACTED}"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|secret| name.contains(secret))
}

/// `scheme://user:password@host/path` → `scheme://user:***@host/path`; a bare `scheme://secret@host` loses
/// the whole userinfo (a token given as the user name).
fn redact_userinfo(base: &str) -> String {
    let Some(scheme_end) = base.find("://") else {
        return base.to_owned();
    };
    let authority_start = scheme_end + 3;
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let authority = &base[authority_start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return base.to_owned();
    };
    let userinfo = &authority[..at];
    let shown = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:{REDACTED}"),
        None => REDACTED.to_owned(),
    };
    format!(
        "{}{shown}{}",
        &base[..authority_start],
        &base[authority_start + at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_userinfo_are_replaced() {
        let url = SecretUrl::new("postgres://sync:hunter2@db.example:5432/crm");
        assert_eq!(url.to_string(), "postgres://sync:***@db.example:5432/crm");
        assert_eq!(
            url.expose_secret(),
            "postgres://sync:hunter2@db.example:5432/crm"
        );
        assert_eq!(
            redact("redis://:hunter2@127.0.0.1:6379/2"),
            "redis://:***@127.0.0.1:6379/2"
        );
        assert_eq!(redact("redis://hunter2@h/0"), "redis://***@h/0");
    }

    #[test]
    fn secret_query_values_are_replaced() {
        assert_eq!(
            redact("mysql://h/db?user=a&password=hunter2&ssl=true&AccessToken=t0k#x"),
            "mysql://h/db?user=a&password=***&ssl=true&AccessToken=***#x"
        );
        assert_eq!(
            redact("sqlite:/var/x.sqlite?mode=rwc"),
            "sqlite:/var/x.sqlite?mode=rwc"
        );
    }

    #[test]
    fn debug_and_display_never_show_the_password() {
        let url = SecretUrl::new("postgres://u:hunter2@h/db?token=abc123");
        for shown in [
            format!("{url}"),
            format!("{url:?}"),
            format!("{:#?}", Some(&url)),
        ] {
            assert!(
                !shown.contains("hunter2") && !shown.contains("abc123"),
                "{shown}"
            );
        }
    }

    #[test]
    fn deserialises_from_a_string_and_empty_is_none() {
        #[derive(Deserialize)]
        struct Section {
            #[serde(default, deserialize_with = "empty_as_none")]
            url: Option<SecretUrl>,
        }
        let some: Section = serde_json::from_str(r#"{"url": " redis://h/1 "}"#).unwrap();
        assert_eq!(some.url.unwrap().expose_secret(), "redis://h/1");
        let empty: Section = serde_json::from_str(r#"{"url": ""}"#).unwrap();
        assert!(empty.url.is_none());
        let absent: Section = serde_json::from_str("{}").unwrap();
        assert!(absent.url.is_none());
        assert!(SecretUrl::default().is_empty());
    }
}
