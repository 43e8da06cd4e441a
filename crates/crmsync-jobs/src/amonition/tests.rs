//! Tests of AMONITION's batch plan, event routing, handlers (on mocks) and the inbox pass (in memory).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::Utc;
use crmsync_domain::Phone;
use crmsync_domain::crm::{
    CompanyId, CustomFieldValue, CustomFields, EventAction, EventEntity, FieldData, FieldId,
    FieldValue, StatusId, WebhookEvent,
};
use crmsync_domain::seller::{
    CompanyLink, FeedInfo, ListingCounts, ListingStatus, Seller, SellerFields, SellerId,
};
use crmsync_ports::{
    MockCompanyStore, MockCrmClient, MockFeedService, MockProfileTransfer, MockSellerSource,
    NewInboxEvent, ServiceError, TransferStarted, WebhookInbox,
};
use crmsync_store::memory::MemoryWebhookInbox;

use super::events::{EventPorts, Handled, Route, Routing, handle, route};
use super::inbox::{RetryPolicy, pass};
use super::plan::plan_batch;

fn sid(s: &str) -> SellerId {
    SellerId::parse(s).unwrap()
}

fn seller(id: &str, phone: Option<&str>) -> Seller {
    let mut s = Seller::new(sid(id));
    s.phone = phone.map(|p| Phone::parse(p).unwrap());
    s
}

fn fields() -> SellerFields {
    SellerFields {
        feed_url: Some(FieldId(20)),
        ..SellerFields::minimal(FieldId(10))
    }
}

#[test]
fn a_batch_splits_into_creates_and_updates_by_link() {
    let sellers = vec![
        seller("a", Some("+79160000001")),
        seller("b", None),
        seller("c", Some("+79160000003")),
    ];
    let links = [CompanyLink::new(sid("b"), CompanyId(77))];
    let feeds = BTreeMap::from([(
        sid("c"),
        FeedInfo {
            url: Some("https://f/c.xml".into()),
            errors_url: None,
        },
    )]);
    let plan = plan_batch(sellers, &feeds, &links, &fields());
    assert_eq!(plan.create_sellers, [sid("a"), sid("c")]);
    assert_eq!(plan.creates.len(), 2);
    assert_eq!(plan.creates[1].request_id.as_deref(), Some("c"));
    assert!(
        plan.creates[1].custom_fields.iter().any(
            |f| f.is_field(FieldId(20)) && f.first_text().as_deref() == Some("https://f/c.xml")
        ),
        "the feed enriches the company"
    );
    assert_eq!(plan.updates.len(), 1);
    assert_eq!(plan.updates[0].id, CompanyId(77));
    assert_eq!(
        (
            plan.counts.sellers,
            plan.counts.without_phone,
            plan.counts.with_feed
        ),
        (3, 1, 1)
    );
}

#[test]
fn an_empty_batch_plans_nothing_and_duplicates_count_once() {
    let plan = plan_batch(Vec::new(), &BTreeMap::new(), &[], &fields());
    assert!(plan.creates.is_empty() && plan.updates.is_empty());
    assert_eq!(plan.counts, Default::default());
    let plan = plan_batch(
        vec![seller("a", None), seller("a", None)],
        &BTreeMap::new(),
        &[],
        &fields(),
    );
    assert_eq!((plan.creates.len(), plan.counts.duplicates), (1, 1));
}

#[test]
fn a_seller_without_phone_gets_a_company_without_phone() {
    let plan = plan_batch(vec![seller("a", None)], &BTreeMap::new(), &[], &fields());
    assert!(
        !plan.creates[0]
            .custom_fields
            .iter()
            .any(|f| f.has_code("PHONE"))
    );
    assert_eq!(plan.counts.without_phone, 1);
}

fn routing() -> Routing {
    Routing {
        transfer_status_ids: vec![StatusId(555)],
        lead_url_field: FieldId(1),
        lead_phone_field: FieldId(2),
        refresh_field: Some(FieldId(30)),
        feed_field: Some(FieldId(31)),
        fields: fields(),
    }
}

