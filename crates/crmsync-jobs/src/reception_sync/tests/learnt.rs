//! Contacts a batch learns for patients without a remembered one: by phone, or from their own deal's main
//! contact (what settles a contact intent a killed run left open).

use crmsync_domain::crm::{ContactId, CustomFieldValue, LeadId, LinkedContact};
use crmsync_domain::{PatientId, ReceptionId};
use crmsync_ports::Link;

use super::*;

fn with_own_deal(patient_link: Option<Link<ContactId>>) -> Plan {
    let mut w = World::new(
        vec![reception(1, 100), reception(2, 100)],
        vec![patient(100, &["89161234567"])],
    );
    for (r, l) in [(1, 500), (2, 501)] {
        w.reception_links
            .insert(ReceptionId(r), Link::Linked(LeadId(l)));
        let mut deal = lead(
            l,
            PRIMARY,
            vec![CustomFieldValue::text(RECEPTION_FIELD, r.to_string())],
        );
        deal.contacts = vec![
            LinkedContact {
                id: ContactId(45),
                is_main: false,
            },
            LinkedContact {
                id: ContactId(44),
                is_main: true,
            },
        ];
        w.leads.push(deal);
    }
    if let Some(link) = patient_link {
        w.patient_links.insert(PatientId(100), link);
    }
    w.plan()
}

#[test]
fn the_main_contact_of_the_patients_own_deal_settles_an_open_intent() {
    let plan = with_own_deal(Some(Link::Intent(chrono::Utc::now())));
    assert_eq!(plan.found_contacts, [(PatientId(100), ContactId(44))]);
    assert!(plan.contacts.is_empty());
    let plan = with_own_deal(None);
    assert_eq!(plan.found_contacts, [(PatientId(100), ContactId(44))]);
    let plan = with_own_deal(Some(Link::Linked(ContactId(7))));
    assert!(
        plan.found_contacts.is_empty(),
        "a remembered contact is kept"
    );
}

#[test]
fn a_contact_found_by_phone_is_remembered_once() {
    let mut w = World::new(
        vec![reception(1, 100), reception(2, 100)],
        vec![patient(100, &["8 (916) 123-45-67"])],
    );
    w.phone_links.insert("+79161234567".into(), ContactId(9));
    let plan = w.plan();
    assert_eq!(plan.found_contacts, [(PatientId(100), ContactId(9))]);
    w.patient_links
        .insert(PatientId(100), Link::Linked(ContactId(8)));
    assert!(w.plan().found_contacts.is_empty());
}
