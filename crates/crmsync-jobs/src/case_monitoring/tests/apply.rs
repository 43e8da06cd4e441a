//! `run()` with mockall mocks: call order, no mutation in a dry run, tasks and notes never written twice.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use crmsync_domain::crm::{
    CustomFieldValue, CustomFields, EntityRef, FieldId, Lead, LeadId, Note, NoteContent, NoteId,
    PipelineId, StatusId, StatusRef, Task, TaskId, UserId,
};
use crmsync_ports::{
    CaseCard, CaseEvent, Created, CrmError, EventId, EventPage, KeyValueStore, MockCrmClient,
    MockKeyValueStore, MockMonitorApi, MockSetStore, MonitorError, MonitorId, MonitoredCase,
    MonitoredPage, NoProgress, Page, Retrieval, SetStore, SyncOutcome, WrittenRef,
};
use crmsync_store::memory::{MemoryKeyValueStore, MemorySetStore};
use mockall::Sequence;
use mockall::predicate::{always, eq};

use super::super::*;

const FIELD: FieldId = FieldId(9_000_201);
const STAGE: StatusRef = StatusRef::new(PipelineId(8_000_001), StatusId(8_000_013));

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

fn settings() -> JobSettings {
    JobSettings::new(vec![STAGE], FIELD)
}

fn crm_lead(id: i64, value: &str) -> Lead {
    Lead {
        id: LeadId(id),
        name: format!("Lead {id}"),
        price: None,
        pipeline_id: Some(STAGE.pipeline_id),
        status_id: Some(STAGE.status_id),
        responsible_user_id: Some(UserId(100 + id)),
        created_by: None,
        updated_by: None,
        created_at: None,
        updated_at: None,
        closed_at: None,
        loss_reason_id: None,
        is_deleted: false,
        custom_fields: CustomFields(vec![CustomFieldValue::text(FIELD, value)]),
        tags: Vec::new(),
        contacts: Vec::new(),
        companies: Vec::new(),
        account_id: None,
    }
}

fn entry(id: i64, number: &str, last_event: Option<i64>) -> MonitoredCase {
    let added_at = now() - chrono::Duration::days(5);
    MonitoredCase {
        id: MonitorId(id),
        case_number: number.to_owned(),
        case_id: None,
        added_at,
        last_event_id: last_event.map(EventId),
        last_event_at: last_event.map(|_| added_at + chrono::Duration::days(1)),
    }
}

fn card(number: &str) -> Retrieval {
    Retrieval::Found(CaseCard {
        case_id: "g".into(),
        case_number: number.into(),
        court: None,
        judge: None,
        case_type: None,
        started_at: None,
        last_event_id: None,
    })
}

fn event(id: i64) -> CaseEvent {
    CaseEvent {
        id: EventId(id),
        date: now() - chrono::Duration::days(3),
        kind: "Определение".into(),
        description: None,
        document_url: None,
    }
}

fn task(id: i64, lead: i64, text: &str, done: bool) -> Task {
    Task {
        id: TaskId(id),
        text: text.into(),
        entity: Some(EntityRef::lead(LeadId(lead))),
        responsible_user_id: None,
        task_type_id: None,
        complete_till: None,
        is_completed: done,
        duration_s: None,
        result_text: None,
        created_at: None,
        updated_at: None,
    }
}

fn monitored_page(entries: Vec<MonitoredCase>) -> MonitoredPage {
    MonitoredPage {
        total: entries.len() as u64,
        items: entries,
        next_page: None,
        limit: Some(500),
    }
}

fn ports<'a>(
    crm: &'a MockCrmClient,
    monitor: &'a MockMonitorApi,
    sets: &'a dyn SetStore,
    store: &'a dyn KeyValueStore,
) -> Ports<'a> {
    Ports {
        crm,
        monitor,
        sets,
        store,
    }
}

const INVALID_TEXT: &str = "Fix the arbitration case number \"05АП-1/2018\": this is an appellate court proceeding number (like 05АП-3141/2018), not the first-instance case number (like А40-139272/2017)";

