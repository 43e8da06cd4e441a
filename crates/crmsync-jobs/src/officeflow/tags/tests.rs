//! Plan tables of the tags part: groups, static and dynamic members, conflicts, duplicates, incremental scope.

use std::collections::{HashMap, HashSet};

use crmsync_domain::org::{
    Department, DepartmentTree, OrgUser, RemoteTag, Seat, Tag, TagGroup, TagKind, TagMember,
    TagRule, UserStatus,
};

use super::*;

fn tree() -> DepartmentTree {
    let dept = |id: &str, parent: Option<&str>| Department {
        id: id.into(),
        name: format!("D{id}"),
        parent_id: parent.map(Into::into),
        order: 0,
        revoked_by: None,
    };
    DepartmentTree::build([dept("1", None), dept("2", Some("1")), dept("3", Some("2"))]).unwrap()
}

fn user(name: &str, department: &str) -> OrgUser {
    OrgUser {
        username: name.into(),
        department_ids: vec![department.into()],
        seats: vec![Seat {
            position_id: "p1".into(),
            department_id: department.into(),
        }],
        status: UserStatus::Active,
        updated_at: 5,
    }
}

fn static_tag(id: &str, name: &str) -> Tag {
    Tag {
        id: id.into(),
        group_id: Some("g1".into()),
        name: name.into(),
        kind: TagKind::Static,
    }
}

fn dynamic_tag(id: &str, name: &str, department: &str) -> Tag {
    Tag {
        id: id.into(),
        group_id: None,
        name: name.into(),
        kind: TagKind::Dynamic {
            rule: TagRule {
                department_ids: vec![department.into()],
                include_children: true,
                position_ids: vec![],
            },
        },
    }
}

fn remote(tag: &Tag, updated_at: i64) -> RemoteTag {
    RemoteTag {
        tag: tag.clone(),
        updated_at,
    }
}

fn member(tag: &str, username: &str) -> TagMember {
    TagMember {
        tag_id: tag.into(),
        username: username.into(),
    }
}

