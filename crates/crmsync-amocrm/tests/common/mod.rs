//! Shared set-up of the wire tests: an emulator, a token store and clients pointed at it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use crmsync_amocrm::{
    AmoCrmClient, AmoCrmClientBuilder, BatchPolicy, Credentials, OAuthApp, RetryPolicy, Timeouts,
};
use crmsync_ports::KeyValueStore;
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_store::memory::MemoryKeyValueStore;

/// The client reads the emulator's clock, so a test crosses hours by moving it.
pub(crate) struct EmulatorClock(pub(crate) crmsync_sandbox::SandboxClock);

impl crmsync_amocrm::Clock for EmulatorClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.0.now_millis()).unwrap()
    }
}

/// The key tokens are stored under in the tests.
pub(crate) const TOKEN_KEY: &str = "amocrm:sandbox:tokens";
/// The long-lived token the emulator accepts in long-lived tests.
pub(crate) const LONG_LIVED: &str = "long-lived-test-token";

/// An emulator with `config`, accepting [`LONG_LIVED`].
pub(crate) async fn emulator(config: AmoCrmConfig) -> AmoCrmEmulator {
    AmoCrmEmulator::start(AmoCrmConfig {
        long_lived_token: Some(LONG_LIVED.to_owned()),
        ..config
    })
    .await
    .expect("emulator starts")
}

/// Retries with short waits, so fault tests stay quick.
pub(crate) fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    }
}

/// A builder using OAuth against `emulator`, storing tokens in `store`.
pub(crate) fn oauth_builder(
    emulator: &AmoCrmEmulator,
    store: Arc<dyn KeyValueStore>,
) -> AmoCrmClientBuilder {
    AmoCrmClient::builder(
        emulator.base_url(),
        Credentials::OAuth {
            app: OAuthApp {
                client_id: emulator.client_id().to_owned(),
                client_secret: AmoCrmConfig::default().client_secret.into(),
                redirect_uri: emulator.redirect_uri().to_owned(),
            },
            store,
            key: TOKEN_KEY.to_owned(),
        },
    )
    .retry(quick_retry())
}

/// An authorised OAuth client and its token store.
pub(crate) async fn oauth_client(
    emulator: &AmoCrmEmulator,
) -> (AmoCrmClient, Arc<MemoryKeyValueStore>) {
    let store = Arc::new(MemoryKeyValueStore::new());
    let client = oauth_builder(emulator, store.clone()).build().unwrap();
    client
        .authorize_with_code(&emulator.issue_authorization_code())
        .await
        .unwrap();
    (client, store)
}

/// A builder using the long-lived token.
pub(crate) fn long_lived_builder(emulator: &AmoCrmEmulator) -> AmoCrmClientBuilder {
    AmoCrmClient::builder(
        emulator.base_url(),
        Credentials::LongLived(LONG_LIVED.into()),
    )
    .retry(quick_retry())
}

/// A long-lived-token client with default limits.
pub(crate) fn client(emulator: &AmoCrmEmulator) -> AmoCrmClient {
    long_lived_builder(emulator).build().unwrap()
}

/// A client with short timeouts and whole-batch chunks, for fault tests.
pub(crate) fn fault_client(emulator: &AmoCrmEmulator, chunk: usize) -> AmoCrmClient {
    long_lived_builder(emulator)
        .timeouts(Timeouts {
            connect: Duration::from_secs(2),
            request: Duration::from_millis(800),
        })
        .batch(BatchPolicy {
            write_chunk: chunk,
            ..BatchPolicy::default()
        })
        .build()
        .unwrap()
}