#[tokio::test]
async fn a_sync_run_calls_the_ports_in_order() {
    let mut seq = Sequence::new();
    let mut crm = MockCrmClient::new();
    let mut monitor = MockMonitorApi::new();
    let mut sets = MockSetStore::new();
    let mut store = MockKeyValueStore::new();
    let settings = settings();

    crm.expect_list_leads()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| {
            Ok(Page::last(vec![
                crm_lead(1, "А40-1/2024"),
                crm_lead(2, "A40-2/24"),
                crm_lead(3, "05АП-1/2018"),
            ]))
        });
    monitor
        .expect_list_monitored()
        .with(eq(1))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Ok(monitored_page(vec![
                entry(1, "А40-1/2024", None),
                entry(2, "А40-9/2024", None),
            ]))
        });
    sets.expect_members()
        .with(eq(DEFAULT_PENDING_SET))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(Vec::new()));
    sets.expect_members()
        .with(eq(DEFAULT_OVERFLOW_SET))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(Vec::new()));
    store
        .expect_get()
        .with(eq(DEFAULT_STATE_KEY))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(None));
    monitor
        .expect_retrieve()
        .withf(|number, force| number.canonical() == "А40-2/2024" && !force)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(card("А40-2/2024")));
    monitor
        .expect_sync_cases()
        .withf(|numbers| {
            numbers.iter().map(|n| n.canonical()).collect::<Vec<_>>()
                == ["А40-1/2024", "А40-2/2024"]
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Ok(SyncOutcome {
                added: 1,
                removed: 1,
                kept: 1,
                items: vec![entry(1, "А40-1/2024", None), entry(3, "А40-2/2024", None)],
                limit: Some(500),
            })
        });
    crm.expect_list_tasks()
        .withf(|filter, _| filter.entity_ids == [3] && filter.is_completed == Some(false))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(Page::empty()));
    crm.expect_add_tasks()
        .withf(|tasks| {
            tasks.len() == 1
                && tasks[0].text == INVALID_TEXT
                && tasks[0].entity == Some(EntityRef::lead(3))
                && tasks[0].responsible_user_id == Some(UserId(103))
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Ok(vec![Created {
                request_id: "task-0".into(),
                id: TaskId(500),
            }])
        });
    store
        .expect_compare_and_swap()
        .withf(|key, expected, value, _| {
            key == DEFAULT_STATE_KEY && expected.is_none() && value.contains("\"task_id\":500")
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(true));
    store
        .expect_compare_and_swap()
        .withf(|_, expected, value, _| expected.is_some() && value.contains("event_cursors"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(true));
    sets.expect_len()
        .times(2)
        .in_sequence(&mut seq)
        .returning(|_| Ok(0));

    let outcome = run(
        ports(&crm, &monitor, &sets, &store),
        &settings,
        RunMode::Sync,
        now(),
        &NoProgress,
    )
    .await
    .unwrap();
    let report = outcome.report;
    assert_eq!(
        (report.leads, report.valid_cases, report.invalid_numbers),
        (3, 2, 1)
    );
    assert_eq!(
        (report.removed, report.kept, report.retrieved.found),
        (1, 1, 1)
    );
    assert_eq!((report.monitored, report.tasks_created), (2, 1));
    assert!(report.synced);
    assert_eq!(report.errors, 0);
}

#[tokio::test]
async fn a_dry_run_reads_everything_and_writes_nothing() {
    let mut crm = MockCrmClient::new();
    let mut monitor = MockMonitorApi::new();
    let mut sets = MockSetStore::new();
    let mut store = MockKeyValueStore::new();
    crm.expect_list_leads().returning(|_, _| {
        Ok(Page::last(vec![
            crm_lead(1, "А40-1/2024"),
            crm_lead(2, "А40-2/2024"),
            crm_lead(3, "garbage"),
        ]))
    });
    monitor.expect_list_monitored().returning(|_| {
        Ok(monitored_page(vec![
            entry(1, "А40-1/2024", Some(7)),
            entry(2, "А40-9/2024", None),
        ]))
    });
    monitor.expect_case_events().returning(|_, _, _| {
        Ok(EventPage {
            items: vec![event(7)],
            has_more: false,
        })
    });
    sets.expect_members().returning(|_| Ok(Vec::new()));
    store.expect_get().returning(|_| Ok(None));
    monitor.expect_retrieve().never();
    monitor.expect_sync_cases().never();
    monitor.expect_delete_monitored().never();
    crm.expect_add_tasks().never();
    crm.expect_add_notes().never();
    crm.expect_update_leads().never();
    sets.expect_add().never();
    sets.expect_remove().never();
    sets.expect_clear().never();
    store.expect_put().never();
    store.expect_compare_and_swap().never();
    store.expect_delete().never();

    let outcome = run(
        ports(&crm, &monitor, &sets, &store),
        &settings(),
        RunMode::DryRun,
        now(),
        &NoProgress,
    )
    .await
    .unwrap();
    let report = &outcome.report;
    assert_eq!(report.mode, RunMode::DryRun);
    assert_eq!(
        (report.removed, report.kept, report.planned_retrievals),
        (1, 1, 1)
    );
    assert_eq!((report.tasks_created, report.notes_added), (1, 1));
    assert!(report.synced);
    assert_eq!(report.retrieved.total(), 0);
    assert!(outcome.plan.is_some());
}

/// Real in-memory sets and state, mock CRM and service: for multi-run scenarios.
struct World {
    sets: MemorySetStore,
    store: MemoryKeyValueStore,
}

impl World {
    fn new() -> Self {
        Self {
            sets: MemorySetStore::new(),
            store: MemoryKeyValueStore::new(),
        }
    }

    async fn run(
        &self,
        crm: &MockCrmClient,
        monitor: &MockMonitorApi,
    ) -> Result<Outcome, CaseMonitoringError> {
        run(
            ports(crm, monitor, &self.sets, &self.store),
            &settings(),
            RunMode::Sync,
            now(),
            &NoProgress,
        )
        .await
    }
}

/// A service monitoring exactly `numbers`, with no events; syncs are not expected.
fn steady_monitor(numbers: &[&str]) -> MockMonitorApi {
    let entries: Vec<MonitoredCase> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| entry(i as i64 + 1, n, None))
        .collect();
    let mut monitor = MockMonitorApi::new();
    monitor
        .expect_list_monitored()
        .returning(move |_| Ok(monitored_page(entries.clone())));
    monitor.expect_sync_cases().never();
    monitor.expect_retrieve().never();
    monitor
}

