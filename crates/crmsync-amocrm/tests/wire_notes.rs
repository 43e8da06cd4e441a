//! Wire tests of listing notes against the emulator: filters by entity, type and id, paging, content decoding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use crmsync_amocrm::{CrmClient, CrmClientExt};
use crmsync_domain::crm::{EntityKind, EntityRef, NewLead, NewNote, NoteContent};
use crmsync_ports::NoteFilter;
use crmsync_sandbox::amocrm::AmoCrmConfig;

use common::*;

#[tokio::test]
async fn notes_are_listed_by_entity_and_type_across_pages() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let leads = client
        .add_leads(&[NewLead::default(), NewLead::default()])
        .await
        .unwrap();
    let (first, second) = (leads[0].id.0, leads[1].id.0);
    let mut notes: Vec<NewNote> = (0..3)
        .map(|i| NewNote::text(EntityRef::lead(first), format!("note {i}")))
        .collect();
    notes.push(NewNote::text(EntityRef::lead(second), "other lead"));
    notes.push(NewNote {
        entity: EntityRef::lead(first),
        content: NoteContent::ServiceMessage {
            service: "crmsync".into(),
            text: "service".into(),
        },
        request_id: None,
    });
    client.add_notes(&notes).await.unwrap();

    let mut filter = NoteFilter::on(EntityKind::Leads, [first]);
    filter.limit = Some(2);
    let page = client.list_notes(&filter, None).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.next.is_some());
    let all = client.all_notes(&filter).await.unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|n| n.entity == EntityRef::lead(first)));
    let common_only = client
        .all_notes(&NoteFilter::on(EntityKind::Leads, [first]).of_type("common"))
        .await
        .unwrap();
    let texts: Vec<&str> = common_only
        .iter()
        .filter_map(|n| n.content.text())
        .collect();
    assert_eq!(texts, ["note 0", "note 1", "note 2"]);
    let service = all
        .iter()
        .find(|n| n.content.note_type() == "service_message")
        .unwrap();
    assert_eq!(
        service.content,
        NoteContent::ServiceMessage {
            service: "crmsync".into(),
            text: "service".into()
        }
    );
    let mut by_id = NoteFilter::on(EntityKind::Leads, []);
    by_id.ids = vec![service.id];
    assert_eq!(client.all_notes(&by_id).await.unwrap().len(), 1);
    let none = client
        .all_notes(&NoteFilter::on(EntityKind::Contacts, [first]))
        .await
        .unwrap();
    assert!(none.is_empty());
}
