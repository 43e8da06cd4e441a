//! The process-engine listings against the emulator over loopback HTTP: paging every instance, task and event
//! of a category, incremental listings, categories kept apart, retries; and the events, applied to what was
//! listed, leave no open task behind an ended instance or an aborted or reverted node.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crmsync_domain::flow::{EngineEvent, EventKind, Flow, ProcessInstance, TaskRecord, TaskStatus};
use crmsync_officeflow::{OfficeflowClient, OfficeflowConfig};
use crmsync_ports::FlowSource;
use crmsync_sandbox::officeflow::{
    ApiFault, EmulatorConfig, FlowSpec, OfficeflowEmulator, Org, OrgSpec, ScriptedApiFaults,
};
use secrecy::SecretString;

async fn emulator() -> OfficeflowEmulator {
    // The listings are under test here, not the platform's limit: the emulator lets the client's pace through.
    let config = EmulatorConfig {
        rate_limit_per_s: 10_000,
        ..EmulatorConfig::default()
    };
    let emulator = OfficeflowEmulator::start(Org::generate(&OrgSpec::new(200)), config)
        .await
        .unwrap();
    emulator.with_flows(|flows| {
        flows.generate(&FlowSpec::new(400));
        flows.generate(&FlowSpec {
            category: "outing".into(),
            ..FlowSpec::new(60)
        });
    });
    emulator
}

fn client(emulator: &OfficeflowEmulator) -> OfficeflowClient {
    OfficeflowClient::new(OfficeflowConfig {
        rate_limit_per_s: 1_000,
        max_retries: 4,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(40),
        page_size: 97,
        ..OfficeflowConfig::new(
            emulator.base_url(),
            emulator.app_key(),
            SecretString::from(emulator.app_secret()),
        )
    })
    .unwrap()
}

struct Listing {
    instances: Vec<ProcessInstance>,
    tasks: Vec<TaskRecord>,
    events: Vec<EngineEvent>,
}

async fn list(client: &OfficeflowClient, category: &str, since: Option<i64>) -> Listing {
    let mut listing = Listing {
        instances: Vec::new(),
        tasks: Vec::new(),
        events: Vec::new(),
    };
    let mut cursor = None;
    loop {
        let page = client.instances(category, since, cursor).await.unwrap();
        listing.instances.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    loop {
        let page = client.tasks(category, since, cursor).await.unwrap();
        listing.tasks.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    loop {
        let page = client.events(category, since, cursor).await.unwrap();
        listing.events.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    listing
}

#[tokio::test]
async fn every_record_of_a_category_is_listed_once_and_categories_stay_apart() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let office = list(&client, "office", None).await;
    let (instances, tasks, events) = emulator.with_flows(|f| {
        (
            f.instance_count("office"),
            f.task_count("office"),
            f.event_count("office"),
        )
    });
    assert_eq!(office.instances.len(), instances);
    assert_eq!(office.tasks.len(), tasks);
    assert_eq!(office.events.len(), events);
    let ids: BTreeSet<&str> = office.tasks.iter().map(TaskRecord::id).collect();
    assert_eq!(ids.len(), tasks, "no task listed twice");
    assert!(
        office
            .instances
            .iter()
            .all(|i| i.facts.category == "office")
    );

    let outing = list(&client, "outing", None).await;
    assert!(!outing.instances.is_empty());
    assert!(
        outing
            .instances
            .iter()
            .all(|i| ["outing", "escort"].contains(&i.facts.flow_key.as_str()))
    );
    let nothing = list(&client, "library", None).await;
    assert!(nothing.instances.is_empty() && nothing.tasks.is_empty());
}

#[tokio::test]
async fn an_incremental_listing_returns_what_changed_since_the_watermark() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let full = list(&client, "office", None).await;
    let newest_task = full.tasks.iter().map(|t| t.facts.updated_at).max().unwrap();
    let at_watermark = full
        .tasks
        .iter()
        .filter(|t| t.facts.updated_at == newest_task)
        .count();
    let again = list(&client, "office", Some(newest_task)).await;
    assert_eq!(
        again.tasks.len(),
        at_watermark,
        "only the records at the watermark"
    );

    emulator.with_flows(|f| f.advance(3, 1));
    let changed = list(&client, "office", Some(newest_task)).await;
    assert!(changed.tasks.len() > 1);
    assert!(changed.events.iter().all(|e| e.at >= newest_task));
    assert!(
        changed
            .instances
            .iter()
            .all(|i| i.facts.updated_at >= newest_task)
    );
}

#[tokio::test]
async fn applied_events_leave_no_open_task_behind_an_end_an_abort_or_a_revert() {
    let emulator = emulator().await;
    let listing = list(&client(&emulator), "office", None).await;
    let mut tasks: HashMap<String, Vec<TaskRecord>> = HashMap::new();
    for task in listing.tasks {
        tasks
            .entry(task.facts.instance_id.clone())
            .or_default()
            .push(task);
    }
    let mut events: HashMap<String, Vec<EngineEvent>> = HashMap::new();
    for event in listing.events {
        events
            .entry(event.instance_id.clone())
            .or_default()
            .push(event);
    }
    let mut open_before = 0;
    let mut open_after = 0;
    for instance in listing.instances {
        let id = instance.facts.id.clone();
        let own = tasks.remove(&id).unwrap_or_default();
        open_before += own
            .iter()
            .filter(|t| t.status() == TaskStatus::Pending)
            .count();
        let mut flow = Flow::new(instance, own);
        let own_events = events.remove(&id).unwrap_or_default();
        for event in &own_events {
            let applied = flow.apply(event);
            assert!(applied.issues.is_empty(), "{:?}", applied.issues);
        }
        flow.settle_end();
        let open: Vec<&TaskRecord> = flow
            .tasks
            .values()
            .filter(|t| t.status() == TaskStatus::Pending)
            .collect();
        open_after += open.len();
        if flow.instance.status().is_ended() {
            assert!(open.is_empty(), "instance {id} ended with {open:?}");
        }
        for event in &own_events {
            if let EventKind::TaskAborted { node_id, .. }
            | EventKind::TaskReverted { node_id, .. } = &event.kind
            {
                assert!(
                    !open
                        .iter()
                        .any(|t| t.facts.node_id == *node_id && t.facts.created_at <= event.at),
                    "instance {id}: node {node_id} keeps an open task after {}",
                    event.id
                );
            }
        }
    }
    assert!(
        open_after < open_before,
        "events closed what the engine's table left open: {open_before} → {open_after}"
    );
}

#[tokio::test]
async fn transient_failures_of_a_flow_listing_are_retried() {
    let emulator = emulator().await;
    emulator.set_faults(ScriptedApiFaults::new([
        ("flow/task/list", ApiFault::ErrCode(-1)),
        ("flow/event/list", ApiFault::Http(502)),
    ]));
    let client = client(&emulator);
    let listing = list(&client, "office", None).await;
    assert_eq!(
        listing.tasks.len(),
        emulator.with_flows(|f| f.task_count("office"))
    );
}