fn group() -> TagGroup {
    TagGroup {
        id: "g1".into(),
        name: "Roles".into(),
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_first_run_writes_groups_tags_listed_and_expanded_members() {
    let tree = tree();
    let duty = static_tag("t1", "Duty");
    let science = dynamic_tag("t2", "Science", "2");
    let tags = vec![remote(&duty, 1), remote(&science, 1)];
    let listed = HashMap::from([("t1".to_owned(), names(&["ann", "bob"]))]);
    let users = vec![user("ann", "1"), user("bob", "3"), user("cat", "2")];
    let plan = plan(
        TagInputs {
            groups: &[group()],
            tags: &tags,
            static_members: &listed,
            tree: &tree,
            users: &users,
            dynamic_scope: &Scope::Everyone,
        },
        TagsStored {
            groups: &[],
            tags: &[],
            members: &[],
        },
    );
    assert_eq!(plan.group_upsert, vec![group()]);
    assert_eq!(plan.tag_upsert, vec![duty, science]);
    assert_eq!(
        plan.member_add,
        vec![
            member("t1", "ann"),
            member("t1", "bob"),
            member("t2", "bob"),
            member("t2", "cat"),
        ],
        "t2 covers department 2 and its child 3"
    );
    assert!(plan.conflicts.is_empty());
}

#[test]
fn a_static_and_a_dynamic_tag_with_one_name_are_a_conflict_not_a_crash() {
    let tree = tree();
    let duty = static_tag("t1", "Duty");
    let clash = dynamic_tag("t9", " duty", "1");
    let tags = vec![remote(&duty, 1), remote(&clash, 1)];
    let listed = HashMap::from([("t1".to_owned(), names(&["ann"]))]);
    let users = vec![user("ann", "1"), user("bob", "2")];
    let stored_clash_member = member("t9", "old");
    let plan = plan(
        TagInputs {
            groups: &[group()],
            tags: &tags,
            static_members: &listed,
            tree: &tree,
            users: &users,
            dynamic_scope: &Scope::Everyone,
        },
        TagsStored {
            groups: &[group()],
            tags: &[dynamic_tag("t9", "Earlier name", "1")],
            members: &[stored_clash_member],
        },
    );
    assert_eq!(
        plan.conflicts,
        vec![TagConflict {
            name: "Duty".into(),
            static_tags: names(&["t1"]),
            dynamic_tags: names(&["t9"]),
        }]
    );
    assert_eq!(plan.tag_upsert, vec![duty], "the static tag is synced");
    assert!(
        plan.tag_remove.is_empty(),
        "the dynamic one is left as it is"
    );
    assert_eq!(plan.member_add, vec![member("t1", "ann")]);
    assert!(plan.member_remove.is_empty());
}

#[test]
fn repeated_tags_and_members_are_dropped_and_counted() {
    let tree = tree();
    let duty = static_tag("t1", "Duty");
    let tags = vec![remote(&duty, 1), remote(&duty, 1)];
    let listed = HashMap::from([("t1".to_owned(), names(&["ann", "bob", "ann", "ann"]))]);
    let plan = plan(
        TagInputs {
            groups: &[group(), group()],
            tags: &tags,
            static_members: &listed,
            tree: &tree,
            users: &[],
            dynamic_scope: &Scope::Everyone,
        },
        TagsStored {
            groups: &[],
            tags: &[],
            members: &[],
        },
    );
    assert_eq!(plan.tag_upsert.len(), 1);
    assert_eq!(
        plan.member_add,
        vec![member("t1", "ann"), member("t1", "bob")]
    );
    assert_eq!(
        plan.duplicates,
        1 + 1 + 2,
        "one group, one tag, two members"
    );
}

#[test]
fn vanished_tags_and_groups_are_removed_and_unread_static_tags_keep_their_members() {
    let tree = tree();
    let duty = static_tag("t1", "Duty");
    let tags = vec![remote(&duty, 1)];
    let plan = plan(
        TagInputs {
            groups: &[],
            tags: &tags,
            static_members: &HashMap::new(),
            tree: &tree,
            users: &[],
            dynamic_scope: &Scope::Users(HashSet::new()),
        },
        TagsStored {
            groups: &[group()],
            tags: &[duty.clone(), static_tag("t2", "Old")],
            members: &[member("t1", "ann"), member("t2", "bob")],
        },
    );
    assert_eq!(plan.group_remove, names(&["g1"]));
    assert_eq!(plan.tag_remove, names(&["t2"]));
    assert!(plan.member_add.is_empty() && plan.member_remove.is_empty());
    assert!(plan.tag_upsert.is_empty());
}

#[test]
fn an_incremental_run_recomputes_dynamic_members_of_changed_users_only() {
    let tree = tree();
    let science = dynamic_tag("t2", "Science", "2");
    let tags = vec![remote(&science, 1)];
    let changed = vec![
        user("ann", "3"),
        OrgUser {
            status: UserStatus::Deleted,
            ..user("bob", "2")
        },
    ];
    let plan = plan(
        TagInputs {
            groups: &[],
            tags: &tags,
            static_members: &HashMap::new(),
            tree: &tree,
            users: &changed,
            dynamic_scope: &Scope::Users(HashSet::from(["ann".to_owned(), "bob".to_owned()])),
        },
        TagsStored {
            groups: &[],
            tags: std::slice::from_ref(&science),
            members: &[member("t2", "bob"), member("t2", "zed")],
        },
    );
    assert_eq!(plan.member_add, vec![member("t2", "ann")]);
    assert_eq!(
        plan.member_remove,
        vec![member("t2", "bob")],
        "zed was not listed as changed, so its membership stays"
    );
}

#[test]
fn which_static_tags_are_read() {
    let a = static_tag("a", "A");
    let b = static_tag("b", "B");
    let c = static_tag("c", "C");
    let d = dynamic_tag("d", "D", "1");
    let tags = vec![
        remote(&a, 10),
        remote(&b, 50),
        remote(&c, 10),
        remote(&d, 99),
    ];
    let stored = vec![a.clone(), b.clone(), dynamic_tag("c", "C", "1")];
    assert_eq!(
        static_tags_to_read(&tags, &stored, None),
        names(&["a", "b", "c"]),
        "no watermark: every static tag"
    );
    assert_eq!(
        static_tags_to_read(&tags, &stored, Some(50)),
        names(&["b", "c"]),
        "changed since the watermark, or not stored as static (c changed kind)"
    );
}

#[test]
fn dynamic_memberships_are_recomputed_for_everyone_when_rules_or_the_tree_change() {
    let tree = tree();
    let fingerprint = tree_fingerprint(&tree);
    let mark = Some(fingerprint);
    let science = dynamic_tag("t2", "Science", "2");
    let tags = vec![remote(&science, 1)];
    let stored = vec![science.clone()];
    assert!(!dynamic_needs_everyone(&tags, &stored, &tree, mark));
    assert!(
        dynamic_needs_everyone(&tags, &stored, &tree, None),
        "first run"
    );
    assert!(
        dynamic_needs_everyone(&tags, &stored, &tree, Some(fingerprint ^ 1)),
        "the tree changed shape"
    );
    let widened = vec![remote(&dynamic_tag("t2", "Science", "1"), 2)];
    assert!(
        dynamic_needs_everyone(&widened, &stored, &tree, mark),
        "rule changed"
    );
    assert!(
        dynamic_needs_everyone(&tags, &[], &tree, mark),
        "new dynamic tag"
    );
    let clashing = vec![
        remote(&science, 1),
        remote(&static_tag("t5", "Clash"), 1),
        remote(&dynamic_tag("t6", "clash", "1"), 1),
    ];
    assert!(
        !dynamic_needs_everyone(&clashing, &stored, &tree, mark),
        "a dynamic tag in a name conflict is never stored, and must not force a full expansion every run"
    );
}
