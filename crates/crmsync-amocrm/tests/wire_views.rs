//! Wire tests of per-clone request options: `X-Context-User-ID` (act as another user) and `If-Modified-Since` on
//! lists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use crmsync_amocrm::CrmClient;
use crmsync_domain::crm::NewLead;
use crmsync_ports::LeadFilter;
use crmsync_sandbox::SandboxClock;
use crmsync_sandbox::amocrm::AmoCrmConfig;

use common::*;

const SECOND_USER: i64 = 7_000_002;

fn lead(name: &str) -> NewLead {
    NewLead {
        name: Some(name.to_owned()),
        ..NewLead::default()
    }
}

#[tokio::test]
async fn a_clone_acting_as_another_user_writes_as_that_user() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let mine = client.add_leads(&[lead("mine")]).await.unwrap();
    let theirs = client
        .as_user(SECOND_USER)
        .add_leads(&[lead("theirs")])
        .await
        .unwrap();
    let created_by = |id: i64| emulator.entity("leads", id).unwrap()["created_by"].clone();
    assert_eq!(created_by(theirs[0].id.0), SECOND_USER);
    assert_ne!(created_by(mine[0].id.0), SECOND_USER);
    let error = client
        .as_user(99)
        .add_leads(&[lead("nobody")])
        .await
        .unwrap_err();
    assert_ne!(error.kind(), "blocked", "{error:?}");
    assert!(client.blocked().is_none());
}

#[tokio::test]
async fn if_modified_since_lists_only_what_changed_since() {
    let clock = SandboxClock::manual_at_now();
    let emulator = emulator(AmoCrmConfig {
        clock: clock.clone(),
        ..AmoCrmConfig::default()
    })
    .await;
    let client = client(&emulator);
    client
        .add_leads(&[lead("old 1"), lead("old 2")])
        .await
        .unwrap();
    let all = client
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    clock.advance(Duration::from_secs(3600));
    let since = DateTime::from_timestamp(clock.now_unix() - 60, 0).unwrap();
    let fresh = client.add_leads(&[lead("fresh")]).await.unwrap();
    let changed = client
        .if_modified_since(since)
        .list_leads(&LeadFilter::default(), None)
        .await
        .unwrap();
    let ids: Vec<i64> = changed.items.iter().map(|l| l.id.0).collect();
    assert_eq!(ids, vec![fresh[0].id.0]);
    clock.advance(Duration::from_secs(3600));
    let later = DateTime::from_timestamp(clock.now_unix() - 60, 0).unwrap();
    let none = Arc::new(client.if_modified_since(later));
    assert!(
        none.list_leads(&LeadFilter::default(), None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
