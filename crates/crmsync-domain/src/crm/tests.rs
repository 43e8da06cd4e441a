//! Unit tests of the CRM value types: ids, prices, custom field look-ups, pipelines.

use super::*;

#[test]
fn price_keeps_hundredths_and_renders_them() {
    let p = Price::from_decimal(450.5).unwrap();
    assert_eq!(p.hundredths(), 45050);
    assert_eq!(p.units(), 450);
    assert!(!p.is_whole());
    assert_eq!(p.to_string(), "450.50");
    assert_eq!(Price::from_units(-3).to_string(), "-3.00");
    assert!(Price::from_decimal(f64::NAN).is_none());
    assert!(Price::from_decimal(1e30).is_none());
}

#[test]
fn custom_fields_are_found_by_id_and_by_code() {
    let fields = CustomFields(vec![
        CustomFieldValue::text(FieldId(77), "  А40-1234/2024 "),
        CustomFieldValue {
            field_code: Some("phone".into()),
            values: vec![
                FieldValue::coded("+79161234567", "WORK"),
                FieldValue::coded("+79167654321", "MOB"),
            ],
            ..CustomFieldValue::default()
        },
        CustomFieldValue::email("a@example.org"),
    ]);
    assert_eq!(fields.text(FieldId(77)).as_deref(), Some("А40-1234/2024"));
    assert_eq!(fields.text(FieldId(78)), None);
    assert_eq!(fields.phones(), vec!["+79161234567", "+79167654321"]);
    assert_eq!(fields.emails(), vec!["a@example.org"]);
}

#[test]
fn blank_text_is_no_text() {
    let fields = CustomFields(vec![CustomFieldValue::text(FieldId(1), "   ")]);
    assert_eq!(fields.text(FieldId(1)), None);
}

#[test]
fn field_data_converts_between_shapes() {
    assert_eq!(
        FieldData::Text(" 1729717200".into()).as_i64(),
        Some(1_729_717_200)
    );
    assert_eq!(FieldData::Float(3.0).as_i64(), Some(3));
    assert_eq!(FieldData::Float(3.5).as_i64(), None);
    assert_eq!(FieldData::Integer(12).as_text().as_deref(), Some("12"));
    assert_eq!(FieldData::Text("Y".into()).as_bool(), Some(true));
    assert_eq!(FieldData::Text("maybe".into()).as_bool(), None);
    assert_eq!(
        FieldData::Structured(serde_json::json!({"a": 1})).as_text(),
        None
    );
}

#[test]
fn unknown_field_types_are_kept_by_name() {
    assert_eq!(FieldType::from_api_name("multitext"), FieldType::Multitext);
    let odd = FieldType::from_api_name("hologram");
    assert_eq!(odd, FieldType::Other("hologram".into()));
    assert_eq!(odd.api_name(), "hologram");
    assert_eq!(FieldType::TrackingData.api_name(), "tracking_data");
}

#[test]
fn closing_statuses_are_recognised() {
    assert!(StatusId::WON.is_closed());
    assert!(StatusId::LOST.is_closed());
    assert!(!StatusId(32_392_159).is_closed());
    let pipeline = Pipeline {
        id: PipelineId(1),
        name: "Main".into(),
        sort: 1,
        is_main: true,
        is_archive: false,
        is_unsorted_on: true,
        statuses: vec![
            status(10, StatusKind::Incoming, "Incoming"),
            status(11, StatusKind::Regular, "Working"),
            status(142, StatusKind::Won, "Won"),
            status(143, StatusKind::Lost, "Lost"),
        ],
    };
    let open: Vec<_> = pipeline.open_statuses().map(|s| s.id.0).collect();
    assert_eq!(open, vec![10, 11]);
    assert_eq!(
        pipeline.status_named("Working").map(|s| s.id),
        Some(StatusId(11))
    );
    assert_eq!(
        pipeline.status(StatusId::WON).map(Status::stage),
        Some(StatusRef::new(PipelineId(1), StatusId(142)))
    );
}

fn status(id: i64, kind: StatusKind, name: &str) -> Status {
    Status {
        id: StatusId(id),
        pipeline_id: PipelineId(1),
        name: name.into(),
        sort: id,
        kind,
        is_editable: kind == StatusKind::Regular,
        color: None,
    }
}

#[test]
fn main_contact_prefers_the_marked_one() {
    let mut lead = Lead {
        id: LeadId(1),
        name: String::new(),
        price: None,
        pipeline_id: Some(PipelineId(5)),
        status_id: Some(StatusId(6)),
        responsible_user_id: None,
        created_by: None,
        updated_by: None,
        created_at: None,
        updated_at: None,
        closed_at: None,
        loss_reason_id: None,
        is_deleted: false,
        custom_fields: CustomFields::new(),
        tags: vec![],
        contacts: vec![
            LinkedContact {
                id: ContactId(1),
                is_main: false,
            },
            LinkedContact {
                id: ContactId(2),
                is_main: true,
            },
        ],
        companies: vec![],
        account_id: None,
    };
    assert_eq!(lead.main_contact(), Some(ContactId(2)));
    assert_eq!(
        lead.stage(),
        Some(StatusRef::new(PipelineId(5), StatusId(6)))
    );
    lead.contacts.truncate(1);
    assert_eq!(lead.main_contact(), Some(ContactId(1)));
}

#[test]
fn ids_parse_and_display() {
    assert_eq!("  42 ".parse::<LeadId>().unwrap(), LeadId(42));
    assert_eq!(
        ContactId(9_007_199_254_740_993).to_string(),
        "9007199254740993"
    );
    assert!("x".parse::<CompanyId>().is_err());
}

#[test]
fn event_actions_round_trip_their_keys() {
    for action in [
        EventAction::Add,
        EventAction::Update,
        EventAction::Delete,
        EventAction::Restore,
        EventAction::Status,
        EventAction::Responsible,
        EventAction::Note,
    ] {
        assert_eq!(EventAction::from_key(action.key()), Some(action));
    }
    assert_eq!(EventAction::from_key("explode"), None);
}
