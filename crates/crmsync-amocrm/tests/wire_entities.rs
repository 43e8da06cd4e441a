//! Wire tests of every operation against the emulator: lists with filters and paging, get by id, batch add and
//! update, complex add, tasks, notes, pipelines, custom fields, and the error answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Duration as ChronoDuration, Utc};
use crmsync_amocrm::{CrmClient, CrmClientExt, CrmError};
use crmsync_domain::crm::{
    CompanyUpdate, ComplexLead, ContactId, ContactUpdate, CustomFieldValue, EntityKind, EntityRef,
    FieldId, FieldType, LeadId, LeadUpdate, LinkedContact, NewCompany, NewContact, NewLead,
    NewNote, NewTask, PipelineId, Price, StatusId, StatusRef, TaskId,
};
use crmsync_ports::{CompanyFilter, ContactFilter, LeadFilter, PageCursor, TaskFilter};
use crmsync_sandbox::amocrm::AmoCrmConfig;
use futures_util::TryStreamExt;

use common::*;

const SALES: PipelineId = PipelineId(8_000_001);
const FIRST_CONTACT: StatusId = StatusId(8_000_012);
const NEGOTIATION: StatusId = StatusId(8_000_013);
const CASE_NUMBER: FieldId = FieldId(9_000_201);

fn contact(i: usize) -> NewContact {
    NewContact {
        name: Some(format!("Contact {i}")),
        custom_fields: vec![CustomFieldValue::phone(format!("+7916{i:07}"))],
        ..NewContact::default()
    }
}

#[tokio::test]
async fn pipelines_and_custom_fields_are_read() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let pipelines = client.pipelines().await.unwrap();
    let sales = pipelines.iter().find(|p| p.id == SALES).unwrap();
    assert!(sales.is_main);
    assert!(sales.status(StatusId::WON).unwrap().is_closed());
    assert!(pipelines.iter().all(|p| p.status(StatusId::LOST).is_some()));
    let lead_fields = client.custom_fields(EntityKind::Leads).await.unwrap();
    assert!(
        lead_fields
            .iter()
            .any(|f| f.id == CASE_NUMBER && f.field_type == FieldType::Text)
    );
    let contact_fields = client.custom_fields(EntityKind::Contacts).await.unwrap();
    let phone = contact_fields
        .iter()
        .find(|f| f.code.as_deref() == Some("PHONE"))
        .unwrap();
    assert_eq!(phone.field_type, FieldType::Multitext);
    assert!(!phone.enums.is_empty());
    assert!(
        phone.enums.iter().any(|e| e.value == "MOB")
            && phone.enums.iter().all(|e| e.code.is_none()),
        "phone options carry WORK/MOB in value, never in code"
    );
}

