//! Wire tests of typed notes (every common type, per entity type and per entity, read, updated) and of task
//! updates and completion with a result.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Duration, Utc};
use crmsync_amocrm::CrmClient;
use crmsync_amocrm::events::EventFilter;
use crmsync_amocrm::notes::{CallParams, NewAmoNote, NoteParams, NoteUpdate, NotesQuery};
use crmsync_amocrm::tasks::TaskUpdate;
use crmsync_domain::crm::{EntityKind, EntityRef, NewContact, NewLead, NewTask, TaskId};
use crmsync_sandbox::amocrm::AmoCrmConfig;
use serde_json::json;

use common::*;

fn call(uniq: &str) -> CallParams {
    serde_json::from_value(json!({
        "uniq": uniq, "duration": 60, "source": "onlinePBX", "phone": "+79999999999",
        "link": "https://example.com/record.mp3", "call_status": 4
    }))
    .unwrap()
}

fn every_type() -> Vec<NoteParams> {
    vec![
        NoteParams::Common {
            text: "hello".into(),
        },
        NoteParams::CallIn(call("in-1")),
        NoteParams::CallOut(call("out-1")),
        NoteParams::ServiceMessage {
            service: "crmsync".into(),
            text: "synced".into(),
        },
        NoteParams::ExtendedServiceMessage {
            service: "crmsync".into(),
            text: "long".into(),
        },
        NoteParams::MessageCashier {
            status: "created".into(),
            text: "pay".into(),
        },
        NoteParams::Geolocation {
            text: "office".into(),
            address: "Moscow".into(),
            longitude: "37.61".into(),
            latitude: "55.75".into(),
        },
        NoteParams::SmsIn {
            text: "hi".into(),
            phone: "+79990000001".into(),
        },
        NoteParams::SmsOut {
            text: "bye".into(),
            phone: "+79990000002".into(),
        },
        NoteParams::Attachment {
            file_uuid: "c5f1a3d2-0000-4000-8000-000000000001".into(),
            version_uuid: Some("c5f1a3d2-0000-4000-8000-000000000002".into()),
            file_name: "contract.pdf".into(),
        },
    ]
}