fn lead_status(id: i64, status: i64, cf: Vec<CustomFieldValue>) -> WebhookEvent {
    let mut e = WebhookEvent::new(EventEntity::Lead, EventAction::Status);
    e.id = Some(id);
    e.status_id = Some(StatusId(status));
    e.custom_fields = CustomFields(cf);
    e
}

fn company_event(id: i64, cf: Vec<CustomFieldValue>) -> WebhookEvent {
    let mut e = WebhookEvent::new(EventEntity::Company, EventAction::Update);
    e.id = Some(id);
    e.custom_fields = CustomFields(cf);
    e
}

fn flag(field: i64) -> CustomFieldValue {
    CustomFieldValue::by_id(FieldId(field), vec![FieldValue::text("1")])
}

#[test]
fn events_route_by_status_and_action_checkboxes() {
    let r = routing();
    assert_eq!(
        route(&lead_status(5, 555, vec![]), &r),
        Route::Transfer { lead_id: 5 }
    );
    assert!(matches!(
        route(&lead_status(5, 556, vec![]), &r),
        Route::Ignore { .. }
    ));
    assert_eq!(
        route(&company_event(9, vec![flag(31), flag(30)]), &r),
        Route::FeedUpload { company_id: 9 }
    );
    assert_eq!(
        route(&company_event(9, vec![flag(30)]), &r),
        Route::Refresh { company_id: 9 }
    );
    assert!(matches!(
        route(&company_event(9, vec![]), &r),
        Route::Ignore { .. }
    ));
    let task = WebhookEvent::new(EventEntity::Task, EventAction::Add);
    assert!(matches!(route(&task, &r), Route::Ignore { .. }));
}

struct Mocks {
    crm: MockCrmClient,
    sellers: MockSellerSource,
    feeds: MockFeedService,
    transfer: MockProfileTransfer,
    companies: MockCompanyStore,
}

impl Mocks {
    fn new() -> Self {
        Self {
            crm: MockCrmClient::new(),
            sellers: MockSellerSource::new(),
            feeds: MockFeedService::new(),
            transfer: MockProfileTransfer::new(),
            companies: MockCompanyStore::new(),
        }
    }

    fn ports(&self) -> EventPorts<'_> {
        EventPorts {
            crm: &self.crm,
            sellers: &self.sellers,
            feeds: &self.feeds,
            transfer: &self.transfer,
            companies: &self.companies,
        }
    }
}

#[tokio::test]
async fn a_transfer_sends_the_lead_url_and_phone_with_the_inbox_key() {
    let mut m = Mocks::new();
    m.transfer
        .expect_start()
        .withf(|r| {
            r.account_url == "https://other.example/u/1"
                && r.phone.as_e164() == "+79161234567"
                && r.idempotency_key == "k1"
        })
        .times(1)
        .returning(|_| {
            Ok(TransferStarted {
                transfer_id: "t1".into(),
            })
        });
    let event = lead_status(
        5,
        555,
        vec![
            CustomFieldValue::text(FieldId(1), "https://other.example/u/1"),
            CustomFieldValue::text(FieldId(2), "8 916 123 45 67"),
        ],
    );
    let handled = handle(&event, &routing(), m.ports(), "k1").await.unwrap();
    assert_eq!(
        handled,
        Handled::TransferStarted {
            lead_id: 5,
            transfer_id: "t1".into()
        }
    );
}

#[tokio::test]
async fn a_lead_without_url_or_with_a_phone_that_is_no_phone_fails_for_good() {
    let mut m = Mocks::new();
    m.crm.expect_get_lead().returning(|_, _| Ok(None));
    let error = handle(&lead_status(5, 555, vec![]), &routing(), m.ports(), "k")
        .await
        .unwrap_err();
    assert!(
        !error.is_retryable() && error.to_string().contains("does not exist"),
        "{error}"
    );
    let event = lead_status(
        5,
        555,
        vec![
            CustomFieldValue::text(FieldId(1), "https://other.example/u/1"),
            CustomFieldValue::text(FieldId(2), "call me"),
        ],
    );
    let error = handle(&event, &routing(), m.ports(), "k")
        .await
        .unwrap_err();
    assert!(
        !error.is_retryable() && error.to_string().contains("cannot be a phone"),
        "{error}"
    );
}

