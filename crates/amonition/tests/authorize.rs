//! `amonition authorize --code`: the OAuth code exchange stores the token pair in the shared key-value store,
//! and the client AMONITION builds from `[amocrm.oauth]` then works with those tokens.

use amonition::config::Config;
use amonition::{authorize_app, crm_client};
use crmsync_amocrm::settings::OAuthSettings;
use crmsync_cli::backends::{self, StorageSection};
use crmsync_ports::CrmClient;
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use secrecy::SecretString;

fn storage(name: &str) -> (std::path::PathBuf, StorageSection) {
    let dir =
        std::env::temp_dir().join(format!("amonition-authorize-{}-{name}", std::process::id()));
    let url = format!("sqlite:{}", dir.join("amonition.sqlite").display());
    (dir, StorageSection::new(&url))
}

#[tokio::test]
async fn the_code_exchange_stores_tokens_the_client_then_uses() {
    let emulator = AmoCrmEmulator::start(AmoCrmConfig::default())
        .await
        .unwrap();
    let defaults = AmoCrmConfig::default();
    let (dir, storage) = storage("oauth");
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = Config::default();
    config.amocrm.base_url = emulator.base_url();
    config.amocrm.oauth = Some(OAuthSettings {
        client_id: defaults.client_id.clone(),
        client_secret: SecretString::from(defaults.client_secret.clone()),
        redirect_uri: defaults.redirect_uri.clone(),
        token_key: "amonition:tokens".into(),
    });
    config.storage = storage;

    let backends = backends::open(&config.storage, &config.redis, false)
        .await
        .unwrap();
    assert_eq!(
        backends.key_values.get("amonition:tokens").await.unwrap(),
        None
    );

    authorize_app(&config, &emulator.issue_authorization_code())
        .await
        .unwrap();
    assert!(
        backends
            .key_values
            .get("amonition:tokens")
            .await
            .unwrap()
            .is_some()
    );
    let client = crm_client(&config, backends.key_values.clone())
        .await
        .unwrap();
    let pipelines = client.pipelines().await.unwrap();
    assert!(!pipelines.is_empty());
    assert_eq!(
        emulator.stats().token_requests.get("authorization_code"),
        Some(&1)
    );

    let used_again = authorize_app(&config, "not-a-code").await.unwrap_err();
    assert_eq!(used_again.code, crmsync_cli::exit::JOB_FAILED);
    emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_long_lived_token_needs_no_authorization() {
    let (dir, storage) = storage("token");
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = Config::default();
    config.amocrm.base_url = "https://example.amocrm.ru".into();
    config.amocrm.long_lived_token = SecretString::from("tok");
    config.storage = storage;
    let failure = authorize_app(&config, "code").await.unwrap_err();
    assert_eq!(failure.code, crmsync_cli::exit::BAD_USAGE);
    assert!(
        failure.message.contains("amocrm.oauth"),
        "{}",
        failure.message
    );
    let _ = std::fs::remove_dir_all(dir);
}
