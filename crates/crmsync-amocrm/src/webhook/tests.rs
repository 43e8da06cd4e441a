//! Golden tests of webhook parsing: every event kind of the reference, value-shape variants, malformed bodies.

use crmsync_domain::crm::{EntityKind, FieldId, LeadId, PipelineId, Price, StatusId, UserId};

use super::*;

fn one(body: &str) -> WebhookEvent {
    let mut events = parse(body.as_bytes()).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    events.remove(0)
}

const ACCOUNT: &str = "account[subdomain]=ablaser&account[id]=29715442&account[_links][self]=https://ablaser.amocrm.ru";

#[test]
fn a_captured_lead_update_decodes_with_custom_fields_and_account() {
    let body = format!(
        "leads[update][0][id]=5685933&leads[update][0][name]=%D0%A1%D0%B4%D0%B5%D0%BB%D0%BA%D0%B0&leads[update][0][status_id]=43315792\
         &leads[update][0][old_status_id]=43315795&leads[update][0][price]=450&leads[update][0][responsible_user_id]=3493057\
         &leads[update][0][last_modified]=1635139016&leads[update][0][modified_user_id]=3493057&leads[update][0][created_user_id]=0\
         &leads[update][0][date_create]=1635022800&leads[update][0][pipeline_id]=4740529&leads[update][0][account_id]=29715442\
         &leads[update][0][custom_fields][0][id]=629233&leads[update][0][custom_fields][0][name]=%D0%A3%D1%81%D0%BB%D1%83%D0%B3%D0%B8\
         &leads[update][0][custom_fields][0][values][0][value]=1234&leads[update][0][created_at]=1635022800\
         &leads[update][0][updated_at]=1635139016&{ACCOUNT}"
    );
    let event = one(&body);
    assert_eq!(
        (event.entity, event.action),
        (EventEntity::Lead, EventAction::Update)
    );
    assert_eq!(event.id, Some(5_685_933));
    assert_eq!(event.name.as_deref(), Some("Сделка"));
    assert_eq!(event.status_id, Some(StatusId(43_315_792)));
    assert_eq!(event.old_status_id, Some(StatusId(43_315_795)));
    assert_eq!(event.pipeline_id, Some(PipelineId(4_740_529)));
    assert_eq!(event.price, Some(Price::from_units(450)));
    assert_eq!(event.responsible_user_id, Some(UserId(3_493_057)));
    assert_eq!(
        event.custom_fields.text(FieldId(629_233)).as_deref(),
        Some("1234")
    );
    assert_eq!(
        event
            .custom_fields
            .by_id(FieldId(629_233))
            .unwrap()
            .field_name
            .as_deref(),
        Some("Услуги")
    );
    assert_eq!(event.created_at.map(|t| t.timestamp()), Some(1_635_022_800));
    assert_eq!(event.updated_at.map(|t| t.timestamp()), Some(1_635_139_016));
    assert_eq!(event.account.id.map(|a| a.0), Some(29_715_442));
    assert_eq!(event.account.subdomain.as_deref(), Some("ablaser"));
    assert_eq!(
        event.account.link.as_deref(),
        Some("https://ablaser.amocrm.ru")
    );
    assert_eq!(event.field("modified_user_id"), Some("3493057"));
    assert_eq!(event.field("custom_fields.0.values.0.value"), Some("1234"));
}

#[test]
fn a_percent_encoded_status_change_decodes() {
    let body = "leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142\
                &leads%5Bstatus%5D%5B0%5D%5Bpipeline_id%5D=3177727&leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D=32392159\
                &leads%5Bstatus%5D%5B0%5D%5Bold_pipeline_id%5D=3177726&account%5Bid%5D=1&account%5Bsubdomain%5D=x";
    let event = one(body);
    assert_eq!(event.action, EventAction::Status);
    assert_eq!(event.id.map(LeadId), Some(LeadId(25_399_013)));
    assert_eq!(event.status_id, Some(StatusId::WON));
    assert_eq!(event.old_status_id, Some(StatusId(32_392_159)));
    assert_eq!(event.old_pipeline_id, Some(PipelineId(3_177_726)));
}

#[test]
fn every_lead_action_is_recognised() {
    for action in [
        "add",
        "update",
        "delete",
        "restore",
        "status",
        "responsible",
        "note",
    ] {
        let body = format!("leads[{action}][0][id]=7&leads[{action}][0][status_id]=1&{ACCOUNT}");
        let event = one(&body);
        assert_eq!(event.action.key(), action);
        assert_eq!(event.entity, EventEntity::Lead);
        assert_eq!(event.id, Some(7));
    }
}

