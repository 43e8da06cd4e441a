//! Golden decoding tests: the reference's example bodies and the odd shapes amoCRM sends.

#![allow(clippy::panic)]

use crmsync_domain::crm::{
    CompanyId, ContactId, EnumId, FieldData, FieldId, FieldType, LeadId, PipelineId, Price,
    StatusId, StatusKind,
};

use super::*;

const LEAD_17657: &str = r#"{
  "id": 17657, "name": "Тестовая сделка", "price": 25000, "responsible_user_id": 321123, "group_id": 0,
  "status_id": 2030, "pipeline_id": 1113, "loss_reason_id": null, "source_id": null,
  "created_by": 12332, "updated_by": 12323, "created_at": 1587741226, "updated_at": 1588241643,
  "closed_at": null, "closest_task_at": null, "is_deleted": false,
  "custom_fields_values": [ { "field_id": 1278898021, "field_name": "Кастомное поле", "field_code": null,
      "field_type": "date", "values": [ { "value": "2020-05-08" } ] } ],
  "score": null, "account_id": 115135,
  "_links": { "self": { "href": "https://example.amcrm.ru/api/v4/leads/17657" } },
  "_embedded": {
    "tags": [ { "id": 1252595, "name": "Тег для примера" } ],
    "companies": [ { "id": 40401297, "_links": { "self": { "href": "https://example.amocrm.ru/api/v4/companies/40401297" } } } ]
  }
}"#;

#[test]
fn the_reference_lead_decodes_completely() {
    let lead = lead(LEAD_17657.as_bytes()).unwrap();
    assert_eq!(lead.id, LeadId(17657));
    assert_eq!(lead.name, "Тестовая сделка");
    assert_eq!(lead.price, Some(Price::from_units(25000)));
    assert_eq!(
        lead.stage().map(|s| (s.pipeline_id.0, s.status_id.0)),
        Some((1113, 2030))
    );
    assert_eq!(lead.created_at.map(|t| t.timestamp()), Some(1_587_741_226));
    assert_eq!(lead.closed_at, None);
    assert_eq!(lead.companies, vec![CompanyId(40_401_297)]);
    assert_eq!(lead.tags[0].name.as_deref(), Some("Тег для примера"));
    let field = lead.custom_fields.by_id(FieldId(1_278_898_021)).unwrap();
    assert_eq!(field.field_type, Some(FieldType::Date));
    assert_eq!(field.field_code, None);
    assert_eq!(
        lead.custom_fields.text(FieldId(1_278_898_021)).as_deref(),
        Some("2020-05-08")
    );
}

#[test]
fn a_contacts_page_with_null_fields_and_a_next_link_decodes() {
    let body = r#"{
      "_page": 1,
      "_links": {
        "self": { "href": "https://example.amocrm.ru/api/v4/contacts?limit=2&page=1" },
        "next": { "href": "https://example.amocrm.ru/api/v4/contacts?limit=2&page=2" }
      },
      "_embedded": { "contacts": [ { "id": 7143599, "name": "1", "first_name": "", "last_name": "",
          "responsible_user_id": 504141, "group_id": 0, "created_by": 504141, "updated_by": 504141,
          "created_at": 1585758065, "updated_at": 1585758065, "closest_task_at": null,
          "custom_fields_values": null, "account_id": 28805383,
          "_links": { "self": { "href": "https://example.amocrm.ru/api/v4/contacts/7143599" } },
          "_embedded": { "tags": [], "companies": [] } } ] }
    }"#;
    let page = contacts_page(body.as_bytes()).unwrap();
    assert_eq!(
        page.next.as_deref(),
        Some("/api/v4/contacts?limit=2&page=2")
    );
    let contact = &page.items[0];
    assert_eq!(contact.id, ContactId(7_143_599));
    assert!(contact.custom_fields.is_empty());
    assert_eq!(contact.first_name, None);
}

#[test]
fn phones_decode_with_enum_or_enum_code_or_enum_id() {
    let body = r#"{ "id": 3, "name": "Иван Иванов", "first_name": "Иван", "last_name": "Иванов",
      "custom_fields_values": [
        { "field_id": 3, "field_name": "Телефон", "field_code": "PHONE", "field_type": "multitext",
          "values": [ { "value": "+79123", "enum_id": 1, "enum": "WORK" },
                      { "value": "+79124", "enum_code": "MOB" },
                      { "value": "+79125", "enum": 5 } ] } ],
      "_embedded": { "tags": [], "leads": [ { "id": 1 } ], "companies": [ { "id": 1 } ] } }"#;
    let contact = contact(body.as_bytes()).unwrap();
    assert_eq!(
        contact.custom_fields.phones(),
        vec!["+79123", "+79124", "+79125"]
    );
    let values = &contact.custom_fields.by_code("PHONE").unwrap().values;
    assert_eq!(
        (values[0].enum_id, values[0].enum_code.as_deref()),
        (Some(EnumId(1)), Some("WORK"))
    );
    assert_eq!(values[1].enum_code.as_deref(), Some("MOB"));
    assert_eq!(values[2].enum_id, Some(EnumId(5)));
    assert_eq!(contact.leads, vec![LeadId(1)]);
}

