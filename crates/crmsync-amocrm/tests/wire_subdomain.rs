//! A subdomain change on the wire: the emulator moves the account to a new subdomain, requests to the old host
//! answer `404`, and the client asks the common domain where the account lives and follows it without the caller
//! noticing; a `404` that is not a move stays an error after one lookup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use crmsync_amocrm::AmoCrmClient;
use crmsync_amocrm::subdomain::AccountDomain;
use crmsync_ports::{CrmClient, CrmError, LeadFilter};
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};

use common::*;

/// A long-lived client addressing the emulator as `old.amocrm.ru`, with the account hosts and the common domain
/// resolved to the emulator's loopback address.
fn client_at_old_host(emulator: &AmoCrmEmulator) -> AmoCrmClient {
    let addr = emulator.local_addr();
    let mut builder = AmoCrmClient::builder(
        format!("http://old.amocrm.ru:{}", addr.port()),
        crmsync_amocrm::Credentials::LongLived(LONG_LIVED.into()),
    )
    .retry(quick_retry());
    for host in ["old.amocrm.ru", "new.amocrm.ru", "www.amocrm.ru"] {
        builder = builder.resolve(host, addr);
    }
    builder.build().unwrap()
}

async fn old_account() -> AmoCrmEmulator {
    emulator(AmoCrmConfig {
        subdomain: "old".into(),
        ..AmoCrmConfig::default()
    })
    .await
}

#[tokio::test]
async fn the_common_domain_names_the_accounts_current_subdomain() {
    let emulator = old_account().await;
    let client = client_at_old_host(&emulator);
    let account = client.account(&[]).await.unwrap();
    let found = client.account_domain().await.unwrap();
    assert_eq!(
        found,
        AccountDomain {
            id: account.id,
            subdomain: "old".into(),
            domain: "old.amocrm.ru".into(),
            top_level_domain: "ru".into(),
        }
    );
    let stats = emulator.stats();
    assert_eq!(stats.requests("GET /oauth2/account/subdomain"), 1);
}

#[tokio::test]
async fn a_renamed_account_is_followed_to_its_new_subdomain() {
    let emulator = old_account().await;
    let client = client_at_old_host(&emulator);
    let port = emulator.local_addr().port();
    let before = client.list_leads(&LeadFilter::default(), None).await;
    assert!(
        before.is_ok(),
        "the old host serves the account before the rename"
    );

    emulator.rename_subdomain("new");
    let clone = client.clone();
    let after = client.account(&[]).await.unwrap();
    assert_eq!(after.subdomain, "new");
    assert_eq!(client.base_url(), format!("http://new.amocrm.ru:{port}"));
    assert_eq!(clone.base_url(), client.base_url(), "clones follow too");

    let stats = emulator.stats();
    assert_eq!(
        stats.responses_with_status(404),
        1,
        "one answer from the old host"
    );
    assert_eq!(stats.requests("GET /oauth2/account/subdomain"), 1);
    // Later calls go straight to the new host.
    clone.account(&[]).await.unwrap();
    assert_eq!(emulator.stats().responses_with_status(404), 1);
}

#[tokio::test]
async fn a_not_found_that_is_no_move_stays_an_error_after_one_lookup() {
    let emulator = old_account().await;
    let client = client_at_old_host(&emulator);
    let missing = client.delete_role(987_654).await;
    assert!(
        matches!(missing, Err(CrmError::NotFound { .. })),
        "{missing:?}"
    );
    let stats = emulator.stats();
    assert_eq!(stats.requests("GET /oauth2/account/subdomain"), 1);
    assert!(client.base_url().contains("old.amocrm.ru"));
}

#[tokio::test]
async fn a_client_on_the_emulators_ip_address_never_looks_the_account_up() {
    let emulator = old_account().await;
    let client = client(&emulator);
    emulator.rename_subdomain("new");
    let account = client.account(&[]).await.unwrap();
    assert_eq!(account.subdomain, "new");
    assert_eq!(
        emulator.stats().requests("GET /oauth2/account/subdomain"),
        0
    );
}
