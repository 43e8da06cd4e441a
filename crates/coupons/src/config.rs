//! `coupons` configuration: a TOML file (`--config`) with `COUPONS__SECTION__KEY` environment overrides.

use std::net::{Ipv4Addr, SocketAddr};

use crmsync_cli::config::{ConfigError, Validate};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::rights::{NamedToken, Role};

/// Where `--sandbox` keeps its database (relative to the working directory).
pub(crate) const SANDBOX_STORAGE: &str = "sqlite:target/demo/coupons.sqlite";
/// The environment prefix of the overrides.
pub(crate) const ENV_PREFIX: &str = "COUPONS";

/// Every key of the configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CouponsConfig {
    /// `[storage]`.
    pub storage: StorageConfig,
    /// `[serve]`.
    pub serve: ServeConfig,
    /// `[generation]`.
    pub generation: GenerationConfig,
}

/// `[storage]`: where runs and coupons are kept.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `postgres://…`, `sqlite:PATH` or `memory:`; secret because it may hold a password.
    pub url: Option<SecretString>,
}

/// `[serve]`: the HTTP step API.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    /// Listen address; loopback by default.
    pub address: SocketAddr,
    /// A single bearer token with the `admin` role, named `default` (shorthand for one `[[serve.tokens]]`).
    pub token: Option<SecretString>,
    /// `[[serve.tokens]]`: named bearer tokens with roles; `serve` refuses to start without any token.
    pub tokens: Vec<TokenConfig>,
}

/// One `[[serve.tokens]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Shown in the audit and in 403 errors.
    pub name: String,
    /// The bearer secret.
    pub token: SecretString,
    /// `viewer`, `operator` or `admin`.
    pub role: Role,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 8403)),
            token: None,
            tokens: Vec::new(),
        }
    }
}

impl ServeConfig {
    /// Every accepted token: `[[serve.tokens]]`, then `serve.token` as the admin `default`.
    pub fn named_tokens(&self) -> Vec<NamedToken> {
        let mut all: Vec<NamedToken> = self
            .tokens
            .iter()
            .map(|t| NamedToken {
                name: t.name.clone(),
                token: t.token.clone(),
                role: t.role,
            })
            .collect();
        if let Some(token) = &self.token {
            all.push(NamedToken {
                name: "default".to_owned(),
                token: token.clone(),
                role: Role::Admin,
            });
        }
        all
    }
}

/// `[generation]`: how runs are cut.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerationConfig {
    /// Codes per chunk (one insert and one journal update in one transaction).
    pub chunk_size: u32,
    /// Codes per HTTP step when the request does not say (the module's `stepCount`).
    pub step_codes: u64,
    /// Seconds per HTTP step when the request does not say (the module's `stepTime`).
    pub step_seconds: u64,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        Self {
            chunk_size: 10_000,
            step_codes: 1000,
            step_seconds: 5,
        }
    }
}

/// The largest chunk.
pub(crate) const MAX_CHUNK: u32 = 100_000;
/// The longest step.
pub(crate) const MAX_STEP_SECONDS: u64 = 300;