#[test]
fn numbers_as_strings_big_ids_and_minor_units_are_understood() {
    let body = r#"{ "_embedded": { "leads": [
        { "id": "9007199254740993", "price": "450", "price_with_minor_units": 450.5,
          "status_id": "142", "pipeline_id": 3177727.0, "is_deleted": "0",
          "custom_fields_values": [
            { "field_id": "77", "field_type": "tracking_data", "values": [ { "value": 12 } ] },
            { "field_id": 78, "field_type": "checkbox", "values": [ { "value": true } ] },
            { "field_id": 79, "field_type": "smart_address", "values": { "0": { "value": "x", "subtype": "city" } } },
            { "field_id": 80, "field_type": "hologram", "values": null } ] } ] } }"#;
    let page = leads_page(body.as_bytes()).unwrap();
    let lead = &page.items[0];
    assert_eq!(lead.id, LeadId(9_007_199_254_740_993));
    assert_eq!(lead.price.map(Price::hundredths), Some(45050));
    assert_eq!(lead.status_id, Some(StatusId::WON));
    assert_eq!(lead.pipeline_id, Some(PipelineId(3_177_727)));
    let fields = &lead.custom_fields;
    assert_eq!(
        fields.by_id(FieldId(77)).unwrap().field_type,
        Some(FieldType::TrackingData)
    );
    assert_eq!(
        fields.by_id(FieldId(77)).unwrap().values[0].value,
        Some(FieldData::Integer(12))
    );
    assert_eq!(
        fields.by_id(FieldId(78)).unwrap().values[0].value,
        Some(FieldData::Bool(true))
    );
    assert_eq!(fields.by_id(FieldId(79)).unwrap().values.len(), 1);
    let odd = fields.by_id(FieldId(80)).unwrap();
    assert_eq!(odd.field_type, Some(FieldType::Other("hologram".into())));
    assert!(odd.values.is_empty());
    assert_eq!(page.next, None);
}

#[test]
fn php_empty_arrays_stand_for_empty_objects() {
    let body = br#"{ "_links": [], "_embedded": { "leads": [ { "id": 1, "_embedded": [] } ] } }"#;
    assert_eq!(leads_page(body).unwrap().items.len(), 1);
    let nothing = br#"{ "_embedded": [] }"#;
    assert!(leads_page(nothing).unwrap().items.is_empty());
}

#[test]
fn pipelines_know_their_system_statuses() {
    let body = r##"{ "_total_items": 1,
      "_links": { "self": { "href": "https://example.amocrm.ru/api/v4/leads/pipelines" } },
      "_embedded": { "pipelines": [ {
        "id": 3177727, "name": "Воронка", "sort": 1, "is_main": true, "is_unsorted_on": true, "is_archive": false,
        "account_id": 12345678,
        "_embedded": { "statuses": [
          { "id": 142, "name": "Успешно реализовано", "sort": 10000, "is_editable": false, "pipeline_id": 3177727, "color": "#CCFF66", "type": 0, "account_id": 12345678 },
          { "id": 32392156, "name": "Неразобранное", "sort": 10, "is_editable": false, "pipeline_id": 3177727, "color": "#c1c1c1", "type": 1, "account_id": 12345678 },
          { "id": 32392159, "name": "Первичный контакт", "sort": 20, "is_editable": true, "pipeline_id": 3177727, "color": "#99ccff", "type": 0, "account_id": 12345678 },
          { "id": 143, "name": "Закрыто и не реализовано", "sort": 11000, "is_editable": false, "pipeline_id": 3177727, "color": "#D5D8DB", "type": 0, "account_id": 12345678 } ] } } ] } }"##;
    let pipelines = pipelines(body.as_bytes()).unwrap().items;
    let kinds: Vec<_> = pipelines[0].statuses.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            StatusKind::Incoming,
            StatusKind::Regular,
            StatusKind::Won,
            StatusKind::Lost
        ]
    );
    assert!(pipelines[0].is_main);
    assert_eq!(pipelines[0].open_statuses().count(), 2);
}