#[tokio::test]
async fn a_feed_upload_for_an_unknown_user_notes_the_company_and_fails_for_good() {
    let mut m = Mocks::new();
    m.sellers.expect_user_exists().returning(|_| Ok(false));
    m.crm.expect_add_notes().times(1).returning(|_| Ok(vec![]));
    let event = company_event(
        9,
        vec![
            flag(31),
            CustomFieldValue::text(FieldId(10), "ghost"),
            CustomFieldValue::text(FieldId(20), "https://f/x.xml"),
        ],
    );
    let error = handle(&event, &routing(), m.ports(), "k")
        .await
        .unwrap_err();
    assert!(!error.is_retryable());
    assert!(
        error.to_string().contains("user ghost does not exist"),
        "{error}"
    );
}

#[tokio::test]
async fn the_inbox_pass_retries_with_backoff_then_dead_letters() {
    let inbox = MemoryWebhookInbox::new();
    let event = lead_status(
        5,
        555,
        vec![
            CustomFieldValue::text(FieldId(1), "https://other.example/u/1"),
            CustomFieldValue::text(FieldId(2), "+79161234567"),
        ],
    );
    let now = Utc::now();
    inbox
        .enqueue(
            &[NewInboxEvent {
                dedupe_key: "k".into(),
                kind: "lead.status".into(),
                payload: serde_json::to_value(&event).unwrap(),
            }],
            now,
        )
        .await
        .unwrap();
    let mut m = Mocks::new();
    m.transfer.expect_start().returning(|_| {
        Err(ServiceError::Unavailable {
            service: "profile transfer",
            attempts: 1,
            reason: "HTTP 503".into(),
        })
    });
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: std::time::Duration::ZERO,
        ..RetryPolicy::default()
    };
    let mut reports = Vec::new();
    for _ in 0..4 {
        reports.push(
            pass(&inbox, &routing(), m.ports(), &policy, Utc::now())
                .await
                .unwrap(),
        );
    }
    assert_eq!(reports.iter().map(|r| r.retried).sum::<u64>(), 2);
    assert_eq!(reports.iter().map(|r| r.dead).sum::<u64>(), 1);
    let dead = inbox
        .list(Some(crmsync_ports::InboxState::Dead), 5)
        .await
        .unwrap();
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("profile transfer is unavailable after 1 attempt(s): HTTP 503")
    );
    assert_eq!(policy.backoff(1), std::time::Duration::ZERO);
    let policy = RetryPolicy::default();
    assert_eq!(policy.backoff(1) * 4, policy.backoff(3));
    assert_eq!(policy.backoff(40), policy.max_delay);
}

fn refresh_routing() -> Routing {
    Routing {
        fields: SellerFields {
            listings_total: Some(FieldId(21)),
            ..fields()
        },
        ..routing()
    }
}

#[tokio::test]
async fn a_company_refresh_updates_that_company_from_the_fresh_aggregate_and_clears_the_checkbox() {
    let mut m = Mocks::new();
    m.sellers
        .expect_seller()
        .withf(|id| id.as_str() == "s7")
        .times(1)
        .returning(|id| {
            let mut s = Seller::new(id.clone());
            s.name = Some("Fresh name".into());
            s.listings = ListingCounts::default().with(ListingStatus::Active, 4);
            Ok(Some(s))
        });
    m.feeds.expect_feeds().times(1).returning(|users| {
        Ok(users
            .iter()
            .map(|u| {
                (
                    u.clone(),
                    FeedInfo {
                        url: Some("https://f/s7.xml".into()),
                        errors_url: None,
                    },
                )
            })
            .collect())
    });
    m.crm
        .expect_update_companies()
        .withf(|updates| {
            let [u] = updates else { return false };
            let value = |f: i64| {
                u.custom_fields
                    .iter()
                    .find(|v| v.field_id == Some(FieldId(f)))
                    .map(|v| v.values.first().and_then(|x| x.value.clone()))
            };
            u.id == CompanyId(9)
                && u.name.as_deref() == Some("Fresh name")
                && value(21) == Some(Some(FieldData::Integer(4)))
                && value(20) == Some(Some(FieldData::Text("https://f/s7.xml".into())))
                && value(30) == Some(None)
        })
        .times(1)
        .returning(|_| Ok(vec![CompanyId(9)]));
    m.companies
        .expect_save()
        .withf(|links| links == [CompanyLink::new(sid("s7"), CompanyId(9))])
        .times(1)
        .returning(|_| Ok(()));
    let event = company_event(9, vec![flag(30), CustomFieldValue::text(FieldId(10), "s7")]);
    let handled = handle(&event, &refresh_routing(), m.ports(), "k")
        .await
        .unwrap();
    assert_eq!(handled, Handled::Refreshed { company_id: 9 });
}

