//! The emulator as other clients see it: account `with=` embeds, full user rights, roles, loss reasons, leads
//! `with=`, one problem+json shape for every error, customers answering 402, and a route table that says the truth.

use crmsync_sandbox::amocrm::AmoCrmConfig;
use crmsync_sandbox::amocrm::routes::{ROUTES, Support};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn account_embeds_only_what_with_asks_for() {
    let h = start(config()).await;
    let plain = h.get("/api/v4/account").await.json();
    assert!(plain.get("_embedded").is_none());
    assert!(plain.get("amojo_id").is_none());
    let full = h
        .get("/api/v4/account?with=amojo_id,amojo_rights,users_groups,task_types,version,entity_names,datetime_settings")
        .await
        .json();
    assert!(full["amojo_id"].is_string());
    assert_eq!(full["version"], 11);
    let embedded = &full["_embedded"];
    assert_eq!(embedded["task_types"][0]["code"], "FOLLOW_UP");
    assert_eq!(embedded["amojo_rights"]["can_direct"], true);
    assert!(embedded["users_groups"].is_array());
    assert_eq!(embedded["datetime_settings"]["timezone"], "Europe/Moscow");
    assert!(embedded["entity_names"]["leads"]["en"]["plural_form"].is_object());
}

#[tokio::test]
async fn users_carry_the_documented_rights_and_roles_list_their_users() {
    let h = start(config()).await;
    let users = h.get("/api/v4/users?with=role,group").await.json();
    let user = &users["_embedded"]["users"][0];
    let rights = &user["rights"];
    for entity in ["leads", "contacts", "companies"] {
        for action in ["view", "edit", "add", "delete", "export"] {
            assert!(rights[entity][action].is_string(), "{entity}.{action}");
        }
    }
    for flag in [
        "mail_access",
        "catalog_access",
        "files_access",
        "is_admin",
        "is_free",
        "is_active",
    ] {
        assert!(rights[flag].is_boolean(), "{flag}");
    }
    let status_rights = rights["status_rights"].as_array().unwrap();
    assert!(status_rights.iter().any(|s| s["status_id"] == 142));
    assert!(user["_embedded"]["groups"].is_array());
    let roles = h.get("/api/v4/roles?with=users").await.json();
    assert!(roles["_embedded"]["roles"][0]["rights"]["leads"]["view"].is_string());
}

#[tokio::test]
async fn leads_with_loss_reason_embed_it() {
    let h = start(config()).await;
    let reasons = h.get("/api/v4/leads/loss_reasons").await.json();
    let reason_id = reasons["_embedded"]["loss_reasons"][0]["id"]
        .as_i64()
        .unwrap();
    let ids = h.create("leads", json!([{ "name": "Lost one" }])).await;
    let reply = h
        .patch(
            &format!("/api/v4/leads/{}", ids[0]),
            json!({ "status_id": 143, "loss_reason_id": reason_id }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let plain = h.get(&format!("/api/v4/leads/{}", ids[0])).await.json();
    assert!(plain["_embedded"].get("loss_reason").is_none());
    let lead = h
        .get(&format!(
            "/api/v4/leads/{}?with=loss_reason,is_price_modified_by_robot,catalog_elements",
            ids[0]
        ))
        .await
        .json();
    assert_eq!(lead["_embedded"]["loss_reason"][0]["id"], reason_id);
    assert_eq!(lead["is_price_modified_by_robot"], false);
    assert!(lead["_embedded"]["catalog_elements"].is_array());
    assert_eq!(
        h.get("/api/v4/leads?with=only_deleted").await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn every_error_is_one_problem_json_shape() {
    let h = start(config()).await;
    let checks = [
        (
            Method::DELETE,
            "/api/v4/leads",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (Method::GET, "/api/v4/nothing-here", StatusCode::NOT_FOUND),
        (Method::GET, "/api/v4/widgets", StatusCode::NOT_FOUND),
        (
            Method::POST,
            "/api/v4/account",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (method, path, status) in checks {
        let reply = h.call(method.clone(), path, None).await;
        assert_eq!(reply.status, status, "{method} {path}");
        assert_eq!(
            reply.content_type, "application/problem+json",
            "{method} {path}"
        );
        let body = reply.json();
        assert_eq!(body["status"], status.as_u16());
        assert_eq!(
            body["type"],
            format!("https://httpstatus.es/{}", status.as_u16())
        );
        assert!(body["title"].is_string() && body["detail"].as_str().unwrap().contains(path));
    }
    let widgets = h.get("/api/v4/widgets").await.json();
    assert!(
        widgets["detail"]
            .as_str()
            .unwrap()
            .contains("does not emulate")
    );
}

#[tokio::test]
async fn customers_answer_402_while_disabled() {
    let h = start(config()).await;
    let reply = h.get("/api/v4/customers").await;
    assert_eq!(reply.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(reply.json()["status"], 402);
    let account = h.get("/api/v4/account").await.json();
    assert_eq!(account["customers_mode"], "disabled");
    let enabled = start(AmoCrmConfig {
        customers_enabled: true,
        ..config()
    })
    .await;
    assert_ne!(
        enabled.get("/api/v4/customers").await.status,
        StatusCode::PAYMENT_REQUIRED
    );
}

#[tokio::test]
async fn the_route_table_says_what_is_emulated() {
    let h = start(AmoCrmConfig {
        customers_enabled: true,
        ..config()
    })
    .await;
    for route in ROUTES {
        let path = route
            .path
            .replace("{entity}", "leads")
            .replace("{id}", "1")
            .replace("{uid}", "x1")
            .replace("{code}", "w1");
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let body = matches!(route.method, "POST" | "PATCH" | "PUT").then(|| json!([]));
        let reply = h.call(method, &path, body).await;
        let fallback = reply.status == StatusCode::NOT_FOUND
            && reply.text.contains("does not emulate")
            || reply.status == StatusCode::METHOD_NOT_ALLOWED;
        match route.support {
            Support::Emulated => assert!(!fallback, "{} {path}: {}", route.method, reply.text),
            Support::NotEmulated => assert!(
                fallback,
                "{} {path}: {} {}",
                route.method, reply.status, reply.text
            ),
        }
    }
}
