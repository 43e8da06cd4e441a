//! Patient sync: the pure contact refresh (name and phones, nothing else) and one run through mocks.

use std::collections::HashMap;

use chrono::Utc;
use crmsync_domain::crm::{Contact, ContactId, CustomFieldValue, CustomFields, PHONE};
use crmsync_domain::{Patient, PatientId};
use crmsync_ports::{
    KeyValueStore, Link, MockCrmClient, MockMisSource, MockReceptionLinkStore, NoProgress, Page,
};
use crmsync_store::memory::MemoryKeyValueStore;

use super::*;

fn contact(id: i64, name: &str, phones: &[&str]) -> Contact {
    Contact {
        id: ContactId(id),
        name: name.to_owned(),
        first_name: None,
        last_name: None,
        responsible_user_id: None,
        created_at: None,
        updated_at: None,
        is_deleted: false,
        custom_fields: CustomFields(phones.iter().map(|p| CustomFieldValue::phone(*p)).collect()),
        tags: Vec::new(),
        companies: Vec::new(),
        leads: Vec::new(),
        account_id: None,
    }
}

/// A patient named "Петрова Анна" with `phones`.
fn valid(id: i64, phones: &[&str]) -> Patient {
    Patient::from_mis(patient(id, phones)).unwrap()
}

#[test]
fn only_the_name_and_changed_phones_of_linked_contacts_are_refreshed() {
    let mut renamed = patient(1, &["8 (916) 111-22-33"]);
    renamed.surname = Some("Сидорова".into());
    let renamed = Patient::from_mis(renamed).unwrap();
    let new_phone = valid(2, &["+7 916 222 33 44", "8-903-000-00-01"]);
    let same = valid(3, &["8 (916) 333-44-55"]);
    let unlinked = valid(4, &["89164445566"]);
    let phoneless_renamed = {
        let mut p = patient(5, &[]);
        p.name = Some("Мария".into());
        Patient::from_mis(p).unwrap()
    };
    let deleted_contact = valid(6, &["89166667788"]);
    let linked: HashMap<PatientId, ContactId> = [(1, 11), (2, 12), (3, 13), (5, 15), (6, 16)]
        .into_iter()
        .map(|(p, c)| (PatientId(p), ContactId(c)))
        .collect();
    let current: HashMap<ContactId, Contact> = [
        contact(11, "Петрова Анна", &["+79161112233"]),
        contact(12, "Петрова Анна", &["+79162223344"]),
        contact(13, "Петрова Анна", &["+7 916 333-44-55"]),
        contact(15, "Петрова Анна", &["+79165556677"]),
    ]
    .into_iter()
    .map(|c| (c.id, c))
    .collect();
    let plan = plan_patients(
        &[
            renamed,
            new_phone,
            same,
            unlinked,
            phoneless_renamed,
            deleted_contact,
        ],
        &linked,
        &current,
    );

    let ids: Vec<i64> = plan.updates.iter().map(|u| u.id.0).collect();
    assert_eq!(
        ids,
        [11, 12, 15],
        "unchanged, unlinked and vanished contacts are left alone"
    );
    let by_id: HashMap<i64, &crmsync_domain::crm::ContactUpdate> =
        plan.updates.iter().map(|u| (u.id.0, u)).collect();

    let u = by_id[&11];
    assert_eq!(u.name.as_deref(), Some("Сидорова Анна"));
    assert_eq!(
        (u.last_name.as_deref(), u.first_name.as_deref()),
        (Some("Сидорова"), Some("Анна"))
    );
    assert!(u.custom_fields.is_empty(), "same phone: phones untouched");

    let u = by_id[&12];
    assert_eq!(u.custom_fields.len(), 1, "only the phone field");
    let phones = CustomFields(u.custom_fields.clone()).phones();
    assert_eq!(phones, ["+79030000001", "+79162223344"]);
    assert_eq!(u.custom_fields[0].field_code.as_deref(), Some(PHONE));

    let u = by_id[&15];
    assert_eq!(u.name.as_deref(), Some("Петрова Мария"));
    assert!(
        u.custom_fields.is_empty(),
        "a patient without a usable phone keeps the contact's phones"
    );

    for u in &plan.updates {
        assert_eq!(u.responsible_user_id, None);
        assert!(u.tags_to_add.is_empty() && u.tags_to_delete.is_empty());
    }
    assert_eq!(
        plan.phone_links.phone_contacts,
        [
            ("+79030000001".to_owned(), ContactId(12)),
            ("+79162223344".to_owned(), ContactId(12)),
        ]
    );
    assert!(
        plan.phone_links.reception_leads.is_empty() && plan.phone_links.patient_contacts.is_empty()
    );
}

#[tokio::test]
async fn a_patient_sync_run_updates_contacts_and_moves_its_cursor_only() {
    let s = settings();
    let kv = MemoryKeyValueStore::new();
    let fingerprint = serde_json::to_string(&(&s.primary, &s.secondary, &s.fields)).unwrap();
    kv.put(&s.key("account-check"), &fingerprint, None)
        .await
        .unwrap();

    let mut changed = patient(1, &["89161112233"]);
    changed.surname = Some("Сидорова".into());
    let page = vec![
        changed,
        patient(2, &["89162223344"]),
        patient(3, &["89163334455"]),
    ];
    let last = (page[2].changed_at, page[2].id);
    let mut mis = MockMisSource::new();
    mis.expect_patients_since()
        .times(1)
        .withf(|after, _| after.is_none())
        .return_once(move |_, _| Ok(page));
    let mut links = MockReceptionLinkStore::new();
    links.expect_patient_contacts().times(1).returning(|ids| {
        Ok(ids
            .iter()
            .filter(|p| p.0 != 3)
            .map(|p| (*p, Link::Linked(ContactId(10 + p.0))))
            .collect())
    });
    links
        .expect_write()
        .times(1)
        .withf(|c| c.phone_contacts.is_empty() && c.reception_leads.is_empty())
        .returning(|_| Ok(()));
    let mut crm = MockCrmClient::new();
    crm.expect_list_contacts()
        .times(1)
        .withf(|filter, _| {
            let mut ids = filter.ids.clone();
            ids.sort();
            ids == [ContactId(11), ContactId(12)]
        })
        .returning(|_, _| {
            Ok(Page {
                items: vec![
                    contact(11, "Петрова Анна", &["+79161112233"]),
                    contact(12, "Петрова Анна", &["8 916 222-33-44"]),
                ],
                next: None,
            })
        });
    crm.expect_update_contacts()
        .times(1)
        .withf(|updates| {
            updates.len() == 1
                && updates[0].id == ContactId(11)
                && updates[0].name.as_deref() == Some("Сидорова Анна")
                && updates[0].custom_fields.is_empty()
        })
        .returning(|u| Ok(u.iter().map(|u| u.id).collect()));
    let ports = Ports {
        crm: &crm,
        mis: &mis,
        links: &links,
        cursors: &kv,
    };
    let report = sync_patients(ports, &s, &RunOptions::incremental(Utc::now()), &NoProgress)
        .await
        .unwrap();
    assert_eq!((report.patients, report.contacts_updated), (3, 1));
    assert_eq!((report.deals_created, report.contacts_created), (0, 0));
    let cursor: crmsync_ports::MisCursor =
        serde_json::from_str(&kv.get(&s.key("patients")).await.unwrap().unwrap()).unwrap();
    assert_eq!((cursor.changed_at, cursor.id), last);
}
