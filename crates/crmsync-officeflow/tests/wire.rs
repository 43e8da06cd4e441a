//! The client against the Officeflow emulator over loopback HTTP: paging, incremental listings, token renewal,
//! retries of transient faults, no retries of configuration errors, pacing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use crmsync_domain::org::UserStatus;
use crmsync_officeflow::{OfficeflowClient, OfficeflowConfig, OfficeflowError};
use crmsync_ports::{OrgSource, SourceError};
use crmsync_sandbox::officeflow::{
    ApiFault, EmulatorConfig, OfficeflowEmulator, Org, OrgSpec, ScriptedApiFaults,
};
use secrecy::SecretString;

async fn emulator(users: usize) -> OfficeflowEmulator {
    OfficeflowEmulator::start(
        Org::generate(&OrgSpec::new(users)),
        EmulatorConfig::default(),
    )
    .await
    .unwrap()
}

fn config(emulator: &OfficeflowEmulator) -> OfficeflowConfig {
    OfficeflowConfig {
        rate_limit_per_s: 1_000,
        request_timeout: Duration::from_millis(500),
        max_retries: 4,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(40),
        page_size: 37,
        ..OfficeflowConfig::new(
            emulator.base_url(),
            emulator.app_key(),
            SecretString::from(emulator.app_secret()),
        )
    }
}

fn client(emulator: &OfficeflowEmulator) -> OfficeflowClient {
    OfficeflowClient::new(config(emulator)).unwrap()
}

async fn all_users(
    client: &OfficeflowClient,
    since: Option<i64>,
) -> Vec<crmsync_domain::org::OrgUser> {
    let mut users = Vec::new();
    let mut cursor = None;
    loop {
        let page = client.users(since, cursor).await.unwrap();
        users.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return users,
        }
    }
}

#[tokio::test]
async fn listings_page_through_everything_exactly_once() {
    let emulator = emulator(500).await;
    let client = client(&emulator);
    let users = all_users(&client, None).await;
    let names: BTreeSet<String> = users.iter().map(|u| u.username.clone()).collect();
    assert_eq!(names.len(), users.len(), "no user twice");
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        emulator.with_org(|org| org.usernames())
    );

    let mut departments = Vec::new();
    let mut cursor = None;
    loop {
        let page = client.departments(cursor).await.unwrap();
        departments.extend(page.items);
        let Some(next) = page.next_cursor else { break };
        cursor = Some(next);
    }
    let ids: Vec<String> = departments.iter().map(|d| d.id.clone()).collect();
    assert_eq!(ids, emulator.with_org(|org| org.department_ids()));
    assert!(departments.iter().filter(|d| d.parent_id.is_none()).count() == 1);

    let positions = client.positions(None).await.unwrap();
    assert_eq!(
        positions
            .items
            .iter()
            .map(|p| p.id.clone())
            .collect::<Vec<_>>(),
        emulator.with_org(|org| org.position_ids())
    );
    let tags = client.tags(None).await.unwrap();
    assert_eq!(tags.items.len(), 24);
    let static_tag = tags
        .items
        .iter()
        .find(|t| t.tag.kind.rule().is_none())
        .unwrap();
    let members = client.tag_users(&static_tag.tag.id, None).await.unwrap();
    assert!(!members.items.is_empty());
    assert_eq!(client.tag_groups().await.unwrap().len(), 4);
    assert_eq!(
        client.platforms().await.unwrap(),
        vec!["dingtalk".to_owned(), "wecom".to_owned()]
    );

    let mut bindings = 0;
    let mut cursor = None;
    loop {
        let page = client.user_openids("wecom", None, cursor).await.unwrap();
        bindings += page.items.iter().map(|u| u.openids.len()).sum::<usize>();
        let Some(next) = page.next_cursor else { break };
        cursor = Some(next);
    }
    assert_eq!(
        bindings,
        emulator.with_org(|org| org.openid_bindings("wecom"))
    );
}

