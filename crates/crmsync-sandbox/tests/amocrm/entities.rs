//! Writes and reads of leads, contacts, companies, complex add, tasks, notes, and the reference data.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{config, start};

#[tokio::test]
async fn batch_add_echoes_request_ids_and_get_by_id_renders_the_entity() {
    let h = start(config()).await;
    let reply = h
        .post(
            "/api/v4/contacts",
            json!([
                {"first_name": "Петр", "last_name": "Смирнов", "request_id": "first",
                 "custom_fields_values": [{"field_id": 9_000_003, "values": [{"value": "Директор"}]},
                                          {"field_code": "PHONE", "values": [{"value": "+79991234567"}]}]},
                {"name": "Владимир", "tags_to_add": [{"name": "VIP"}]}
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    let items = body["_embedded"]["contacts"].as_array().unwrap();
    assert_eq!(items[0]["request_id"], "first");
    assert_eq!(items[1]["request_id"], "1");
    let id = items[0]["id"].as_i64().unwrap();
    assert!(id > i64::from(i32::MAX), "ids are above 2^31");
    assert_eq!(
        items[0]["_links"]["self"]["href"],
        format!("{}/api/v4/contacts/{id}", h.base)
    );
    let contact = h.get(&format!("/api/v4/contacts/{id}")).await.json();
    assert_eq!(contact["name"], "Петр Смирнов");
    assert_eq!(contact["account_id"], 31_000_001);
    let fields = contact["custom_fields_values"].as_array().unwrap();
    let phone = fields.iter().find(|f| f["field_code"] == "PHONE").unwrap();
    assert_eq!(phone["field_type"], "multitext");
    assert_eq!(
        phone["values"][0],
        json!({"value": "+79991234567", "enum_id": 9_100_001, "enum_code": "WORK"})
    );
    let second = h
        .get(&format!("/api/v4/contacts/{}", items[1]["id"]))
        .await
        .json();
    assert_eq!(second["custom_fields_values"], Value::Null);
    assert_eq!(second["_embedded"]["tags"][0]["name"], "VIP");
    assert_eq!(
        h.get("/api/v4/contacts/999").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(h.emulator.count("contacts"), 2);
}

#[tokio::test]
async fn validation_errors_name_request_ids_and_paths_and_change_nothing() {
    let h = start(config()).await;
    let reply = h
        .post(
            "/api/v4/leads",
            json!([
                {"name": "fine"},
                {"name": "bad", "request_id": "r-2", "status_id": 1,
                 "custom_fields_values": [{"field_id": 9_000_203, "values": [{"enum_id": 1}]}]},
                {"price": "100"}
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.content_type, "application/problem+json");
    let body = reply.json();
    assert_eq!(body["title"], "Bad Request");
    assert_eq!(body["detail"], "Request validation failed");
    let errors = body["validation-errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["request_id"], "r-2");
    let paths: Vec<&str> = errors[0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec!["custom_fields_values.0.values.0.enum_id", "status_id"]
    );
    assert_eq!(errors[0]["errors"][1]["code"], "NotSupportedChoice");
    assert_eq!(errors[1]["request_id"], "2");
    assert_eq!(
        errors[1]["errors"][0],
        json!({"code": "InvalidType", "path": "price", "detail": "This value should be of type int."})
    );
    assert_eq!(
        h.emulator.count("leads"),
        0,
        "a failed batch creates nothing"
    );
}

#[tokio::test]
async fn empty_and_oversized_writes_are_refused() {
    let h = start(config()).await;
    let empty = h.post("/api/v4/leads", json!([])).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.json()["detail"], "Request data can not be empty");
    let raw = h
        .http
        .post(format!("{}/api/v4/leads", h.base))
        .bearer_auth(crate::common::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let many: Vec<Value> = (0..251).map(|i| json!({"name": format!("l{i}")})).collect();
    let over = h.post("/api/v4/leads", Value::Array(many.clone())).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(over.json()["detail"], "Limit 250 per page");
    let ok = h
        .post("/api/v4/leads", Value::Array(many[..250].to_vec()))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(h.emulator.count("leads"), 250);
    let complex: Vec<Value> = (0..51).map(|i| json!({"name": format!("c{i}")})).collect();
    assert_eq!(
        h.post("/api/v4/leads/complex", Value::Array(complex))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn missing_or_wrong_tokens_get_401_problem_json() {
    let h = start(config()).await;
    for token in [None, Some("wrong")] {
        let reply = h
            .call_with_token(Method::GET, "/api/v4/leads", None, token)
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.content_type, "application/problem+json");
        assert_eq!(
            reply.json(),
            json!({"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401, "detail": "Invalid user name or password"})
        );
    }
}

#[tokio::test]
async fn patch_moves_leads_and_maintains_closed_at_and_updated_by() {
    let h = start(config()).await;
    let ids = h
        .create("leads", json!([{"name": "a"}, {"name": "b"}]))
        .await;
    let lead = h.get(&format!("/api/v4/leads/{}", ids[0])).await.json();
    assert_eq!(lead["pipeline_id"], 8_000_001);
    assert_eq!(
        lead["status_id"], 8_000_012,
        "the first stage of the main pipeline"
    );
    assert_eq!(lead["closed_at"], Value::Null);
    let batch = h
        .patch(
            "/api/v4/leads",
            json!([{"id": ids[0], "status_id": 142, "request_id": "x"}, {"id": ids[1], "pipeline_id": 8_000_002}]),
        )
        .await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.text);
    let items = batch.json()["_embedded"]["leads"].clone();
    assert_eq!(items[0]["id"], ids[0]);
    assert_eq!(items[0]["request_id"], "x");
    assert!(items[0]["updated_at"].as_i64().is_some());
    let won = h.get(&format!("/api/v4/leads/{}", ids[0])).await.json();
    assert_eq!(won["status_id"], 142);
    assert!(won["closed_at"].as_i64().is_some());
    let moved = h.get(&format!("/api/v4/leads/{}", ids[1])).await.json();
    assert_eq!(
        (moved["pipeline_id"].as_i64(), moved["status_id"].as_i64()),
        (Some(8_000_002), Some(8_000_022))
    );
    let bad = h
        .patch(
            "/api/v4/leads",
            json!([{"id": 1, "name": "x"}, {"name": "no id"}]),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let errors = bad.json()["validation-errors"].clone();
    assert_eq!(errors[0]["errors"][0]["path"], "id");
    assert_eq!(errors[0]["errors"][0]["code"], "NotFound");
    assert_eq!(errors[1]["errors"][0]["code"], "FieldMissing");
    let wrong_status = h
        .patch(
            &format!("/api/v4/leads/{}", ids[1]),
            json!({"status_id": 8_000_012}),
        )
        .await;
    assert_eq!(
        wrong_status.status,
        StatusCode::BAD_REQUEST,
        "a status of another pipeline"
    );
}

#[tokio::test]
async fn patch_updates_fields_and_tags_selectively() {
    let h = start(config()).await;
    let ids = h
        .create(
            "contacts",
            json!([{"name": "x", "tags_to_add": [{"name": "a"}, {"name": "b"}],
                    "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "1"}]},
                                             {"field_code": "EMAIL", "values": [{"value": "e@x.invalid"}]}]}]),
        )
        .await;
    let reply = h
        .patch(
            &format!("/api/v4/contacts/{}", ids[0]),
            json!({"custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "2", "enum_code": "HOME"}]},
                                            {"field_code": "EMAIL", "values": null}],
                   "tags_to_delete": [{"name": "a"}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["name"], "x");
    let contact = h.get(&format!("/api/v4/contacts/{}", ids[0])).await.json();
    let fields = contact["custom_fields_values"].as_array().unwrap();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0]["values"][0]["value"], "2");
    assert_eq!(fields[0]["values"][0]["enum_code"], "HOME");
    let tags: Vec<&str> = contact["_embedded"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, vec!["b"]);
}

#[tokio::test]
async fn complex_add_returns_a_bare_array_and_links_everything() {
    let h = start(config()).await;
    let existing = h.create("companies", json!([{"name": "Old LLC"}])).await[0];
    let reply = h
        .post(
            "/api/v4/leads/complex",
            json!([
                {"name": "L1", "price": 54321, "request_id": "uuid-1",
                 "_embedded": {"tags": [{"name": "new client"}],
                               "contacts": [{"first_name": "Ivan", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+79129876543"}]}]}],
                               "companies": [{"name": "Qwerty LLC"}]}},
                {"name": "L2", "_embedded": {"companies": [{"id": existing}]}}
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.content_type, "application/json");
    let items = reply.json();
    assert_eq!(items[0]["request_id"], json!(["uuid-1"]));
    assert_eq!(items[0]["merged"], false);
    assert_eq!(items[1]["contact_id"], Value::Null);
    assert_eq!(items[1]["company_id"], existing);
    let contact_id = items[0]["contact_id"].as_i64().unwrap();
    let company_id = items[0]["company_id"].as_i64().unwrap();
    let lead = h
        .get(&format!("/api/v4/leads/{}?with=contacts", items[0]["id"]))
        .await
        .json();
    assert_eq!(
        lead["_embedded"]["contacts"][0],
        json!({"id": contact_id, "is_main": true, "_links": {"self": {"href": format!("{}/api/v4/contacts/{contact_id}", h.base)}}})
    );
    assert_eq!(lead["_embedded"]["companies"][0]["id"], company_id);
    let contact = h
        .get(&format!("/api/v4/contacts/{contact_id}"))
        .await
        .json();
    assert_eq!(contact["_embedded"]["companies"][0]["id"], company_id);
    assert_eq!(
        (
            h.emulator.count("leads"),
            h.emulator.count("contacts"),
            h.emulator.count("companies")
        ),
        (2, 1, 2)
    );
    let two_contacts = h
        .post(
            "/api/v4/leads/complex",
            json!([{"name": "x", "_embedded": {"contacts": [{"name": "a"}, {"name": "b"}]}}]),
        )
        .await;
    assert_eq!(two_contacts.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        two_contacts.json()["validation-errors"][0]["errors"][0]["path"],
        "_embedded.contacts"
    );
}

#[tokio::test]
async fn tasks_round_trip_with_filters() {
    let h = start(config()).await;
    let lead = h.create("leads", json!([{"name": "a"}])).await[0];
    let missing = h
        .post(
            "/api/v4/tasks",
            json!([{"entity_type": "leads", "entity_id": lead}]),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let paths: Vec<Value> = missing.json()["validation-errors"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].clone())
        .collect();
    assert_eq!(paths, vec![json!("text"), json!("complete_till")]);
    let ids = h
        .create(
            "tasks",
            json!([{"text": "Call", "complete_till": 1_900_000_000, "entity_type": "leads", "entity_id": lead},
                   {"text": "Meet", "complete_till": 1_900_000_100, "task_type_id": 2}]),
        )
        .await;
    let task = h.get(&format!("/api/v4/tasks/{}", ids[0])).await.json();
    assert_eq!(task["entity_type"], "leads");
    assert_eq!(task["is_completed"], false);
    let done = h
        .patch(
            &format!("/api/v4/tasks/{}", ids[0]),
            json!({"is_completed": true, "result": {"text": "done"}}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(h.ids("tasks", "filter[is_completed]=1").await, vec![ids[0]]);
    assert_eq!(
        h.ids(
            "tasks",
            &format!("filter[entity_type]=leads&filter[entity_id][]={lead}")
        )
        .await,
        vec![ids[0]]
    );
    assert_eq!(h.ids("tasks", "filter[task_type][]=2").await, vec![ids[1]]);
    let completed = h.get(&format!("/api/v4/tasks/{}", ids[0])).await.json();
    assert_eq!(completed["result"]["text"], "done");
}

#[tokio::test]
async fn notes_per_entity_type() {
    let h = start(config()).await;
    let leads = h
        .create("leads", json!([{"name": "a"}, {"name": "b"}]))
        .await;
    let on_first = h
        .post(
            &format!("/api/v4/leads/{}/notes", leads[0]),
            json!([{"note_type": "common", "params": {"text": "hello"}}]),
        )
        .await;
    assert_eq!(on_first.status, StatusCode::OK, "{}", on_first.text);
    let note_id = on_first.json()["_embedded"]["notes"][0]["id"]
        .as_i64()
        .unwrap();
    let batch = h
        .post(
            "/api/v4/leads/notes",
            json!([{"entity_id": leads[1], "note_type": "common", "params": {"text": "x"}}]),
        )
        .await;
    assert_eq!(batch.status, StatusCode::OK);
    assert_eq!(batch.json()["_embedded"]["notes"][0]["entity_id"], leads[1]);
    assert_eq!(
        h.ids(&format!("leads/{}/notes", leads[0]), "").await,
        vec![note_id]
    );
    assert_eq!(h.ids("leads/notes", "").await.len(), 2);
    let note = h
        .get(&format!("/api/v4/leads/notes/{note_id}"))
        .await
        .json();
    assert_eq!(note["params"]["text"], "hello");
    assert_eq!(
        h.get(&format!("/api/v4/contacts/notes/{note_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let bad = h
        .post(
            "/api/v4/contacts/notes",
            json!([{"entity_id": leads[0], "note_type": "common"}]),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::BAD_REQUEST,
        "the id is a lead, not a contact"
    );
    let edited = h
        .patch(
            &format!("/api/v4/leads/notes/{note_id}"),
            json!({"params": {"text": "edited"}}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(
        h.get(&format!("/api/v4/leads/{}/notes/{note_id}", leads[0]))
            .await
            .json()["params"]["text"],
        "edited"
    );
    assert_eq!(h.emulator.count("notes"), 2);
}

#[tokio::test]
async fn pipelines_fields_account_and_users() {
    let h = start(config()).await;
    let pipelines = h.get("/api/v4/leads/pipelines").await.json();
    assert_eq!(pipelines["_total_items"], 2);
    for pipeline in pipelines["_embedded"]["pipelines"].as_array().unwrap() {
        let statuses: Vec<i64> = pipeline["_embedded"]["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        assert!(
            statuses.contains(&142) && statuses.contains(&143),
            "{statuses:?}"
        );
    }
    let won = h
        .get("/api/v4/leads/pipelines/8000002/statuses/142")
        .await
        .json();
    assert_eq!(won["pipeline_id"], 8_000_002);
    assert_eq!(
        h.get("/api/v4/leads/pipelines/1").await.status,
        StatusCode::NO_CONTENT
    );
    let statuses = h
        .get("/api/v4/leads/pipelines/8000001/statuses")
        .await
        .json();
    assert_eq!(statuses["_embedded"]["statuses"][0]["type"], 1);
    let fields = h.get("/api/v4/contacts/custom_fields").await.json();
    let codes: Vec<&str> = fields["_embedded"]["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["PHONE", "EMAIL", "POSITION"]);
    assert_eq!(fields["_total_items"], 3);
    let phone = h.get("/api/v4/contacts/custom_fields/9000001").await.json();
    assert_eq!(phone["enums"][0]["value"], "WORK");
    let account = h.get("/api/v4/account").await.json();
    assert_eq!(account["subdomain"], "sandbox");
    let users = h.get("/api/v4/users").await.json();
    assert_eq!(
        users["_embedded"]["users"][0]["id"],
        account["current_user_id"]
    );
}

#[tokio::test]
async fn an_unrelated_patch_keeps_an_explicit_closed_at() {
    let h = start(config()).await;
    let id = h.create("leads", json!([{"name": "a"}])).await[0];
    h.patch(
        &format!("/api/v4/leads/{id}"),
        json!({"closed_at": 1_700_000_000}),
    )
    .await;
    h.patch(&format!("/api/v4/leads/{id}"), json!({"name": "b"}))
        .await;
    let lead = h.get(&format!("/api/v4/leads/{id}")).await.json();
    assert_eq!(
        (lead["name"].as_str(), lead["closed_at"].as_i64()),
        (Some("b"), Some(1_700_000_000))
    );
}
