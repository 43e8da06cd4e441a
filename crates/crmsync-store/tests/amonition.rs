//! AMONITION's stores against every backend: company links and create intents (memory, SQLite, PostgreSQL), the
//! webhook inbox (memory, PostgreSQL) and the seller aggregation read through a server-side cursor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use crmsync_domain::crm::CompanyId;
use crmsync_domain::seller::{
    CompanyLink, ListingCondition, ListingFacts, ListingSource, ListingStatus, SellerId,
    SellerProfile,
};
use crmsync_ports::{CompanyStore, InboxState, NewInboxEvent, SellerSource, WebhookInbox};
use crmsync_store::{memory, postgres, sqlite};
use crmsync_testkit::services;
use serde_json::json;

fn sid(s: &str) -> SellerId {
    SellerId::parse(s).unwrap()
}

async fn company_contract(store: &dyn CompanyStore) {
    assert_eq!(store.count().await.unwrap(), 0);
    store
        .save(&[
            CompanyLink::new(sid("u1"), CompanyId(101)),
            CompanyLink::new(sid("u2"), CompanyId(102)),
        ])
        .await
        .unwrap();
    let found = store
        .by_sellers(&[sid("u2"), sid("u9"), sid("u1")])
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![
            CompanyLink::new(sid("u1"), CompanyId(101)),
            CompanyLink::new(sid("u2"), CompanyId(102)),
        ]
    );
    assert_eq!(
        store
            .by_companies(&[CompanyId(102), CompanyId(7)])
            .await
            .unwrap(),
        vec![CompanyLink::new(sid("u2"), CompanyId(102))]
    );
    assert!(store.by_sellers(&[]).await.unwrap().is_empty());

    store
        .journal_intents(5, &[sid("u3"), sid("u4")])
        .await
        .unwrap();
    store.journal_intents(6, &[sid("u4")]).await.unwrap();
    let pending = store.pending_intents(10).await.unwrap();
    let sellers: BTreeSet<_> = pending
        .iter()
        .map(|p| p.seller_id.as_str().to_owned())
        .collect();
    assert_eq!(sellers, BTreeSet::from(["u3".to_owned(), "u4".to_owned()]));
    assert_eq!(
        pending
            .iter()
            .find(|p| p.seller_id == sid("u4"))
            .unwrap()
            .process,
        6
    );
    store
        .save(&[
            CompanyLink::new(sid("u3"), CompanyId(103)),
            CompanyLink::new(sid("u1"), CompanyId(111)),
        ])
        .await
        .unwrap();
    let pending = store.pending_intents(10).await.unwrap();
    assert_eq!(pending.len(), 1, "saving a link drops its intent");
    assert_eq!(pending[0].seller_id, sid("u4"));
    store.drop_intents(&[sid("u4")]).await.unwrap();
    assert!(store.pending_intents(10).await.unwrap().is_empty());
    assert_eq!(store.count().await.unwrap(), 3);
    assert_eq!(
        store.by_sellers(&[sid("u1")]).await.unwrap(),
        vec![CompanyLink::new(sid("u1"), CompanyId(111))],
        "a seller's link is replaced"
    );
    let many: Vec<CompanyLink> = (0..1200)
        .map(|i| CompanyLink::new(sid(&format!("m{i}")), CompanyId(5000 + i)))
        .collect();
    store.save(&many).await.unwrap();
    let ids: Vec<SellerId> = many.iter().map(|l| l.seller_id.clone()).collect();
    assert_eq!(store.by_sellers(&ids).await.unwrap().len(), 1200);
}

#[tokio::test]
async fn memory_company_store() {
    company_contract(&memory::MemoryCompanyStore::new()).await;
}

