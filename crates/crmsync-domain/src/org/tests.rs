//! Validation of platform records, the department tree and dynamic-tag rules.

use std::collections::BTreeSet;

use super::*;

fn dept(id: &str, parent: Option<&str>) -> Department {
    Department {
        id: id.into(),
        name: format!("Department {id}"),
        parent_id: parent.map(Into::into),
        order: 0,
        revoked_by: None,
    }
}

fn user(name: &str, departments: &[&str], positions: &[&str], status: UserStatus) -> OrgUser {
    OrgUser {
        username: name.into(),
        department_ids: departments.iter().map(|d| (*d).to_owned()).collect(),
        seats: positions
            .iter()
            .map(|p| Seat {
                position_id: (*p).to_owned(),
                department_id: departments
                    .first()
                    .map_or_else(String::new, |d| (*d).to_owned()),
            })
            .collect(),
        status,
        updated_at: 1,
    }
}

#[test]
fn identifiers_and_names_are_checked_field_by_field() {
    assert!(check_identifier("user", "u1", "username", "u1").is_ok());
    let empty = check_identifier("user", "", "username", "").unwrap_err();
    assert_eq!(empty.field, "username");
    assert!(empty.to_string().contains("is empty"), "{empty}");
    assert!(check_identifier("user", "x", "username", " padded").is_err());
    assert!(check_identifier("user", "x", "username", "a\u{7}b").is_err());
    assert!(check_identifier("user", "x", "username", &"a".repeat(129)).is_err());
    assert!(check_name("tag", "t", "name", "  ").is_err());
    assert!(check_name("tag", "t", "name", "Учителя").is_ok());
    let bad = Department {
        name: String::new(),
        ..dept("7", None)
    };
    assert_eq!(bad.validate().unwrap_err().field, "name");
}

#[test]
fn platform_names_are_restricted() {
    assert!(check_platform("wecom").is_ok());
    assert!(check_platform("ding-talk_2").is_ok());
    assert!(check_platform("WeCom").is_err());
    assert!(check_platform("").is_err());
}

#[test]
fn the_tree_knows_roots_orphans_and_subtrees() {
    let tree = DepartmentTree::build([
        dept("1", None),
        dept("2", Some("1")),
        dept("3", Some("2")),
        dept("4", Some("1")),
        dept("9", Some("missing")),
    ])
    .unwrap();
    assert_eq!(tree.len(), 5);
    assert_eq!(tree.roots(), ["1", "9"]);
    assert_eq!(tree.orphans(), ["9"]);
    assert_eq!(
        tree.subtree("2"),
        BTreeSet::from(["2".to_owned(), "3".to_owned()])
    );
    assert_eq!(tree.subtree("1").len(), 4);
    assert!(tree.subtree("nope").is_empty());
}

#[test]
fn loops_and_conflicting_duplicates_are_errors() {
    let looped =
        DepartmentTree::build([dept("1", None), dept("2", Some("3")), dept("3", Some("2"))]);
    assert!(matches!(looped, Err(TreeError::Cycle { .. })));
    let own_parent = DepartmentTree::build([dept("5", Some("5"))]);
    assert!(matches!(own_parent, Err(TreeError::Cycle { id }) if id == "5"));
    let renamed = Department {
        name: "Other".into(),
        ..dept("1", None)
    };
    assert!(matches!(
        DepartmentTree::build([dept("1", None), renamed]),
        Err(TreeError::Duplicate { id }) if id == "1"
    ));
    let same_twice = DepartmentTree::build([dept("1", None), dept("1", None)]).unwrap();
    assert_eq!(same_twice.len(), 1);
}

#[test]
fn the_fingerprint_follows_shape_not_names() {
    let a = DepartmentTree::build([dept("1", None), dept("2", Some("1"))]).unwrap();
    let renamed = DepartmentTree::build([
        dept("1", None),
        Department {
            name: "Renamed".into(),
            ..dept("2", Some("1"))
        },
    ])
    .unwrap();
    let moved = DepartmentTree::build([dept("1", None), dept("2", None)]).unwrap();
    assert_eq!(a.fingerprint(), renamed.fingerprint());
    assert_ne!(a.fingerprint(), moved.fingerprint());
}

#[test]
fn dynamic_rules_cover_subdepartments_and_filter_positions() {
    let tree = DepartmentTree::build([dept("1", None), dept("2", Some("1")), dept("3", Some("2"))])
        .unwrap();
    let rule = TagRule {
        department_ids: vec!["2".into()],
        include_children: true,
        position_ids: vec![],
    };
    let covered = rule.departments(&tree);
    assert_eq!(covered, BTreeSet::from(["2".to_owned(), "3".to_owned()]));
    assert!(rule.matches(&user("a", &["3"], &[], UserStatus::Active), &covered));
    assert!(!rule.matches(&user("b", &["1"], &[], UserStatus::Active), &covered));
    assert!(
        !rule.matches(&user("c", &["3"], &[], UserStatus::Disabled), &covered),
        "only active users"
    );

    let direct = TagRule {
        include_children: false,
        position_ids: vec!["teacher".into()],
        ..rule
    };
    let covered = direct.departments(&tree);
    assert_eq!(covered, BTreeSet::from(["2".to_owned()]));
    assert!(direct.matches(
        &user("d", &["2"], &["teacher"], UserStatus::Active),
        &covered
    ));
    assert!(!direct.matches(&user("e", &["2"], &["cook"], UserStatus::Active), &covered));
    assert!(!direct.matches(
        &user("f", &["3"], &["teacher"], UserStatus::Active),
        &covered
    ));
}

#[test]
fn a_dynamic_tag_needs_a_department() {
    let tag = Tag {
        id: "t1".into(),
        group_id: None,
        name: "Everyone".into(),
        kind: TagKind::Dynamic {
            rule: TagRule {
                department_ids: vec![],
                include_children: true,
                position_ids: vec![],
            },
        },
    };
    assert_eq!(tag.validate().unwrap_err().field, "rule.department_ids");
}

#[test]
fn names_normalise_for_matching() {
    assert_eq!(normalise_name("  Head   of\tMaths "), "head of maths");
    assert_eq!(normalise_name("Завуч"), normalise_name("ЗАВУЧ"));
}

#[test]
fn position_events_round_trip_their_stored_names() {
    for kind in [
        PositionEventKind::Added,
        PositionEventKind::Renamed,
        PositionEventKind::Disabled,
        PositionEventKind::Enabled,
        PositionEventKind::Remapped,
    ] {
        assert_eq!(PositionEventKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(PositionEventKind::parse("exploded"), None);
}