impl Validate for CouponsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let g = &self.generation;
        if !(1..=MAX_CHUNK).contains(&g.chunk_size) {
            return Err(ConfigError::invalid(
                "generation.chunk_size",
                format!("must be between 1 and {MAX_CHUNK}"),
            ));
        }
        if g.step_codes == 0 {
            return Err(ConfigError::invalid(
                "generation.step_codes",
                "must be at least 1",
            ));
        }
        if !(1..=MAX_STEP_SECONDS).contains(&g.step_seconds) {
            return Err(ConfigError::invalid(
                "generation.step_seconds",
                format!("must be between 1 and {MAX_STEP_SECONDS}"),
            ));
        }
        if self
            .serve
            .token
            .as_ref()
            .is_some_and(|t| t.expose_secret().trim().is_empty())
        {
            return Err(ConfigError::invalid("serve.token", "must not be empty"));
        }
        let mut names = std::collections::HashSet::new();
        let mut secrets = std::collections::HashSet::new();
        for (i, token) in self.serve.tokens.iter().enumerate() {
            if token.name.trim().is_empty() {
                return Err(ConfigError::invalid(
                    format!("serve.tokens[{i}].name"),
                    "must not be empty",
                ));
            }
            if token.name == "default" && self.serve.token.is_some() || !names.insert(&token.name) {
                return Err(ConfigError::invalid(
                    format!("serve.tokens[{i}].name"),
                    format!("`{}` is used twice", token.name),
                ));
            }
            if token.token.expose_secret().trim().is_empty() {
                return Err(ConfigError::invalid(
                    format!("serve.tokens[{i}].token"),
                    "must not be empty",
                ));
            }
            if !secrets.insert(token.token.expose_secret()) {
                return Err(ConfigError::invalid(
                    format!("serve.tokens[{i}].token"),
                    "is the same as another token's",
                ));
            }
        }
        if self
            .storage
            .url
            .as_ref()
            .is_some_and(|u| u.expose_secret().trim().is_empty())
        {
            return Err(ConfigError::invalid("storage.url", "must not be empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use crmsync_cli::config::load_from;

    use super::*;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<CouponsConfig, ConfigError> {
        let dir = std::env::temp_dir().join(format!("coupons-config-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("coupons.toml");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(toml.as_bytes())
            .unwrap();
        let vars = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        let loaded = load_from(Some(&path), ENV_PREFIX, vars);
        let _ = std::fs::remove_dir_all(dir);
        loaded
    }

    #[test]
    fn defaults_listen_on_loopback_with_the_module_step() {
        let config = load("", &[]).unwrap();
        assert_eq!(config.serve.address.to_string(), "127.0.0.1:8403");
        assert!(config.serve.token.is_none() && config.storage.url.is_none());
        assert_eq!(
            (config.generation.step_codes, config.generation.step_seconds),
            (1000, 5)
        );
    }

    #[test]
    fn files_and_environment_set_every_key() {
        let config = load(
            "[storage]\nurl = \"sqlite:x.sqlite\"\n[serve]\naddress = \"127.0.0.1:9000\"\ntoken = \"abc\"\n\
             [generation]\nchunk_size = 500\n",
            &[("COUPONS__GENERATION__STEP_SECONDS", "9")],
        )
        .unwrap();
        assert_eq!(
            config.storage.url.unwrap().expose_secret(),
            "sqlite:x.sqlite"
        );
        assert_eq!(config.serve.token.unwrap().expose_secret(), "abc");
        assert_eq!(config.generation.chunk_size, 500);
        assert_eq!(config.generation.step_seconds, 9);
    }

    #[test]
    fn named_tokens_carry_roles_and_the_single_token_is_the_admin_default() {
        let config = load(
            "[serve]\ntoken = \"root-secret\"\n[[serve.tokens]]\nname = \"shop\"\ntoken = \"shop-secret\"\n\
             role = \"operator\"\n[[serve.tokens]]\nname = \"витрина\"\ntoken = \"view-secret\"\nrole = \"viewer\"\n",
            &[],
        )
        .unwrap();
        let tokens = config.serve.named_tokens();
        let shown: Vec<(&str, Role)> = tokens.iter().map(|t| (t.name.as_str(), t.role)).collect();
        assert_eq!(
            shown,
            [
                ("shop", Role::Operator),
                ("витрина", Role::Viewer),
                ("default", Role::Admin)
            ]
        );
        assert!(!format!("{tokens:?}").contains("secret"));
    }

    #[test]
    fn bad_tokens_name_their_key() {
        let twice = "[[serve.tokens]]\nname = \"a\"\ntoken = \"x1\"\nrole = \"admin\"\n\
                     [[serve.tokens]]\nname = \"a\"\ntoken = \"x2\"\nrole = \"viewer\"\n";
        let error = load(twice, &[]).unwrap_err().to_string();
        assert!(error.contains("serve.tokens[1].name"), "{error}");
        let same = "[[serve.tokens]]\nname = \"a\"\ntoken = \"x1\"\nrole = \"admin\"\n\
                    [[serve.tokens]]\nname = \"b\"\ntoken = \"x1\"\nrole = \"viewer\"\n";
        let error = load(same, &[]).unwrap_err().to_string();
        assert!(error.contains("serve.tokens[1].token"), "{error}");
        let role = "[[serve.tokens]]\nname = \"a\"\ntoken = \"x1\"\nrole = \"owner\"\n";
        let error = load(role, &[]).unwrap_err().to_string();
        assert!(error.contains("owner"), "{error}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let error = load("[generation]\nchunk_size = 0\n", &[]).unwrap_err();
        assert!(
            error.to_string().contains("generation.chunk_size"),
            "{error}"
        );
        let error = load("[serve]\ntoken = \" \"\n", &[]).unwrap_err();
        assert!(error.to_string().contains("serve.token"), "{error}");
        let error = load("[storage]\nurll = \"x\"\n", &[]).unwrap_err();
        assert!(error.to_string().contains("urll"), "{error}");
    }
}