#[tokio::test]
async fn sqlite_company_store() {
    let dir = std::env::temp_dir().join(format!(
        "crmsync-amonition-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let pool = sqlite::open(&dir.join("test.sqlite")).await.unwrap();
    company_contract(&sqlite::SqliteCompanyStore::new(pool)).await;
    let _ = std::fs::remove_dir_all(dir);
}

async fn pg_pool() -> sqlx::PgPool {
    let db = services::fresh_postgres().await;
    postgres::migrate(&db.pool).await.unwrap();
    db.pool
}

#[tokio::test]
async fn postgres_company_store_has_the_documented_table() {
    let pool = pg_pool().await;
    company_contract(&postgres::PgCompanyStore::new(pool.clone())).await;
    let index: String = sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'companies' AND indexname = 'companies_idx'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(index.contains("(company_id)"), "{index}");
}

fn event(key: &str) -> NewInboxEvent {
    NewInboxEvent {
        dedupe_key: key.to_owned(),
        kind: "company.update".to_owned(),
        payload: json!({"id": key}),
    }
}

async fn inbox_contract(inbox: &dyn WebhookInbox) {
    let t0 = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
    let lease = Duration::from_secs(60);
    let stored = inbox.enqueue(&[event("a"), event("b")], t0).await.unwrap();
    assert_eq!((stored.stored, stored.duplicates), (2, 0));
    let again = inbox.enqueue(&[event("b"), event("c")], t0).await.unwrap();
    assert_eq!(
        (again.stored, again.duplicates),
        (1, 1),
        "a redelivery is stored once"
    );
    assert_eq!(inbox.counts().await.unwrap().depth(), 3);

    let claimed = inbox.claim(2, lease, t0).await.unwrap();
    assert_eq!(
        claimed
            .iter()
            .map(|i| i.dedupe_key.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(
        claimed
            .iter()
            .all(|i| i.attempts == 1 && i.state == InboxState::Running)
    );
    let rest = inbox.claim(5, lease, t0).await.unwrap();
    assert_eq!(rest.len(), 1, "claimed rows are not handed out twice");
    inbox.complete(claimed[0].id, t0).await.unwrap();
    let retry_at = t0 + chrono::Duration::seconds(30);
    inbox
        .fail(claimed[1].id, "feed service down", Some(retry_at))
        .await
        .unwrap();
    inbox.fail(rest[0].id, "no such user", None).await.unwrap();
    assert!(
        inbox.claim(5, lease, t0).await.unwrap().is_empty(),
        "not due before its backoff"
    );
    let due = inbox.claim(5, lease, retry_at).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].attempts, due[0].last_error.as_deref()),
        (2, Some("feed service down"))
    );
    // The worker dies: its lease runs out and the row is claimed again.
    let later = retry_at + chrono::Duration::seconds(61);
    let reclaimed = inbox.claim(5, lease, later).await.unwrap();
    assert_eq!((reclaimed.len(), reclaimed[0].attempts), (1, 3));
    inbox.complete(reclaimed[0].id, later).await.unwrap();

    let dead = inbox.list(Some(InboxState::Dead), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("no such user"));
    assert!(inbox.retry(dead[0].id, later).await.unwrap());
    assert!(
        !inbox.retry(claimed[0].id, later).await.unwrap(),
        "a done row is not retried"
    );
    let counts = inbox.counts().await.unwrap();
    assert_eq!((counts.pending, counts.done, counts.dead), (1, 2, 0));
    let requeued = inbox.claim(5, lease, later).await.unwrap();
    assert_eq!(requeued[0].attempts, 1, "a retried row starts over");
    inbox
        .fail(requeued[0].id, "still no user", None)
        .await
        .unwrap();

    assert_eq!(inbox.purge(later, false).await.unwrap(), 2);
    assert_eq!(inbox.purge(later, true).await.unwrap(), 1);
    assert_eq!(inbox.counts().await.unwrap(), Default::default());
    assert_eq!(
        inbox.enqueue(&[event("a")], later).await.unwrap().stored,
        1,
        "purged keys are forgotten"
    );
}

#[tokio::test]
async fn memory_inbox() {
    inbox_contract(&memory::MemoryWebhookInbox::new()).await;
}

#[tokio::test]
async fn postgres_inbox() {
    inbox_contract(&postgres::PgWebhookInbox::new(pg_pool().await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_inbox_claims_of_concurrent_workers_never_overlap() {
    let pool = pg_pool().await;
    let inbox = Arc::new(postgres::PgWebhookInbox::new(pool));
    let now = Utc::now();
    let events: Vec<NewInboxEvent> = (0..400).map(|i| event(&format!("e{i}"))).collect();
    inbox.enqueue(&events, now).await.unwrap();
    let mut workers = Vec::new();
    for _ in 0..6 {
        let inbox = inbox.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = inbox.claim(7, Duration::from_secs(60), now).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                for item in batch {
                    inbox.complete(item.id, now).await.unwrap();
                    mine.push(item.id);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!((all.len(), distinct.len()), (400, 400));
}

fn profile(id: &str, phone: &str) -> SellerProfile {
    SellerProfile {
        id: sid(id),
        phone: Some(phone.to_owned()),
        email: Some(format!("{id}@example.org")),
        name: Some(format!("Shop {id}")),
        sale_address: None,
        first_visit_at: Some(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()),
    }
}

fn listing(
    status: ListingStatus,
    source: ListingSource,
    condition: ListingCondition,
    category: &str,
    day: u32,
) -> ListingFacts {
    ListingFacts {
        status,
        source,
        condition,
        category: category.to_owned(),
        created_at: Utc.with_ymd_and_hms(2024, 5, day, 0, 0, 0).unwrap(),
    }
}

#[tokio::test]
async fn postgres_seller_source_aggregates_like_the_domain_fold_and_streams_in_batches() {
    let pool = pg_pool().await;
    let mut sellers = vec![
        (
            profile("a1", "+7 916 000-00-01"),
            vec![
                listing(
                    ListingStatus::Active,
                    ListingSource::Form,
                    ListingCondition::Used,
                    "Phones",
                    3,
                ),
                listing(
                    ListingStatus::Blocked,
                    ListingSource::Autoload,
                    ListingCondition::Used,
                    "Cars",
                    2,
                ),
                listing(
                    ListingStatus::Active,
                    ListingSource::Form,
                    ListingCondition::New,
                    "Phones",
                    9,
                ),
            ],
        ),
        (profile("a2", "not a phone"), vec![]),
    ];
    for i in 0..25 {
        sellers.push((
            profile(&format!("b{i:02}"), "+79160000002"),
            vec![listing(
                ListingStatus::Moderation,
                ListingSource::Form,
                ListingCondition::New,
                " ",
                1,
            )],
        ));
    }
    postgres::load_marketplace(&pool, &sellers).await.unwrap();
    let source = postgres::PgSellerSource::new(pool);

    let mut cursor = source.open().await.unwrap();
    let mut seen = Vec::new();
    loop {
        let batch = cursor.next_batch(10).await.unwrap();
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 10);
        seen.extend(batch);
    }
    assert_eq!(
        seen.len(),
        26,
        "the seller without listings is not streamed"
    );
    assert_eq!(seen[0].id, sid("a1"));
    let expected = crmsync_domain::seller::Seller::aggregate(&sellers[0].0, &sellers[0].1);
    assert_eq!(seen[0], expected);
    assert!(
        seen[1..]
            .iter()
            .all(|s| s.categories.is_empty() && s.listings.total() == 1)
    );

    let a2 = source.seller(&sid("a2")).await.unwrap().unwrap();
    assert_eq!((a2.listings.total(), a2.phone.clone()), (0, None));
    assert!(source.user_exists(&sid("a2")).await.unwrap());
    assert!(!source.user_exists(&sid("zz")).await.unwrap());
}