#[test]
fn companies_arrive_as_contacts_of_type_company() {
    let body = format!(
        "contacts[update][0][id]=11&contacts[update][0][type]=company&contacts[update][0][old_responsible_user_id]=5\
         &contacts[update][0][responsible_user_id]=6&contacts[update][1][id]=12&contacts[update][1][type]=contact&{ACCOUNT}"
    );
    let events = parse(body.as_bytes()).unwrap();
    assert_eq!(events[0].entity, EventEntity::Company);
    assert_eq!(events[0].old_responsible_user_id, Some(UserId(5)));
    assert_eq!(events[1].entity, EventEntity::Contact);
    for action in ["add", "delete", "restore", "note"] {
        let event = one(&format!(
            "contacts[{action}][0][id]=3&contacts[{action}][0][type]=contact"
        ));
        assert_eq!(
            (event.entity, event.action.key()),
            (EventEntity::Contact, action)
        );
    }
}

#[test]
fn contact_phones_in_webhooks_use_code_and_enum() {
    let body = "contacts[add][0][id]=3&contacts[add][0][custom_fields][0][id]=66192&contacts[add][0][custom_fields][0][code]=PHONE\
                &contacts[add][0][custom_fields][0][values][0][value]=%2B79161234567&contacts[add][0][custom_fields][0][values][0][enum]=123";
    let event = one(body);
    assert_eq!(event.custom_fields.phones(), vec!["+79161234567"]);
    assert_eq!(
        event.custom_fields.0[0].values[0].enum_id.map(|e| e.0),
        Some(123)
    );
}

#[test]
fn tasks_arrive_singular_with_legacy_element_types() {
    for action in ["add", "update", "delete"] {
        let body = format!(
            "task[{action}][0][id]=99&task[{action}][0][element_id]=5685933&task[{action}][0][element_type]=2\
             &task[{action}][0][task_type]=1&task[{action}][0][status]=0&task[{action}][0][complete_till]=2024-10-24 23:59:00\
             &task[{action}][0][text]=Call"
        );
        let event = one(&body);
        assert_eq!(event.entity, EventEntity::Task);
        assert_eq!(event.linked, Some(EntityRef::lead(5_685_933)));
        assert_eq!(event.field("complete_till"), Some("2024-10-24 23:59:00"));
    }
    let contact_task =
        one("task[add][0][id]=1&task[add][0][element_id]=4&task[add][0][element_type]=1");
    assert_eq!(
        contact_task.linked.map(|l| l.kind),
        Some(EntityKind::Contacts)
    );
}

#[test]
fn notes_carry_their_note_and_entity() {
    let body = "leads[note][0][note][id]=77&leads[note][0][note][note_type]=4&leads[note][0][note][text]=Hello\
                &leads[note][0][note][element_id]=5&leads[note][0][note][element_type]=2";
    let event = one(body);
    assert_eq!(event.action, EventAction::Note);
    let note = event.note.unwrap();
    assert_eq!(
        (note.id, note.note_type, note.text.as_deref()),
        (Some(77), Some(4), Some("Hello"))
    );
    assert_eq!(event.linked, Some(EntityRef::lead(5)));
}

#[test]
fn other_entities_of_the_reference_are_recognised() {
    let cases = [
        (
            "unsorted[add][0][uid]=abc&unsorted[add][0][category]=forms",
            EventEntity::Unsorted,
            EventAction::Add,
        ),
        (
            "unsorted[delete][0][uid]=abc&unsorted[delete][0][action]=accept",
            EventEntity::Unsorted,
            EventAction::Delete,
        ),
        (
            "catalogs[update][0][id]=5&catalogs[update][0][catalog_id]=2",
            EventEntity::Catalog,
            EventAction::Update,
        ),
        (
            "message[add][0][id]=5b5f7ae0-1&message[add][0][talk_id]=3&message[add][0][text]=hi",
            EventEntity::Message,
            EventAction::Add,
        ),
        (
            "talk[update][0][talk_id]=3&talk[update][0][is_read]=1",
            EventEntity::Talk,
            EventAction::Update,
        ),
        (
            "customers[add][0][id]=8",
            EventEntity::Customer,
            EventAction::Add,
        ),
        (
            "companies[update][0][id]=8",
            EventEntity::Company,
            EventAction::Update,
        ),
    ];
    for (body, entity, action) in cases {
        let event = one(body);
        assert_eq!((event.entity, event.action), (entity, action), "{body}");
    }
    assert_eq!(one("message[add][0][id]=5b5f7ae0-1").id, None);
    assert_eq!(
        one("unsorted[delete][0][action]=accept").field("action"),
        Some("accept")
    );
}

