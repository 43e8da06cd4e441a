//! The update step's decisions: which cases to fetch events for, first-sight baselines, note text, reconcile.

use std::collections::BTreeMap;

use chrono::TimeZone;
use crmsync_ports::{CaseEvent, EventId, EventsSince};

use super::super::events::{baselines, fetches, note_text};
use super::super::*;
use super::support::*;

#[test]
fn only_cases_with_unseen_events_are_fetched() {
    let monitored = vec![
        entry_with_events(1, &case(1), 10, 1), // cursor 10: nothing new
        entry_with_events(2, &case(2), 25, 1), // cursor 20: new events
        entry_with_events(3, &case(3), 30, 2), // first sight, events after monitoring started
        entry_with_events(4, &case(4), 40, -3), // first sight, only history
        entry(5, &case(5)),                    // no events at all
    ];
    let cursors: BTreeMap<String, i64> = [(case(1), 10), (case(2), 20)].into_iter().collect();
    let wanted: Vec<(i64, EventsSince)> = fetches(&monitored, &cursors)
        .into_iter()
        .map(|f| (f.id.0, f.since))
        .collect();
    assert_eq!(
        wanted,
        [
            (2, EventsSince::After(EventId(20))),
            (3, EventsSince::Date(monitored[2].added_at)),
        ]
    );
    let base = baselines(&monitored, &cursors);
    assert_eq!(base, [(case(4), 40), (case(5), 0)]);
}

#[test]
fn note_text_lists_the_events_and_their_ids() {
    let date = chrono::Utc
        .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
        .unwrap();
    let events: Vec<CaseEvent> = (1..=22)
        .map(|i| CaseEvent {
            id: EventId(100 + i),
            date,
            kind: "Определение".into(),
            description: (i == 1).then(|| "Об отложении".to_owned()),
            document_url: None,
        })
        .collect();
    let text = note_text(&number(&case(1)), &events);
    assert!(
        text.starts_with("CyberJustice: new events in case А40-1/2024"),
        "{text}"
    );
    assert!(
        text.contains("20.11.2026 — Определение: Об отложении"),
        "{text}"
    );
    assert!(text.contains("… and 2 more"), "{text}");
    assert!(text.ends_with("[events 101–122]"), "{text}");
}

#[test]
fn reconcile_adopts_open_tasks_with_the_same_text() {
    let intent = |lead_id| TaskIntent {
        lead_id,
        responsible_user_id: None,
        reason: TaskReason::InvalidNumber,
        value: "x".into(),
        detail: "bad".into(),
    };
    let existing = vec![
        ExistingTask {
            task_id: 5,
            lead_id: 1,
            text: "fix x".into(),
        },
        ExistingTask {
            task_id: 6,
            lead_id: 2,
            text: "something else".into(),
        },
    ];
    let (create, adopt) = reconcile(vec![intent(1), intent(2)], &existing, |i| {
        format!("fix {}", i.value)
    });
    assert_eq!(create.iter().map(|i| i.lead_id).collect::<Vec<_>>(), [2]);
    assert_eq!(
        adopt
            .iter()
            .map(|(i, id)| (i.lead_id, *id))
            .collect::<Vec<_>>(),
        [(1, 5)]
    );
}
