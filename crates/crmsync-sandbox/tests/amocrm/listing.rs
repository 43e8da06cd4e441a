//! Lists: HAL envelopes, paging, 204, filters in every bracket shape, `query`, `with`.

use std::time::Duration;

use crmsync_sandbox::SandboxClock;
use crmsync_sandbox::amocrm::AmoCrmConfig;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{config, start};

#[tokio::test]
async fn pages_follow_next_links_until_204() {
    let h = start(config()).await;
    let ids = h
        .create(
            "leads",
            json!([{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}, {"name": "e"}]),
        )
        .await;
    let first = h.get("/api/v4/leads?limit=2").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.content_type, "application/hal+json");
    let body = first.json();
    assert_eq!(body["_page"], 1);
    assert_eq!(
        body["_links"]["self"]["href"],
        format!("{}/api/v4/leads?limit=2&page=1", h.base)
    );
    assert!(body["_links"].get("prev").is_none());
    let mut seen: Vec<i64> = Vec::new();
    let mut next = Some(format!("{}/api/v4/leads?limit=2&page=1", h.base));
    let mut pages = 0;
    while let Some(url) = next {
        let path = url.strip_prefix(&h.base).unwrap().to_owned();
        let reply = h.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let page = reply.json();
        pages += 1;
        seen.extend(
            page["_embedded"]["leads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_i64().unwrap()),
        );
        next = page["_links"]["next"]["href"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
    let past = h.get("/api/v4/leads?limit=2&page=4").await;
    assert_eq!(past.status, StatusCode::NO_CONTENT);
    assert!(past.text.is_empty());
}

#[tokio::test]
async fn a_full_last_page_links_to_a_204_page() {
    let h = start(config()).await;
    h.create(
        "contacts",
        json!([{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]),
    )
    .await;
    let second = h.get("/api/v4/contacts?limit=2&page=2").await.json();
    assert_eq!(second["_page"], 2);
    assert!(
        second["_links"]["prev"]["href"]
            .as_str()
            .unwrap()
            .ends_with("limit=2&page=1")
    );
    let next = second["_links"]["next"]["href"].as_str().unwrap();
    let reply = h.get(next.strip_prefix(&h.base).unwrap()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn empty_lists_limits_and_unknown_paths() {
    let h = start(config()).await;
    assert_eq!(
        h.get("/api/v4/companies").await.status,
        StatusCode::NO_CONTENT
    );
    let over = h.get("/api/v4/leads?limit=251").await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(over.content_type, "application/problem+json");
    assert_eq!(
        over.json(),
        json!({"title": "Unprocessable Entity", "type": "https://httpstatus.es/422", "status": 422, "detail": "Limit 250 per page"})
    );
    assert_eq!(
        h.get("/api/v4/leads?limit=250").await.status,
        StatusCode::NO_CONTENT
    );
    let missing = h.get("/api/v4/nothing-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.json()["detail"],
        "Cannot GET /api/v4/nothing-here: not an amoCRM API v4 route"
    );
}

#[tokio::test]
async fn id_filters_read_alike_with_and_without_indexes() {
    let h = start(config()).await;
    let ids = h
        .create(
            "leads",
            json!([{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]),
        )
        .await;
    let (a, c) = (ids[0], ids[2]);
    let expected = vec![a, c];
    for query in [
        format!("filter[id][]={a}&filter[id][]={c}"),
        format!("filter[id][0]={a}&filter[id][1]={c}"),
        format!("filter[id]={a}&filter[id]={c}"),
        format!("filter%5Bid%5D%5B0%5D={a}&filter%5Bid%5D%5B1%5D={c}"),
    ] {
        assert_eq!(h.ids("leads", &query).await, expected, "{query}");
    }
    assert!(h.ids("leads", "filter[id][]=1").await.is_empty());
}

#[tokio::test]
async fn status_pipeline_and_updated_at_filters() {
    let clock = SandboxClock::manual(1_800_000_000);
    let h = start(AmoCrmConfig {
        clock: clock.clone(),
        ..config()
    })
    .await;
    let ids = h
        .create(
            "leads",
            json!([
                {"name": "won", "pipeline_id": 8_000_001, "status_id": 142},
                {"name": "open"},
                {"name": "second", "pipeline_id": 8_000_002},
                {"name": "lost elsewhere", "pipeline_id": 8_000_002, "status_id": 143}
            ]),
        )
        .await;
    assert_eq!(
        h.ids(
            "leads",
            "filter[statuses][0][pipeline_id]=8000001&filter[statuses][0][status_id]=142\
             &filter[statuses][1][pipeline_id]=8000002&filter[statuses][1][status_id]=143"
        )
        .await,
        vec![ids[0], ids[3]]
    );
    assert_eq!(
        h.ids("leads", "filter[pipeline_id]=8000002").await,
        vec![ids[2], ids[3]]
    );
    assert_eq!(
        h.ids("leads", "filter[pipeline_id][]=8000001").await,
        vec![ids[0], ids[1]]
    );
    clock.advance(Duration::from_secs(600));
    let patched = h
        .patch(&format!("/api/v4/leads/{}", ids[1]), json!({"price": 5}))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.json()["updated_at"], 1_800_000_600);
    assert_eq!(
        h.ids(
            "leads",
            "filter[updated_at][from]=1800000300&order[updated_at]=asc"
        )
        .await,
        vec![ids[1]]
    );
    assert_eq!(
        h.ids("leads", "filter[updated_at][to]=1800000300").await,
        vec![ids[0], ids[2], ids[3]]
    );
    assert_eq!(
        h.ids("leads", "order[updated_at]=desc&limit=1").await,
        vec![ids[1]]
    );
}

#[tokio::test]
async fn query_searches_names_and_field_values_including_phones() {
    let h = start(config()).await;
    let ids = h
        .create(
            "contacts",
            json!([
                {"first_name": "Ivan", "last_name": "Petrov",
                 "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+7 (912) 345-67-89", "enum_code": "MOB"}]}]},
                {"name": "Olga", "custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "olga@example.invalid"}]}]}
            ]),
        )
        .await;
    assert_eq!(h.ids("contacts", "query=79123456789").await, vec![ids[0]]);
    assert_eq!(
        h.ids("contacts", "query=%2B7%20912%20345").await,
        vec![ids[0]]
    );
    assert_eq!(h.ids("contacts", "query=petrov").await, vec![ids[0]]);
    assert_eq!(
        h.ids("contacts", "query=olga%40example").await,
        vec![ids[1]]
    );
    let none = h.get("/api/v4/contacts?query=nobody").await;
    assert_eq!(none.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn with_contacts_embeds_linked_contacts() {
    let h = start(config()).await;
    let contacts = h
        .create("contacts", json!([{"name": "one"}, {"name": "two"}]))
        .await;
    let companies = h.create("companies", json!([{"name": "Acme"}])).await;
    let leads = h
        .create(
            "leads",
            json!([{"name": "deal", "_embedded": {
                "contacts": [{"id": contacts[0]}, {"id": contacts[1], "is_main": true}],
                "companies": [{"id": companies[0]}]}}]),
        )
        .await;
    let plain = h.get(&format!("/api/v4/leads/{}", leads[0])).await.json();
    assert!(plain["_embedded"].get("contacts").is_none());
    assert_eq!(plain["_embedded"]["companies"][0]["id"], companies[0]);
    let with = h
        .get(&format!(
            "/api/v4/leads?with=contacts&filter[id]={}",
            leads[0]
        ))
        .await
        .json();
    let embedded = &with["_embedded"]["leads"][0]["_embedded"]["contacts"];
    assert_eq!(embedded[0]["id"], contacts[0]);
    assert_eq!(embedded[0]["is_main"], false);
    assert_eq!(embedded[1]["id"], contacts[1]);
    assert_eq!(embedded[1]["is_main"], true);
    let contact = h
        .get(&format!("/api/v4/contacts/{}?with=leads", contacts[1]))
        .await
        .json();
    assert_eq!(contact["_embedded"]["leads"][0]["id"], leads[0]);
}

#[tokio::test]
async fn custom_field_filters_match_values() {
    let h = start(config()).await;
    let ids = h
        .create(
            "leads",
            json!([
                {"name": "a", "custom_fields_values": [{"field_id": 9_000_201, "values": [{"value": "А40-1/2026"}]}]},
                {"name": "b", "custom_fields_values": [{"field_id": 9_000_202, "values": [{"value": 150}]}]}
            ]),
        )
        .await;
    assert_eq!(
        h.ids(
            "leads",
            "filter[custom_fields_values][9000201][]=%D0%9040-1%2F2026"
        )
        .await,
        vec![ids[0]]
    );
    assert_eq!(
        h.ids("leads", "filter[custom_fields_values][9000202][from]=100&filter[custom_fields_values][9000202][to]=200")
            .await,
        vec![ids[1]]
    );
}

#[tokio::test]
async fn if_modified_since_limits_lists_to_recent_changes() {
    let clock = SandboxClock::manual(1_800_000_000);
    let h = start(AmoCrmConfig {
        clock: clock.clone(),
        ..config()
    })
    .await;
    let old = h.create("companies", json!([{"name": "old"}])).await[0];
    clock.advance(Duration::from_secs(3600));
    let new = h.create("companies", json!([{"name": "new"}])).await[0];
    let since = chrono::DateTime::from_timestamp(1_800_001_800, 0)
        .unwrap()
        .to_rfc2822();
    let reply = h
        .http
        .get(format!("{}/api/v4/companies", h.base))
        .bearer_auth(crate::common::TOKEN)
        .header("If-Modified-Since", since)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = reply.json().await.unwrap();
    let ids: Vec<i64> = body["_embedded"]["companies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![new]);
    assert_eq!(h.ids("companies", "").await, vec![old, new]);
}
