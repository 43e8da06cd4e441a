//! The reception sync's link tables behave the same in memory, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use crmsync_domain::crm::{ContactId, LeadId};
use crmsync_domain::{PatientId, ReceptionId};
use crmsync_ports::{Link, LinkChanges, ReceptionLinkStore};
use crmsync_store::{Database, MemoryReceptionLinks, SqlReceptionLinks, sqlite};
use crmsync_testkit::services;

async fn contract(store: &dyn ReceptionLinkStore) {
    let at = Utc.timestamp_millis_opt(1_800_000_000_123).unwrap();
    let r = |i| ReceptionId(i);
    store
        .write(&LinkChanges {
            reception_intents: vec![(r(1), at), (r(2), at)],
            patient_intents: vec![(PatientId(10), at)],
            phone_contacts: vec![
                ("+79160000001".into(), ContactId(7)),
                ("+79160000001".into(), ContactId(8)),
            ],
            number_leads: vec![("10001".into(), LeadId(500)), ("10002".into(), LeadId(501))],
            ..LinkChanges::default()
        })
        .await
        .unwrap();
    assert_eq!(store.open_intents().await.unwrap(), (2, 1));
    store
        .write(&LinkChanges {
            reception_leads: vec![(r(1), LeadId(100))],
            reception_intents: vec![(r(1), at)],
            patient_contacts: vec![(PatientId(10), ContactId(8))],
            drop_number_leads: vec![("10001".into(), LeadId(500)), ("10002".into(), LeadId(999))],
            ..LinkChanges::default()
        })
        .await
        .unwrap();
    let mut leads = store.reception_leads(&[r(1), r(2), r(3)]).await.unwrap();
    leads.sort_by_key(|(id, _)| *id);
    assert_eq!(
        leads,
        [(r(1), Link::Linked(LeadId(100))), (r(2), Link::Intent(at))],
        "an intent never replaces a link"
    );
    assert_eq!(
        store.patient_contacts(&[PatientId(10)]).await.unwrap(),
        [(PatientId(10), Link::Linked(ContactId(8)))]
    );
    assert_eq!(
        store
            .phone_contacts(&["+79160000001".into(), "+7".into()])
            .await
            .unwrap(),
        [("+79160000001".to_owned(), ContactId(8))],
        "the last write of a phone wins"
    );
    assert_eq!(
        store
            .number_leads(&["10001".into(), "10002".into()])
            .await
            .unwrap(),
        [("10002".to_owned(), LeadId(501))],
        "a number link is dropped only while it points at that deal"
    );
    assert_eq!(store.open_intents().await.unwrap(), (1, 0));
    assert_eq!(store.counts().await.unwrap(), (1, 1, 1, 1));
    let many: Vec<(ReceptionId, LeadId)> = (1000..1600).map(|i| (r(i), LeadId(i * 10))).collect();
    store
        .write(&LinkChanges {
            reception_leads: many.clone(),
            ..LinkChanges::default()
        })
        .await
        .unwrap();
    let ids: Vec<ReceptionId> = many.iter().map(|(id, _)| *id).collect();
    assert_eq!(store.reception_leads(&ids).await.unwrap().len(), 600);
}

#[tokio::test]
async fn memory_link_tables() {
    contract(&MemoryReceptionLinks::default()).await;
}

#[tokio::test]
async fn sqlite_link_tables() {
    let dir = std::env::temp_dir().join(format!("crmsync-links-{}", uuid::Uuid::new_v4().simple()));
    let pool = sqlite::open(&dir.join("links.sqlite")).await.unwrap();
    contract(&SqlReceptionLinks::Sqlite(pool)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_link_tables() {
    let db = services::fresh_postgres().await;
    let database = Database::open(&db.url).await.unwrap();
    contract(database.reception_links().as_ref()).await;
}
