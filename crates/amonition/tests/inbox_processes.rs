//! A real `amonition serve` working bad and failing events, and the operator's `amonition inbox` commands: a
//! handler failing twice then succeeding is handled once; one failing forever is dead-lettered after its
//! attempts; a lead without the URL field, a phone that cannot be a phone, an unknown user and a seller that
//! does not exist are dead letters naming the reason; `inbox retry` and `inbox purge` act on them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use amonition::sandbox::{FEED_FIELD, LEAD_PHONE_FIELD, REFRESH_FIELD, seller_fields};
use crmsync_amocrm::{AmoCrmClient, Credentials};
use crmsync_domain::crm::{CustomFieldValue, FieldId, NewCompany, NewLead};
use crmsync_ports::CrmClient;
use crmsync_sandbox::faults::{Fault, FaultPlan, FaultRates, Injection};
use crmsync_sandbox::marketplace::sellers::seller_id;
use secrecy::SecretString;
use serde_json::Value;
use support::{
    Options, Process, TOKEN, World, amonition, company_event, eventually, inbox_states, lead_event,
    lead_ready,
};

const TRANSFERS: &str = "POST /api/v1/transfers";
const PERIODIC: &str = "POST /api/v1/feeds/periodic";

/// The rows `amonition inbox list` shows, as JSON.
async fn listed(config: &std::path::Path, state: &str) -> Vec<Value> {
    let (code, stdout, stderr) = amonition(
        config,
        &["--json", "inbox", "list", "--state", state, "--limit", "50"],
    )
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let document: Value = serde_json::from_str(stdout.trim()).unwrap();
    document["rows"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_and_bad_events_are_retried_or_dead_lettered_with_their_reason_and_the_operator_retries_them()
 {
    // Two transfer requests fail, then the service answers; the feed service refuses every periodic load.
    let faults = FaultPlan::none()
        .with_script(
            TRANSFERS,
            vec![
                Injection::before(Fault::Error500),
                Injection::before(Fault::Error500),
            ],
        )
        .with_route(
            PERIODIC,
            FaultRates {
                error_500: 1.0,
                ..FaultRates::default()
            },
        );
    let world = World::start("inbox", 5, faults).await;
    let crm = AmoCrmClient::builder(
        world.amocrm.base_url(),
        Credentials::LongLived(SecretString::from(TOKEN)),
    )
    .build()
    .unwrap();
    let fields = seller_fields();
    let companies = crm
        .add_companies(&[
            NewCompany {
                name: Some("known seller".into()),
                custom_fields: vec![CustomFieldValue::text(fields.seller_id, seller_id(1))],
                ..NewCompany::default()
            },
            NewCompany {
                name: Some("ghost".into()),
                ..NewCompany::default()
            },
            NewCompany {
                name: Some("gone".into()),
                ..NewCompany::default()
            },
        ])
        .await
        .unwrap();
    let [known, ghost, gone] = [companies[0].id.0, companies[1].id.0, companies[2].id.0];
    // A lead with a phone but without the account URL field; its event carries neither.
    let lead = crm
        .add_leads(&[NewLead {
            name: Some("no url".into()),
            custom_fields: vec![CustomFieldValue::text(
                FieldId(LEAD_PHONE_FIELD),
                "+79161112233",
            )],
            ..NewLead::default()
        }])
        .await
        .unwrap()[0]
        .id
        .0;

    let config = world.config(
        "serve",
        &Options {
            max_attempts: 3,
            ..Options::default()
        },
    );
    let server = Process::serve(&config, "serve");
    let account = world.account_id();
    let feed = "https://feeds.example/known.xml";
    let deliveries = [
        lead_ready(account, 601),
        lead_event(account, lead, None, None),
        lead_event(
            account,
            603,
            Some("https://other-classifieds.example/user/603"),
            Some("call me"),
        ),
        company_event(account, ghost, "ghost-user", FEED_FIELD, Some(feed)),
        company_event(account, gone, "nobody-9", REFRESH_FIELD, None),
        company_event(account, known, &seller_id(1), FEED_FIELD, Some(feed)),
    ];
    for body in deliveries {
        assert_eq!(server.post(body).await, 200);
    }
    eventually(
        "one event handled and five dead",
        Duration::from_secs(60),
        || async {
            let states = inbox_states(world.pool()).await;
            states.get("done") == Some(&1) && states.get("dead") == Some(&5)
        },
    )
    .await;

    assert_eq!(
        world.market.requests(TRANSFERS),
        3,
        "the transfer failed twice and went through on the third attempt"
    );
    let transfers = world.market.transfers();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].lead_id, 601);
    let done = listed(&config, "done").await;
    assert_eq!(done[0]["attempts"], 3, "{done:?}");

    let dead = listed(&config, "dead").await;
    let reason = |key: &str| -> (i64, String, i64) {
        let row = dead
            .iter()
            .find(|r| r["last_error"].as_str().is_some_and(|e| e.contains(key)))
            .unwrap_or_else(|| panic!("no dead letter about {key:?} in {dead:#?}"));
        (
            row["id"].as_i64().unwrap(),
            row["kind"].as_str().unwrap().to_owned(),
            row["attempts"].as_i64().unwrap(),
        )
    };
    let (_, kind, attempts) = reason(&format!("lead {lead} has no account URL in field"));
    assert_eq!(
        (kind.as_str(), attempts),
        ("lead.status", 1),
        "no retry of a bad event"
    );
    assert_eq!(reason("lead 603: field").2, 1);
    assert!(dead.iter().any(|r| {
        r["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot be a phone")
    }));
    assert_eq!(reason("user ghost-user does not exist").1, "company.update");
    assert_eq!(reason("seller nobody-9 does not exist").1, "company.update");
    let (failing, _, attempts) = reason("feed service");
    assert_eq!(attempts, 3, "retried until max_attempts, then dead");
    let notes = world.amocrm.dump().notes;
    assert_eq!(notes.len(), 1, "a note on the unknown user's company");
    assert!(notes[0].to_string().contains("ghost-user does not exist"));
    assert!(world.market.loads().is_empty());

    // The feed service is back: the operator queues the dead letter again and it is handled.
    world.market.set_faults(FaultPlan::none());
    let (code, stdout, _) = amonition(&config, &["inbox", "retry", &failing.to_string()]).await;
    assert_eq!(code, 0, "{stdout}");
    eventually(
        "the retried letter was handled",
        Duration::from_secs(30),
        || async { inbox_states(world.pool()).await.get("done") == Some(&2) },
    )
    .await;
    let loads = world.market.loads();
    assert_eq!(loads.len(), 1);
    assert_eq!(
        (loads[0].user_id.as_str(), loads[0].url.as_str()),
        (seller_id(1).as_str(), feed)
    );
    let (code, _, stderr) = amonition(&config, &["inbox", "retry", &failing.to_string()]).await;
    assert_eq!(code, 2, "a handled row cannot be retried: {stderr}");
    assert!(stderr.contains("not dead"), "{stderr}");

    let (code, stdout, _) = amonition(&config, &["inbox", "purge", "--older-than-days", "0"]).await;
    assert_eq!((code, stdout.trim()), (0, "2 inbox rows deleted"));
    let (code, stdout, _) = amonition(
        &config,
        &["inbox", "purge", "--dead", "--older-than-days", "0"],
    )
    .await;
    assert_eq!((code, stdout.trim()), (0, "4 inbox rows deleted"));
    assert!(inbox_states(world.pool()).await.is_empty());
    server.kill9();
}