/// A CRM whose leads are `leads` and whose tasks are whatever `tasks` holds; created tasks are added to it.
fn task_crm(leads: Vec<Lead>, tasks: Arc<Mutex<Vec<Task>>>, creates: usize) -> MockCrmClient {
    task_crm_counting(leads, tasks, creates, Arc::default())
}

/// [`task_crm`] that also counts the searches for open tasks by lead.
fn task_crm_counting(
    leads: Vec<Lead>,
    tasks: Arc<Mutex<Vec<Task>>>,
    creates: usize,
    searches: Arc<Mutex<u32>>,
) -> MockCrmClient {
    let mut crm = MockCrmClient::new();
    crm.expect_list_leads()
        .returning(move |_, _| Ok(Page::last(leads.clone())));
    let listed = Arc::clone(&tasks);
    crm.expect_list_tasks().returning(move |filter, _| {
        if !filter.entity_ids.is_empty() {
            *searches.lock().unwrap() += 1;
        }
        let tasks = listed.lock().unwrap();
        let matching = tasks
            .iter()
            .filter(|t| {
                let by_id = filter.ids.is_empty() || filter.ids.contains(&t.id);
                let by_lead = filter.entity_ids.is_empty()
                    || t.entity.is_some_and(|e| filter.entity_ids.contains(&e.id));
                let by_state = filter
                    .is_completed
                    .is_none_or(|done| done == t.is_completed);
                by_id && by_lead && by_state
            })
            .cloned()
            .collect();
        Ok(Page::last(matching))
    });
    let created = Arc::clone(&tasks);
    crm.expect_add_tasks().times(creates).returning(move |new| {
        let mut tasks = created.lock().unwrap();
        let mut out = Vec::new();
        for (i, t) in new.iter().enumerate() {
            let id = 700 + tasks.len() as i64;
            tasks.push(task(id, t.entity.map_or(0, |e| e.id), &t.text, false));
            out.push(Created {
                request_id: t.request_id.clone().unwrap_or_else(|| i.to_string()),
                id: TaskId(id),
            });
        }
        Ok(out)
    });
    crm
}

#[tokio::test]
async fn the_fix_task_is_not_created_again_on_the_second_run() {
    let world = World::new();
    let tasks = Arc::new(Mutex::new(Vec::new()));
    let searches = Arc::new(Mutex::new(0));
    let crm = task_crm_counting(
        vec![crm_lead(3, "05АП-1/2018")],
        Arc::clone(&tasks),
        1,
        Arc::clone(&searches),
    );
    let monitor = steady_monitor(&[]);
    let first = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(first.report.tasks_created, 1);
    let second = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(second.report.tasks_created, 0);
    assert_eq!(tasks.lock().unwrap().len(), 1);
    assert_eq!(
        *searches.lock().unwrap(),
        1,
        "the second run knows its task from memory and does not search the lead's tasks"
    );
}

