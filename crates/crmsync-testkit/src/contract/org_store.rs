//! What every `OrgStore` must do: idempotent batch writes that report the rows they changed, local position
//! ids that never change, position history, tag members that go with their tag, one user per OpenID, and fenced
//! writes that refuse an older lock holder once a newer one has written.

use crmsync_domain::org::{
    Department, PositionEventKind, PositionMember, RemotePosition, Tag, TagGroup, TagKind,
    TagMember, TagRule, UserOpenId,
};
use crmsync_ports::{OrgStore, PositionChanges, PositionRemap, PositionRename, StoreError};

fn department(id: &str, name: &str, parent: Option<&str>) -> Department {
    Department {
        id: id.into(),
        name: name.into(),
        parent_id: parent.map(Into::into),
        order: 10,
        revoked_by: None,
    }
}

fn member(position_id: i64, department: &str, username: &str) -> PositionMember {
    PositionMember {
        position_id,
        department_id: department.into(),
        username: username.into(),
    }
}

fn tag_member(tag: &str, username: &str) -> TagMember {
    TagMember {
        tag_id: tag.into(),
        username: username.into(),
    }
}

fn openid(platform: &str, openid: &str, username: &str) -> UserOpenId {
    UserOpenId {
        platform: platform.into(),
        openid: openid.into(),
        username: username.into(),
    }
}

/// Runs every check against an empty `store`.
pub async fn org_store(store: &dyn OrgStore) {
    assert_eq!(
        store.counts().await.unwrap(),
        crmsync_ports::OrgCounts::default()
    );
    departments(store).await;
    positions(store).await;
    tags(store).await;
    openids(store).await;
    marks(store).await;
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.departments, 2);
    assert_eq!(counts.positions, 2);
    assert_eq!(counts.positions_enabled, 2);
    assert_eq!(counts.position_members, 2);
    assert_eq!(counts.tag_groups, 1);
    assert_eq!(counts.tags, 1);
    assert_eq!(counts.tag_members, 1);
    assert_eq!(counts.user_openids, 3);
    assert_eq!(counts.openid_conflict_claims, 1);
    fences(store).await;
}

/// Two lock holders forced to overlap: the first keeps writing after a newer one has taken over and written.
async fn fences(store: &dyn OrgStore) {
    let older = store.fenced(7);
    let newer = store.fenced(8);
    let older_view = department("f1", "Written by the older holder", None);
    let newer_view = department("f1", "Written by the newer holder", None);
    assert_eq!(
        older
            .write_departments(std::slice::from_ref(&older_view), &[])
            .await
            .unwrap(),
        1,
        "the first holder writes"
    );
    assert_eq!(
        newer
            .write_departments(std::slice::from_ref(&newer_view), &[])
            .await
            .unwrap(),
        1,
        "a newer holder writes over it"
    );
    newer.set_sync_mark("fenced", 8).await.unwrap();
    let refused = older
        .write_departments(std::slice::from_ref(&older_view), &["1".into()])
        .await
        .unwrap_err();
    assert!(
        matches!(
            &refused,
            StoreError::Fenced { scope, fence: 7, newest: 8 } if scope == "officeflow:sync"
        ),
        "{refused}"
    );
    assert!(matches!(
        older.set_sync_mark("fenced", 7).await.unwrap_err(),
        StoreError::Fenced { .. }
    ));
    assert!(matches!(
        older
            .write_tag_groups(&[], &["g1".into()])
            .await
            .unwrap_err(),
        StoreError::Fenced { .. }
    ));
    assert!(matches!(
        older
            .write_positions(&PositionChanges {
                disable: vec![1],
                ..PositionChanges::default()
            })
            .await
            .unwrap_err(),
        StoreError::Fenced { .. }
    ));
    let departments = store.departments().await.unwrap();
    assert!(
        departments.contains(&newer_view) && departments.iter().any(|d| d.id == "1"),
        "a refused write changes nothing"
    );
    assert_eq!(store.sync_mark("fenced").await.unwrap(), Some(8));
    assert_eq!(store.tag_groups().await.unwrap().len(), 1);
    assert_eq!(
        newer.write_departments(&[], &["f1".into()]).await.unwrap(),
        1,
        "the newer holder keeps writing"
    );
    assert_eq!(
        store
            .fenced(9)
            .write_departments(&[older_view], &[])
            .await
            .unwrap(),
        1,
        "and so does the next one"
    );
    assert!(matches!(
        newer
            .write_departments(&[], &["f1".into()])
            .await
            .unwrap_err(),
        StoreError::Fenced {
            fence: 8,
            newest: 9,
            ..
        }
    ));
}

