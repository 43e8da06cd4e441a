//! Plan tables of the OpenID part: dedup, conflicts resolved by the existing binding or reported, stale rows.

use std::collections::HashSet;

use crmsync_domain::org::{UserOpenId, UserOpenIds};

use super::*;

fn listed(username: &str, openids: &[&str], updated_at: i64) -> UserOpenIds {
    UserOpenIds {
        username: username.into(),
        openids: openids.iter().map(|o| (*o).to_owned()).collect(),
        updated_at,
    }
}

fn bound(openid: &str, username: &str) -> UserOpenId {
    UserOpenId {
        platform: "wecom".into(),
        openid: openid.into(),
        username: username.into(),
    }
}

struct Case {
    name: &'static str,
    listed: Vec<UserOpenIds>,
    stored: Vec<UserOpenId>,
    scope: Scope,
    add: Vec<UserOpenId>,
    remove: Vec<UserOpenId>,
    conflicts: Vec<(&'static str, Vec<&'static str>, Option<&'static str>)>,
}

fn users(names: &[&str]) -> Scope {
    Scope::Users(
        names
            .iter()
            .map(|n| (*n).to_owned())
            .collect::<HashSet<_>>(),
    )
}

#[test]
fn openid_plans() {
    let cases = vec![
        Case {
            name: "first run inserts every binding",
            listed: vec![listed("ann", &["o1", "o2"], 1), listed("bob", &["o3"], 1)],
            stored: vec![],
            scope: Scope::Everyone,
            add: vec![bound("o1", "ann"), bound("o2", "ann"), bound("o3", "bob")],
            remove: vec![],
            conflicts: vec![],
        },
        Case {
            name: "nothing changed",
            listed: vec![listed("ann", &["o1"], 1)],
            stored: vec![bound("o1", "ann")],
            scope: Scope::Everyone,
            add: vec![],
            remove: vec![],
            conflicts: vec![],
        },
        Case {
            name: "repeated pairs and a user listed twice collapse to one binding each",
            listed: vec![
                listed("ann", &["o1", "o1"], 1),
                listed("ann", &["o1", "o2"], 2),
            ],
            stored: vec![],
            scope: Scope::Everyone,
            add: vec![bound("o1", "ann"), bound("o2", "ann")],
            remove: vec![],
            conflicts: vec![],
        },
        Case {
            name: "stale bindings are removed in a full run",
            listed: vec![listed("ann", &["o9"], 1)],
            stored: vec![bound("o1", "ann"), bound("o2", "gone")],
            scope: Scope::Everyone,
            add: vec![bound("o9", "ann")],
            remove: vec![bound("o1", "ann"), bound("o2", "gone")],
            conflicts: vec![],
        },
        Case {
            name: "a claimed OpenID stays with the user it is bound to",
            listed: vec![listed("ann", &["o1"], 1), listed("bob", &["o1", "o2"], 1)],
            stored: vec![bound("o1", "ann")],
            scope: Scope::Everyone,
            add: vec![bound("o2", "bob")],
            remove: vec![],
            conflicts: vec![("o1", vec!["ann", "bob"], Some("ann"))],
        },
        Case {
            name: "a claimed OpenID bound to nobody yet is reported and bound to nobody",
            listed: vec![listed("ann", &["o1"], 1), listed("bob", &["o1"], 1)],
            stored: vec![],
            scope: Scope::Everyone,
            add: vec![],
            remove: vec![],
            conflicts: vec![("o1", vec!["ann", "bob"], None)],
        },
        Case {
            name: "a claimed OpenID bound to a third user who dropped it is unbound",
            listed: vec![listed("ann", &["o1"], 1), listed("bob", &["o1"], 1)],
            stored: vec![bound("o1", "cat")],
            scope: Scope::Everyone,
            add: vec![],
            remove: vec![bound("o1", "cat")],
            conflicts: vec![("o1", vec!["ann", "bob"], None)],
        },
        Case {
            name: "incremental: unlisted users keep their bindings and count as claimants",
            listed: vec![listed("bob", &["o1", "o5"], 3), listed("del", &[], 3)],
            stored: vec![bound("o1", "ann"), bound("o4", "del"), bound("o7", "zed")],
            scope: users(&["bob", "del"]),
            add: vec![bound("o5", "bob")],
            remove: vec![bound("o4", "del")],
            conflicts: vec![("o1", vec!["ann", "bob"], Some("ann"))],
        },
        Case {
            name: "an OpenID moving between users is removed before it is added",
            listed: vec![listed("ann", &[], 2), listed("bob", &["o1"], 2)],
            stored: vec![bound("o1", "ann")],
            scope: users(&["ann", "bob"]),
            add: vec![bound("o1", "bob")],
            remove: vec![bound("o1", "ann")],
            conflicts: vec![],
        },
    ];
    for case in cases {
        let plan = plan("wecom", case.listed, &case.stored, &[], &case.scope);
        assert_eq!(plan.add, case.add, "{}: add", case.name);
        assert_eq!(plan.remove, case.remove, "{}: remove", case.name);
        let conflicts: Vec<(String, Vec<String>, Option<String>)> = plan
            .conflicts
            .into_iter()
            .map(|c| (c.openid, c.usernames, c.kept))
            .collect();
        let expected: Vec<(String, Vec<String>, Option<String>)> = case
            .conflicts
            .into_iter()
            .map(|(o, u, k)| {
                (
                    o.to_owned(),
                    u.into_iter().map(str::to_owned).collect(),
                    k.map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(conflicts, expected, "{}: conflicts", case.name);
    }
}

#[test]
fn duplicates_and_bad_records_are_counted() {
    let plan = plan(
        "wecom",
        vec![
            listed("ann", &["o1", "o1", "o1"], 1),
            listed("", &["o2"], 1),
        ],
        &[],
        &[],
        &Scope::Everyone,
    );
    assert_eq!(plan.duplicates, 2);
    assert_eq!(plan.rejected.len(), 1);
    assert_eq!(plan.add, vec![bound("o1", "ann")]);
}

#[test]
fn losing_claims_are_kept_so_an_incremental_run_still_sees_the_conflict() {
    let full = plan(
        "wecom",
        vec![listed("bob", &["o1"], 1), listed("cat", &["o1"], 2)],
        &[],
        &[],
        &Scope::Everyone,
    );
    assert!(full.add.is_empty());
    assert_eq!(
        full.losing_add,
        vec![bound("o1", "bob"), bound("o1", "cat")]
    );

    let rerun = plan(
        "wecom",
        vec![listed("cat", &["o1"], 2)],
        &[],
        &full.losing_add,
        &users(&["cat"]),
    );
    assert!(
        rerun.is_empty(),
        "bob's unlisted claim still counts: the OpenID stays unbound"
    );
    assert_eq!(rerun.conflicts.len(), 1);

    let bob_let_go = plan(
        "wecom",
        vec![listed("bob", &[], 3)],
        &[],
        &full.losing_add,
        &users(&["bob"]),
    );
    assert_eq!(
        bob_let_go.add,
        vec![bound("o1", "cat")],
        "cat is the only claimant left"
    );
    assert_eq!(
        bob_let_go.losing_remove,
        vec![bound("o1", "bob"), bound("o1", "cat")]
    );
    assert!(bob_let_go.conflicts.is_empty());
}
