//! Unit tests of the emulated account: retrieval states, replace rules, events, fixture validation.

use crmsync_domain::CaseNumber;

use super::fixture::{CyberJusticeFixture, FixtureCase, FixtureMonitored};
use super::state::{CjState, RetrieveAnswer, SyncRefusal};
use crate::SandboxError;

fn n(text: &str) -> CaseNumber {
    CaseNumber::parse(text).unwrap()
}

fn state(cases: Vec<FixtureCase>, limit: usize) -> CjState {
    CjState::from_fixture(
        CyberJusticeFixture {
            cases,
            monitored: Vec::new(),
        },
        limit,
    )
    .unwrap()
}

#[test]
fn accepted_turns_into_found_after_the_configured_polls() {
    let mut s = state(vec![FixtureCase::new("А40-1/2024").accepted_for(2)], 10);
    let number = n("A40-1/24");
    assert_eq!(s.retrieve(&number, false), RetrieveAnswer::Accepted);
    assert_eq!(s.retrieve(&number, false), RetrieveAnswer::Accepted);
    let RetrieveAnswer::Found(card) = s.retrieve(&number, false) else {
        panic!("third poll should find the case");
    };
    assert_eq!(card["case_number"], "А40-1/2024");
    assert!(matches!(
        s.retrieve(&number, false),
        RetrieveAnswer::Found(_)
    ));
    assert_eq!(s.retrievals.accepted, 2);
    assert_eq!(s.retrievals.found, 2);
}

#[test]
fn force_fetches_again() {
    let mut s = state(vec![FixtureCase::new("А40-1/2024").accepted_for(1)], 10);
    let number = n("А40-1/2024");
    assert_eq!(s.retrieve(&number, false), RetrieveAnswer::Accepted);
    assert!(matches!(
        s.retrieve(&number, false),
        RetrieveAnswer::Found(_)
    ));
    assert_eq!(s.retrieve(&number, true), RetrieveAnswer::Accepted);
}

#[test]
fn unknown_numbers_are_not_found() {
    let mut s = state(vec![FixtureCase::new("А40-1/2024")], 10);
    assert_eq!(
        s.retrieve(&n("А40-2/2024"), false),
        RetrieveAnswer::NotFound
    );
    assert_eq!(s.retrievals.not_found, 1);
}

#[test]
fn replace_needs_cards_respects_the_limit_and_keeps_ids() {
    let cases = (1..=3)
        .map(|i| FixtureCase::new(format!("А40-{i}/2024")))
        .collect();
    let mut s = state(cases, 2);
    let numbers = |list: &[&str]| list.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        s.sync(&numbers(&["А40-1/2024"]), 1_000),
        Err(SyncRefusal::Unknown(vec!["А40-1/2024".into()]))
    );
    for i in 1..=3 {
        let _ = s.retrieve(&n(&format!("А40-{i}/2024")), false);
    }
    assert_eq!(
        s.sync(&numbers(&["А40-1/2024", "А40-2/2024", "А40-3/2024"]), 1_000),
        Err(SyncRefusal::LimitExceeded {
            limit: 2,
            requested: 3
        })
    );
    assert_eq!(
        s.sync(&numbers(&["junk"]), 1_000),
        Err(SyncRefusal::Invalid(vec!["junk".into()]))
    );
    assert_eq!(s.monitored_count(), 0, "refusals change nothing");
    let done = s
        .sync(&numbers(&["А40-1/2024", "A40-1/24", "А40-2/2024"]), 1_000)
        .unwrap();
    assert_eq!((done.added, done.removed, done.kept), (2, 0, 0));
    let first_ids: Vec<i64> = s
        .all_entries()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    let done = s
        .sync(&numbers(&["А40-2/2024", "А40-3/2024"]), 2_000)
        .unwrap();
    assert_eq!((done.added, done.removed, done.kept), (1, 1, 1));
    let entries = s.all_entries();
    assert_eq!(
        entries[0]["id"].as_i64().unwrap(),
        first_ids[1],
        "kept entry keeps its id"
    );
    assert_eq!(s.monitored_numbers(), ["А40-2/2024", "А40-3/2024"]);
    assert_eq!(s.sync(&[], 3_000).unwrap().removed, 2);
}

#[test]
fn events_after_an_id_or_since_a_date_with_paging() {
    let case = FixtureCase::new("А40-1/2024")
        .with_event(100, "Определение", None)
        .with_event(200, "Решение", Some("Резолютивная часть"));
    let mut s = CjState::from_fixture(
        CyberJusticeFixture {
            cases: vec![case],
            monitored: vec![FixtureMonitored {
                case_number: "А40-1/2024".into(),
                added_at: 150,
            }],
        },
        10,
    )
    .unwrap();
    let entry = &s.all_entries()[0];
    let id = entry["id"].as_i64().unwrap();
    assert_eq!(entry["last_event_id"], 2);
    let (all, more) = s.events(id, None, None, 1).unwrap();
    assert_eq!((all.len(), more), (1, true));
    let (after, _) = s.events(id, Some(1), None, 10).unwrap();
    assert_eq!(after[0]["type"], "Решение");
    let (since, _) = s.events(id, None, Some(150_000), 10).unwrap();
    assert_eq!(since.len(), 1);
    let new = s
        .add_event(&n("А40-1/2024"), 300_000, "Определение", None)
        .unwrap();
    assert_eq!(new, 3);
    assert_eq!(s.all_entries()[0]["last_event_id"], 3);
    assert!(s.events(999, None, None, 10).is_none());
    assert!(s.add_event(&n("А40-9/2024"), 1, "x", None).is_none());
}

#[test]
fn fixture_errors_name_the_item() {
    let bad_number = CjState::from_fixture(
        CyberJusticeFixture {
            cases: vec![
                FixtureCase::new("А40-1/2024"),
                FixtureCase::new("05АП-1/2024"),
            ],
            monitored: Vec::new(),
        },
        10,
    );
    assert!(
        matches!(bad_number, Err(SandboxError::Fixture { path, .. }) if path == "cases.1.case_number")
    );
    let not_in_catalogue = CjState::from_fixture(
        CyberJusticeFixture {
            cases: Vec::new(),
            monitored: vec![FixtureMonitored {
                case_number: "А40-1/2024".into(),
                added_at: 0,
            }],
        },
        10,
    );
    assert!(
        matches!(not_in_catalogue, Err(SandboxError::Fixture { path, .. }) if path == "monitored.0.case_number")
    );
}