#[tokio::test]
async fn incremental_listings_return_changes_and_tombstones_and_never_skip_a_change_made_while_paging()
 {
    let emulator = emulator(300).await;
    let client = client(&emulator);
    let everyone = all_users(&client, None).await;
    let watermark = everyone.iter().map(|u| u.updated_at).max().unwrap();

    let (leaver, mover) = emulator.with_org(|org| {
        let names = org.usernames();
        org.remove_user(&names[0]);
        org.move_user(&names[1], "2");
        (names[0].clone(), names[1].clone())
    });
    let changed = all_users(&client, Some(watermark + 1)).await;
    let changed_names: BTreeSet<&str> = changed.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(
        changed_names,
        BTreeSet::from([leaver.as_str(), mover.as_str()])
    );
    let tombstone = changed.iter().find(|u| u.username == leaver).unwrap();
    assert_eq!(tombstone.status, UserStatus::Deleted);
    assert!(
        !all_users(&client, None)
            .await
            .iter()
            .any(|u| u.username == leaver),
        "full listings leave tombstones out"
    );

    let first = client.users(Some(0), None).await.unwrap();
    let seen_early = first.items[0].username.clone();
    emulator.with_org(|org| org.move_user(&seen_early, "3"));
    let mut rest = Vec::new();
    let mut cursor = first.next_cursor;
    while let Some(next) = cursor {
        let page = client.users(Some(0), Some(next)).await.unwrap();
        rest.extend(page.items);
        cursor = page.next_cursor;
    }
    assert!(
        rest.iter()
            .any(|u| u.username == seen_early && u.department_ids == vec!["3".to_owned()]),
        "a user changed behind the cursor shows up again further on"
    );
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_the_call_repeated() {
    let emulator = emulator(50).await;
    let client = client(&emulator);
    client.positions(None).await.unwrap();
    let before = emulator.requests();
    emulator.expire_tokens();
    client.positions(None).await.unwrap();
    assert_eq!(
        emulator.requests() - before,
        3,
        "refused call, new token, repeated call"
    );

    emulator.set_faults(ScriptedApiFaults::new([
        ("position/list", ApiFault::ExpireToken),
        ("position/list", ApiFault::ExpireToken),
    ]));
    let error = client.positions(None).await.unwrap_err();
    assert!(
        matches!(error, SourceError::Refused { code: 42_001, .. }),
        "a token refused right after renewal is not renewed again: {error}"
    );
}

#[tokio::test]
async fn transient_faults_are_retried_with_backoff() {
    let emulator = emulator(50).await;
    let client = client(&emulator);
    client.tag_groups().await.unwrap();
    emulator.set_faults(ScriptedApiFaults::new([
        ("tag/group/list", ApiFault::ErrCode(45_009)),
        ("tag/group/list", ApiFault::ErrCode(-1)),
        ("tag/group/list", ApiFault::Http(503)),
        ("tag/group/list", ApiFault::Http(429)),
    ]));
    let before = emulator.requests();
    assert_eq!(client.tag_groups().await.unwrap().len(), 4);
    assert_eq!(
        emulator.requests() - before,
        5,
        "four failures, then success"
    );

    emulator.set_faults(ScriptedApiFaults::new([(
        "tag/group/list",
        ApiFault::Delay(Duration::from_millis(900)),
    )]));
    assert_eq!(
        client.tag_groups().await.unwrap().len(),
        4,
        "a timed-out call is repeated"
    );
}

#[tokio::test]
async fn configuration_errors_are_not_retried() {
    let emulator = emulator(50).await;
    let client = client(&emulator);
    client.platforms().await.unwrap();
    for code in [48_002, 60_020] {
        emulator.set_faults(ScriptedApiFaults::new([(
            "platform/list",
            ApiFault::ErrCode(code),
        )]));
        let before = emulator.requests();
        let error = client.platforms().await.unwrap_err();
        assert_eq!(
            emulator.requests() - before,
            1,
            "code {code} is not retried"
        );
        assert!(matches!(error, SourceError::Refused { code: c, .. } if c == code));
        assert!(!error.is_retryable());
    }

    let wrong = OfficeflowClient::new(OfficeflowConfig {
        app_secret: SecretString::from("not-the-secret"),
        ..config(&emulator)
    })
    .unwrap();
    let before = emulator.requests();
    let error = wrong.platforms().await.unwrap_err();
    assert_eq!(
        emulator.requests() - before,
        1,
        "one token request, no retry"
    );
    assert!(matches!(error, SourceError::Refused { code: 40_001, .. }));
    let shown = error.to_string();
    assert!(
        !shown.contains("not-the-secret") && !shown.contains(emulator.app_secret()),
        "{shown}"
    );
}

#[tokio::test]
async fn a_platform_that_keeps_failing_is_given_up_on() {
    let emulator = emulator(50).await;
    let client = client(&emulator);
    client.platforms().await.unwrap();
    emulator.set_faults(ScriptedApiFaults::new(
        (0..10).map(|_| ("platform/list", ApiFault::Http(502))),
    ));
    let before = emulator.requests();
    let error = client.platforms().await.unwrap_err();
    assert_eq!(
        emulator.requests() - before,
        5,
        "max_retries 4: five attempts"
    );
    assert!(
        matches!(error, SourceError::Unavailable { attempts: 5, .. }),
        "{error}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn the_client_paces_itself_below_the_platform_limit() {
    let emulator = OfficeflowEmulator::start(
        Org::generate(&OrgSpec::new(20)),
        EmulatorConfig {
            rate_limit_per_s: 5,
            ..EmulatorConfig::default()
        },
    )
    .await
    .unwrap();
    let paced = OfficeflowClient::new(OfficeflowConfig {
        rate_limit_per_s: 4,
        ..config(&emulator)
    })
    .unwrap();
    for _ in 0..9 {
        paced.platforms().await.unwrap();
    }
    assert_eq!(
        emulator.requests(),
        10,
        "one token request and nine calls: the emulator never had to throttle"
    );
    assert_eq!(paced.requests_sent(), 10);
}

#[test]
fn bad_settings_name_the_field() {
    let config = OfficeflowConfig {
        page_size: 20_000,
        ..OfficeflowConfig::new("http://127.0.0.1:1", "app", SecretString::from("s"))
    };
    let error = OfficeflowClient::new(config).unwrap_err();
    assert!(
        matches!(
            &error,
            OfficeflowError::Config {
                field: "page_size",
                ..
            }
        ),
        "{error}"
    );
    let config = OfficeflowConfig::new("ftp://x", "app", SecretString::from("s"));
    assert!(matches!(
        OfficeflowClient::new(config),
        Err(OfficeflowError::Config {
            field: "base_url",
            ..
        })
    ));
}

#[tokio::test]
async fn members_of_a_tag_deleted_meanwhile_are_not_found() {
    let emulator = emulator(50).await;
    let client = client(&emulator);
    let error = client.tag_users("no-such-tag", None).await.unwrap_err();
    assert!(matches!(error, SourceError::NotFound { .. }), "{error}");
}

#[tokio::test]
async fn transport_faults_from_the_shared_layer_are_retried() {
    use crmsync_sandbox::faults::{Fault, FaultPlan, Injection};
    let emulator = emulator(50).await;
    let client = client(&emulator);
    client.platforms().await.unwrap();
    emulator.set_transport_faults(
        FaultPlan::none()
            .with_script(
                "GET /api/v1/platform/list",
                vec![
                    Injection::before(Fault::Drop),
                    Injection::before(Fault::Error502),
                    Injection::before(Fault::Timeout),
                    Injection::before(Fault::Error500),
                ],
            )
            .with_hang(Duration::from_millis(900)),
    );
    assert_eq!(client.platforms().await.unwrap().len(), 2);
    let counts = emulator.transport_fault_counts();
    let injected = &counts["GET /api/v1/platform/list"];
    assert_eq!(
        (
            injected.drop,
            injected.error_502,
            injected.timeout,
            injected.error_500
        ),
        (1, 1, 1, 1),
        "a dropped connection, a gateway page, a hang past the timeout and a 500, then success"
    );
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_a_typed_error_and_not_retried() {
    let emulator = emulator(200).await;
    let small = OfficeflowClient::new(OfficeflowConfig {
        page_size: 200,
        max_response_bytes: 4096,
        ..config(&emulator)
    })
    .unwrap();
    small.platforms().await.unwrap();
    let before = emulator.requests();
    let error = small.users(None, None).await.unwrap_err();
    assert!(
        matches!(
            &error,
            SourceError::ResponseTooLarge { endpoint, limit: 4096 } if endpoint == "user/list"
        ),
        "{error}"
    );
    assert!(!error.is_retryable());
    assert_eq!(
        emulator.requests() - before,
        1,
        "the page is asked for once, not retried"
    );
    let direct = small
        .get::<serde_json::Value>("user/list", &[("limit", "200".to_owned())])
        .await
        .unwrap_err();
    assert_eq!(
        direct,
        OfficeflowError::ResponseTooLarge {
            endpoint: "user/list",
            limit: 4096
        }
    );
    assert_eq!(
        client(&emulator)
            .users(None, None)
            .await
            .unwrap()
            .items
            .len(),
        37
    );
}

#[tokio::test]
async fn a_full_10000_user_page_fits_the_default_limit() {
    let emulator = emulator(10_000).await;
    let full = OfficeflowClient::new(OfficeflowConfig {
        page_size: OfficeflowConfig::MAX_PAGE_SIZE,
        max_response_bytes: OfficeflowConfig::DEFAULT_MAX_RESPONSE_BYTES,
        ..config(&emulator)
    })
    .unwrap();
    let page = full.users(None, None).await.unwrap();
    assert_eq!(page.items.len(), 10_000);
}
