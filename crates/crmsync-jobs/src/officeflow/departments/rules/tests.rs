//! Plan tables of the department rules: each action, rules in sequence, and every way to make a loop or name an
//! unknown department.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn dept(id: &str, parent: Option<&str>) -> Department {
    Department {
        id: id.into(),
        name: format!("Dept {id}"),
        parent_id: parent.map(Into::into),
        order: 0,
        revoked_by: None,
    }
}

/// School 1 with campuses 2 and 3; 2 has faculties 4 and 5; 5 has lab 6; 3 has faculty 7.
fn school() -> Vec<Department> {
    vec![
        dept("1", None),
        dept("2", Some("1")),
        dept("3", Some("1")),
        dept("4", Some("2")),
        dept("5", Some("2")),
        dept("6", Some("5")),
        dept("7", Some("3")),
    ]
}

fn rule(name: &str, action: RuleAction) -> DepartmentRule {
    DepartmentRule {
        name: name.into(),
        action,
    }
}

fn map(name: &str, from: &str, to: &str) -> DepartmentRule {
    rule(
        name,
        RuleAction::Map {
            from: from.into(),
            to: to.into(),
        },
    )
}

fn merge(name: &str, from: &[&str], into: &str) -> DepartmentRule {
    rule(
        name,
        RuleAction::Merge {
            from: from.iter().map(|f| (*f).to_owned()).collect(),
            into: into.into(),
        },
    )
}

fn moved(name: &str, department: &str, parent: &str) -> DepartmentRule {
    rule(
        name,
        RuleAction::Move {
            department: department.into(),
            parent: parent.into(),
        },
    )
}

fn revoke(name: &str, department: &str) -> DepartmentRule {
    rule(
        name,
        RuleAction::Revoke {
            department: department.into(),
        },
    )
}

/// `(id, parent, revoked_by)` of a department.
type Row = (String, Option<String>, Option<String>);

/// `(id, parent, revoked_by)` of every department, by id.
fn shape(ruled: &Ruled) -> Vec<Row> {
    ruled
        .departments
        .iter()
        .map(|d| (d.id.clone(), d.parent_id.clone(), d.revoked_by.clone()))
        .collect()
}

fn row(
    id: &str,
    parent: Option<&str>,
    revoked: Option<&str>,
) -> (String, Option<String>, Option<String>) {
    (id.into(), parent.map(Into::into), revoked.map(Into::into))
}

#[test]
fn no_rule_keeps_the_tree() {
    let ruled = DepartmentRules::default().apply(school()).unwrap();
    assert_eq!(ruled.departments, school());
    assert!(ruled.renamed.is_empty() && ruled.effects.is_empty());
}

#[test]
fn each_action_on_its_own() {
    let cases: Vec<(DepartmentRule, Vec<Row>, usize)> = vec![
        (
            map("rename campus", "2", "north"),
            vec![
                row("1", None, None),
                row("3", Some("1"), None),
                row("4", Some("north"), None),
                row("5", Some("north"), None),
                row("6", Some("5"), None),
                row("7", Some("3"), None),
                row("north", Some("1"), None),
            ],
            3,
        ),
        (
            merge("one campus", &["3"], "2"),
            vec![
                row("1", None, None),
                row("2", Some("1"), None),
                row("4", Some("2"), None),
                row("5", Some("2"), None),
                row("6", Some("5"), None),
                row("7", Some("2"), None),
            ],
            2,
        ),
        (
            moved("lab to campus 3", "5", "3"),
            vec![
                row("1", None, None),
                row("2", Some("1"), None),
                row("3", Some("1"), None),
                row("4", Some("2"), None),
                row("5", Some("3"), None),
                row("6", Some("5"), None),
                row("7", Some("3"), None),
            ],
            2,
        ),
        (
            revoke("closed campus", "2"),
            vec![
                row("1", None, None),
                row("2", Some("1"), Some("closed campus")),
                row("3", Some("1"), None),
                row("4", Some("2"), Some("closed campus")),
                row("5", Some("2"), Some("closed campus")),
                row("6", Some("5"), Some("closed campus")),
                row("7", Some("3"), None),
            ],
            4,
        ),
    ];
    for (rule, expected, touched) in cases {
        let name = rule.name.clone();
        let ruled = DepartmentRules(vec![rule]).apply(school()).unwrap();
        assert_eq!(shape(&ruled), expected, "{name}");
        assert_eq!(ruled.effects.len(), 1, "{name}");
        assert_eq!(ruled.effects[0].rule, name);
        assert_eq!(ruled.effects[0].departments, touched, "{name}");
    }
}