#[tokio::test]
async fn a_completed_task_with_the_value_still_invalid_is_created_again() {
    let world = World::new();
    let tasks = Arc::new(Mutex::new(Vec::new()));
    let crm = task_crm(vec![crm_lead(3, "05АП-1/2018")], Arc::clone(&tasks), 2);
    let monitor = steady_monitor(&[]);
    world.run(&crm, &monitor).await.unwrap();
    tasks.lock().unwrap()[0].is_completed = true;
    let second = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(second.report.tasks_created, 1);
    let third = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(third.report.tasks_created, 0);
}

#[tokio::test]
async fn a_task_whose_create_answer_was_lost_is_adopted_not_duplicated() {
    let world = World::new();
    let tasks = Arc::new(Mutex::new(Vec::new()));
    let mut crm = MockCrmClient::new();
    crm.expect_list_leads()
        .returning(|_, _| Ok(Page::last(vec![crm_lead(3, "05АП-1/2018")])));
    let listed = Arc::clone(&tasks);
    crm.expect_list_tasks()
        .returning(move |_, _| Ok(Page::last(listed.lock().unwrap().clone())));
    let created = Arc::clone(&tasks);
    crm.expect_add_tasks().times(1).returning(move |new| {
        created
            .lock()
            .unwrap()
            .push(task(900, 3, &new[0].text, false));
        Err(CrmError::Ambiguous {
            request_ids: vec!["task-0".into()],
            written: Vec::new(),
        })
    });
    let monitor = steady_monitor(&[]);
    let first = world.run(&crm, &monitor).await.unwrap_err();
    assert_eq!(first.report().unwrap().errors, 1);
    let second = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(second.report.tasks_created, 0);
    let third = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(third.report.tasks_created, 0);
}

fn note_crm(
    leads: Vec<Lead>,
    notes: Arc<Mutex<Vec<Note>>>,
    lose_first_answer: bool,
) -> MockCrmClient {
    let mut crm = MockCrmClient::new();
    crm.expect_list_leads()
        .returning(move |_, _| Ok(Page::last(leads.clone())));
    let listed = Arc::clone(&notes);
    crm.expect_list_notes().returning(move |filter, _| {
        let notes = listed.lock().unwrap();
        Ok(Page::last(
            notes
                .iter()
                .filter(|n| filter.entity_ids.contains(&n.entity.id))
                .cloned()
                .collect(),
        ))
    });
    let written = Arc::clone(&notes);
    let calls = Arc::new(Mutex::new(0));
    crm.expect_add_notes().returning(move |new| {
        let mut notes = written.lock().unwrap();
        let mut call = calls.lock().unwrap();
        *call += 1;
        let mut created = Vec::new();
        for (i, n) in new.iter().enumerate() {
            // The first call writes only its first note and loses the answer.
            if lose_first_answer && *call == 1 && i > 0 {
                break;
            }
            let id = 5000 + notes.len() as i64;
            notes.push(Note {
                id: NoteId(id),
                entity: n.entity,
                content: n.content.clone(),
                created_by: None,
                created_at: None,
                updated_at: None,
            });
            created.push(Created {
                request_id: n.request_id.clone().unwrap_or_default(),
                id: NoteId(id),
            });
        }
        if lose_first_answer && *call == 1 {
            return Err(CrmError::Ambiguous {
                request_ids: new.iter().filter_map(|n| n.request_id.clone()).collect(),
                written: Vec::<WrittenRef>::new(),
            });
        }
        Ok(created)
    });
    crm
}

fn events_monitor(last_event: i64) -> MockMonitorApi {
    let mut monitor = MockMonitorApi::new();
    monitor.expect_list_monitored().returning(move |_| {
        Ok(monitored_page(vec![entry(
            1,
            "А40-1/2024",
            Some(last_event),
        )]))
    });
    monitor.expect_case_events().returning(|_, since, _| {
        let all = [event(11), event(12)];
        let items = all
            .into_iter()
            .filter(|e| match since {
                crmsync_ports::EventsSince::After(after) => e.id > after,
                crmsync_ports::EventsSince::Date(_) => true,
            })
            .collect();
        Ok(EventPage {
            items,
            has_more: false,
        })
    });
    monitor.expect_sync_cases().never();
    monitor
}

