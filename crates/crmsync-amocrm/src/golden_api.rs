//! The golden suite of the entity families (tags, links, events, ...): documented bodies from `tests/golden/`
//! decoded into the client's typed structs.
#![allow(clippy::unwrap_used)]

use crate::events::Event;
use crate::links::{Link, LinkedType};
use crate::rest::hal_page;
use crate::tags::Tag;

macro_rules! golden {
    ($file:literal) => {
        include_bytes!(concat!("../tests/golden/", $file))
    };
}

#[test]
fn a_documented_tags_page_keeps_null_and_set_colours_and_its_next_link() {
    let page =
        hal_page::<Tag>("GET /api/v4/leads/tags", "tags", golden!("tags_page.json")).unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].color, None);
    assert_eq!(page.items[1].color.as_deref(), Some("DDEBB5"));
    assert_eq!(
        page.next.as_deref(),
        Some("/api/v4/leads/tags?page=2&limit=2")
    );
    let added = hal_page::<Tag>(
        "POST /api/v4/leads/tags",
        "tags",
        golden!("tags_added.json"),
    )
    .unwrap();
    assert_eq!(added.items[1].request_id.as_deref(), Some("1"));
}

#[test]
fn documented_links_carry_their_metadata() {
    let page = hal_page::<Link>(
        "GET /api/v4/leads/{id}/links",
        "links",
        golden!("links_page.json"),
    )
    .unwrap();
    let element = &page.items[0];
    assert_eq!(element.to_entity_type, LinkedType::CatalogElements);
    assert_eq!(element.metadata.catalog_id, Some(4521));
    assert_eq!(element.metadata.quantity, Some(1.0));
    assert_eq!(page.items[1].metadata.is_main, Some(true));
    assert_eq!(element.entity_id, 0);
}

#[test]
fn documented_events_give_their_stage_change_and_string_ids() {
    let page =
        hal_page::<Event>("GET /api/v4/events", "events", golden!("events_page.json")).unwrap();
    assert_eq!(page.items[0].id, "01pz58t6p04vdgnqhtjzbgvxt3");
    let (before, after) = page.items[0].status_change().unwrap();
    assert_eq!((before.status_id, after.status_id), (32392156, 32392159));
    assert_eq!(after.pipeline_id, 3177727);
    assert_eq!(page.items[1].status_change(), None);
    assert_eq!(page.items[1].value_after[0]["note"]["id"], 42743871);
    assert_eq!(page.next.as_deref(), Some("/api/v4/events?limit=2&page=2"));
}

#[test]
fn documented_notes_of_every_type_decode_into_their_typed_params() {
    use crate::notes::{AddedNote, AmoNote, NoteParams};
    let page = hal_page::<AmoNote>(
        "GET /api/v4/leads/notes",
        "notes",
        golden!("notes_page.json"),
    )
    .unwrap();
    let types: Vec<&str> = page.items.iter().map(|n| n.params.note_type()).collect();
    assert_eq!(
        types,
        vec![
            "common",
            "call_in",
            "service_message",
            "geolocation",
            "sms_out",
            "message_cashier",
            "attachment"
        ]
    );
    assert!(
        page.items
            .iter()
            .all(|n| !matches!(n.params, NoteParams::Other { .. }))
    );
    match &page.items[1].params {
        NoteParams::CallIn(call) => {
            assert_eq!(call.duration, 60);
            assert_eq!(call.source, "onlinePBX");
            assert_eq!(call.call_status, None);
        }
        other => panic!("expected a call, got {other:?}"),
    }
    match &page.items[3].params {
        NoteParams::Geolocation { latitude, .. } => assert_eq!(latitude, "91.423146"),
        other => panic!("expected a geolocation, got {other:?}"),
    }
    assert_eq!(page.items[0].entity_id, 167353);
    let added = hal_page::<AddedNote>(
        "POST /api/v4/leads/notes",
        "notes",
        golden!("notes_added.json"),
    )
    .unwrap();
    assert_eq!(added.items[1].request_id.as_deref(), Some("1"));
}

#[test]
fn a_documented_task_update_answer_names_the_task() {
    let page = hal_page::<crate::rest::IdOnly>(
        "PATCH /api/v4/tasks",
        "tasks",
        golden!("tasks_updated.json"),
    )
    .unwrap();
    assert_eq!(page.items[0].id, 4745251);
}

#[test]
fn documented_webhooks_decode_without_showing_their_destination() {
    use crate::subscriptions::Webhook;
    let page =
        hal_page::<Webhook>("GET /api/v4/webhooks", "webhooks", golden!("webhooks.json")).unwrap();
    assert_eq!(page.items[0].settings.len(), 3);
    assert!(!page.items[0].disabled);
    assert!(!format!("{:?}", page.items[0]).contains("/amocrm/hook"));
    let added: Webhook = serde_json::from_slice(golden!("webhook_added.json")).unwrap();
    assert_eq!(added.id, 24);
}

