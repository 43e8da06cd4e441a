//! Loading, overriding and validating configuration.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    storage: Storage,
    amocrm: Amocrm,
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Storage {
    url: String,
}

impl Default for Storage {
    fn default() -> Self {
        Self {
            url: "sqlite:target/demo/crmsync.sqlite".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Amocrm {
    subdomain: String,
    client_secret: SecretString,
    #[serde(default = "seven")]
    rate_limit_per_s: u32,
}

fn seven() -> u32 {
    7
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.amocrm.rate_limit_per_s == 0 || self.amocrm.rate_limit_per_s > 7 {
            return Err(ConfigError::invalid(
                "amocrm.rate_limit_per_s",
                "must be between 1 and 7 (amoCRM's limit)",
            ));
        }
        Ok(())
    }
}

fn write(toml: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("crmsync-cli-{}-{n}.toml", std::process::id()));
    std::fs::write(&path, toml).unwrap();
    path
}

const FILE: &str = "[amocrm]\nsubdomain = \"clinic\"\nclient_secret = \"s3cret\"\n";

#[test]
fn file_values_and_defaults_are_loaded() {
    let path = write(FILE);
    let s: Settings = load_from(Some(&path), "CASEMON", Vec::new()).unwrap();
    assert_eq!(s.amocrm.subdomain, "clinic");
    assert_eq!(s.amocrm.client_secret.expose_secret(), "s3cret");
    assert_eq!(s.amocrm.rate_limit_per_s, 7);
    assert_eq!(s.storage.url, "sqlite:target/demo/crmsync.sqlite");
    assert!(
        !format!("{s:?}").contains("s3cret"),
        "secrets never appear in Debug output"
    );
}

#[test]
fn environment_overrides_the_file() {
    let path = write(FILE);
    let env = vec![
        (
            "CASEMON__AMOCRM__RATE_LIMIT_PER_S".to_owned(),
            "5".to_owned(),
        ),
        (
            "CASEMON__STORAGE__URL".to_owned(),
            "postgres://db/x".to_owned(),
        ),
        ("OTHER__AMOCRM__SUBDOMAIN".to_owned(), "ignored".to_owned()),
    ];
    let s: Settings = load_from(Some(&path), "CASEMON", env).unwrap();
    assert_eq!(
        (
            s.amocrm.rate_limit_per_s,
            s.storage.url.as_str(),
            s.amocrm.subdomain.as_str()
        ),
        (5, "postgres://db/x", "clinic")
    );
}

#[test]
fn errors_name_the_key_and_the_reason() {
    let path = write(FILE);
    let env = vec![(
        "CASEMON__AMOCRM__RATE_LIMIT_PER_S".to_owned(),
        "50".to_owned(),
    )];
    let err = load_from::<Settings>(Some(&path), "CASEMON", env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config key `amocrm.rate_limit_per_s`: must be between 1 and 7 (amoCRM's limit)"
    );

    let missing = write("[amocrm]\nsubdomain = \"x\"\n");
    let err = load_from::<Settings>(Some(&missing), "CASEMON", Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("client_secret"), "{err}");

    let typo = write("[amocrm]\nsubdomain = \"x\"\nclient_secret = \"s\"\nrate_limit = 3\n");
    let err = load_from::<Settings>(Some(&typo), "CASEMON", Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("rate_limit"), "{err}");

    let err = load_from::<Settings>(
        Some(Path::new("/nonexistent/x.toml")),
        "CASEMON",
        Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::File { .. }));
}
