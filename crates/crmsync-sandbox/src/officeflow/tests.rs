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