#[test]
fn rules_apply_in_order_and_renames_chain() {
    let rules = DepartmentRules(vec![
        map("rename", "3", "south"),
        merge("fold", &["south"], "2"),
        moved("lift", "6", "1"),
        revoke("close", "4"),
    ]);
    let ruled = rules.apply(school()).unwrap();
    assert_eq!(
        shape(&ruled),
        vec![
            row("1", None, None),
            row("2", Some("1"), None),
            row("4", Some("2"), Some("close")),
            row("5", Some("2"), None),
            row("6", Some("1"), None),
            row("7", Some("2"), None),
        ]
    );
    assert_eq!(
        ruled.renamed,
        BTreeMap::from([
            ("3".to_owned(), "2".to_owned()),
            ("south".to_owned(), "2".to_owned()),
        ])
    );
    let effects: Vec<&str> = ruled.effects.iter().map(|e| e.rule.as_str()).collect();
    assert_eq!(effects, ["rename", "fold", "lift", "close"]);
}

#[test]
fn cycles_are_refused_naming_the_rule() {
    let cases: Vec<(Vec<DepartmentRule>, &str)> = vec![
        (vec![map("a", "2", "3x"), map("b", "3x", "2")], "b"),
        (
            vec![map("a", "4", "x"), map("b", "x", "y"), map("c", "y", "4")],
            "c",
        ),
        (vec![merge("self", &["2"], "2")], "self"),
        (vec![merge("a", &["2"], "3"), merge("b", &["3"], "2")], "b"),
        (vec![moved("onto itself", "5", "5")], "onto itself"),
        (vec![moved("under own lab", "2", "6")], "under own lab"),
        (
            vec![merge("into own faculty", &["2"], "4")],
            "into own faculty",
        ),
        (
            vec![moved("first", "7", "2"), moved("then", "2", "7")],
            "then",
        ),
    ];
    for (rules, culprit) in cases {
        let error = DepartmentRules(rules.clone()).apply(school()).unwrap_err();
        assert!(
            matches!(&error, RuleError::Cycle { rule, .. } if rule == culprit),
            "{rules:?}: {error}"
        );
        assert!(
            error.to_string().contains(&format!("{culprit:?}")),
            "{error}"
        );
    }
}

#[test]
fn static_cycles_fail_the_check_without_a_tree() {
    let rules = DepartmentRules(vec![map("a", "x", "y"), merge("b", &["y"], "x")]);
    let error = rules.check().unwrap_err();
    assert_eq!(
        error,
        RuleError::Cycle {
            rule: "b".into(),
            path: "y → x → y".into()
        }
    );
}

#[test]
fn unknown_ids_are_refused_naming_the_rule_and_the_id() {
    let cases: Vec<(DepartmentRule, &str)> = vec![
        (map("m", "99", "x"), "99"),
        (merge("g", &["2", "98"], "1"), "98"),
        (merge("g", &["2"], "97"), "97"),
        (moved("v", "96", "1"), "96"),
        (moved("v", "2", "95"), "95"),
        (revoke("r", "94"), "94"),
    ];
    for (rule, id) in cases {
        let name = rule.name.clone();
        let error = DepartmentRules(vec![rule]).apply(school()).unwrap_err();
        assert_eq!(
            error,
            RuleError::Unknown {
                rule: name,
                id: id.into()
            }
        );
    }
    // A department merged away is unknown to later rules.
    let error = DepartmentRules(vec![merge("g", &["3"], "2"), revoke("r", "3")])
        .apply(school())
        .unwrap_err();
    assert_eq!(
        error,
        RuleError::Unknown {
            rule: "r".into(),
            id: "3".into()
        }
    );
}

#[test]
fn malformed_rules_fail_the_check() {
    let cases: Vec<(Vec<DepartmentRule>, &str)> = vec![
        (vec![revoke(" ", "2")], "has no name"),
        (vec![revoke("r", "2"), revoke("r", "3")], "earlier rule"),
        (vec![merge("g", &[], "2")], "from is empty"),
        (vec![map("m", "", "x")], "empty department id"),
        (
            vec![map("m", "2", "x"), merge("g", &["2"], "3")],
            "already mapped",
        ),
    ];
    for (rules, reason) in cases {
        let error = DepartmentRules(rules.clone()).check().unwrap_err();
        assert!(error.to_string().contains(reason), "{rules:?}: {error}");
    }
    let error = DepartmentRules(vec![map("m", "2", "3")])
        .apply(school())
        .unwrap_err();
    assert_eq!(
        error,
        RuleError::Taken {
            rule: "m".into(),
            id: "3".into()
        }
    );
}

#[test]
fn rules_read_from_toml_shapes() {
    let rules: DepartmentRules = serde_json::from_value(serde_json::json!([
        {"name": "n", "kind": "map", "from": "2", "to": "x"},
        {"name": "g", "kind": "merge", "from": ["3"], "into": "1"},
        {"name": "v", "kind": "move", "department": "6", "parent": "1"},
        {"name": "r", "kind": "revoke", "department": "4"}
    ]))
    .unwrap();
    assert_eq!(rules.0.len(), 4);
    assert_eq!(rules.0[3], revoke("r", "4"));
    assert!(
        serde_json::from_value::<DepartmentRules>(serde_json::json!([
            {"name": "r", "kind": "erase", "department": "4"}
        ]))
        .is_err()
    );
}
