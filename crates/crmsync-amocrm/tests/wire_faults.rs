//! Wire tests under injected faults: 504 splits a batch, reads retry, creates with unknown outcome are never
//! resent, and a 1,000-contact batch under 10 % faults ends exact or names its undecided request ids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crmsync_amocrm::{CrmClient, CrmClientExt, CrmError};
use crmsync_domain::crm::NewContact;
use crmsync_ports::ContactFilter;
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_sandbox::faults::Fault;
use crmsync_sandbox::{FaultPlan, FaultRates};

use common::*;

const ADD_CONTACTS: &str = "POST /api/v4/contacts";

fn contacts(n: usize) -> Vec<NewContact> {
    (0..n)
        .map(|i| NewContact {
            name: Some(format!("c-{i}")),
            request_id: Some(format!("r-{i}")),
            ..NewContact::default()
        })
        .collect()
}

/// A seed whose plan answers the first request to `route` with `first` and the next `clean` requests normally.
fn plan_where_first_is(route: &str, rates: FaultRates, first: Fault, clean: u64) -> FaultPlan {
    (0..100_000)
        .map(|seed| {
            FaultPlan::none()
                .with_route(route, rates.clone())
                .with_hang(Duration::from_secs(2))
                .seeded_for_test(seed)
        })
        .find(|plan| {
            plan.decide(route, 0).map(|i| i.fault) == Some(first)
                && (1..=clean).all(|n| plan.decide(route, n).is_none())
        })
        .expect("a seed exists")
}

trait Seeded {
    fn seeded_for_test(self, seed: u64) -> Self;
}

impl Seeded for FaultPlan {
    fn seeded_for_test(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

fn names(emulator: &AmoCrmEmulator) -> Vec<String> {
    emulator
        .dump()
        .contacts
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_504_on_a_250_batch_retries_the_halves_and_creates_each_once() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let rates = FaultRates {
        error_504: 0.5,
        ..FaultRates::default()
    };
    emulator.set_faults(plan_where_first_is(ADD_CONTACTS, rates, Fault::Error504, 2));
    let client = fault_client(&emulator, 250);
    let created = client.add_contacts(&contacts(250)).await.unwrap();
    assert_eq!(created.len(), 250);
    assert_eq!(created[0].request_id, "r-0");
    assert_eq!(created[249].request_id, "r-249");
    let stats = emulator.stats();
    assert_eq!(stats.requests(ADD_CONTACTS), 3, "one 504, then two halves");
    assert_eq!(stats.faults[ADD_CONTACTS].error_504, 1);
    let mut all = names(&emulator);
    assert_eq!(all.len(), 250);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 250, "each entity created once");
    let ids: HashSet<_> = created.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 250);
}

#[tokio::test]
async fn a_create_that_times_out_is_ambiguous_and_not_resent() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let rates = FaultRates {
        timeout: 0.5,
        after_processing: 1.0,
        ..FaultRates::default()
    };
    emulator.set_faults(plan_where_first_is(ADD_CONTACTS, rates, Fault::Timeout, 1));
    let client = fault_client(&emulator, 2);
    let error = client.add_contacts(&contacts(4)).await.unwrap_err();
    let CrmError::Ambiguous {
        request_ids,
        written,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(request_ids, &["r-0", "r-1"]);
    assert_eq!(
        written
            .iter()
            .map(|w| w.request_id.as_str())
            .collect::<Vec<_>>(),
        ["r-2", "r-3"]
    );
    assert_eq!(
        emulator.stats().requests(ADD_CONTACTS),
        2,
        "the undecided chunk was not resent"
    );
    assert_eq!(
        emulator.count("contacts"),
        4,
        "the timed-out chunk was processed after all: no duplicates"
    );
}

#[tokio::test]
async fn a_500_on_a_create_is_ambiguous_but_a_500_on_a_read_is_retried() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let rates = FaultRates {
        error_500: 0.5,
        ..FaultRates::default()
    };
    emulator.set_faults(plan_where_first_is(
        ADD_CONTACTS,
        rates.clone(),
        Fault::Error500,
        0,
    ));
    let client = fault_client(&emulator, 50);
    let error = client.add_contacts(&contacts(1)).await.unwrap_err();
    assert_eq!(error.undecided(), ["r-0".to_owned()]);
    assert_eq!(emulator.count("contacts"), 0);

    let list = "GET /api/v4/contacts";
    emulator.set_faults(plan_where_first_is(list, rates, Fault::Error500, 1));
    client
        .list_contacts(&ContactFilter::default(), None)
        .await
        .unwrap();
    assert_eq!(emulator.stats().requests(list), 2);
    assert!(client.stats().retries >= 1);
}