#[tokio::test]
async fn every_common_note_type_round_trips_and_lists_by_type_and_entity() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let lead = client.add_leads(&[NewLead::default()]).await.unwrap()[0].id;
    let params = every_type();
    let notes: Vec<NewAmoNote> = params
        .iter()
        .map(|p| NewAmoNote::new(lead.0, p.clone()))
        .collect();
    let added = client
        .add_typed_notes(EntityKind::Leads, &notes)
        .await
        .unwrap();
    assert_eq!(added.len(), params.len());
    assert_eq!(added[3].request_id.as_deref(), Some("3"));
    let listed = client
        .all_entity_notes(EntityKind::Leads, &NotesQuery::default())
        .await
        .unwrap();
    let read: Vec<NoteParams> = listed.iter().map(|n| n.params.clone()).collect();
    assert_eq!(read, params);
    let calls = client
        .all_entity_notes(
            EntityKind::Leads,
            &NotesQuery {
                note_types: vec!["call_in".into(), "call_out".into()],
                ..NotesQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(calls.len(), 2);
    match &calls[0].params {
        NoteParams::CallIn(c) => {
            assert_eq!(c.duration, 60);
            assert_eq!(c.call_status, Some(4));
        }
        other => panic!("expected an incoming call, got {other:?}"),
    }

    let contact = client.add_contacts(&[NewContact::default()]).await.unwrap()[0].id;
    let on_contact = client
        .add_notes_to(
            EntityRef::contact(contact.0),
            &[NewAmoNote::new(
                0,
                NoteParams::Common {
                    text: "on contact".into(),
                },
            )],
        )
        .await
        .unwrap();
    assert_eq!(on_contact[0].entity_id, contact.0);
    let of_contact = client
        .notes_of(EntityRef::contact(contact.0), &NotesQuery::default())
        .await
        .unwrap();
    assert_eq!(of_contact.len(), 1);
    assert!(
        client
            .notes_of(EntityRef::contact(contact.0 + 1), &NotesQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    let one = client
        .note(EntityKind::Leads, added[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.entity_id, lead.0);
    assert!(
        client
            .note(EntityKind::Contacts, added[0].id)
            .await
            .unwrap()
            .is_none()
    );

    let changed = client
        .update_notes(
            EntityKind::Leads,
            &[NoteUpdate {
                id: added[0].id,
                params: NoteParams::Common {
                    text: "edited".into(),
                },
            }],
        )
        .await
        .unwrap();
    assert_eq!(changed, vec![added[0].id]);
    client
        .update_note(
            EntityKind::Leads,
            &NoteUpdate {
                id: added[7].id,
                params: NoteParams::SmsIn {
                    text: "edited sms".into(),
                    phone: "+79990000001".into(),
                },
            },
        )
        .await
        .unwrap();
    let edited = client
        .note(EntityKind::Leads, added[7].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        edited.params,
        NoteParams::SmsIn {
            text: "edited sms".into(),
            phone: "+79990000001".into()
        }
    );
    let events = client
        .all_events(&EventFilter::of_types(["incoming_call", "outgoing_call"]))
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn bad_notes_are_refused_before_sending_or_by_the_api() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let lead = client.add_leads(&[NewLead::default()]).await.unwrap()[0].id;
    let blank = client
        .add_typed_notes(
            EntityKind::Leads,
            &[NewAmoNote::new(
                lead.0,
                NoteParams::Common { text: " ".into() },
            )],
        )
        .await
        .unwrap_err();
    assert_eq!(blank.kind(), "invalid_input");
    assert!(blank.to_string().contains("notes[0].params.text"));
    let unknown = client
        .add_typed_notes(
            EntityKind::Leads,
            &[NewAmoNote::new(
                lead.0,
                NoteParams::Other {
                    note_type: "no_such_type".into(),
                    params: json!({ "text": "x" }),
                },
            )],
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), "validation");
    assert_eq!(emulator.count("notes"), 0);
}

#[tokio::test]
async fn tasks_are_read_updated_and_completed_with_a_result() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let lead = client.add_leads(&[NewLead::default()]).await.unwrap()[0].id;
    let due = Utc::now() + Duration::days(1);
    let created = client
        .add_tasks(&[
            NewTask::about(EntityRef::lead(lead.0), "call back", due),
            NewTask::about(EntityRef::lead(lead.0), "send offer", due),
            NewTask::about(EntityRef::lead(lead.0), "meet", due),
        ])
        .await
        .unwrap();
    let ids: Vec<TaskId> = created.iter().map(|c| c.id).collect();
    let updated = client
        .update_tasks(&[TaskUpdate {
            id: ids[0],
            text: Some("call back twice".into()),
            complete_till: Some(due + Duration::hours(2)),
            ..TaskUpdate::default()
        }])
        .await
        .unwrap();
    assert_eq!(updated, vec![ids[0]]);
    let task = client.task(ids[0]).await.unwrap().unwrap();
    assert_eq!(task.text, "call back twice");
    assert_eq!(
        task.complete_till.map(|t| t.timestamp()),
        Some((due + Duration::hours(2)).timestamp())
    );
    assert!(!task.is_completed);

    client.complete_task(ids[0], "reached").await.unwrap();
    let done = client.task(ids[0]).await.unwrap().unwrap();
    assert!(done.is_completed);
    assert_eq!(done.result_text.as_deref(), Some("reached"));
    let batch = client
        .complete_tasks(&[(ids[1], "sent".into()), (ids[2], "met".into())])
        .await
        .unwrap();
    assert_eq!(batch, vec![ids[1], ids[2]]);
    assert_eq!(
        client
            .task(ids[2])
            .await
            .unwrap()
            .unwrap()
            .result_text
            .as_deref(),
        Some("met")
    );
    let completed = client
        .all_events(&EventFilter::of_types(["task_completed"]))
        .await
        .unwrap();
    assert_eq!(completed.len(), 3);
    assert!(client.task(TaskId(1)).await.unwrap().is_none());
    let nothing = client
        .update_task(&TaskUpdate {
            id: ids[0],
            ..TaskUpdate::default()
        })
        .await
        .unwrap_err();
    assert_eq!(nothing.kind(), "invalid_input");
    let missing = client
        .update_tasks(&[TaskUpdate::complete(TaskId(12345), "x")])
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), "validation");
}
