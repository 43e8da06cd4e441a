//! Wire tests of authentication: code exchange, token rotation persisted before use, single-flight refresh,
//! refresh ahead of expiry and on 401, revoked and long-lived tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use crmsync_amocrm::{CrmClient, CrmError, StoredTokens};
use crmsync_ports::{KeyValueStore, LeadFilter, StoreError};
use crmsync_sandbox::amocrm::AmoCrmConfig;
use crmsync_store::memory::MemoryKeyValueStore;

use common::*;

fn refreshes(emulator: &crmsync_sandbox::amocrm::AmoCrmEmulator) -> u64 {
    emulator
        .stats()
        .token_requests
        .get("refresh_token")
        .copied()
        .unwrap_or(0)
}

async fn stored(store: &MemoryKeyValueStore) -> StoredTokens {
    serde_json::from_str(&store.get(TOKEN_KEY).await.unwrap().unwrap()).unwrap()
}

#[tokio::test]
async fn an_authorization_code_gives_a_stored_pair_that_works() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let (client, store) = oauth_client(&emulator).await;
    let tokens = stored(&store).await;
    assert!(!tokens.access_token.is_empty() && !tokens.refresh_token.is_empty());
    assert!(tokens.expires_at > chrono::Utc::now().timestamp() + 80_000);
    assert_eq!(client.pipelines().await.unwrap().len(), 2);
    assert_eq!(
        emulator.stats().token_requests.get("authorization_code"),
        Some(&1)
    );
    assert_eq!(refreshes(&emulator), 0);
}

#[tokio::test]
async fn eight_concurrent_callers_on_an_expired_token_share_one_refresh() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let (client, store) = oauth_client(&emulator).await;
    let before = stored(&store).await;
    emulator.clock().advance(Duration::from_secs(25 * 3600));
    let calls = (0..8).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.list_leads(&LeadFilter::default(), None).await })
    });
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(refreshes(&emulator), 1);
    let after = stored(&store).await;
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the rotated pair is stored"
    );
    assert_eq!(client.stats().token_requests, 2);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_ahead_once() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let (_, store) = oauth_client(&emulator).await;
    let mut tokens = stored(&store).await;
    tokens.expires_at = chrono::Utc::now().timestamp() + 60;
    store
        .put(TOKEN_KEY, &serde_json::to_string(&tokens).unwrap(), None)
        .await
        .unwrap();
    let fresh = oauth_builder(&emulator, store.clone()).build().unwrap();
    let calls = (0..8).map(|_| {
        let client = fresh.clone();
        tokio::spawn(async move { client.pipelines().await })
    });
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(refreshes(&emulator), 1);
    assert_eq!(
        emulator.stats().responses_with_status(401),
        0,
        "no request went out with the old token"
    );
    assert!(stored(&store).await.expires_at > chrono::Utc::now().timestamp() + 80_000);
}

/// A store whose compare-and-swap fails while `fail` is set.
struct FlakyStore {
    inner: MemoryKeyValueStore,
    fail: AtomicBool,
}

#[async_trait]
impl KeyValueStore for FlakyStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        self.inner.put(key, value, ttl).await
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<String>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::unavailable("test store", "down"));
        }
        self.inner.compare_and_swap(key, expected, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.delete(key).await
    }
}

#[tokio::test]
async fn a_new_pair_that_cannot_be_stored_is_never_used() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let store = Arc::new(FlakyStore {
        inner: MemoryKeyValueStore::new(),
        fail: AtomicBool::new(true),
    });
    let client = oauth_builder(&emulator, store.clone()).build().unwrap();
    client
        .authorize_with_code(&emulator.issue_authorization_code())
        .await
        .unwrap();
    emulator.clock().advance(Duration::from_secs(25 * 3600));
    let error = client.pipelines().await.unwrap_err();
    assert_eq!(error.kind(), "storage", "{error}");
    assert_eq!(refreshes(&emulator), 1);
    store.fail.store(false, Ordering::SeqCst);
    client.pipelines().await.unwrap();
    assert_eq!(
        refreshes(&emulator),
        2,
        "the old refresh token was still valid and was used again"
    );
}