async fn departments(store: &dyn OrgStore) {
    let initial = vec![
        department("1", "School", None),
        department("2", "Maths", Some("1")),
        department("3", "Physics", Some("1")),
    ];
    assert_eq!(store.write_departments(&initial, &[]).await.unwrap(), 3);
    assert_eq!(store.departments().await.unwrap(), initial, "by id");
    assert_eq!(
        store.write_departments(&initial, &[]).await.unwrap(),
        0,
        "unchanged rows are not rewritten"
    );
    let moved = department("3", "Physics", Some("2"));
    assert_eq!(
        store
            .write_departments(std::slice::from_ref(&moved), &["2".into(), "404".into()])
            .await
            .unwrap(),
        2,
        "one update, one delete, the unknown id ignored"
    );
    assert_eq!(
        store.departments().await.unwrap(),
        vec![initial[0].clone(), moved.clone()]
    );
    let revoked = Department {
        revoked_by: Some("closed annex".into()),
        ..moved.clone()
    };
    assert_eq!(
        store
            .write_departments(std::slice::from_ref(&revoked), &[])
            .await
            .unwrap(),
        1,
        "revoking is a change"
    );
    assert_eq!(
        store
            .write_departments(std::slice::from_ref(&revoked), &[])
            .await
            .unwrap(),
        0,
        "a revoked row written again is unchanged"
    );
    assert_eq!(
        store.departments().await.unwrap(),
        vec![initial[0].clone(), revoked]
    );
    assert_eq!(
        store
            .write_departments(std::slice::from_ref(&moved), &[])
            .await
            .unwrap(),
        1,
        "re-enabling is a change"
    );
    assert_eq!(store.departments().await.unwrap()[1].revoked_by, None);
}

async fn positions(store: &dyn OrgStore) {
    let changes = PositionChanges {
        add: vec![
            RemotePosition {
                id: "p-teacher".into(),
                name: "Teacher".into(),
            },
            RemotePosition {
                id: "p-cook".into(),
                name: "Cook".into(),
            },
        ],
        ..PositionChanges::default()
    };
    let written = store.write_positions(&changes).await.unwrap();
    assert_eq!(written.added.len(), 2);
    assert!(written.rows >= 2);
    let teacher = written.added[0].1;
    let cook = written.added[1].1;
    assert_eq!(written.added[0].0, "p-teacher");
    assert_ne!(teacher, cook);

    let listed = store.positions().await.unwrap();
    assert_eq!(listed.len(), 2);
    let stored_teacher = listed.iter().find(|p| p.id == teacher).unwrap();
    assert_eq!(stored_teacher.name, "Teacher");
    assert!(stored_teacher.enabled);
    assert_eq!(stored_teacher.remote_ids, vec!["p-teacher".to_owned()]);

    let rename = PositionChanges {
        rename: vec![PositionRename {
            position_id: teacher,
            name: "Senior teacher".into(),
        }],
        disable: vec![teacher],
        ..PositionChanges::default()
    };
    assert!(store.write_positions(&rename).await.unwrap().rows >= 2);
    assert_eq!(
        store.write_positions(&rename).await.unwrap().rows,
        0,
        "same name, already disabled: nothing to write"
    );
    let returned = PositionChanges {
        enable: vec![teacher],
        remap: vec![PositionRemap {
            remote_id: "p-teacher-2".into(),
            position_id: teacher,
        }],
        ..PositionChanges::default()
    };
    assert!(store.write_positions(&returned).await.unwrap().rows >= 2);
    let stored_teacher = store
        .positions()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == teacher)
        .unwrap();
    assert!(stored_teacher.enabled);
    assert_eq!(stored_teacher.name, "Senior teacher");
    assert_eq!(
        stored_teacher.remote_ids,
        vec!["p-teacher".to_owned(), "p-teacher-2".to_owned()],
        "mapping history, oldest first"
    );
    let history: Vec<PositionEventKind> = store
        .position_history(teacher)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        history,
        vec![
            PositionEventKind::Added,
            PositionEventKind::Renamed,
            PositionEventKind::Disabled,
            PositionEventKind::Remapped,
            PositionEventKind::Enabled,
        ]
    );
    let moved = PositionChanges {
        remap: vec![PositionRemap {
            remote_id: "p-teacher-2".into(),
            position_id: cook,
        }],
        ..PositionChanges::default()
    };
    store.write_positions(&moved).await.unwrap();
    let listed = store.positions().await.unwrap();
    let cook_ids = &listed.iter().find(|p| p.id == cook).unwrap().remote_ids;
    assert_eq!(
        cook_ids,
        &vec!["p-cook".to_owned(), "p-teacher-2".to_owned()],
        "a platform id maps to one local position at a time"
    );

    let rows = vec![
        member(teacher, "2", "u1"),
        member(teacher, "3", "u1"),
        member(cook, "3", "u2"),
    ];
    assert_eq!(store.write_position_members(&rows, &[]).await.unwrap(), 3);
    assert_eq!(
        store.write_position_members(&rows, &[]).await.unwrap(),
        0,
        "adding existing rows changes nothing"
    );
    assert_eq!(
        store
            .write_position_members(&[], &[rows[1].clone(), member(cook, "9", "nobody")])
            .await
            .unwrap(),
        1
    );
    let mut stored = store.position_members().await.unwrap();
    stored.sort();
    let mut expected = vec![rows[0].clone(), rows[2].clone()];
    expected.sort();
    assert_eq!(stored, expected);
}

