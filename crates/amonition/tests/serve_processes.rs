//! `amonition serve` as real processes on one PostgreSQL inbox, against the amoCRM and marketplace emulators:
//! a server killed with SIGKILL between the ack and the handling leaves the event to its successor, which
//! handles it once; two servers draining one inbox handle each event once; a company event refreshes that
//! company from the fresh aggregate (delivered by the emulator's own webhooks, its echo ignored).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use amonition::sandbox::{REFRESH_FIELD, seller_fields};
use crmsync_amocrm::{AmoCrmClient, Credentials};
use crmsync_domain::crm::{
    CompanyId, CompanyUpdate, CustomFieldValue, FieldId, FieldValue, NewCompany,
};
use crmsync_domain::seller::SellerId;
use crmsync_ports::{CompanyStore, CrmClient, SellerSource};
use crmsync_sandbox::faults::{Fault, FaultPlan, FaultRates, Injection};
use crmsync_sandbox::marketplace::sellers::seller_id;
use crmsync_store::postgres::{PgCompanyStore, PgSellerSource};
use secrecy::SecretString;
use serde_json::Value;
use support::{Options, Process, TOKEN, World, eventually, inbox_row, inbox_states, lead_ready};

const TRANSFERS: &str = "POST /api/v1/transfers";
const LIMIT: Duration = Duration::from_secs(60);

fn crm(world: &World) -> AmoCrmClient {
    AmoCrmClient::builder(
        world.amocrm.base_url(),
        Credentials::LongLived(SecretString::from(TOKEN)),
    )
    .build()
    .unwrap()
}

