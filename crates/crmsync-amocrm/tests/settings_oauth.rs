//! `[amocrm]` settings against the emulator: `authorize` exchanges an installation code and stores the token
//! pair under `token_key`; a client built from the same settings then works on those tokens; a used code fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use crmsync_amocrm::CrmClient;
use crmsync_amocrm::settings::{AmoCrmSettings, OAuthSettings, SettingsError};
use crmsync_ports::KeyValueStore;
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_store::memory::MemoryKeyValueStore;

fn settings(emulator: &AmoCrmEmulator) -> AmoCrmSettings {
    AmoCrmSettings {
        base_url: emulator.base_url(),
        oauth: Some(OAuthSettings {
            client_id: emulator.client_id().to_owned(),
            client_secret: AmoCrmConfig::default().client_secret.into(),
            redirect_uri: emulator.redirect_uri().to_owned(),
            token_key: "amocrm:settings-test:tokens".to_owned(),
        }),
        ..AmoCrmSettings::default()
    }
}

#[tokio::test]
async fn authorize_then_client_runs_on_the_stored_tokens() {
    let emulator = AmoCrmEmulator::start(AmoCrmConfig::default())
        .await
        .unwrap();
    let settings = settings(&emulator);
    let store = Arc::new(MemoryKeyValueStore::new());
    let tokens: Arc<dyn KeyValueStore> = store.clone();

    let before = settings.client(tokens.clone(), "test").await.unwrap();
    assert!(before.pipelines().await.is_err(), "no tokens stored yet");

    let code = emulator.issue_authorization_code();
    settings.authorize(&code, tokens.clone()).await.unwrap();
    assert!(
        store
            .get("amocrm:settings-test:tokens")
            .await
            .unwrap()
            .is_some()
    );
    let client = settings.client(tokens.clone(), "test").await.unwrap();
    assert_eq!(client.pipelines().await.unwrap().len(), 2);

    let again = settings.authorize(&code, tokens).await.unwrap_err();
    assert!(matches!(again, SettingsError::Client(_)), "{again}");
}
