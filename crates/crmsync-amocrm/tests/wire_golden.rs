//! The emulator's answers against amoCRM's documented bodies (`tests/golden/`): every key a documented body has,
//! the emulator's answer has too, at every level of nesting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use crmsync_sandbox::amocrm::AmoCrmConfig;
use serde_json::{Value, json};

use common::*;

fn golden(file: &str) -> Value {
    let path = format!("{}/tests/golden/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Keys of `documented` that `emulated` lacks, as dotted paths.
fn missing(documented: &Value, emulated: &Value, at: &str, out: &mut Vec<String>) {
    match (documented, emulated) {
        (Value::Object(doc), Value::Object(emu)) => {
            for (key, value) in doc {
                let path = format!("{at}.{key}");
                match emu.get(key) {
                    None => out.push(path),
                    Some(other) => missing(value, other, &path, out),
                }
            }
        }
        (Value::Array(doc), Value::Array(emu)) => {
            if let (Some(first), Some(other)) = (doc.first(), emu.first()) {
                missing(first, other, &format!("{at}[0]"), out);
            }
        }
        _ => {}
    }
}

/// An emulator config without the rate limit: these tests send raw requests back to back, without the client's
/// pacing, and compare bodies, not limits.
fn unlimited() -> AmoCrmConfig {
    AmoCrmConfig {
        rate_limit_per_s: None,
        ..AmoCrmConfig::default()
    }
}

async fn raw(
    emulator: &crmsync_sandbox::amocrm::AmoCrmEmulator,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Value {
    let http = reqwest::Client::new();
    let mut request = http
        .request(
            method.parse().unwrap(),
            format!("{}{path}", emulator.base_url()),
        )
        .bearer_auth(LONG_LIVED);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let text = request.send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_emulator_answers_every_key_of_the_documented_bodies() {
    let emulator = emulator(unlimited()).await;
    let company = raw(
        &emulator,
        "POST",
        "/api/v4/companies",
        Some(json!([{ "name": "Qwerty LLC" }])),
    )
    .await;
    let company_id = company["_embedded"]["companies"][0]["id"].clone();
    let added = raw(
        &emulator,
        "POST",
        "/api/v4/leads",
        Some(json!([{ "name": "Lead", "price": 25000,
            "_embedded": { "tags": [{ "name": "Example" }], "companies": [{ "id": company_id }] } }])),
    )
    .await;
    let lead_id = added["_embedded"]["leads"][0]["id"].as_i64().unwrap();
    let mut gaps = Vec::new();
    missing(
        &golden("leads_added.json"),
        &added,
        "leads_added",
        &mut gaps,
    );
    let lead = raw(&emulator, "GET", &format!("/api/v4/leads/{lead_id}"), None).await;
    let mut documented_lead = golden("lead.json");
    // The documented lead has a date field; a fresh emulated lead has none (`null`), which the suite covers.
    documented_lead["custom_fields_values"] = Value::Null;
    missing(&documented_lead, &lead, "lead", &mut gaps);
    let contacts_added = raw(
        &emulator,
        "POST",
        "/api/v4/contacts",
        Some(json!([{ "first_name": "A", "last_name": "B" }, { "name": "C" }])),
    )
    .await;
    assert!(contacts_added["_embedded"]["contacts"].is_array());
    let contacts = raw(&emulator, "GET", "/api/v4/contacts?limit=2&page=1", None).await;
    let mut documented_contacts = golden("contacts_page.json");
    documented_contacts["_embedded"]["contacts"][0]["custom_fields_values"] = Value::Null;
    missing(&documented_contacts, &contacts, "contacts_page", &mut gaps);
    let pipelines = raw(&emulator, "GET", "/api/v4/leads/pipelines", None).await;
    missing(
        &golden("pipelines.json"),
        &pipelines,
        "pipelines",
        &mut gaps,
    );
    let empty = raw(&emulator, "POST", "/api/v4/leads", Some(json!([]))).await;
    missing(&golden("empty_400.json"), &empty, "empty_400", &mut gaps);
    let over = raw(&emulator, "GET", "/api/v4/leads?limit=251", None).await;
    missing(&golden("limit_422.json"), &over, "limit_422", &mut gaps);
    assert!(
        gaps.is_empty(),
        "the emulator lacks documented keys: {gaps:?}"
    );
}

#[tokio::test]
async fn tags_links_and_events_carry_every_documented_key() {
    let emulator = emulator(unlimited()).await;
    let mut gaps = Vec::new();
    let added = raw(
        &emulator,
        "POST",
        "/api/v4/leads/tags",
        Some(json!([{ "name": "Tag 1", "color": "DDEBB5" }, { "name": "Tag 2" }])),
    )
    .await;
    missing(&golden("tags_added.json"), &added, "tags_added", &mut gaps);
    let tags = raw(&emulator, "GET", "/api/v4/leads/tags?limit=1", None).await;
    missing(&golden("tags_page.json"), &tags, "tags_page", &mut gaps);

    let lead = raw(
        &emulator,
        "POST",
        "/api/v4/leads",
        Some(json!([{ "name": "Lead" }])),
    )
    .await["_embedded"]["leads"][0]["id"]
        .clone();
    let contact = raw(
        &emulator,
        "POST",
        "/api/v4/contacts",
        Some(json!([{ "name": "Contact" }])),
    )
    .await["_embedded"]["contacts"][0]["id"]
        .clone();
    raw(
        &emulator,
        "POST",
        &format!("/api/v4/leads/{lead}/link"),
        Some(json!([{ "to_entity_id": contact, "to_entity_type": "contacts", "metadata": { "is_main": true } }])),
    )
    .await;
    let links = raw(
        &emulator,
        "GET",
        &format!("/api/v4/leads/{lead}/links"),
        None,
    )
    .await;
    let mut documented_links = golden("links_page.json");
    // The first documented link is a catalog element; compare the contact link's keys.
    documented_links["_embedded"]["links"] = json!([documented_links["_embedded"]["links"][1]]);
    missing(&documented_links, &links, "links_page", &mut gaps);

    let pipelines = raw(&emulator, "GET", "/api/v4/leads/pipelines", None).await;
    let stage = pipelines["_embedded"]["pipelines"][0]["_embedded"]["statuses"][2]["id"].clone();
    raw(
        &emulator,
        "PATCH",
        "/api/v4/leads",
        Some(json!([{ "id": lead, "status_id": stage }])),
    )
    .await;
    let events = raw(
        &emulator,
        "GET",
        "/api/v4/events?filter[type]=lead_status_changed&limit=1",
        None,
    )
    .await;
    let mut documented_events = golden("events_page.json");
    documented_events["_embedded"]["events"] = json!([documented_events["_embedded"]["events"][0]]);
    missing(&documented_events, &events, "events_page", &mut gaps);
    assert!(
        gaps.is_empty(),
        "the emulator lacks documented keys: {gaps:?}"
    );
}

#[tokio::test]
async fn notes_and_task_updates_carry_every_documented_key() {
    let emulator = emulator(unlimited()).await;
    let mut gaps = Vec::new();
    let lead = raw(
        &emulator,
        "POST",
        "/api/v4/leads",
        Some(json!([{ "name": "Lead" }])),
    )
    .await["_embedded"]["leads"][0]["id"]
        .clone();
    let documented = golden("notes_page.json");
    let items: Vec<Value> = documented["_embedded"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| json!({ "entity_id": lead, "note_type": n["note_type"], "params": n["params"] }))
        .collect();
    let added = raw(
        &emulator,
        "POST",
        "/api/v4/leads/notes",
        Some(Value::Array(items)),
    )
    .await;
    missing(
        &golden("notes_added.json"),
        &added,
        "notes_added",
        &mut gaps,
    );
    let listed = raw(&emulator, "GET", "/api/v4/leads/notes?limit=7", None).await;
    missing(&documented, &listed, "notes_page", &mut gaps);
    for (doc, emu) in documented["_embedded"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(listed["_embedded"]["notes"].as_array().unwrap())
    {
        missing(doc, emu, "notes_page.note", &mut gaps);
    }
    let task = raw(
        &emulator,
        "POST",
        "/api/v4/tasks",
        Some(json!([{ "text": "Call", "complete_till": 1_900_000_000 }])),
    )
    .await["_embedded"]["tasks"][0]["id"]
        .clone();
    let updated = raw(
        &emulator,
        "PATCH",
        "/api/v4/tasks",
        Some(json!([{ "id": task, "is_completed": true, "result": { "text": "Done" } }])),
    )
    .await;
    missing(
        &golden("tasks_updated.json"),
        &updated,
        "tasks_updated",
        &mut gaps,
    );
    assert!(
        gaps.is_empty(),
        "the emulator lacks documented keys: {gaps:?}"
    );
}

#[tokio::test]
async fn webhooks_unsorted_and_sources_carry_every_documented_key() {
    let emulator = emulator(unlimited()).await;
    let mut gaps = Vec::new();
    let hook = raw(
        &emulator,
        "POST",
        "/api/v4/webhooks",
        Some(json!({ "destination": "https://example.com/amocrm/hook", "settings": ["add_lead"], "sort": 10 })),
    )
    .await;
    missing(
        &golden("webhook_added.json"),
        &hook,
        "webhook_added",
        &mut gaps,
    );
    let hooks = raw(&emulator, "GET", "/api/v4/webhooks", None).await;
    missing(&golden("webhooks.json"), &hooks, "webhooks", &mut gaps);

    let documented = golden("unsorted_page.json");
    let item = &documented["_embedded"]["unsorted"][0];
    let added = raw(
        &emulator,
        "POST",
        "/api/v4/leads/unsorted/forms",
        Some(json!([{
            "source_uid": item["source_uid"], "source_name": item["source_name"], "metadata": item["metadata"],
            "request_id": "123",
            "_embedded": { "leads": [{ "name": "Lead" }], "contacts": [{ "name": "Contact" }] }
        }])),
    )
    .await;
    missing(
        &golden("unsorted_added.json"),
        &added,
        "unsorted_added",
        &mut gaps,
    );
    let listed = raw(&emulator, "GET", "/api/v4/leads/unsorted?limit=1", None).await;
    missing(&documented, &listed, "unsorted_page", &mut gaps);
    let summary = raw(&emulator, "GET", "/api/v4/leads/unsorted/summary", None).await;
    missing(
        &golden("unsorted_summary.json"),
        &summary,
        "unsorted_summary",
        &mut gaps,
    );
    let uid = added["_embedded"]["unsorted"][0]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let accepted = raw(
        &emulator,
        "POST",
        &format!("/api/v4/leads/unsorted/{uid}/accept"),
        Some(json!({})),
    )
    .await;
    missing(
        &golden("unsorted_accepted.json"),
        &accepted,
        "unsorted_accepted",
        &mut gaps,
    );

    raw(
        &emulator,
        "POST",
        "/api/v4/sources",
        Some(json!([{ "name": "Новый источник", "external_id": "123456" }])),
    )
    .await;
    let sources = raw(&emulator, "GET", "/api/v4/sources", None).await;
    missing(&golden("sources.json"), &sources, "sources", &mut gaps);
    assert!(
        gaps.is_empty(),
        "the emulator lacks documented keys: {gaps:?}"
    );
}

#[tokio::test]
async fn catalogs_customers_and_settings_carry_every_documented_key() {
    let emulator = emulator(AmoCrmConfig {
        customers_enabled: true,
        ..unlimited()
    })
    .await;
    let mut gaps = Vec::new();
    let catalog = raw(
        &emulator,
        "POST",
        "/api/v4/catalogs",
        Some(json!([{ "name": "Товары" }, { "name": "Услуги" }])),
    )
    .await["_embedded"]["catalogs"][0]["id"]
        .clone();
    let catalogs = raw(&emulator, "GET", "/api/v4/catalogs?limit=1", None).await;
    missing(&golden("catalogs.json"), &catalogs, "catalogs", &mut gaps);
    raw(
        &emulator,
        "POST",
        &format!("/api/v4/catalogs/{catalog}/elements"),
        Some(json!([{ "name": "Товар" }, { "name": "Товар 2" }])),
    )
    .await;
    let elements = raw(
        &emulator,
        "GET",
        &format!("/api/v4/catalogs/{catalog}/elements?limit=1"),
        None,
    )
    .await;
    let mut documented_elements = golden("catalog_elements.json");
    // Catalog field definitions are not emulated: element values are kept as sent, without field names.
    documented_elements["_embedded"]["elements"][0]["custom_fields_values"] = Value::Null;
    missing(
        &documented_elements,
        &elements,
        "catalog_elements",
        &mut gaps,
    );

    raw(
        &emulator,
        "POST",
        "/api/v4/customers",
        Some(json!([{ "name": "Покупатель", "next_date": 1589058000 }, { "name": "Второй" }])),
    )
    .await;
    let customers = raw(&emulator, "GET", "/api/v4/customers?limit=1", None).await;
    missing(
        &golden("customers_page.json"),
        &customers,
        "customers_page",
        &mut gaps,
    );
    let statuses = raw(&emulator, "GET", "/api/v4/customers/statuses", None).await;
    missing(
        &golden("customer_statuses.json"),
        &statuses,
        "customer_statuses",
        &mut gaps,
    );

    raw(
        &emulator,
        "POST",
        "/api/v4/leads/custom_fields/groups",
        Some(json!([{ "name": "Статистика" }])),
    )
    .await;
    let groups = raw(&emulator, "GET", "/api/v4/leads/custom_fields/groups", None).await;
    missing(
        &golden("custom_field_groups.json"),
        &groups,
        "custom_field_groups",
        &mut gaps,
    );
    let fields = raw(
        &emulator,
        "POST",
        "/api/v4/leads/custom_fields",
        Some(json!([{ "name": "Поле", "type": "select", "enums": [{ "value": "Значение 1" }, { "value": "Значение 2" }] }])),
    )
    .await;
    missing(
        &golden("custom_fields_added.json"),
        &fields,
        "custom_fields_added",
        &mut gaps,
    );
    let roles = raw(&emulator, "GET", "/api/v4/roles?with=users", None).await;
    missing(&golden("roles.json"), &roles, "roles", &mut gaps);
    let documented_pipeline = golden("pipelines_added.json");
    let statuses: Vec<Value> =
        documented_pipeline["_embedded"]["pipelines"][0]["_embedded"]["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["is_editable"] == json!(true))
            .map(|s| json!({ "name": s["name"], "sort": s["sort"] }))
            .collect();
    let added = raw(
        &emulator,
        "POST",
        "/api/v4/leads/pipelines",
        Some(
            json!([{ "name": "Воронка", "is_main": false, "is_unsorted_on": true, "sort": 1,
            "_embedded": { "statuses": statuses } }]),
        ),
    )
    .await;
    missing(&documented_pipeline, &added, "pipelines_added", &mut gaps);
    let pipeline = added["_embedded"]["pipelines"][0]["id"].clone();
    let status = added["_embedded"]["pipelines"][0]["_embedded"]["statuses"][1]["id"].clone();
    let changed = raw(
        &emulator,
        "PATCH",
        &format!("/api/v4/leads/pipelines/{pipeline}/statuses/{status}"),
        Some(json!({ "name": "Новый статус", "color": "#fffeb2" })),
    )
    .await;
    missing(&golden("status.json"), &changed, "status", &mut gaps);
    assert!(
        gaps.is_empty(),
        "the emulator lacks documented keys: {gaps:?}"
    );
}