#[tokio::test]
async fn leads_are_added_listed_filtered_fetched_and_updated() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let leads: Vec<NewLead> = (0..3)
        .map(|i| NewLead {
            name: Some(format!("Lead {i}")),
            price: Some(Price::from_units(100 * (i + 1))),
            pipeline_id: Some(SALES),
            status_id: Some(if i == 0 { NEGOTIATION } else { FIRST_CONTACT }),
            custom_fields: vec![CustomFieldValue::text(CASE_NUMBER, format!("А40-{i}/2024"))],
            request_id: Some(format!("lead-{i}")),
            ..NewLead::default()
        })
        .collect();
    let created = client.add_leads(&leads).await.unwrap();
    assert_eq!(
        created
            .iter()
            .map(|c| c.request_id.as_str())
            .collect::<Vec<_>>(),
        ["lead-0", "lead-1", "lead-2"]
    );
    assert_eq!(emulator.count("leads"), 3);

    let in_negotiation = client
        .all_leads(&LeadFilter::in_statuses([StatusRef::new(
            SALES,
            NEGOTIATION,
        )]))
        .await
        .unwrap();
    assert_eq!(in_negotiation.len(), 1);
    assert_eq!(in_negotiation[0].id, created[0].id);
    assert_eq!(
        in_negotiation[0].custom_fields.text(CASE_NUMBER).as_deref(),
        Some("А40-0/2024")
    );
    assert_eq!(in_negotiation[0].price, Some(Price::from_units(100)));

    let by_ids = client
        .all_leads(&LeadFilter::ids([created[1].id, created[2].id]))
        .await
        .unwrap();
    assert_eq!(by_ids.len(), 2);

    let since = client
        .all_leads(&LeadFilter::default().updated_since(Utc::now() - ChronoDuration::hours(1)))
        .await
        .unwrap();
    assert_eq!(since.len(), 3);
    let future = client
        .all_leads(&LeadFilter::default().updated_since(Utc::now() + ChronoDuration::hours(1)))
        .await
        .unwrap();
    assert!(future.is_empty(), "an empty result (204) is not an error");

    let updated = client
        .update_leads(&[LeadUpdate {
            id: created[1].id,
            status_id: Some(StatusId::WON),
            pipeline_id: Some(SALES),
            custom_fields: vec![CustomFieldValue::clear(CASE_NUMBER)],
            ..LeadUpdate::default()
        }])
        .await
        .unwrap();
    assert_eq!(updated, vec![created[1].id]);
    let lead = client
        .get_lead(created[1].id, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.status_id, Some(StatusId::WON));
    assert_eq!(lead.custom_fields.text(CASE_NUMBER), None);
    assert!(
        client
            .get_lead(LeadId(999_999_999), false)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn contacts_are_found_by_phone_query_and_linked_to_leads() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let contacts = client
        .add_contacts(&[contact(1), contact(2)])
        .await
        .unwrap();
    let found = client
        .all_contacts(&ContactFilter::query("79160000002"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, contacts[1].id);
    assert_eq!(found[0].custom_fields.phones(), vec!["+79160000002"]);
    assert!(
        client
            .all_contacts(&ContactFilter::query("70000000000"))
            .await
            .unwrap()
            .is_empty()
    );

    let lead = client
        .add_leads(&[NewLead {
            name: Some("Linked".into()),
            contacts: vec![LinkedContact {
                id: contacts[0].id,
                is_main: true,
            }],
            ..NewLead::default()
        }])
        .await
        .unwrap();
    let with = client.get_lead(lead[0].id, true).await.unwrap().unwrap();
    assert_eq!(with.main_contact(), Some(contacts[0].id));
    let listed = client
        .all_leads(&LeadFilter::ids([lead[0].id]).with_contacts())
        .await
        .unwrap();
    assert_eq!(listed[0].contacts.len(), 1);
    let without = client.get_lead(lead[0].id, false).await.unwrap().unwrap();
    assert!(without.contacts.is_empty());

    client
        .update_contacts(&[ContactUpdate {
            id: contacts[0].id,
            first_name: Some("Renamed".into()),
            ..ContactUpdate::default()
        }])
        .await
        .unwrap();
    let renamed = client.get_contact(contacts[0].id).await.unwrap().unwrap();
    assert_eq!(renamed.first_name.as_deref(), Some("Renamed"));
    assert!(
        client
            .get_contact(ContactId(424_242_424))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn lists_are_paged_at_250_and_streamed() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = long_lived_builder(&emulator)
        .batch(crmsync_amocrm::BatchPolicy {
            write_chunk: 250,
            ..Default::default()
        })
        .build()
        .unwrap();
    let inputs: Vec<NewContact> = (0..300).map(contact).collect();
    client.add_contacts(&inputs).await.unwrap();
    assert_eq!(emulator.stats().requests("POST /api/v4/contacts"), 2);
    let first = client
        .list_contacts(&ContactFilter::default(), None)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 250);
    let next = first.next.clone().unwrap();
    let second = client
        .list_contacts(&ContactFilter::default(), Some(next))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 50);
    let streamed: Vec<_> = client
        .stream_contacts(ContactFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 300);
    let mut ids: Vec<_> = streamed.iter().map(|c| c.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 300);
    let small = ContactFilter {
        limit: Some(100),
        ..ContactFilter::default()
    };
    assert_eq!(client.all_contacts(&small).await.unwrap().len(), 300);
    let foreign = client
        .list_contacts(
            &ContactFilter::default(),
            Some(PageCursor::new("https://evil.example/x")),
        )
        .await
        .unwrap_err();
    assert_eq!(foreign.kind(), "invalid_input");
}

#[tokio::test]
async fn companies_are_added_updated_and_listed() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let seller = FieldId(9_000_105);
    let created = client
        .add_companies(&[NewCompany {
            name: Some("Seller 1".into()),
            custom_fields: vec![CustomFieldValue::text(seller, "s-1")],
            ..NewCompany::default()
        }])
        .await
        .unwrap();
    client
        .update_companies(&[CompanyUpdate {
            id: created[0].id,
            name: Some("Seller One".into()),
            ..CompanyUpdate::default()
        }])
        .await
        .unwrap();
    let company = client.get_company(created[0].id).await.unwrap().unwrap();
    assert_eq!(company.name, "Seller One");
    assert_eq!(company.custom_fields.text(seller).as_deref(), Some("s-1"));
    let listed = client
        .all_companies(&CompanyFilter::ids([created[0].id]))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn complex_add_creates_leads_with_contacts_and_companies() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let items: Vec<ComplexLead> = (0..3)
        .map(|i| ComplexLead {
            lead: NewLead {
                name: Some(format!("Deal {i}")),
                ..NewLead::default()
            },
            contact: Some(contact(i)),
            company: (i == 0).then(|| NewCompany {
                name: Some("Clinic".into()),
                ..NewCompany::default()
            }),
        })
        .collect();
    let created = client.add_complex(&items).await.unwrap();
    assert_eq!(created.len(), 3);
    assert_eq!(created[0].request_ids, vec!["0"]);
    assert!(created.iter().all(|c| c.contact_id.is_some()));
    assert!(created[0].company_id.is_some() && created[1].company_id.is_none());
    assert_eq!(
        (
            emulator.count("leads"),
            emulator.count("contacts"),
            emulator.count("companies")
        ),
        (3, 3, 1)
    );
    let lead = client
        .get_lead(created[2].lead_id, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.main_contact(), created[2].contact_id);
}