#[test]
fn a_task_decodes_with_its_entity() {
    let body = r#"{ "_embedded": { "tasks": [ { "id": 56981, "created_by": 54224, "updated_by": 3987910,
      "created_at": 1575910123, "updated_at": 1576767989, "responsible_user_id": 123123, "group_id": 0,
      "entity_id": 180765, "entity_type": "leads", "duration": 0, "is_completed": true, "task_type_id": 2,
      "text": "Назначить встречу с клиентом", "result": { "text": "Результат есть" },
      "complete_till": 1575910423, "account_id": 321312 } ] } }"#;
    let task = &tasks_page(body.as_bytes()).unwrap().items[0];
    assert_eq!(task.entity, Some(EntityRef::lead(180_765)));
    assert!(task.is_completed);
    assert_eq!(task.result_text.as_deref(), Some("Результат есть"));
    assert_eq!(
        task.complete_till.map(|t| t.timestamp()),
        Some(1_575_910_423)
    );
}

use crmsync_domain::crm::EntityRef;

#[test]
fn custom_field_definitions_keep_unknown_types_and_enums() {
    let body = r#"{ "_embedded": { "custom_fields": [
      { "id": 1, "name": "Телефон", "code": "PHONE", "type": "multitext", "sort": 4, "is_api_only": false,
        "enums": [ { "id": 11, "value": "WORK", "sort": 2 } ] },
      { "id": 2, "name": "Новое", "code": null, "type": "quantum", "enums": null, "entity_type": "contacts" } ] } }"#;
    let fields = custom_fields_page(EntityKind::Leads, body.as_bytes())
        .unwrap()
        .items;
    assert_eq!(fields[0].enums[0].id, EnumId(11));
    assert_eq!(fields[0].entity, EntityKind::Leads);
    assert_eq!(fields[1].field_type, FieldType::Other("quantum".into()));
    assert_eq!(fields[1].entity, EntityKind::Contacts);
}

#[test]
fn batch_answers_map_ids_to_request_ids() {
    let body = br#"{ "_links": { "self": { "href": "https://example.amocrm.ru/api/v4/contacts" } },
      "_embedded": { "contacts": [ { "id": 40401635, "request_id": "a" }, { "id": 40401636 } ] } }"#;
    let sent = vec!["a".to_owned(), "b".to_owned()];
    let items = written("POST /api/v4/contacts", "contacts", body, &sent).unwrap();
    assert_eq!(
        items[0],
        WrittenItem {
            id: 40_401_635,
            request_ids: vec!["a".into()]
        }
    );
    assert_eq!(
        items[1],
        WrittenItem {
            id: 40_401_636,
            request_ids: vec!["b".into()]
        }
    );
}

#[test]
fn the_complex_add_bare_array_decodes() {
    let body = br#"[ { "id": 9774766, "contact_id": 12117258, "company_id": null, "request_id": ["1", "3"], "merged": true } ]"#;
    let created = complex_created(body, &["1".into()]).unwrap();
    assert_eq!(created[0].lead_id, LeadId(9_774_766));
    assert_eq!(created[0].contact_id, Some(ContactId(12_117_258)));
    assert_eq!(created[0].company_id, None);
    assert_eq!(created[0].request_ids, vec!["1", "3"]);
    assert!(created[0].merged);
}

#[test]
fn undecodable_bodies_give_masked_snippets() {
    let body = br#"{ "_embedded": { "leads": [ { "id": 5, "name": "Ivan Petrov +79161234567" }, { "name": "no id" } ] } }"#;
    let error = leads_page(body).unwrap_err();
    let CrmError::Decode {
        detail, snippet, ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert!(detail.contains("id"), "{detail}");
    assert!(
        !snippet.contains("Ivan") && !snippet.contains("7916"),
        "{snippet}"
    );
    let broken = br#"{ "_embedded": { "leads": [ { "id": 5, "name": "Ivan Petrov" "#;
    let error = leads_page(broken).unwrap_err();
    assert!(!error.to_string().contains("Ivan"), "{error}");
    let html = b"<html><head><title>502 Bad Gateway</title></head></html>";
    let CrmError::Decode { snippet, .. } = leads_page(html).unwrap_err() else {
        panic!()
    };
    assert_eq!(snippet, "<HTML of 56 bytes>");
}

#[test]
fn next_links_never_leave_the_api() {
    assert_eq!(
        local_path("https://evil.example/api/v4/leads?page=2").as_deref(),
        Some("/api/v4/leads?page=2")
    );
    assert_eq!(local_path("https://a.amocrm.ru/oauth2/access_token"), None);
    assert_eq!(
        local_path("/api/v4/leads?page=3").as_deref(),
        Some("/api/v4/leads?page=3")
    );
}