#[tokio::test]
async fn a_refresh_for_a_seller_that_does_not_exist_fails_for_good_and_a_missing_seller_id_too() {
    let mut m = Mocks::new();
    m.sellers.expect_seller().returning(|_| Ok(None));
    let event = company_event(
        9,
        vec![flag(30), CustomFieldValue::text(FieldId(10), "gone")],
    );
    let error = handle(&event, &refresh_routing(), m.ports(), "k")
        .await
        .unwrap_err();
    assert!(!error.is_retryable());
    assert!(
        error.to_string().contains("seller gone does not exist"),
        "{error}"
    );
    m.crm.expect_get_company().returning(|_| Ok(None));
    let error = handle(
        &company_event(9, vec![flag(30)]),
        &refresh_routing(),
        m.ports(),
        "k",
    )
    .await
    .unwrap_err();
    assert!(
        !error.is_retryable() && error.to_string().contains("company 9 does not exist"),
        "{error}"
    );
}

#[tokio::test]
async fn the_inbox_pass_handles_an_event_on_its_third_attempt_after_two_failures() {
    let inbox = MemoryWebhookInbox::new();
    let event = lead_status(
        5,
        555,
        vec![
            CustomFieldValue::text(FieldId(1), "https://other.example/u/1"),
            CustomFieldValue::text(FieldId(2), "+79161234567"),
        ],
    );
    inbox
        .enqueue(
            &[NewInboxEvent {
                dedupe_key: "k3".into(),
                kind: "lead.status".into(),
                payload: serde_json::to_value(&event).unwrap(),
            }],
            Utc::now(),
        )
        .await
        .unwrap();
    let mut m = Mocks::new();
    let calls = std::sync::atomic::AtomicU32::new(0);
    let calls = std::sync::Arc::new(calls);
    let seen = calls.clone();
    m.transfer
        .expect_start()
        .withf(|r| r.idempotency_key == "k3")
        .times(3)
        .returning(move |_| {
            if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
                Err(ServiceError::Unavailable {
                    service: "profile transfer",
                    attempts: 1,
                    reason: "HTTP 502".into(),
                })
            } else {
                Ok(TransferStarted {
                    transfer_id: "t1".into(),
                })
            }
        });
    let policy = RetryPolicy {
        max_attempts: 5,
        base_delay: std::time::Duration::ZERO,
        ..RetryPolicy::default()
    };
    let mut reports = Vec::new();
    for _ in 0..4 {
        reports.push(
            pass(&inbox, &routing(), m.ports(), &policy, Utc::now())
                .await
                .unwrap(),
        );
    }
    assert_eq!(reports.iter().map(|r| r.retried).sum::<u64>(), 2);
    assert_eq!(reports.iter().map(|r| r.processed).sum::<u64>(), 1);
    assert_eq!(reports.iter().map(|r| r.dead).sum::<u64>(), 0);
    assert_eq!(reports[3].claimed, 0, "nothing left once it was handled");
    let rows = inbox.list(None, 5).await.unwrap();
    assert_eq!(
        (rows[0].state, rows[0].attempts),
        (crmsync_ports::InboxState::Done, 3)
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
}