/// Creates one company per seller index, holding only the seller id; their ids.
async fn companies_for(world: &World, sellers: &[u64]) -> Vec<CompanyId> {
    let fields = seller_fields();
    let new: Vec<NewCompany> = sellers
        .iter()
        .map(|i| NewCompany {
            name: Some(format!("stale name {i}")),
            custom_fields: vec![CustomFieldValue::text(fields.seller_id, seller_id(*i))],
            ..NewCompany::default()
        })
        .collect();
    crm(world)
        .add_companies(&new)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

fn company_refresh(account: i64, company: CompanyId, seller: &str) -> String {
    support::company_event(account, company.0, seller, REFRESH_FIELD, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_between_ack_and_handling_leaves_the_event_to_a_restarted_one_which_handles_it_once()
 {
    // The first transfer request hangs in the service, so the first server is killed with the event acked,
    // claimed and not yet handled.
    let faults = FaultPlan::none()
        .with_slow_delay(Duration::from_secs(20))
        .with_script(TRANSFERS, vec![Injection::before(Fault::Slow)]);
    let world = World::start("kill9", 0, faults).await;
    // One worker per server: nothing in the first server can take the row again while its worker waits.
    let options = Options {
        lease_s: 5,
        workers: 1,
        snatcher_timeout_ms: 60_000,
        ..Options::default()
    };
    let config = world.config("serve", &options);
    let first = Process::serve(&config, "first");
    assert_eq!(first.post(lead_ready(world.account_id(), 501)).await, 200);
    let (state, _, _) = inbox_row(world.pool(), "lead.status:501:").await.unwrap();
    assert!(
        state == "pending" || state == "running",
        "the acked event is in the inbox: {state}"
    );
    eventually(
        "the first server's worker called the service",
        LIMIT,
        || async { world.market.requests(TRANSFERS) >= 1 },
    )
    .await;
    first.kill9();
    let (state, attempts, _) = inbox_row(world.pool(), "lead.status:501:").await.unwrap();
    assert_eq!(
        (state.as_str(), attempts),
        ("running", 1),
        "the killed worker's claim is left behind"
    );
    assert!(world.market.transfers().is_empty(), "nothing was handled");

    let second = Process::serve(&config, "second");
    eventually("the restarted server handled the event", LIMIT, || async {
        inbox_row(world.pool(), "lead.status:501:")
            .await
            .is_some_and(|(state, _, _)| state == "done")
    })
    .await;
    let (_, attempts, key) = inbox_row(world.pool(), "lead.status:501:").await.unwrap();
    assert_eq!(attempts, 2, "claimed again once the lease ended");
    let transfers = world.market.transfers();
    assert_eq!(transfers.len(), 1, "one transfer: {transfers:?}");
    assert_eq!(transfers[0].lead_id, 501);
    assert_eq!(transfers[0].idempotency_key, key);
    assert_eq!(transfers[0].phone, "+79165550501");
    assert_eq!(
        inbox_states(world.pool()).await.get("done").copied(),
        Some(1)
    );
    assert_eq!(second.metric("amonition_inbox_processed_total").await, 1.0);
    second.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_draining_one_inbox_handle_each_event_once() {
    const LEADS: i64 = 60;
    const COMPANIES: u64 = 10;
    // Every transfer takes a while, so both servers' workers are busy at once.
    let faults = FaultPlan::none()
        .with_slow_delay(Duration::from_millis(40))
        .with_route(
            TRANSFERS,
            FaultRates {
                slow: 1.0,
                ..FaultRates::default()
            },
        );
    let world = World::start("two", COMPANIES, faults).await;
    let companies = companies_for(&world, &(0..COMPANIES).collect::<Vec<_>>()).await;
    let patches_before = world.amocrm.stats().requests("PATCH /api/v4/companies");
    let config = world.config("serve", &Options::default());
    let servers = [Process::serve(&config, "a"), Process::serve(&config, "b")];
    let account = world.account_id();
    let mut deliveries: Vec<String> = (0..LEADS).map(|i| lead_ready(account, 1000 + i)).collect();
    for (i, company) in companies.iter().enumerate() {
        deliveries.push(company_refresh(account, *company, &seller_id(i as u64)));
    }
    for (i, body) in deliveries.iter().enumerate() {
        let server = &servers[i % 2];
        assert_eq!(server.post(body.clone()).await, 200);
        // A redelivery to the other server is stored once.
        assert_eq!(servers[(i + 1) % 2].post(body.clone()).await, 200);
    }
    let total = deliveries.len() as i64;
    eventually("both servers drained the inbox", LIMIT, || async {
        inbox_states(world.pool()).await.get("done").copied() == Some(total)
    })
    .await;
    let states = inbox_states(world.pool()).await;
    assert_eq!(
        states.len(),
        1,
        "nothing pending, running or dead: {states:?}"
    );

    assert_eq!(
        world.market.requests(TRANSFERS),
        LEADS as u64,
        "one transfer request per event"
    );
    let leads: BTreeSet<i64> = world.market.transfers().iter().map(|t| t.lead_id).collect();
    assert_eq!(leads, (1000..1000 + LEADS).collect());
    assert_eq!(
        world.amocrm.stats().requests("PATCH /api/v4/companies") - patches_before,
        COMPANIES,
        "one company update per refresh event"
    );
    let mut handled = Vec::new();
    for server in &servers {
        handled.push(server.metric("amonition_inbox_processed_total").await);
    }
    assert_eq!(handled.iter().sum::<f64>(), total as f64, "{handled:?}");
    assert!(
        handled.iter().all(|n| *n > 0.0),
        "both servers took a share: {handled:?}"
    );
}

/// A company's field value as text (numbers and checkboxes as amoCRM shows them), `None` when unset.
fn field(company: &Value, id: i64) -> Option<String> {
    let values = company["custom_fields_values"].as_array()?;
    let field = values.iter().find(|f| f["field_id"].as_i64() == Some(id))?;
    match &field["values"][0]["value"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_refresh_event_updates_that_company_from_the_fresh_aggregate() {
    let world = World::start("refresh", 12, FaultPlan::none()).await;
    let fields = seller_fields();
    let seller = seller_id(7);
    let [company] = companies_for(&world, &[7]).await[..] else {
        panic!("one company")
    };
    let mut expected = PgSellerSource::new(world.pool().clone())
        .seller(&SellerId::parse(&seller).unwrap())
        .await
        .unwrap()
        .unwrap();
    world
        .market
        .set_feed(&seller, "https://feeds.example/seven.xml", None);
    expected.feed.url = Some("https://feeds.example/seven.xml".to_owned());

    let server = Process::serve(&world.config("serve", &Options::default()), "serve");
    let client = crm(&world);
    client
        .subscribe_webhook(
            &format!("{}/webhooks/amocrm/{}", server.base, support::SECRET),
            &["update_company"],
        )
        .await
        .unwrap();
    // An operator ticks "refresh" on the company; amoCRM delivers the update.
    client
        .update_companies(&[CompanyUpdate {
            id: company,
            custom_fields: vec![CustomFieldValue::by_id(
                FieldId(REFRESH_FIELD),
                vec![FieldValue::flag(true)],
            )],
            ..CompanyUpdate::default()
        }])
        .await
        .unwrap();
    let listings_total = fields.listings_total.unwrap().0;
    eventually("the company was refreshed", LIMIT, || async {
        world
            .amocrm
            .entity("companies", company.0)
            .is_some_and(|c| field(&c, listings_total).is_some())
    })
    .await;
    // AMONITION's own update is delivered too; it is handled as ignored, not as another refresh.
    world.amocrm.flush_webhooks().await;
    eventually("the echo was handled", LIMIT, || async {
        inbox_states(world.pool()).await.get("done").copied() == Some(2)
    })
    .await;
    world.amocrm.flush_webhooks().await;

    let stored = world.amocrm.entity("companies", company.0).unwrap();
    assert_eq!(stored["name"], expected.company_name());
    let total = expected.listings.total();
    assert!(total > 0, "a generated seller has listings");
    assert_eq!(field(&stored, listings_total), Some(total.to_string()));
    assert_eq!(
        field(&stored, fields.feed_url.unwrap().0).as_deref(),
        Some("https://feeds.example/seven.xml")
    );
    assert_eq!(
        field(&stored, fields.categories.unwrap().0),
        Some(expected.categories.join("; "))
    );
    assert_eq!(field(&stored, fields.seller_id.0), Some(seller.clone()));
    assert_ne!(
        field(&stored, REFRESH_FIELD).as_deref(),
        Some("true"),
        "the checkbox is cleared"
    );
    assert_eq!(
        world.amocrm.stats().requests("PATCH /api/v4/companies"),
        2,
        "the operator's update and AMONITION's refresh, no loop"
    );
    let links = PgCompanyStore::new(world.pool().clone())
        .by_companies(&[company])
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].seller_id.as_str(), seller);
    assert_eq!(inbox_states(world.pool()).await.len(), 1, "nothing dead");
    assert_eq!(server.metric("amonition_inbox_processed_total").await, 2.0);
}
