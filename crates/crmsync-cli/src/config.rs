//! Typed configuration: a TOML file, then environment variables `PREFIX__SECTION__KEY` on top.
//!
//! `PREFIX` is the binary's name in upper case with `-` turned into `_` (`OFFICEFLOW_SYNC`); nested keys are
//! joined by `__`: `OFFICEFLOW_SYNC__STORAGE__URL=postgres://…` overrides `[storage] url` of the file.

use std::path::Path;

use serde::de::DeserializeOwned;

/// The configuration could not be loaded or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file does not exist or cannot be read.
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A value has the wrong shape or type, or a required key is missing.
    #[error("config: {0}")]
    Parse(String),
    /// A value is well-formed but not acceptable.
    #[error("config key `{key}`: {reason}")]
    Invalid {
        /// The dotted key, e.g. `amocrm.rate_limit_per_s`.
        key: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl ConfigError {
    /// An invalid value at `key`.
    pub fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// Settings that check their own values after loading.
pub trait Validate {
    /// Returns the first unacceptable key with the reason.
    fn validate(&self) -> Result<(), ConfigError>;
}

/// Loads `T` from the optional TOML `file`, then the environment variables of `env_prefix`; keys absent from
/// both take the defaults of `T`'s `serde(default)` attributes. Validates the result.
pub fn load<T: DeserializeOwned + Validate>(
    file: Option<&Path>,
    env_prefix: &str,
) -> Result<T, ConfigError> {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    load_from(file, env_prefix, vars)
}

/// [`load`] with an explicit environment, for tests.
pub fn load_from<T: DeserializeOwned + Validate>(
    file: Option<&Path>,
    env_prefix: &str,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<T, ConfigError> {
    let mut builder = config::Config::builder();
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::File {
                path: path.display().to_string(),
                reason: "no such file".into(),
            });
        }
        builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
    }
    let env: config::Map<String, String> = vars.into_iter().collect();
    builder = builder.add_source(
        config::Environment::with_prefix(env_prefix)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("__none__")
            .source(Some(env)),
    );
    let settings: T = builder
        .build()
        .map_err(|e| ConfigError::Parse(e.to_string()))?
        .try_deserialize()
        .map_err(|e| ConfigError::Parse(e.to_string()))?;
    settings.validate()?;
    Ok(settings)
}

#[cfg(test)]
mod tests;
