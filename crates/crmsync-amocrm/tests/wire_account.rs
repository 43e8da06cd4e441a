//! Wire tests of the account and users: `with=` parts and the rights object, decoded into typed structs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use crmsync_sandbox::amocrm::AmoCrmConfig;

use common::*;

#[tokio::test]
async fn the_account_and_its_with_parts_decode() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let plain = client.account(&[]).await.unwrap();
    assert_eq!(plain.subdomain, "sandbox");
    assert_eq!(plain.amojo_id, None);
    assert!(plain.embedded.task_types.is_empty());
    let full = client
        .account(&[
            "amojo_id",
            "task_types",
            "users_groups",
            "datetime_settings",
            "version",
        ])
        .await
        .unwrap();
    assert!(full.amojo_id.is_some());
    assert_eq!(full.version, Some(11));
    let codes: Vec<_> = full
        .embedded
        .task_types
        .iter()
        .filter_map(|t| t.code.as_deref())
        .collect();
    assert_eq!(codes, vec!["FOLLOW_UP", "MEETING"]);
    assert_eq!(
        full.embedded.datetime_settings.unwrap().timezone.as_deref(),
        Some("Europe/Moscow")
    );
    assert_eq!(
        client.account(&["bogus"]).await.unwrap_err().kind(),
        "invalid_input"
    );
}

#[tokio::test]
async fn users_come_with_their_rights() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let users = client(&emulator).users().await.unwrap();
    assert!(users.len() >= 2);
    let admin = users.iter().find(|u| u.rights.is_admin).unwrap();
    assert_eq!(
        admin.rights.leads.as_ref().unwrap().view.as_deref(),
        Some("A")
    );
    assert!(
        admin
            .rights
            .status_rights
            .iter()
            .any(|s| s.status_id == 142)
    );
    let manager = users.iter().find(|u| !u.rights.is_admin).unwrap();
    assert!(manager.rights.role_id.is_some());
    assert!(!format!("{manager:?}").contains('@'), "no e-mail in Debug");
}
