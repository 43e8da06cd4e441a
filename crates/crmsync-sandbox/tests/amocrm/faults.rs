//! Fault injection over the wire: determinism from a seed, faults after processing, drops and hangs.

use std::time::Duration;

use crmsync_sandbox::amocrm::AmoCrmConfig;
use crmsync_sandbox::{FaultPlan, FaultRates};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{config, start};

fn errors_only(seed: u64) -> FaultPlan {
    FaultPlan::uniform(
        seed,
        FaultRates {
            error_500: 0.15,
            error_502: 0.1,
            error_504: 0.1,
            ..FaultRates::default()
        },
    )
}

async fn statuses(plan: FaultPlan) -> (Vec<u16>, u64) {
    let h = start(AmoCrmConfig {
        faults: plan,
        ..config()
    })
    .await;
    let mut out = Vec::new();
    for _ in 0..60 {
        out.push(h.get("/api/v4/leads/pipelines").await.status.as_u16());
    }
    let faults = h.emulator.stats().faults_total();
    h.emulator.shutdown().await;
    (out, faults)
}

#[tokio::test]
async fn the_same_seed_injects_the_same_faults() {
    let (first, first_faults) = statuses(errors_only(42)).await;
    let (second, second_faults) = statuses(errors_only(42)).await;
    let (other, _) = statuses(errors_only(43)).await;
    assert_eq!(first, second);
    assert_ne!(first, other);
    let injected = first.iter().filter(|s| **s >= 500).count() as u64;
    assert!(injected > 0 && injected < 60, "{first:?}");
    assert_eq!(first_faults, injected);
    assert_eq!(first_faults, second_faults);
    assert!(first.iter().all(|s| [200, 500, 502, 504].contains(s)));
}

#[tokio::test]
async fn set_faults_restarts_the_sequence_and_none_stops_them() {
    let h = start(config()).await;
    h.emulator.set_faults(errors_only(7));
    let mut a = Vec::new();
    for _ in 0..20 {
        a.push(h.get("/api/v4/account").await.status);
    }
    h.emulator.set_faults(errors_only(7));
    let mut b = Vec::new();
    for _ in 0..20 {
        b.push(h.get("/api/v4/account").await.status);
    }
    assert_eq!(a, b);
    h.emulator.set_faults(FaultPlan::none());
    for _ in 0..20 {
        assert_eq!(h.get("/api/v4/account").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_fault_after_processing_keeps_the_write_but_loses_the_answer() {
    let plan = FaultPlan::none().with_route(
        "POST /api/v4/contacts",
        FaultRates {
            error_504: 1.0,
            after_processing: 1.0,
            ..FaultRates::default()
        },
    );
    let h = start(AmoCrmConfig {
        faults: plan,
        ..config()
    })
    .await;
    let reply = h.post("/api/v4/contacts", json!([{"name": "ghost"}])).await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(reply.content_type, "text/html");
    assert_eq!(
        h.emulator.count("contacts"),
        1,
        "the contact was created although the answer was a 504"
    );
    let counts = &h.emulator.stats().faults["POST /api/v4/contacts"];
    assert_eq!((counts.error_504, counts.after_processing), (1, 1));
    let before = FaultPlan::none().with_route(
        "/api/v4/contacts",
        FaultRates {
            error_500: 1.0,
            ..FaultRates::default()
        },
    );
    h.emulator.set_faults(before);
    let refused = h.post("/api/v4/contacts", json!([{"name": "never"}])).await;
    assert_eq!(refused.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(refused.json()["title"], "ErrInternalServer");
    assert_eq!(
        h.emulator.count("contacts"),
        1,
        "a fault before processing changes nothing"
    );
}

#[tokio::test]
async fn dropped_connections_and_hangs_fail_on_the_client_side() {
    let drop = FaultPlan::none().with_route(
        "GET /api/v4/leads",
        FaultRates {
            drop: 1.0,
            ..FaultRates::default()
        },
    );
    let h = start(AmoCrmConfig {
        faults: drop
            .with_route(
                "GET /api/v4/contacts",
                FaultRates {
                    timeout: 1.0,
                    ..FaultRates::default()
                },
            )
            .with_hang(Duration::from_secs(5)),
        ..config()
    })
    .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let dropped = client
        .get(format!("{}/api/v4/leads", h.base))
        .bearer_auth(crate::common::TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(!dropped.is_timeout(), "{dropped:?}");
    let hung = client
        .get(format!("{}/api/v4/contacts", h.base))
        .bearer_auth(crate::common::TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(hung.is_timeout(), "{hung:?}");
    let faults = h.emulator.stats().faults;
    assert_eq!(faults["GET /api/v4/leads"].drop, 1);
    assert_eq!(faults["GET /api/v4/contacts"].timeout, 1);
    assert_eq!(
        h.get("/api/v4/account").await.status,
        StatusCode::OK,
        "other routes are unaffected"
    );
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn oversized_batches_time_out_and_scripts_hit_exact_requests() {
    use crmsync_sandbox::faults::{Fault, Injection};
    use serde_json::Value;
    let h = start(AmoCrmConfig {
        gateway_timeout_over: Some(125),
        faults: FaultPlan::none().with_script(
            "PATCH /api/v4/contacts",
            vec![None, Injection::after(Fault::Error502)],
        ),
        ..config()
    })
    .await;
    let batch = |n: usize| Value::Array((0..n).map(|i| json!({"name": format!("c{i}")})).collect());
    let big = h.post("/api/v4/contacts", batch(250)).await;
    assert_eq!(big.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        h.emulator.count("contacts"),
        0,
        "an oversized batch is not processed"
    );
    let ids = h.create("contacts", batch(125)).await;
    assert_eq!(ids.len(), 125);
    let first = h
        .patch("/api/v4/contacts", json!([{"id": ids[0], "name": "x"}]))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let second = h
        .patch("/api/v4/contacts", json!([{"id": ids[1], "name": "y"}]))
        .await;
    assert_eq!(second.status, StatusCode::BAD_GATEWAY);
    assert_eq!(h.emulator.entity("contacts", ids[1]).unwrap()["name"], "y");
    let third = h
        .patch("/api/v4/contacts", json!([{"id": ids[2], "name": "z"}]))
        .await;
    assert_eq!(third.status, StatusCode::OK);
}