#[tokio::test]
async fn revoked_tokens_give_unauthorized_asking_for_reauthorisation() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let (client, _) = oauth_client(&emulator).await;
    emulator.revoke_all_tokens();
    let error = client
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap_err();
    match &error {
        CrmError::Unauthorized { reauthorize, .. } => assert!(*reauthorize),
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert!(error.to_string().contains("re-authorisation is needed"));
    assert_eq!(refreshes(&emulator), 1, "one refresh attempt, no loop");
    let again = client.pipelines().await.unwrap_err();
    assert_eq!(again.kind(), "unauthorized");
    assert!(refreshes(&emulator) <= 2);
}

#[tokio::test]
async fn a_client_without_stored_tokens_says_so() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = oauth_builder(&emulator, Arc::new(MemoryKeyValueStore::new()))
        .build()
        .unwrap();
    let error = client.pipelines().await.unwrap_err();
    assert!(
        error.to_string().contains("exchange an authorization code"),
        "{error}"
    );
    assert_eq!(emulator.stats().requests_total, 0);
}

#[tokio::test]
async fn a_used_or_unknown_code_is_refused() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let (client, _) = oauth_client(&emulator).await;
    let error = client.authorize_with_code("not-a-code").await.unwrap_err();
    assert_eq!(error.kind(), "unauthorized");
    let code = emulator.issue_authorization_code();
    emulator.clock().advance(Duration::from_secs(21 * 60));
    assert_eq!(
        client.authorize_with_code(&code).await.unwrap_err().kind(),
        "unauthorized"
    );
}

#[tokio::test]
async fn long_lived_tokens_work_and_are_never_refreshed() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    assert_eq!(client.pipelines().await.unwrap().len(), 2);
    emulator.revoke_token(LONG_LIVED);
    let error = client.pipelines().await.unwrap_err();
    assert!(
        matches!(
            error,
            CrmError::Unauthorized {
                reauthorize: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(emulator.stats().token_requests.values().sum::<u64>(), 0);
}

#[tokio::test]
async fn access_tokens_are_jwts_and_handed_over_tokens_need_no_expiry() {
    let clock = crmsync_sandbox::SandboxClock::manual_at_now();
    let emulator = emulator(AmoCrmConfig {
        clock: clock.clone(),
        ..AmoCrmConfig::default()
    })
    .await;
    let store = Arc::new(MemoryKeyValueStore::new());
    let client = oauth_builder(&emulator, store.clone())
        .clock(Arc::new(EmulatorClock(clock.clone())))
        .build()
        .unwrap();
    client
        .authorize_with_code(&emulator.issue_authorization_code())
        .await
        .unwrap();
    let tokens = stored(&store).await;
    let claims = crmsync_amocrm::jwt::AccessTokenClaims::read(&tokens.access_token).unwrap();
    assert_eq!(claims.exp, tokens.expires_at);
    assert_eq!(claims.iat, clock.now_unix());
    assert_eq!(
        claims.account_id,
        crmsync_sandbox::amocrm::AccountInfo::default().id
    );
    assert_eq!(claims.aud, emulator.client_id());
    assert!(claims.user_id().is_some());

    let handed_over = serde_json::json!({
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
    });
    let other_store = Arc::new(MemoryKeyValueStore::new());
    other_store
        .put(TOKEN_KEY, &handed_over.to_string(), None)
        .await
        .unwrap();
    let other = oauth_builder(&emulator, other_store.clone())
        .clock(Arc::new(EmulatorClock(clock.clone())))
        .build()
        .unwrap();
    other.pipelines().await.unwrap();
    assert_eq!(
        refreshes(&emulator),
        0,
        "the expiry came from the token's exp"
    );
    clock.advance(Duration::from_secs(24 * 3600));
    other.pipelines().await.unwrap();
    assert_eq!(refreshes(&emulator), 1);
    assert_eq!(
        emulator.stats().responses_with_status(401),
        0,
        "refreshed ahead of expiry"
    );
}