#[tokio::test]
async fn reads_survive_heavy_faults() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = fault_client(&emulator, 50);
    client.add_contacts(&contacts(120)).await.unwrap();
    let mut rates = FaultRates::spread(0.2);
    rates.error_504 = 0.0;
    emulator.set_faults(FaultPlan::uniform(7, rates).with_hang(Duration::from_secs(2)));
    let mut listed = 0;
    for _ in 0..5 {
        let filter = ContactFilter {
            limit: Some(50),
            ..ContactFilter::default()
        };
        listed = client.all_contacts(&filter).await.unwrap().len();
    }
    assert_eq!(listed, 120);
    assert!(emulator.stats().faults_total() > 0);
}

/// Checks the outcome of a faulty 1,000-contact create: exact, or ambiguous with consistent bookkeeping.
async fn check_thousand(
    emulator: &AmoCrmEmulator,
    client: &crmsync_amocrm::AmoCrmClient,
    result: Result<Vec<crmsync_ports::Created<crmsync_domain::crm::ContactId>>, CrmError>,
) {
    let all = names(emulator);
    let stats = emulator.stats();
    eprintln!(
        "{} requests, faults {:?}, {} contacts in the emulator, outcome {}",
        stats.requests(ADD_CONTACTS),
        stats.faults.get(ADD_CONTACTS),
        all.len(),
        result.as_ref().map_or_else(|e| e.kind(), |_| "exact")
    );
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "no contact was created twice");
    match result {
        Ok(created) => {
            assert_eq!(created.len(), 1000);
            assert_eq!(emulator.count("contacts"), 1000);
        }
        Err(CrmError::Ambiguous {
            request_ids,
            written,
        }) => {
            assert!(!request_ids.is_empty());
            let undecided: HashSet<&str> = request_ids.iter().map(String::as_str).collect();
            let written_ids: HashMap<&str, i64> = written
                .iter()
                .map(|w| (w.request_id.as_str(), w.id))
                .collect();
            for i in 0..1000 {
                let rid = format!("r-{i}");
                assert!(
                    written_ids.contains_key(rid.as_str()) ^ undecided.contains(rid.as_str()),
                    "{rid} is either written or undecided"
                );
            }
            for (rid, id) in &written_ids {
                let name = format!("c-{}", &rid[2..]);
                let entity = emulator
                    .entity("contacts", *id)
                    .expect("written contacts exist");
                assert_eq!(entity["name"], name.as_str());
            }
            for name in &all {
                let rid = format!("r-{}", &name[2..]);
                assert!(written_ids.contains_key(rid.as_str()) || undecided.contains(rid.as_str()));
            }
            assert!(all.len() <= 1000 && all.len() >= written.len());
            reconcile(emulator, client, &request_ids).await;
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
}

/// What a job does after `Ambiguous`: look for the undecided entities, create only those that are missing.
async fn reconcile(
    emulator: &AmoCrmEmulator,
    client: &crmsync_amocrm::AmoCrmClient,
    undecided: &[String],
) {
    emulator.set_faults(FaultPlan::none());
    let existing: HashSet<String> = client
        .all_contacts(&ContactFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    let missing: Vec<NewContact> = undecided
        .iter()
        .map(|rid| format!("c-{}", &rid[2..]))
        .filter(|name| !existing.contains(name))
        .map(|name| NewContact {
            name: Some(name),
            ..NewContact::default()
        })
        .collect();
    client.add_contacts(&missing).await.unwrap();
    let all = names(emulator);
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(
        (all.len(), unique.len()),
        (1000, 1000),
        "after reconciling: none missing, none doubled"
    );
}

#[tokio::test]
async fn a_thousand_contacts_under_ten_percent_faults_before_processing() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    emulator.set_faults(
        FaultPlan::uniform(11, FaultRates::spread(0.1)).with_hang(Duration::from_secs(2)),
    );
    let client = fault_client(&emulator, 50);
    let result = client.add_contacts(&contacts(1000)).await;
    assert!(emulator.stats().faults_total() > 0, "faults were injected");
    check_thousand(&emulator, &client, result).await;
}

#[tokio::test]
async fn a_thousand_contacts_under_ten_percent_faults_half_after_processing() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let rates = FaultRates {
        error_500: 0.025,
        error_502: 0.025,
        timeout: 0.025,
        drop: 0.025,
        after_processing: 0.5,
        ..FaultRates::default()
    };
    emulator.set_faults(FaultPlan::uniform(23, rates).with_hang(Duration::from_secs(2)));
    let client = fault_client(&emulator, 50);
    let result = client.add_contacts(&contacts(1000)).await;
    assert!(emulator.stats().faults_total() > 0, "faults were injected");
    check_thousand(&emulator, &client, result).await;
}
