//! The generated organisation: deterministic per seed, sized as asked, changed by mutations.

use super::*;

#[test]
fn the_same_seed_gives_the_same_organisation() {
    let spec = OrgSpec::new(2_000);
    let a = Org::generate(&spec);
    let b = Org::generate(&spec);
    assert_eq!(a.usernames(), b.usernames());
    assert_eq!(a.position_ids(), b.position_ids());
    assert_eq!(a.openid_bindings("wecom"), b.openid_bindings("wecom"));
    let other = Org::generate(&OrgSpec { seed: 5, ..spec });
    assert_ne!(a.openid_bindings("wecom"), other.openid_bindings("wecom"));
}

#[test]
fn the_organisation_has_the_size_asked_for() {
    let org = Org::generate(&OrgSpec::new(10_000));
    assert_eq!(org.live_users(), 10_000);
    assert_eq!(org.department_ids().len(), 250);
    assert_eq!(org.position_ids().len(), 40);
    assert_eq!(org.tag_ids().len(), 24);
    let bindings = org.openid_bindings("dingtalk");
    assert!((9_000..11_000).contains(&bindings), "{bindings}");
}

#[test]
fn mutations_change_positions_tags_users_and_openids() {
    let mut org = Org::generate(&OrgSpec::new(1_000));
    let positions = org.position_ids();
    let tags = org.tag_ids();
    let users = org.usernames();
    org.mutate(7, 2);
    assert_ne!(org.position_ids(), positions);
    assert_ne!(org.tag_ids(), tags);
    assert_ne!(org.usernames(), users);
    assert!(
        org.live_users().abs_diff(1_000) <= 4,
        "a few leave, a few join"
    );
}

#[test]
fn a_department_cannot_move_below_itself() {
    let mut org = Org::generate(&OrgSpec::new(400));
    assert!(!org.move_department("1", "1"));
    assert!(org.move_department("5", "1"));
    assert!(!org.move_department("1", "5"), "5 now lies below 1");
    assert!(!org.move_department("5", "nope"));
}

fn flows(instances: usize, seed: u64) -> Flows {
    let org = Org::generate(&OrgSpec::new(300));
    let mut flows = Flows::new(seed, org.usernames());
    flows.generate(&FlowSpec {
        seed,
        ..FlowSpec::new(instances)
    });
    flows
}

#[test]
fn the_same_seed_gives_the_same_flows() {
    let a = flows(500, 4);
    let b = flows(500, 4);
    assert_eq!(a.task_count("office"), b.task_count("office"));
    assert_eq!(a.event_count("office"), b.event_count("office"));
    let c = flows(500, 5);
    assert_ne!(a.task_count("office"), c.task_count("office"));
}

#[test]
fn generated_flows_have_sub_flows_parallel_branches_reverts_aborts_and_running_instances() {
    let flows = flows(2_000, 4);
    let book = &flows.books["office"];
    let tasks = flows.task_count("office");
    assert!(
        (12_000..30_000).contains(&tasks),
        "about 10 tasks an instance: {tasks}"
    );
    let children = book
        .instances
        .values()
        .filter(|i| i.parent.is_some())
        .count();
    assert!(children > 50, "{children} sub-flows");
    let statuses: std::collections::BTreeSet<&str> =
        book.instances.values().map(|i| i.status).collect();
    for status in [
        "running",
        "completed",
        "terminated",
        "cancelled",
        "rejected",
    ] {
        assert!(statuses.contains(status), "{status} missing: {statuses:?}");
    }
    let kinds: std::collections::BTreeSet<&str> = book.events.values().map(|e| e.kind).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    let parallel = book
        .tasks
        .values()
        .filter(|t| t.node_id == "hr" || t.node_id == "budget")
        .count();
    assert!(parallel > 100, "{parallel} tasks on parallel branches");
    assert!(
        !flows
            .instances_with_sub_flow_and_revert("office")
            .is_empty()
    );
    let stale = book
        .tasks
        .values()
        .filter(|t| t.status == "pending" && book.instances[&t.instance].status != "running")
        .count();
    assert!(
        stale > 0,
        "the engine's table leaves open tasks of ended instances for the event handler"
    );
}

#[test]
fn advancing_moves_running_instances_on_and_starts_new_ones() {
    let mut flows = flows(1_000, 4);
    let before = (flows.instance_count("office"), flows.event_count("office"));
    flows.advance(9, 2);
    assert!(flows.instance_count("office") >= before.0 + 6);
    assert!(flows.event_count("office") > before.1);
}

#[test]
fn the_outing_category_runs_the_out_of_school_flows() {
    let org = Org::generate(&OrgSpec::new(100));
    let mut flows = Flows::new(1, org.usernames());
    flows.generate(&FlowSpec {
        category: "outing".into(),
        ..FlowSpec::new(50)
    });
    let keys: std::collections::BTreeSet<&str> = flows.books["outing"]
        .instances
        .values()
        .map(|i| i.flow_key)
        .collect();
    assert_eq!(keys, ["escort", "outing"].into_iter().collect());
    assert_eq!(flows.instance_count("office"), 0);
}

#[test]
fn users_carry_identities_with_their_own_fields_and_a_few_invalid_values() {
    let org = Org::generate(&OrgSpec::new(1_000));
    assert_eq!(org.identity_names(), ["staff", "student", "teacher"]);
    assert_eq!(org.users_with_identity(), 1_000);
    let students = org.users_of_identity("student").len();
    let teachers = org.users_of_identity("teacher").len();
    let staff = org.users_of_identity("staff").len();
    assert_eq!((students, teachers, staff), (700, 200, 100));
    let keys = |identity: &str| -> Vec<String> {
        org.identities[identity]
            .iter()
            .map(|f| f.key.clone())
            .collect()
    };
    assert_eq!(keys("student"), ["grade", "class", "boarder", "enrolled"]);
    assert_eq!(keys("teacher"), ["subject", "title", "hired"]);
    let invalid = org.invalid_attribute_users();
    assert_eq!(invalid.len(), 6);
    assert_eq!(
        Org::generate(&OrgSpec::new(1_000)).invalid_attribute_users(),
        invalid
    );

    let mut changed = org.clone();
    let student = &changed.users_of_identity("student")[0];
    let student = student.clone();
    changed.set_attribute(&student, "grade", serde_json::json!(12));
    assert_eq!(changed.profiles[&student].attributes["grade"], 12);
    changed.mutate_attributes(3, 2);
    assert_eq!(
        keys("student").len() + 2,
        changed.identities["student"].len()
    );
}