#[test]
fn documented_unsorted_bodies_give_uids_entities_and_totals() {
    use crate::unsorted::{Unsorted, UnsortedCategory, UnsortedSummary};
    let page = hal_page::<Unsorted>(
        "GET /api/v4/leads/unsorted",
        "unsorted",
        golden!("unsorted_page.json"),
    )
    .unwrap();
    let item = &page.items[0];
    assert_eq!(item.category, UnsortedCategory::Forms);
    assert_eq!(item.entities.leads, vec![26053491]);
    assert_eq!(item.entities.contacts, vec![13553047]);
    assert!(item.entities.companies.is_empty());
    assert_eq!(item.metadata["form_sent_at"], 1590398168);
    let summary: UnsortedSummary =
        serde_json::from_slice(golden!("unsorted_summary.json")).unwrap();
    assert_eq!(
        (summary.total, summary.accepted, summary.average_sort_time),
        (5, 1, 10)
    );
    assert_eq!(summary.categories["sip"], 2);
    let added = hal_page::<Unsorted>(
        "POST /api/v4/leads/unsorted/forms",
        "unsorted",
        golden!("unsorted_added.json"),
    )
    .unwrap();
    assert_eq!(added.items[0].request_id.as_deref(), Some("123"));
    assert_eq!(added.items[0].category, UnsortedCategory::Unknown);
    let accepted: Unsorted = serde_json::from_slice(golden!("unsorted_accepted.json")).unwrap();
    assert_eq!(accepted.entities.leads, vec![26053491]);
}

#[test]
fn documented_sources_decode() {
    use crate::sources::Source;
    let page =
        hal_page::<Source>("GET /api/v4/sources", "sources", golden!("sources.json")).unwrap();
    assert_eq!(page.items[0].external_id, "123456");
    assert_eq!(page.items[0].origin_code, None);
    assert_eq!(page.items[0].pipeline_id, Some(3177727));
}

#[test]
fn documented_catalogs_elements_and_customers_decode() {
    use crate::catalogs::{Catalog, CatalogElement};
    use crate::customers::{Customer, CustomerStatus};
    let catalogs =
        hal_page::<Catalog>("GET /api/v4/catalogs", "catalogs", golden!("catalogs.json")).unwrap();
    assert_eq!(catalogs.items[0].catalog_type, "regular");
    assert!(catalogs.items[0].can_link_multiple);
    let elements = hal_page::<CatalogElement>(
        "GET /api/v4/catalogs/{id}/elements",
        "elements",
        golden!("catalog_elements.json"),
    )
    .unwrap();
    assert!(!elements.items[0].is_deleted);
    assert_eq!(
        elements.items[0].custom_fields_values[0]["field_code"],
        "SKU"
    );
    let customers = hal_page::<Customer>(
        "GET /api/v4/customers",
        "customers",
        golden!("customers_page.json"),
    )
    .unwrap();
    assert_eq!(customers.items[0].next_date, Some(1589058000));
    assert!(customers.items[0].custom_fields_values.is_null());
    let statuses = hal_page::<CustomerStatus>(
        "GET /api/v4/customers/statuses",
        "statuses",
        golden!("customer_statuses.json"),
    )
    .unwrap();
    assert_eq!(statuses.items[0].status_type, 1);
}

#[test]
fn documented_settings_bodies_decode() {
    use crate::fields::{CustomField, FieldGroup};
    use crate::pipelines::{PipelineInfo, Stage};
    use crate::roles::Role;
    let groups = hal_page::<FieldGroup>(
        "GET /api/v4/leads/custom_fields/groups",
        "custom_field_groups",
        golden!("custom_field_groups.json"),
    )
    .unwrap();
    assert_eq!(groups.items[0].id, "leads_16731591085255");
    assert!(groups.items[0].is_predefined);
    let fields = hal_page::<CustomField>(
        "POST /api/v4/leads/custom_fields",
        "custom_fields",
        golden!("custom_fields_added.json"),
    )
    .unwrap();
    assert_eq!(fields.items[0].enums[1].id, Some(3727));
    assert_eq!(fields.items[0].request_id.as_deref(), Some("0"));
    let roles = hal_page::<Role>("GET /api/v4/roles", "roles", golden!("roles.json")).unwrap();
    assert_eq!(roles.items[0].users(), vec![504141]);
    assert_eq!(roles.items[0].rights.status_rights.len(), 1);
    let stage: Stage = serde_json::from_slice(golden!("status.json")).unwrap();
    assert_eq!(stage.color.as_deref(), Some("#fffeb2"));
    let added = hal_page::<PipelineInfo>(
        "POST /api/v4/leads/pipelines",
        "pipelines",
        golden!("pipelines_added.json"),
    )
    .unwrap();
    assert_eq!(added.items[0].statuses().len(), 4);
    assert_eq!(added.items[0].request_id.as_deref(), Some("0"));
}