async fn tags(store: &dyn OrgStore) {
    let group = TagGroup {
        id: "g1".into(),
        name: "Roles".into(),
    };
    assert_eq!(
        store
            .write_tag_groups(std::slice::from_ref(&group), &[])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .write_tag_groups(std::slice::from_ref(&group), &[])
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.tag_groups().await.unwrap(), vec![group.clone()]);

    let rule = TagRule {
        department_ids: vec!["1".into()],
        include_children: true,
        position_ids: vec!["p-teacher".into()],
    };
    let static_tag = Tag {
        id: "t-static".into(),
        group_id: Some("g1".into()),
        name: "Duty".into(),
        kind: TagKind::Static,
    };
    let dynamic_tag = Tag {
        id: "t-dynamic".into(),
        group_id: None,
        name: "All teachers".into(),
        kind: TagKind::Dynamic { rule: rule.clone() },
    };
    let both = vec![dynamic_tag.clone(), static_tag.clone()];
    assert_eq!(store.write_tags(&both, &[]).await.unwrap(), 2);
    assert_eq!(store.write_tags(&both, &[]).await.unwrap(), 0);
    assert_eq!(store.tags().await.unwrap(), both, "by id, rules round-trip");
    let narrower = Tag {
        kind: TagKind::Dynamic {
            rule: TagRule {
                include_children: false,
                ..rule
            },
        },
        ..dynamic_tag.clone()
    };
    assert_eq!(
        store
            .write_tags(std::slice::from_ref(&narrower), &[])
            .await
            .unwrap(),
        1,
        "a changed rule is written"
    );

    let members = vec![
        tag_member("t-static", "u1"),
        tag_member("t-static", "u2"),
        tag_member("t-dynamic", "u1"),
    ];
    assert_eq!(store.write_tag_members(&members, &[]).await.unwrap(), 3);
    assert_eq!(store.write_tag_members(&members, &[]).await.unwrap(), 0);
    assert_eq!(
        store
            .write_tag_members(&[], &[tag_member("t-static", "u2")])
            .await
            .unwrap(),
        1
    );
    assert!(
        store.write_tags(&[], &["t-dynamic".into()]).await.unwrap() >= 1,
        "the tag is deleted"
    );
    assert_eq!(
        store.tag_members().await.unwrap(),
        vec![tag_member("t-static", "u1")],
        "members go with their tag"
    );
    assert_eq!(store.tags().await.unwrap(), vec![static_tag]);
}

async fn openids(store: &dyn OrgStore) {
    let rows = vec![
        openid("wecom", "o-1", "u1"),
        openid("wecom", "o-2", "u2"),
        openid("dingtalk", "o-1", "u2"),
    ];
    assert_eq!(store.write_user_openids(&rows, &[]).await.unwrap(), 3);
    assert_eq!(
        store
            .write_user_openids(&[openid("wecom", "o-1", "u9")], &[])
            .await
            .unwrap(),
        0,
        "an OpenID already bound to another user is left as it is"
    );
    assert_eq!(
        store
            .write_user_openids(&[], &[openid("wecom", "o-2", "u9")])
            .await
            .unwrap(),
        0,
        "removal names the user it removes"
    );
    assert_eq!(
        store
            .write_user_openids(
                &[openid("wecom", "o-2", "u3")],
                &[openid("wecom", "o-2", "u2")]
            )
            .await
            .unwrap(),
        2,
        "removals run before additions, so an OpenID can be rebound in one call"
    );
    assert_eq!(
        store.user_openids("wecom").await.unwrap(),
        vec![openid("wecom", "o-1", "u1"), openid("wecom", "o-2", "u3")]
    );
    assert_eq!(
        store.user_openids("dingtalk").await.unwrap(),
        vec![openid("dingtalk", "o-1", "u2")]
    );
    assert!(store.user_openids("wechat").await.unwrap().is_empty());

    let losing = vec![openid("wecom", "o-1", "u7"), openid("wecom", "o-1", "u8")];
    assert_eq!(
        store
            .write_openid_conflict_claims(&losing, &[])
            .await
            .unwrap(),
        2,
        "losing claims sit beside the binding of the same OpenID"
    );
    assert_eq!(
        store
            .write_openid_conflict_claims(&losing, &[losing[0].clone()])
            .await
            .unwrap(),
        2,
        "removed, then added again"
    );
    assert_eq!(
        store
            .write_openid_conflict_claims(&[], &[losing[1].clone()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.openid_conflict_claims("wecom").await.unwrap(),
        vec![losing[0].clone()]
    );
    assert!(
        store
            .openid_conflict_claims("dingtalk")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn marks(store: &dyn OrgStore) {
    assert_eq!(store.sync_mark("users:positions").await.unwrap(), None);
    store.set_sync_mark("users:positions", 42).await.unwrap();
    store
        .set_sync_mark("users:positions", 1_763_000_000_123)
        .await
        .unwrap();
    store.set_sync_mark("tags:tree", -5).await.unwrap();
    assert_eq!(
        store.sync_mark("users:positions").await.unwrap(),
        Some(1_763_000_000_123)
    );
    assert_eq!(store.sync_mark("tags:tree").await.unwrap(), Some(-5));
}
