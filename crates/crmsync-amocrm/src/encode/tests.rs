//! Tests of request bodies: shapes the API expects and inputs rejected before sending.

use chrono::{TimeZone, Utc};
use crmsync_domain::crm::{
    CompanyId, ContactId, CustomFieldValue, EntityRef, FieldId, FieldValue, LeadId, LinkedContact,
    PipelineId, StatusId, TaskTypeId,
};
use serde_json::json;

use super::*;

#[test]
fn a_new_lead_carries_fields_links_and_tags() {
    let lead = NewLead {
        name: Some("Deal".into()),
        price: Some(Price::from_units(54321)),
        pipeline_id: Some(PipelineId(5)),
        status_id: Some(StatusId(6)),
        custom_fields: vec![CustomFieldValue::text(FieldId(77), "A40-1/2024")],
        tags: vec![Tag::named("new")],
        contacts: vec![LinkedContact {
            id: ContactId(9),
            is_main: true,
        }],
        companies: vec![CompanyId(10)],
        ..NewLead::default()
    };
    let body = Value::Object(new_lead(&lead, "leads[0]").unwrap());
    assert_eq!(
        body,
        json!({
            "name": "Deal", "price": 54321, "pipeline_id": 5, "status_id": 6,
            "custom_fields_values": [ { "field_id": 77, "values": [ { "value": "A40-1/2024" } ] } ],
            "_embedded": { "tags": [ { "name": "new" } ], "contacts": [ { "id": 9, "is_main": true } ],
                           "companies": [ { "id": 10 } ] }
        })
    );
}

#[test]
fn fractional_prices_and_cleared_fields_are_encoded() {
    let update = LeadUpdate {
        id: LeadId(1),
        price: Price::from_decimal(10.5),
        custom_fields: vec![CustomFieldValue::clear(FieldId(3))],
        ..LeadUpdate::default()
    };
    assert_eq!(
        lead_update(&update, "leads[0]").unwrap(),
        json!({ "id": 1, "price": 10.5, "custom_fields_values": [ { "field_id": 3, "values": null } ] })
    );
}

#[test]
fn phones_go_by_field_code_with_their_enum_code() {
    let contact = NewContact {
        first_name: Some("Ivan".into()),
        custom_fields: vec![CustomFieldValue::phone("+79129876543")],
        ..NewContact::default()
    };
    let body = Value::Object(new_contact(&contact, "contacts[0]").unwrap());
    assert_eq!(
        body["custom_fields_values"],
        json!([ { "field_code": "PHONE", "values": [ { "value": "+79129876543", "enum_code": "WORK" } ] } ])
    );
}

#[test]
fn a_field_without_id_or_code_is_rejected_with_its_path() {
    let contact = NewContact {
        custom_fields: vec![
            CustomFieldValue::by_id(FieldId(1), vec![]),
            CustomFieldValue {
                values: vec![FieldValue::text("x")],
                ..CustomFieldValue::default()
            },
        ],
        ..NewContact::default()
    };
    let error = new_contact(&contact, "contacts[4]").unwrap_err();
    assert_eq!(
        error,
        CrmError::InvalidInput {
            field: "contacts[4].custom_fields[1]".into(),
            reason: "a custom field needs a field_id or a field_code".into()
        }
    );
}

#[test]
fn a_complex_lead_embeds_its_new_contact_and_company() {
    let item = ComplexLead {
        lead: NewLead {
            name: Some("Lead name".into()),
            ..NewLead::default()
        },
        contact: Some(NewContact {
            first_name: Some("Ivan".into()),
            custom_fields: vec![CustomFieldValue::phone("+79129876543")],
            ..NewContact::default()
        }),
        company: Some(NewCompany {
            name: Some("Qwerty LLC".into()),
            ..NewCompany::default()
        }),
    };
    let body = Value::Object(complex_lead(&item, "complex[0]").unwrap());
    assert_eq!(body["_embedded"]["contacts"][0]["first_name"], "Ivan");
    assert_eq!(body["_embedded"]["companies"][0]["name"], "Qwerty LLC");
    let both = ComplexLead {
        lead: NewLead {
            contacts: vec![LinkedContact {
                id: ContactId(1),
                is_main: true,
            }],
            ..NewLead::default()
        },
        contact: Some(NewContact::default()),
        company: None,
    };
    assert!(complex_lead(&both, "complex[1]").is_err());
}

#[test]
fn tasks_need_text_and_carry_their_entity() {
    let due = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let mut task = NewTask::about(EntityRef::lead(180_765), "Fix the case number", due);
    task.task_type_id = Some(TaskTypeId::FOLLOW_UP);
    assert_eq!(
        Value::Object(new_task(&task, "tasks[0]").unwrap()),
        json!({ "text": "Fix the case number", "complete_till": due.timestamp(), "entity_id": 180765,
                "entity_type": "leads", "task_type_id": 1 })
    );
    task.text = "  ".into();
    assert!(matches!(
        new_task(&task, "tasks[0]"),
        Err(CrmError::InvalidInput { .. })
    ));
}

#[test]
fn notes_carry_type_and_params() {
    let note = NewNote::text(EntityRef::lead(5), "Case accepted");
    assert_eq!(
        Value::Object(new_note(&note, "notes[0]").unwrap()),
        json!({ "entity_id": 5, "note_type": "common", "params": { "text": "Case accepted" } })
    );
}
