//! Plan tables of the attributes part: registering definitions, and users' values against the registry.

use crmsync_domain::org::{
    AttributeDef, AttributeKind, StoredAttributes, UserAttributes, UserStatus,
};
use crmsync_ports::RegisteredAttribute;
use serde_json::{Map, Value, json};

use super::*;

fn def(identity: &str, key: &str, kind: AttributeKind, required: bool) -> AttributeDef {
    AttributeDef {
        identity: identity.into(),
        key: key.into(),
        label: key.to_uppercase(),
        kind,
        required,
    }
}

fn registered(definition: AttributeDef, listed: bool) -> RegisteredAttribute {
    RegisteredAttribute {
        definition,
        listed,
        first_seen: 1,
        updated_at: 1,
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn listed(username: &str, identity: Option<&str>, values: Value, at: i64) -> UserAttributes {
    UserAttributes {
        username: username.into(),
        identity: identity.map(Into::into),
        attributes: object(values),
        status: UserStatus::Active,
        updated_at: at,
    }
}

fn stored(username: &str, identity: &str, values: Value) -> StoredAttributes {
    StoredAttributes {
        username: username.into(),
        identity: identity.into(),
        attributes: object(values),
    }
}

fn registry() -> AttributeRegistry {
    AttributeRegistry::new([
        def("student", "grade", AttributeKind::Number, true),
        def("student", "class", AttributeKind::Text, false),
        def(
            "teacher",
            "subject",
            AttributeKind::Enum(vec!["maths".into(), "music".into()]),
            true,
        ),
    ])
}

#[test]
fn definitions_register_once_and_follow_the_platform() {
    let grade = def("student", "grade", AttributeKind::Number, true);
    let class = def("student", "class", AttributeKind::Text, false);
    let house = def(
        "student",
        "house",
        AttributeKind::Enum(vec!["red".into()]),
        false,
    );
    let gone = def("staff", "room", AttributeKind::Text, false);
    let relisted = def("staff", "since", AttributeKind::Date, false);
    let broken = def("staff", "bad key", AttributeKind::Text, false);
    let mut class_changed = class.clone();
    class_changed.required = true;
    let stored = vec![
        registered(grade.clone(), true),
        registered(class.clone(), true),
        registered(gone.clone(), true),
        registered(relisted.clone(), false),
    ];
    let plan = plan_definitions(
        vec![
            grade.clone(),
            class_changed.clone(),
            house.clone(),
            relisted.clone(),
            broken,
        ],
        &stored,
    );
    assert_eq!(plan.added, vec![house]);
    assert_eq!(plan.updated, vec![relisted, class_changed]);
    assert_eq!(plan.unlisted, vec![("staff".to_owned(), "room".to_owned())]);
    assert_eq!(plan.rejected.len(), 1);
    assert_eq!(plan.rejected[0].field, "key");
    assert_eq!(plan.registry.len(), 4);

    let again: Vec<RegisteredAttribute> = plan
        .registry
        .definitions()
        .cloned()
        .map(|d| registered(d, true))
        .chain([registered(gone, false)])
        .collect();
    let rerun = plan_definitions(plan.registry.definitions().cloned().collect(), &again);
    assert!(rerun.upsert().is_empty() && rerun.unlisted.is_empty());
    assert_eq!(
        registry_fingerprint(&rerun.registry),
        registry_fingerprint(&plan.registry)
    );
    assert_ne!(
        registry_fingerprint(&rerun.registry),
        registry_fingerprint(&registry())
    );
}

#[test]
fn users_plan_table() {
    let registry = registry();
    let stored_rows = vec![
        stored("same", "student", json!({"grade": 7})),
        stored("moved", "student", json!({"grade": 7})),
        stored("broken", "teacher", json!({"subject": "maths"})),
        stored("left", "student", json!({"grade": 9})),
        stored("plain", "student", json!({"grade": 9})),
    ];
    let mut left = listed("left", Some("student"), json!({"grade": 9}), 5);
    left.status = UserStatus::Deleted;
    let users = vec![
        listed(
            "same",
            Some("student"),
            json!({"grade": 7, "class": null}),
            1,
        ),
        listed("moved", Some("student"), json!({"grade": 8}), 1),
        listed("moved", Some("student"), json!({"grade": 9}), 3),
        listed("moved", Some("student"), json!({"grade": 1}), 2),
        listed("new", Some("teacher"), json!({"subject": "music"}), 1),
        listed("broken", Some("teacher"), json!({"subject": "art"}), 1),
        listed(
            "worse",
            Some("student"),
            json!({"grade": "8", "nick": "x"}),
            1,
        ),
        listed("alien", Some("alumnus"), json!({}), 1),
        listed("anonymous", None, json!({"grade": 1}), 1),
        listed("plain", None, json!({}), 1),
        listed("nobody", None, json!({"x": null}), 1),
        listed(" bad", Some("student"), json!({"grade": 1}), 1),
        left,
    ];
    let plan = plan_users(users, &registry, &stored_rows, None);
    assert_eq!(
        plan.upsert,
        vec![
            stored("moved", "student", json!({"grade": 9})),
            stored("new", "teacher", json!({"subject": "music"})),
        ]
    );
    assert_eq!(plan.remove, vec!["left".to_owned(), "plain".to_owned()]);
    assert_eq!(plan.unchanged, 1);
    assert_eq!(plan.duplicates, 2);
    assert_eq!(plan.rejected.len(), 1);
    let invalid: Vec<(&str, Vec<&str>)> = plan
        .invalid
        .iter()
        .map(|u| {
            (
                u.username.as_str(),
                u.errors.iter().map(|e| e.issue.code()).collect(),
            )
        })
        .collect();
    assert_eq!(
        invalid,
        vec![
            ("alien", vec!["unknown_identity"]),
            ("anonymous", vec!["unknown_identity"]),
            ("broken", vec!["not_in_enum"]),
            ("worse", vec!["wrong_type", "unknown_key"]),
        ]
    );
    assert_eq!(
        plan.reasons.into_iter().collect::<Vec<_>>(),
        vec![
            ("not_in_enum", 1),
            ("unknown_identity", 2),
            ("unknown_key", 1),
            ("wrong_type", 1)
        ]
    );
    assert_eq!(
        plan.invalid[3].to_string(),
        "user \"worse\": identity \"student\", attribute `grade`: must be a number, got a string; \
         identity \"student\", attribute `nick`: is not defined for the identity"
    );
}

#[test]
fn a_full_listing_removes_users_no_longer_listed_but_keeps_invalid_and_rejected_ones() {
    let registry = registry();
    let stored_rows = vec![
        stored("kept", "student", json!({"grade": 7})),
        stored("invalid", "student", json!({"grade": 7})),
    ];
    let everyone = vec![
        "gone".to_owned(),
        "invalid".to_owned(),
        "kept".to_owned(),
        " bad".to_owned(),
    ];
    let users = vec![
        listed("kept", Some("student"), json!({"grade": 7}), 1),
        listed("invalid", Some("student"), json!({}), 1),
        listed(" bad", Some("student"), json!({}), 1),
    ];
    let plan = plan_users(users.clone(), &registry, &stored_rows, Some(&everyone));
    assert_eq!(plan.remove, vec!["gone".to_owned()]);
    assert!(plan.upsert.is_empty());
    assert_eq!(plan.invalid.len(), 1);
    let incremental = plan_users(users, &registry, &stored_rows, None);
    assert!(incremental.remove.is_empty());
}
