//! Webhooks: subscriptions over the API and form-encoded PHP-nested deliveries to a local receiver.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use crmsync_sandbox::phpquery::QueryNode;
use crmsync_sandbox::server::{self, ServerHandle};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{config, start};

type Inbox = Arc<Mutex<Vec<(String, String)>>>;

async fn receiver(status: AxumStatus) -> (ServerHandle, Inbox) {
    let inbox: Inbox = Arc::default();
    let sink = Arc::clone(&inbox);
    let router = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = Arc::clone(&sink);
            async move {
                let content_type = headers
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                sink.lock()
                    .unwrap()
                    .push((content_type, String::from_utf8(body.to_vec()).unwrap()));
                status
            }
        }),
    );
    let listener = server::bind(server::loopback_any_port()).await.unwrap();
    (server::serve(router, listener).unwrap(), inbox)
}

fn value<'a>(q: &'a QueryNode, path: &[&str]) -> &'a str {
    q.path(path)
        .and_then(QueryNode::value)
        .ok_or_else(|| format!("missing {path:?}"))
        .unwrap()
}

#[tokio::test]
async fn lead_contact_and_company_events_are_delivered_as_php_forms() {
    let (hook, inbox) = receiver(AxumStatus::OK).await;
    let h = start(config()).await;
    let destination = format!("{}/hook?token=secret", hook.base_url());
    let reply = h
        .post(
            "/api/v4/webhooks",
            json!({"destination": destination, "settings": ["add_lead", "status_lead", "update_lead", "add_contact", "add_company"], "sort": 10}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["disabled"], false);
    let lead = h
        .create(
            "leads",
            json!([{"name": "Сделка", "price": 450,
                    "custom_fields_values": [{"field_id": 9_000_203, "values": [{"value": "Referral"}]}]}]),
        )
        .await[0];
    let patched = h
        .patch(&format!("/api/v4/leads/{lead}"), json!({"status_id": 142}))
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    h.create("contacts", json!([{"name": "Ivan"}])).await;
    h.create("companies", json!([{"name": "Acme"}])).await;
    h.emulator.flush_webhooks().await;
    let bodies = inbox.lock().unwrap().clone();
    assert_eq!(bodies.len(), 5, "{bodies:#?}");
    assert!(
        bodies
            .iter()
            .all(|(ct, _)| ct == "application/x-www-form-urlencoded")
    );
    assert!(
        bodies[0].1.contains("leads%5Badd%5D%5B0%5D%5Bid%5D="),
        "brackets are percent-encoded"
    );
    let add = QueryNode::parse(&bodies[0].1).unwrap();
    assert_eq!(value(&add, &["leads", "add", "0", "id"]), lead.to_string());
    assert_eq!(value(&add, &["leads", "add", "0", "name"]), "Сделка");
    assert_eq!(value(&add, &["leads", "add", "0", "price"]), "450");
    assert_eq!(value(&add, &["leads", "add", "0", "status_id"]), "8000012");
    assert_eq!(
        value(&add, &["leads", "add", "0", "custom_fields", "0", "id"]),
        "9000203"
    );
    assert_eq!(
        value(
            &add,
            &[
                "leads",
                "add",
                "0",
                "custom_fields",
                "0",
                "values",
                "0",
                "value"
            ]
        ),
        "Referral"
    );
    assert_eq!(
        value(
            &add,
            &[
                "leads",
                "add",
                "0",
                "custom_fields",
                "0",
                "values",
                "0",
                "enum"
            ]
        ),
        "9100203"
    );
    assert_eq!(value(&add, &["account", "subdomain"]), "sandbox");
    assert_eq!(value(&add, &["account", "id"]), "31000001");
    let status = QueryNode::parse(&bodies[1].1).unwrap();
    assert_eq!(
        value(&status, &["leads", "status", "0", "status_id"]),
        "142"
    );
    assert_eq!(
        value(&status, &["leads", "status", "0", "old_status_id"]),
        "8000012"
    );
    assert_eq!(
        value(&status, &["leads", "status", "0", "old_pipeline_id"]),
        "8000001"
    );
    let update = QueryNode::parse(&bodies[2].1).unwrap();
    assert_eq!(
        value(&update, &["leads", "update", "0", "old_status_id"]),
        "8000012"
    );
    let contact = QueryNode::parse(&bodies[3].1).unwrap();
    assert_eq!(
        value(&contact, &["contacts", "add", "0", "type"]),
        "contact"
    );
    let company = QueryNode::parse(&bodies[4].1).unwrap();
    assert_eq!(
        value(&company, &["contacts", "add", "0", "type"]),
        "company"
    );
    assert_eq!(value(&company, &["contacts", "add", "0", "name"]), "Acme");
    let stats = h.emulator.stats().webhooks;
    assert_eq!((stats.queued, stats.delivered, stats.failed), (5, 5, 0));
    hook.shutdown().await;
}

#[tokio::test]
async fn subscriptions_are_listed_deleted_and_failures_counted() {
    let (hook, inbox) = receiver(AxumStatus::INTERNAL_SERVER_ERROR).await;
    let h = start(config()).await;
    assert_eq!(
        h.get("/api/v4/webhooks").await.status,
        StatusCode::NO_CONTENT
    );
    let destination = format!("{}/hook", hook.base_url());
    let bad = h
        .post(
            "/api/v4/webhooks",
            json!({"destination": "ftp://x", "settings": []}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let paths: Vec<String> = bad.json()["validation-errors"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, vec!["destination", "settings"]);
    h.post(
        "/api/v4/webhooks",
        json!({"destination": destination, "settings": ["add_contact", "update_contact"]}),
    )
    .await;
    let listed = h
        .get(&format!(
            "/api/v4/webhooks?filter[destination]={destination}"
        ))
        .await
        .json();
    assert_eq!(listed["_total_items"], 1);
    assert_eq!(
        listed["_embedded"]["webhooks"][0]["settings"],
        json!(["add_contact", "update_contact"])
    );
    let ids = h
        .create("contacts", json!([{"name": "a"}, {"name": "b"}]))
        .await;
    h.patch("/api/v4/contacts", json!([{"id": ids[0], "name": "c"}]))
        .await;
    h.create("leads", json!([{"name": "not subscribed"}])).await;
    h.emulator.flush_webhooks().await;
    {
        let bodies = inbox.lock().unwrap();
        assert_eq!(bodies.len(), 2);
        let add = QueryNode::parse(&bodies[0].1).unwrap();
        assert_eq!(value(&add, &["contacts", "add", "1", "name"]), "b");
    }
    assert_eq!(h.emulator.stats().webhooks.failed, 2);
    let deleted = h
        .call(
            Method::DELETE,
            "/api/v4/webhooks",
            Some(json!({"destination": destination})),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    h.create("contacts", json!([{"name": "after"}])).await;
    h.emulator.flush_webhooks().await;
    assert_eq!(inbox.lock().unwrap().len(), 2);
    assert_eq!(h.emulator.count("webhooks"), 0);
    hook.shutdown().await;
}