#[tokio::test]
async fn tasks_and_notes_are_attached_to_entities() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let lead = client.add_leads(&[NewLead::default()]).await.unwrap()[0].id;
    let contact = client.add_contacts(&[contact(0)]).await.unwrap()[0].id;
    let due = Utc::now() + ChronoDuration::days(1);
    let tasks = client
        .add_tasks(&[NewTask::about(
            EntityRef::lead(lead),
            "Fix the case number",
            due,
        )])
        .await
        .unwrap();
    let open = client
        .all_tasks(&TaskFilter::open_for(EntityKind::Leads, [lead.0]))
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, tasks[0].id);
    assert_eq!(open[0].entity, Some(EntityRef::lead(lead)));
    assert_eq!(
        open[0].complete_till.map(|t| t.timestamp()),
        Some(due.timestamp())
    );
    assert!(
        client
            .all_tasks(&TaskFilter {
                ids: vec![TaskId(1)],
                ..TaskFilter::default()
            })
            .await
            .unwrap()
            .is_empty()
    );

    let notes = client
        .add_notes(&[
            NewNote::text(EntityRef::lead(lead), "Case accepted"),
            NewNote::text(EntityRef::contact(contact), "Called"),
            NewNote::text(EntityRef::lead(lead), "Hearing set"),
        ])
        .await
        .unwrap();
    assert_eq!(
        notes
            .iter()
            .map(|n| n.request_id.as_str())
            .collect::<Vec<_>>(),
        ["0", "1", "2"]
    );
    assert_eq!(emulator.count("notes"), 3);
}

#[tokio::test]
async fn validation_errors_name_the_request_and_the_field() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let error = client
        .add_leads(&[NewLead {
            pipeline_id: Some(SALES),
            status_id: Some(StatusId(12_345)),
            request_id: Some("bad-lead".into()),
            ..NewLead::default()
        }])
        .await
        .unwrap_err();
    let CrmError::Validation { violations, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(violations[0].request_id.as_deref(), Some("bad-lead"));
    assert!(violations[0].path.contains("status_id"), "{violations:?}");
    assert_eq!(emulator.count("leads"), 0);
}

#[tokio::test]
async fn inputs_are_checked_before_sending() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let twice = NewContact {
        request_id: Some("x".into()),
        ..NewContact::default()
    };
    let error = client
        .add_contacts(&[twice.clone(), twice])
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "invalid_input");
    let updates = [
        ContactUpdate {
            id: ContactId(1),
            ..Default::default()
        },
        ContactUpdate {
            id: ContactId(1),
            ..Default::default()
        },
    ];
    assert_eq!(
        client.update_contacts(&updates).await.unwrap_err().kind(),
        "invalid_input"
    );
    assert!(client.add_contacts(&[]).await.unwrap().is_empty());
    assert_eq!(emulator.stats().requests_total, 0);
}

#[tokio::test]
async fn payment_required_is_typed() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    emulator.set_payment_required(true);
    assert_eq!(
        client.pipelines().await.unwrap_err(),
        CrmError::PaymentRequired
    );
}

#[tokio::test]
async fn a_base_url_path_is_ignored_and_other_schemes_are_refused() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = crmsync_amocrm::AmoCrmClient::builder(
        format!("{}/nowhere", emulator.base_url()),
        crmsync_amocrm::Credentials::LongLived(LONG_LIVED.into()),
    )
    .build()
    .unwrap();
    // The base URL's path is ignored: requests go to /api/v4/... on the host.
    assert!(client.pipelines().await.is_ok());
    let bad = crmsync_amocrm::AmoCrmClient::builder(
        "ftp://x",
        crmsync_amocrm::Credentials::LongLived(LONG_LIVED.into()),
    )
    .build();
    assert_eq!(bad.unwrap_err().kind(), "invalid_input");
}
