//! Unit tests of fault plans: determinism, rates, routes, scripts, validation.

use super::*;

fn sequence(plan: &FaultPlan, route: &str, n: u64) -> Vec<Option<Injection>> {
    (0..n).map(|i| plan.decide(route, i)).collect()
}

#[test]
fn same_seed_same_faults_other_seed_other_faults() {
    let plan = FaultPlan::uniform(7, FaultRates::spread(0.3));
    let a = sequence(&plan, "POST /api/v4/contacts", 500);
    let b = sequence(&plan, "POST /api/v4/contacts", 500);
    assert_eq!(a, b);
    let other = FaultPlan::uniform(8, FaultRates::spread(0.3));
    assert_ne!(a, sequence(&other, "POST /api/v4/contacts", 500));
}

#[test]
fn rates_are_roughly_honoured() {
    let plan = FaultPlan::uniform(1, FaultRates::spread(0.10));
    let faults = sequence(&plan, "GET /api/v4/leads", 20_000)
        .into_iter()
        .flatten()
        .count();
    assert!(
        (1_600..=2_400).contains(&faults),
        "{faults} faults of 20000"
    );
}

#[test]
fn route_specific_rates_override_the_default() {
    let plan = FaultPlan::none().with_route(
        "POST /api/v4/leads",
        FaultRates {
            error_504: 1.0,
            ..FaultRates::default()
        },
    );
    assert_eq!(
        plan.decide("POST /api/v4/leads", 0).map(|i| i.fault),
        Some(Fault::Error504)
    );
    assert_eq!(plan.decide("GET /api/v4/leads", 0), None);
    let by_path = FaultPlan::none().with_route(
        "/api/v4/tasks",
        FaultRates {
            drop: 1.0,
            after_processing: 1.0,
            ..FaultRates::default()
        },
    );
    let injection = by_path.decide("PATCH /api/v4/tasks", 3).unwrap();
    assert_eq!(injection.fault, Fault::Drop);
    assert!(injection.after_processing);
}

#[test]
fn injector_counts_and_restarts_sequences() {
    let injector = FaultInjector::new(FaultPlan::uniform(3, FaultRates::spread(0.5)));
    let first: Vec<_> = (0..50)
        .map(|_| injector.next("GET /x").map(|f| f.0))
        .collect();
    let counted = injector.counts()["GET /x"].total();
    assert_eq!(counted as usize, first.iter().flatten().count());
    injector.set_plan(FaultPlan::uniform(3, FaultRates::spread(0.5)));
    let again: Vec<_> = (0..50)
        .map(|_| injector.next("GET /x").map(|f| f.0))
        .collect();
    assert_eq!(first, again);
}

#[test]
fn validation_names_the_bad_field() {
    let bad = FaultPlan::uniform(
        0,
        FaultRates {
            error_500: 1.5,
            ..FaultRates::default()
        },
    );
    assert!(bad.validate().unwrap_err().contains("default.error_500"));
    let too_much = FaultPlan::none().with_route(
        "/a",
        FaultRates {
            error_500: 0.6,
            drop: 0.6,
            ..FaultRates::default()
        },
    );
    assert!(too_much.validate().unwrap_err().contains("/a"));
    assert!(FaultPlan::none().validate().is_ok());
    assert!(!FaultPlan::none().is_active());
}

#[test]
fn scripts_come_first_then_rates_apply() {
    let plan = FaultPlan::uniform(1, FaultRates::default()).with_script(
        "POST /api/v4/leads",
        vec![
            Injection::before(Fault::Error504),
            None,
            Injection::after(Fault::Drop),
        ],
    );
    assert!(plan.is_active());
    assert_eq!(
        plan.decide("POST /api/v4/leads", 0),
        Injection::before(Fault::Error504)
    );
    assert_eq!(plan.decide("POST /api/v4/leads", 1), None);
    assert_eq!(
        plan.decide("POST /api/v4/leads", 2),
        Injection::after(Fault::Drop)
    );
    assert_eq!(plan.decide("POST /api/v4/leads", 3), None);
    assert_eq!(plan.decide("GET /api/v4/leads", 0), None);
    let json = serde_json::to_string(&plan).unwrap();
    let back: FaultPlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn the_documented_json_form_parses() {
    let plan: FaultPlan = serde_json::from_str(
        r#"{"seed": 42, "default": {"error_504": 0.05, "drop": 0.05, "after_processing": 0.5},
            "routes": {"GET /api/v4/account": {}}, "slow_delay_ms": 1500, "hang_ms": 30000,
            "script": {"POST /api/v4/leads": [{"fault": "error_504", "after_processing": false}, null]}}"#,
    )
    .unwrap();
    plan.validate().unwrap();
    assert_eq!(
        plan.decide("POST /api/v4/leads", 0),
        Injection::before(Fault::Error504)
    );
    assert_eq!(plan.decide("GET /api/v4/account", 5), None);
    assert_eq!(plan.default.error_504, 0.05);
    let partial: FaultPlan = serde_json::from_str(r#"{"seed": 1}"#).unwrap();
    assert_eq!(partial.hang_ms, 30_000);
}
