//! The URL check, and the precedence of the database settings row over the config file and environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crmsync_store::Database;
use secrecy::ExposeSecret;

use super::*;

fn section(json: &str) -> OfficeflowSection {
    serde_json::from_str(json).unwrap()
}

const CONFIGURED: &str = r#"{"base_url": "https://config.example/api/v1", "app_key": "cfg", "app_secret": "cfg-secret"}"#;

#[test]
fn urls_need_an_http_scheme_and_a_host() {
    for good in [
        "https://of.example.edu/api/v1",
        "http://127.0.0.1:8080",
        "HTTPS://of.example.edu.",
        "http://[::1]:9000/api",
        "http://localhost/",
    ] {
        assert!(check_url("officeflow.base_url", good).is_ok(), "{good}");
    }
    for (bad, why) in [
        ("of.example.edu/api", "absolute"),
        ("ftp://of.example.edu", "scheme"),
        ("https:///api/v1", "no host"),
        ("https://:8080/api", "no host"),
        ("https://user:pw@of.example.edu", "user name"),
        ("https://of example.edu", "host"),
        ("https://-of.example.edu", "host"),
        ("https://of.example.edu:0", "port"),
        ("https://of.example.edu:99999", "port"),
        ("https://of.example.edu:x", "port"),
        ("http://[::1/api", "IPv6"),
    ] {
        let error = check_url("sources.outing.base_url", bad)
            .unwrap_err()
            .to_string();
        assert!(error.contains("sources.outing.base_url"), "{bad}: {error}");
        assert!(error.contains(why), "{bad}: {error}");
    }
}

#[tokio::test]
async fn config_is_used_without_a_settings_row() {
    let rows = Database::memory().key_values();
    let configured = section(CONFIGURED);
    let (config, used) = resolve("officeflow", "officeflow", Some(&configured), rows.as_ref())
        .await
        .unwrap();
    assert_eq!(config.base_url, "https://config.example/api/v1");
    assert_eq!(used.origin, Origin::Config);
    assert_eq!(used.row, None);
}

#[tokio::test]
async fn a_settings_row_wins_over_the_config() {
    let rows = Database::memory().key_values();
    rows.put(
        "officeflow:source:officeflow",
        r#"{"base_url": "https://row.example/api/v1", "app_key": "row", "app_secret": "row-secret", "page_size": 700}"#,
        None,
    )
    .await
    .unwrap();
    let configured = section(CONFIGURED);
    let (config, used) = resolve("officeflow", "officeflow", Some(&configured), rows.as_ref())
        .await
        .unwrap();
    assert_eq!(config.base_url, "https://row.example/api/v1");
    assert_eq!(config.app_key, "row");
    assert_eq!(config.app_secret.expose_secret(), "row-secret");
    assert_eq!(config.page_size, 700);
    assert_eq!(used.origin, Origin::Database);
    assert_eq!(used.row.as_deref(), Some("officeflow:source:officeflow"));
    // Another source's row does not touch this one.
    let (config, used) = resolve("outing", "sources.outing", Some(&configured), rows.as_ref())
        .await
        .unwrap();
    assert_eq!(config.base_url, "https://config.example/api/v1");
    assert_eq!(used.origin, Origin::Config);
}

#[tokio::test]
async fn a_settings_row_alone_is_enough_and_neither_is_an_error() {
    let rows = Database::memory().key_values();
    let error = resolve("officeflow", "officeflow", None, rows.as_ref())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("[officeflow]"), "{error}");
    assert!(error.contains("officeflow:source:officeflow"), "{error}");
    rows.put(
        "officeflow:source:officeflow",
        r#"{"base_url": "http://10.0.0.7:8080/api", "app_key": "row", "app_secret": "s"}"#,
        None,
    )
    .await
    .unwrap();
    let (config, used) = resolve("officeflow", "officeflow", None, rows.as_ref())
        .await
        .unwrap();
    assert_eq!(config.base_url, "http://10.0.0.7:8080/api");
    assert_eq!(config.rate_limit_per_s, 40, "defaults apply to a row too");
    assert_eq!(used.origin, Origin::Database);
}

#[tokio::test]
async fn a_bad_settings_row_names_the_row_and_the_field() {
    let rows = Database::memory().key_values();
    let configured = section(CONFIGURED);
    for (row, field, why) in [
        (
            r#"{"base_url": "ftp://row.example", "app_key": "k", "app_secret": "s"}"#,
            "`base_url`",
            "scheme",
        ),
        (
            r#"{"base_url": "https://", "app_key": "k", "app_secret": "s"}"#,
            "`base_url`",
            "no host",
        ),
        (
            r#"{"base_url": "https://row.example", "app_key": " ", "app_secret": "s"}"#,
            "`app_key`",
            "empty",
        ),
        (
            r#"{"base_url": "https://row.example", "app_key": "k", "app_secret": "s", "page_size": 0}"#,
            "`page_size`",
            "between",
        ),
        (
            r#"{"base_url": "https://row.example", "app_key": "k", "app_secret": "s", "base": 1}"#,
            "unknown field `base`",
            "",
        ),
        (
            r#"{"app_key": "k", "app_secret": "s"}"#,
            "`base_url`",
            "missing",
        ),
        ("not json", "officeflow:source:outing", "expected"),
    ] {
        rows.put("officeflow:source:outing", row, None)
            .await
            .unwrap();
        let error = resolve("outing", "sources.outing", Some(&configured), rows.as_ref())
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("database settings row officeflow:source:outing"),
            "{text}"
        );
        assert!(text.contains(field) && text.contains(why), "{row}: {text}");
        assert!(
            !text.contains("cfg-secret") && !text.contains("\"s\""),
            "{text}"
        );
    }
}