#[tokio::test]
async fn events_become_one_note_per_lead_and_are_not_repeated() {
    let world = World::new();
    let notes = Arc::new(Mutex::new(Vec::new()));
    let crm = note_crm(
        vec![crm_lead(1, "А40-1/2024"), crm_lead(2, "A40-1/24")],
        Arc::clone(&notes),
        false,
    );
    let monitor = events_monitor(12);
    let first = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(first.report.notes_added, 2);
    let second = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(second.report.notes_added, 0);
    let notes = notes.lock().unwrap();
    assert_eq!(notes.len(), 2);
    let text = notes[0].content.text().unwrap();
    assert!(text.ends_with("[events 11–12]"), "{text}");
    assert_eq!(
        notes.iter().map(|n| n.entity.id).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(matches!(notes[1].content, NoteContent::Common { .. }));
}

#[tokio::test]
async fn a_lost_note_answer_does_not_write_the_note_twice() {
    let world = World::new();
    let notes = Arc::new(Mutex::new(Vec::new()));
    let crm = note_crm(
        vec![crm_lead(1, "А40-1/2024"), crm_lead(2, "А40-1/2024")],
        Arc::clone(&notes),
        true,
    );
    let monitor = events_monitor(12);
    let first = world.run(&crm, &monitor).await.unwrap_err();
    assert_eq!(first.report().unwrap().notes_added, 0);
    assert_eq!(
        notes.lock().unwrap().len(),
        1,
        "lead 1 got its note, the answer was lost"
    );
    let second = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(second.report.notes_added, 1, "only lead 2 still needs it");
    let third = world.run(&crm, &monitor).await.unwrap();
    assert_eq!(third.report.notes_added, 0);
    let leads: Vec<i64> = notes.lock().unwrap().iter().map(|n| n.entity.id).collect();
    assert_eq!(leads, [1, 2]);
}

#[tokio::test]
async fn a_service_outage_stops_retrieving_but_keeps_what_was_found() {
    let world = World::new();
    let crm = task_crm(
        vec![
            crm_lead(1, "А40-1/2024"),
            crm_lead(2, "А40-2/2024"),
            crm_lead(3, "А40-3/2024"),
        ],
        Arc::new(Mutex::new(Vec::new())),
        0,
    );
    let mut monitor = MockMonitorApi::new();
    monitor
        .expect_list_monitored()
        .returning(|_| Ok(monitored_page(Vec::new())));
    monitor
        .expect_retrieve()
        .withf(|n, _| n.canonical() == "А40-1/2024")
        .times(1)
        .returning(|_, _| Ok(card("А40-1/2024")));
    monitor
        .expect_retrieve()
        .withf(|n, _| n.canonical() == "А40-2/2024")
        .times(1)
        .returning(|_, _| {
            Err(MonitorError::Server {
                status: 503,
                detail: "down".into(),
            })
        });
    monitor
        .expect_sync_cases()
        .withf(|numbers| numbers.len() == 1)
        .times(1)
        .returning(|_| {
            Ok(SyncOutcome {
                added: 1,
                removed: 0,
                kept: 0,
                items: vec![entry(1, "А40-1/2024", None)],
                limit: Some(500),
            })
        });
    let error = world.run(&crm, &monitor).await.unwrap_err();
    let report = error.report().unwrap();
    assert_eq!(
        (report.retrieved.found, report.monitored, report.errors),
        (1, 1, 1)
    );
    assert!(report.error_messages[0].contains("А40-2/2024"));
    assert!(
        world
            .sets
            .members(DEFAULT_OVERFLOW_SET)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn clear_deletes_every_entry_and_empties_both_sets() {
    let world = World::new();
    world
        .sets
        .add(DEFAULT_PENDING_SET, &["А40-5/2024".to_owned()])
        .await
        .unwrap();
    world
        .sets
        .add(DEFAULT_OVERFLOW_SET, &["А40-6/2024".to_owned()])
        .await
        .unwrap();
    let crm = MockCrmClient::new();
    let mut monitor = MockMonitorApi::new();
    let listed = Arc::new(Mutex::new(vec![
        entry(1, "А40-1/2024", None),
        entry(2, "А40-2/2024", None),
    ]));
    let list = Arc::clone(&listed);
    monitor
        .expect_list_monitored()
        .returning(move |_| Ok(monitored_page(list.lock().unwrap().clone())));
    let deleted = Arc::clone(&listed);
    monitor
        .expect_delete_monitored()
        .with(always())
        .times(2)
        .returning(move |id| {
            deleted.lock().unwrap().retain(|e| e.id != id);
            Ok(true)
        });
    let outcome = run(
        ports(&crm, &monitor, &world.sets, &world.store),
        &settings(),
        RunMode::Clear,
        now(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!((outcome.report.removed, outcome.report.monitored), (2, 0));
    assert_eq!(world.sets.len(DEFAULT_PENDING_SET).await.unwrap(), 0);
    assert_eq!(world.sets.len(DEFAULT_OVERFLOW_SET).await.unwrap(), 0);
}
