//! Fixtures: JSON-loadable seed data, the seeded generator, closed statuses in every pipeline, bad fixtures.

use crmsync_sandbox::SandboxError;
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator, Fixture, GenerateCounts};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{config, start};

#[tokio::test]
async fn generated_fixtures_are_deterministic_and_linked() {
    let counts = GenerateCounts {
        companies: 3,
        contacts: 10,
        leads: 20,
        tasks: 5,
    };
    let a = start(AmoCrmConfig {
        fixture: Fixture::generated(9, counts),
        clock: crmsync_sandbox::SandboxClock::manual(1_800_000_000),
        ..config()
    })
    .await;
    let b = start(AmoCrmConfig {
        fixture: Fixture::generated(9, counts),
        clock: crmsync_sandbox::SandboxClock::manual(1_800_000_000),
        ..config()
    })
    .await;
    let mut dump_a = serde_json::to_value(a.emulator.dump()).unwrap();
    let mut dump_b = serde_json::to_value(b.emulator.dump()).unwrap();
    for dump in [&mut dump_a, &mut dump_b] {
        strip_hosts(dump);
    }
    assert_eq!(dump_a, dump_b);
    assert_eq!(
        (
            a.emulator.count("companies"),
            a.emulator.count("contacts"),
            a.emulator.count("leads"),
            a.emulator.count("tasks")
        ),
        (3, 10, 20, 5)
    );
    assert_eq!(a.emulator.dump().links.len(), 10 + 20);
    let other = Fixture::generated(10, counts);
    assert_ne!(other.contacts, Fixture::generated(9, counts).contacts);
    let page = a.get("/api/v4/leads?limit=250").await.json();
    assert_eq!(page["_embedded"]["leads"].as_array().unwrap().len(), 20);
    assert!(page["_links"].get("next").is_none());
}

fn strip_hosts(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.starts_with("http://127.0.0.1:") => {
            *s = s
                .split_once("/api")
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or_default();
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_hosts),
        serde_json::Value::Object(map) => map.values_mut().for_each(strip_hosts),
        _ => {}
    }
}

#[tokio::test]
async fn json_fixtures_load_and_gain_closed_statuses() {
    let fixture: Fixture = serde_json::from_value(json!({
        "users": [{"id": 11, "name": "Admin"}],
        "pipelines": [{"id": 5, "name": "Only", "is_main": true, "statuses": [{"id": 50, "name": "Open", "sort": 10}]}],
        "custom_fields": {"contacts": [{"id": 77, "name": "Phone", "type": "multitext", "code": "PHONE",
                                         "enums": [{"id": 1, "value": "WORK"}, {"id": 2, "value": "MOB"}]}]},
        "companies": [{"id": 300, "name": "Acme"}],
        "contacts": [{"id": 200, "name": "Ivan", "_embedded": {"companies": [{"id": 300}]},
                      "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+7 900 000-00-01", "enum_code": "MOB"}]}]}],
        "leads": [{"id": 100, "name": "Deal", "status_id": 50, "_embedded": {"contacts": [{"id": 200, "is_main": true}]}}],
        "notes": [{"entity_type": "leads", "entity_id": 100, "note_type": "common", "params": {"text": "n"}}]
    }))
    .unwrap();
    let h = start(AmoCrmConfig {
        fixture,
        ..config()
    })
    .await;
    let pipeline = h.get("/api/v4/leads/pipelines/5").await.json();
    let statuses: Vec<i64> = pipeline["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![50, 142, 143]);
    let lead = h.get("/api/v4/leads/100?with=contacts").await.json();
    assert_eq!(lead["_embedded"]["contacts"][0]["id"], 200);
    assert_eq!(lead["created_by"], 11);
    assert_eq!(h.ids("contacts", "query=79000000001").await, vec![200]);
    let created = h.create("leads", json!([{"name": "new"}])).await[0];
    assert!(created > 100);
    assert_eq!(
        h.get("/api/v4/leads/100/notes").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn invalid_fixtures_name_the_offending_item() {
    let mut fixture = Fixture::standard();
    fixture.leads.push(json!({"name": "ok"}));
    fixture.leads.push(json!({"name": "bad", "pipeline_id": 1}));
    let error = AmoCrmEmulator::start(AmoCrmConfig {
        fixture,
        ..config()
    })
    .await
    .unwrap_err();
    match error {
        SandboxError::Fixture { path, .. } => assert_eq!(path, "leads.1.pipeline_id"),
        other => unreachable!("unexpected error {other}"),
    }
    let mut no_users = Fixture::standard();
    no_users.users.clear();
    assert!(matches!(
        AmoCrmEmulator::start(AmoCrmConfig {
            fixture: no_users,
            ..config()
        })
        .await,
        Err(SandboxError::Fixture { .. })
    ));
}

#[test]
fn fixture_files_load_and_bad_files_name_themselves() {
    let dir = std::env::temp_dir().join(format!("crmsync-sandbox-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        serde_json::to_string(&Fixture::generated(
            1,
            GenerateCounts {
                companies: 1,
                contacts: 2,
                leads: 3,
                tasks: 0,
            },
        ))
        .unwrap(),
    )
    .unwrap();
    let loaded = Fixture::from_json_file(&good).unwrap();
    assert_eq!((loaded.contacts.len(), loaded.leads.len()), (2, 3));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"users\": 5}").unwrap();
    let error = Fixture::from_json_file(&bad).unwrap_err();
    assert!(matches!(
        error,
        SandboxError::ParseFile {
            what: "fixture",
            ..
        }
    ));
    assert!(error.to_string().contains("bad.json"));
    let missing = Fixture::from_json_file(&dir.join("missing.json")).unwrap_err();
    assert!(matches!(missing, SandboxError::ReadFile { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}
