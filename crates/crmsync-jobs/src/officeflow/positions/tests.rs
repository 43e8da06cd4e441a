//! Plan tables of the positions part: add, rename, disable, re-enable, remap; position–department–user rows.

use std::collections::{HashMap, HashSet};

use crmsync_domain::org::{OrgUser, Position, PositionMember, RemotePosition, Seat, UserStatus};
use crmsync_ports::{PositionChanges, PositionRemap, PositionRename};

use super::*;

fn remote(id: &str, name: &str) -> RemotePosition {
    RemotePosition {
        id: id.into(),
        name: name.into(),
    }
}

fn local(id: i64, name: &str, enabled: bool, remote_ids: &[&str]) -> Position {
    Position {
        id,
        name: name.into(),
        enabled,
        remote_ids: remote_ids.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn rename(position_id: i64, name: &str) -> PositionRename {
    PositionRename {
        position_id,
        name: name.into(),
    }
}

struct Case {
    name: &'static str,
    remote: Vec<RemotePosition>,
    stored: Vec<Position>,
    expected: PositionChanges,
}

#[test]
fn position_plans() {
    let cases = vec![
        Case {
            name: "first run adds everything",
            remote: vec![remote("p1", "Teacher"), remote("p2", "Cook")],
            stored: vec![],
            expected: PositionChanges {
                add: vec![remote("p1", "Teacher"), remote("p2", "Cook")],
                ..PositionChanges::default()
            },
        },
        Case {
            name: "nothing changed",
            remote: vec![remote("p1", "Teacher")],
            stored: vec![local(1, "Teacher", true, &["p1"])],
            expected: PositionChanges::default(),
        },
        Case {
            name: "renamed on the platform",
            remote: vec![remote("p1", "Senior teacher")],
            stored: vec![local(1, "Teacher", true, &["p1"])],
            expected: PositionChanges {
                rename: vec![rename(1, "Senior teacher")],
                ..PositionChanges::default()
            },
        },
        Case {
            name: "vanished positions are disabled, never deleted",
            remote: vec![remote("p1", "Teacher")],
            stored: vec![
                local(1, "Teacher", true, &["p1"]),
                local(2, "Cook", true, &["p2"]),
                local(3, "Old", false, &["p3"]),
            ],
            expected: PositionChanges {
                disable: vec![2],
                ..PositionChanges::default()
            },
        },
        Case {
            name: "a returned platform id re-enables its position (and takes its new name)",
            remote: vec![remote("p2", "Chef")],
            stored: vec![local(2, "Cook", false, &["p2"])],
            expected: PositionChanges {
                enable: vec![2],
                rename: vec![rename(2, "Chef")],
                ..PositionChanges::default()
            },
        },
        Case {
            name: "a re-created position (new id, same name) is remapped to the disabled local one",
            remote: vec![remote("p9", "  cook ")],
            stored: vec![local(2, "Cook", false, &["p2"])],
            expected: PositionChanges {
                remap: vec![PositionRemap {
                    remote_id: "p9".into(),
                    position_id: 2,
                }],
                enable: vec![2],
                rename: vec![rename(2, "  cook ")],
                ..PositionChanges::default()
            },
        },
        Case {
            name: "an id swap keeps the enabled local position instead of disabling it",
            remote: vec![remote("p7", "Teacher")],
            stored: vec![
                local(1, "Teacher", true, &["p1"]),
                local(5, "Teacher", false, &["p0"]),
            ],
            expected: PositionChanges {
                remap: vec![PositionRemap {
                    remote_id: "p7".into(),
                    position_id: 1,
                }],
                ..PositionChanges::default()
            },
        },
        Case {
            name: "a name already claimed by a listed id gives the newcomer its own position",
            remote: vec![remote("p1", "Teacher"), remote("p8", "Teacher")],
            stored: vec![local(1, "Teacher", true, &["p1"])],
            expected: PositionChanges {
                add: vec![remote("p8", "Teacher")],
                ..PositionChanges::default()
            },
        },
        Case {
            name: "two listed ids once mapped to one position: the first keeps it, the other gets its own",
            remote: vec![remote("a", "Nurse"), remote("b", "Nurse")],
            stored: vec![local(4, "Nurse", true, &["a", "b"])],
            expected: PositionChanges {
                add: vec![remote("b", "Nurse")],
                ..PositionChanges::default()
            },
        },
    ];
    for case in cases {
        let plan = plan_positions(case.remote, &case.stored);
        assert_eq!(plan.changes, case.expected, "{}", case.name);
    }
}

#[test]
fn bad_and_repeated_positions_are_skipped_and_counted() {
    let plan = plan_positions(
        vec![
            remote("p1", "Teacher"),
            remote("p1", "Teacher again"),
            remote("p2", "   "),
        ],
        &[],
    );
    assert_eq!(plan.changes.add, vec![remote("p1", "Teacher")]);
    assert_eq!(plan.duplicates, 1);
    assert_eq!(plan.rejected.len(), 1);
    assert_eq!(plan.rejected[0].field, "name");
}

#[test]
fn the_mapping_covers_kept_and_remapped_positions() {
    let plan = plan_positions(
        vec![
            remote("p1", "Teacher"),
            remote("p9", "Cook"),
            remote("new", "Nurse"),
        ],
        &[
            local(1, "Teacher", true, &["p1"]),
            local(2, "Cook", false, &["p2"]),
        ],
    );
    assert_eq!(
        plan.mapped,
        HashMap::from([("p1".to_owned(), 1), ("p9".to_owned(), 2)])
    );
}

fn user(name: &str, status: UserStatus, seats: &[(&str, &str)]) -> OrgUser {
    OrgUser {
        username: name.into(),
        department_ids: seats.iter().map(|(_, d)| (*d).to_owned()).collect(),
        seats: seats
            .iter()
            .map(|(p, d)| Seat {
                position_id: (*p).into(),
                department_id: (*d).into(),
            })
            .collect(),
        status,
        updated_at: 1,
    }
}

fn member(position_id: i64, department: &str, username: &str) -> PositionMember {
    PositionMember {
        position_id,
        department_id: department.into(),
        username: username.into(),
    }
}

#[test]
fn member_rows_follow_active_users_seats() {
    let local = HashMap::from([("p1".to_owned(), 1), ("p2".to_owned(), 2)]);
    let users = vec![
        user("ann", UserStatus::Active, &[("p1", "10"), ("p2", "11")]),
        user("bob", UserStatus::Disabled, &[("p1", "10")]),
        user("cat", UserStatus::Active, &[("gone", "10")]),
    ];
    let stored = vec![
        member(1, "10", "ann"),
        member(1, "10", "bob"),
        member(2, "12", "ann"),
    ];
    let plan = plan_members(&users, &local, &stored, &Scope::Everyone);
    assert_eq!(plan.add, vec![member(2, "11", "ann")]);
    assert_eq!(
        plan.remove,
        vec![member(1, "10", "bob"), member(2, "12", "ann")]
    );
    assert_eq!(plan.unknown_positions, 1);
}

#[test]
fn an_incremental_member_plan_leaves_unlisted_users_alone() {
    let local = HashMap::from([("p1".to_owned(), 1)]);
    let changed = vec![
        user("ann", UserStatus::Active, &[("p1", "20")]),
        user("del", UserStatus::Deleted, &[]),
    ];
    let stored = vec![
        member(1, "10", "ann"),
        member(1, "10", "del"),
        member(1, "10", "zed"),
    ];
    let scope = Scope::Users(HashSet::from(["ann".to_owned(), "del".to_owned()]));
    let plan = plan_members(&changed, &local, &stored, &scope);
    assert_eq!(plan.add, vec![member(1, "20", "ann")]);
    assert_eq!(
        plan.remove,
        vec![member(1, "10", "ann"), member(1, "10", "del")],
        "zed was not listed, so its row stays"
    );
}