#[test]
fn value_shape_variants_are_tolerated() {
    let body = "leads[add][0][id]=1\
                &leads[add][0][custom_fields][0][id]=10&leads[add][0][custom_fields][0][values][0]=1729717200\
                &leads[add][0][custom_fields][1][id]=11&leads[add][0][custom_fields][1][values][value]=Yes&leads[add][0][custom_fields][1][values][enum]=55\
                &leads[add][0][tags][0][id]=3&leads[add][0][tags][0][name]=vip&leads[add][0][price]=";
    let event = one(body);
    assert_eq!(
        event.custom_fields.by_id(FieldId(10)).unwrap().values[0]
            .value
            .as_ref()
            .and_then(|v| v.as_i64()),
        Some(1_729_717_200)
    );
    let radio = event.custom_fields.by_id(FieldId(11)).unwrap();
    assert_eq!(radio.first_text().as_deref(), Some("Yes"));
    assert_eq!(radio.values[0].enum_id.map(|e| e.0), Some(55));
    assert_eq!(event.tags[0].name.as_deref(), Some("vip"));
    assert_eq!(event.price, None);
}

#[test]
fn several_entities_and_events_come_out_in_order() {
    let body = "leads[add][0][id]=1&leads[add][1][id]=2&leads[status][0][id]=3&contacts[add][0][id]=4&account[id]=9";
    let events = parse(body.as_bytes()).unwrap();
    let ids: Vec<_> = events.iter().map(|e| e.id.unwrap()).collect();
    assert_eq!(ids, vec![4, 1, 2, 3]);
    assert!(events.iter().all(|e| e.account.id.map(|a| a.0) == Some(9)));
}

#[test]
fn a_missing_index_is_a_typed_error() {
    assert_eq!(
        parse(b"leads[update][id]=5"),
        Err(WebhookError::MissingIndex {
            key: "leads[update]".into()
        })
    );
    assert!(matches!(
        parse(b"leads[update][1][id]=5"),
        Err(WebhookError::MissingIndex { .. })
    ));
    assert!(matches!(
        parse(b"leads[update]=5"),
        Err(WebhookError::MissingIndex { .. })
    ));
}

#[test]
fn bad_utf8_is_a_typed_error() {
    assert_eq!(
        parse(b"leads[add][0][name]=\xff\xfe"),
        Err(WebhookError::NotUtf8 { offset: 20 })
    );
    assert!(matches!(
        parse(b"leads[add][0][name]=%FF%FE"),
        Err(WebhookError::NotUtf8 { .. })
    ));
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let mut body = b"leads[add][0][name]=".to_vec();
    body.resize(10 * 1024 * 1024, b'a');
    assert_eq!(
        parse(&body),
        Err(WebhookError::TooLarge {
            size: 10 * 1024 * 1024,
            limit: MAX_BODY_BYTES
        })
    );
}

#[test]
fn unknown_entities_and_actions_are_typed_errors() {
    assert_eq!(
        parse(b"robots[add][0][id]=1"),
        Err(WebhookError::UnknownEntity {
            name: "robots".into()
        })
    );
    assert_eq!(
        parse(b"task[status][0][id]=1"),
        Err(WebhookError::UnknownAction {
            entity: "task".into(),
            action: "status".into()
        })
    );
}

#[test]
fn wrong_values_are_typed_errors() {
    assert_eq!(
        parse(b"leads[add][0][id]=abc"),
        Err(WebhookError::InvalidValue {
            key: "leads[add][0][id]".into(),
            reason: "expected an integer".into()
        })
    );
    assert!(matches!(
        parse(b"leads[add][0][id][x]=1"),
        Err(WebhookError::InvalidValue { .. })
    ));
    assert!(matches!(
        parse(b"leads[add][0][price]=cheap"),
        Err(WebhookError::InvalidValue { .. })
    ));
    assert!(matches!(
        parse(b"leads[add][0]=1"),
        Err(WebhookError::InvalidValue { .. })
    ));
    assert!(matches!(
        parse(b"leads=1"),
        Err(WebhookError::InvalidValue { .. })
    ));
    assert_eq!(parse(b"   "), Err(WebhookError::Empty));
    assert!(matches!(
        parse(b"a=1&a[b]=2"),
        Err(WebhookError::Malformed { .. } | WebhookError::UnknownEntity { .. })
    ));
}

#[test]
fn the_secret_is_verified_before_parsing() {
    let secret: secrecy::SecretString = "s3cret".into();
    let body = b"leads%5Bdelete%5D%5B0%5D%5Bid%5D=5&account%5Bid%5D=1";
    assert!(verify("s3cret", &secret).is_ok());
    assert_eq!(verify("s3cre", &secret), Err(WebhookError::WrongSecret));
    assert_eq!(verify("", &secret), Err(WebhookError::WrongSecret));
    assert_eq!(
        verify("", &secrecy::SecretString::from("")),
        Err(WebhookError::WrongSecret)
    );
    assert_eq!(verify_and_parse("s3cret", &secret, body).unwrap().len(), 1);
    assert_eq!(
        verify_and_parse("wrong", &secret, body),
        Err(WebhookError::WrongSecret)
    );
}
