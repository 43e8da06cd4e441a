//! Where each data source's connection settings come from, as the seed does it: a settings row in the storage
//! database (`officeflow:source:<name>` in its key-value table, a JSON object with the keys of `[officeflow]`)
//! when present, else the config file and environment. Either way the URL is checked (scheme, host) before any
//! request, and errors name the field and where it came from.

use std::time::Duration;

use crmsync_cli::config::ConfigError;
use crmsync_officeflow::OfficeflowConfig;
use crmsync_ports::{KeyValueStore, StoreError};
use serde::Serialize;

use super::OfficeflowSection;

/// Prefix of the settings rows: `officeflow:source:officeflow` for the platform, `officeflow:source:outing` for
/// `[sources.outing]`.
pub(crate) const SETTINGS_ROW_PREFIX: &str = "officeflow:source:";

/// Where a source's settings were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Origin {
    /// A settings row in the storage database.
    Database,
    /// The config file, with environment overrides.
    Config,
    /// The in-process emulator of `--sandbox`.
    Sandbox,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Database => "database settings row",
            Self::Config => "config file/environment",
            Self::Sandbox => "sandbox emulator",
        })
    }
}

/// Which settings a source was run with (no credentials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SourceUse {
    /// The source's name (`officeflow` for the platform).
    pub(crate) name: String,
    /// Where its settings came from.
    pub(crate) origin: Origin,
    /// The settings row, when it came from the database.
    pub(crate) row: Option<String>,
    /// The URL used.
    pub(crate) base_url: String,
}

/// A source's settings could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    /// Neither a settings row nor a config section.
    #[error(
        "source {name}: no settings: add the config section [{section}] (base_url, app_key, app_secret) or the database settings row {row}"
    )]
    Missing {
        /// The source.
        name: String,
        /// Its config section.
        section: String,
        /// Its settings row.
        row: String,
    },
    /// The settings row is not a JSON object of the section's keys.
    #[error("database settings row {row}: {reason}")]
    Row {
        /// The row.
        row: String,
        /// Why.
        reason: String,
    },
    /// A value of the settings row is not acceptable.
    #[error("database settings row {row}: field `{field}`: {reason}")]
    RowField {
        /// The row.
        row: String,
        /// The field.
        field: String,
        /// Why.
        reason: String,
    },
    /// A value of the config section is not acceptable.
    #[error("{0}")]
    Invalid(#[from] ConfigError),
    /// The settings row could not be read.
    #[error("reading the database settings row {row}: {source}")]
    Store {
        /// The row.
        row: String,
        /// The store's error.
        source: StoreError,
    },
}

/// The settings row of source `name`.
pub(crate) fn row_key(name: &str) -> String {
    format!("{SETTINGS_ROW_PREFIX}{name}")
}

/// Checks that `url` is an absolute `http` or `https` URL with a host (and, if given, a port in 1..=65535) and no
/// user name or password; the error names `field`.
pub(crate) fn check_url(field: &str, url: &str) -> Result<(), ConfigError> {
    let invalid = |reason: &str| ConfigError::invalid(field, format!("{reason}, got {url:?}"));
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid("must be an absolute http:// or https:// URL"));
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid(
            "must not carry a user name or password (use app_key and app_secret)",
        ));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let Some((host, after)) = bracketed.split_once(']') else {
                return Err(invalid("the IPv6 host is not closed by ]"));
            };
            if host.is_empty() || !host.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                return Err(invalid("the IPv6 host is not valid"));
            }
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(invalid("unexpected text after the IPv6 host")),
                },
            }
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(invalid("has no host"));
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !authority.starts_with('[') && !host.trim_end_matches('.').split('.').all(label_ok) {
        return Err(invalid("the host is not a valid name or address"));
    }
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(1..) => {}
            _ => return Err(invalid("the port must be a number from 1 to 65535")),
        }
    }
    Ok(())
}

/// The client settings of `section`.
pub(crate) fn client_config(section: &OfficeflowSection) -> OfficeflowConfig {
    OfficeflowConfig {
        rate_limit_per_s: section.rate_limit_per_s,
        request_timeout: Duration::from_secs(section.timeout_s),
        max_retries: section.max_retries,
        backoff_base: Duration::from_millis(section.backoff_base_ms),
        backoff_max: Duration::from_millis(section.backoff_max_ms),
        page_size: section.page_size,
        max_response_bytes: section.max_response_bytes,
        ..OfficeflowConfig::new(
            section.base_url.clone(),
            section.app_key.clone(),
            section.app_secret.clone(),
        )
    }
}

/// The settings of source `name` (`section` is its config section, `officeflow` or `sources.<name>`): the
/// database row when there is one, else `configured`; checked either way.
pub(crate) async fn resolve(
    name: &str,
    section: &str,
    configured: Option<&OfficeflowSection>,
    rows: &dyn KeyValueStore,
) -> Result<(OfficeflowConfig, SourceUse), SourceError> {
    let row = row_key(name);
    let stored = rows.get(&row).await.map_err(|source| SourceError::Store {
        row: row.clone(),
        source,
    })?;
    let (settings, origin, row_used) = match stored {
        Some(text) => {
            let parsed: OfficeflowSection =
                serde_json::from_str(&text).map_err(|e| SourceError::Row {
                    row: row.clone(),
                    reason: e.to_string(),
                })?;
            if let Err(error) = parsed.validate("") {
                let (field, reason) = match error {
                    ConfigError::Invalid { key, reason } => (key, reason),
                    other => (String::new(), other.to_string()),
                };
                return Err(SourceError::RowField { row, field, reason });
            }
            (client_config(&parsed), Origin::Database, Some(row))
        }
        None => {
            let Some(section_settings) = configured else {
                return Err(SourceError::Missing {
                    name: name.to_owned(),
                    section: section.to_owned(),
                    row,
                });
            };
            section_settings.validate(&format!("{section}."))?;
            (client_config(section_settings), Origin::Config, None)
        }
    };
    let used = SourceUse {
        name: name.to_owned(),
        origin,
        row: row_used,
        base_url: settings.base_url.clone(),
    };
    Ok((settings, used))
}

#[cfg(test)]
mod tests;
