//! The processes part of [`OfficeflowJob`]: for each configured category, read its source, plan groups of
//! instances against the stored ones, write each group in one transaction, then move the watermarks.

use std::sync::Arc;

use crmsync_domain::flow::EventIssue;
use crmsync_ports::{FlowSource, FlowStore, Progress};
use futures_util::stream::{self, StreamExt};

use super::{FlowPlanCounts, Listed, namespaced, plan};
use crate::officeflow::fetch;
use crate::officeflow::job::{OfficeflowJob, PartError, mode_label};
use crate::officeflow::part::SyncMode;
use crate::officeflow::report::PartReport;

/// Prefix of the per-category watermarks: `processes:<category>:instances`, `…:tasks`, `…:events`.
pub const MARK_PROCESSES_PREFIX: &str = "processes:";

/// How many issues a report shows as samples.
const SAMPLES: usize = 5;

/// Rows written by one run from which the flow tables' statistics are refreshed at its end: after a first
/// load PostgreSQL still plans with the empty tables' estimates (a 100k-instance load made a trace's task read
/// a parallel scan, 20–70 ms instead of 0.2 ms) until autovacuum gets to analyse them.
const BULK_WRITES: u64 = 10_000;

/// Groups of instances read, planned and written at once, each in its own transaction on its own connection:
/// the database's work on one group overlaps the reads and the planning of the next. Groups are disjoint (an
/// instance and its tasks belong to one), so the order they commit in does not matter, and the watermarks move
/// only after every group has committed.
const GROUPS_IN_FLIGHT: usize = 2;

/// One configured flow category and the source it is read from.
#[derive(Clone)]
pub struct FlowCategory {
    /// The category, as the source lists it (`office`, `outing`, ...).
    pub name: String,
    /// The configured name of its source (`officeflow`, `outing`, ...), for reports.
    pub source_name: String,
    /// Its source.
    pub source: Arc<dyn FlowSource>,
    /// Prefix of the ids read from it (`outing` stores instance `7` as `outing:7`), so that sources whose ids
    /// overlap stay apart; `None` for the platform itself.
    pub namespace: Option<String>,
}

impl std::fmt::Debug for FlowCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowCategory")
            .field("name", &self.name)
            .field("source_name", &self.source_name)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// What the processes part reads and writes.
#[derive(Clone)]
pub struct FlowDeps {
    /// `app_session` and `task_history`.
    pub store: Arc<dyn FlowStore>,
    /// The categories, in run order.
    pub categories: Vec<FlowCategory>,
}

impl FlowDeps {
    /// The same categories, with every write to the store carrying `fence`.
    pub fn fenced(&self, fence: u64) -> Self {
        Self {
            store: self.store.fenced(fence),
            categories: self.categories.clone(),
        }
    }
}

impl std::fmt::Debug for FlowDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowDeps")
            .field("categories", &self.categories)
            .finish_non_exhaustive()
    }
}

fn describe(issue: &EventIssue) -> String {
    match issue {
        EventIssue::UnknownTask { event_id, task_id } => {
            format!("event {event_id} names task {task_id}, which is not listed")
        }
        EventIssue::UnknownInstance {
            event_id,
            instance_id,
        } => format!("event {event_id} names instance {instance_id}, which is not listed"),
        EventIssue::WrongInstance { event_id } => {
            format!("event {event_id} was grouped under another instance")
        }
        EventIssue::Conflict {
            event_id,
            id,
            kept,
            other,
        } => format!("{event_id} says {id} is {other}; kept the earlier account: {kept}"),
        EventIssue::Refused { event_id, reason } => format!("{event_id}: {reason}"),
    }
}

impl OfficeflowJob {
    /// The processes part: every configured category in turn.
    pub(crate) async fn processes(
        &self,
        report: &mut PartReport,
        mode: SyncMode,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<(), PartError> {
        let Some(flows) = self.flows() else {
            report.mode = "-".into();
            report
                .notes
                .push("no flow category is configured: nothing to read".into());
            return Ok(());
        };
        let mut modes = Vec::new();
        let mut counts = FlowPlanCounts::default();
        let mut issues: Vec<EventIssue> = Vec::new();
        let mut total = 0;
        for category in &flows.categories {
            let name = category.name.as_str();
            let key = |what: &str| format!("{MARK_PROCESSES_PREFIX}{name}:{what}");
            let (events_mark, events_since) = self.since(&key("events"), mode).await?;
            let (instances_mark, instances_since) = self.since(&key("instances"), mode).await?;
            let (tasks_mark, tasks_since) = self.since(&key("tasks"), mode).await?;
            modes.push(format!(
                "{name} from {}: {}",
                category.source_name,
                mode_label(instances_since.and(tasks_since).and(events_since))
            ));
            let source = category.source.as_ref();
            progress.message(&format!("reading {name} events"));
            let mut events = fetch::flow_events(source, name, events_since).await?;
            progress.message(&format!("reading {name} instances"));
            let mut instances = fetch::flow_instances(source, name, instances_since).await?;
            progress.message(&format!("reading {name} tasks"));
            let mut tasks = fetch::flow_tasks(source, name, tasks_since).await?;
            if let Some(namespace) = &category.namespace {
                namespaced(namespace, &mut instances, &mut tasks, &mut events);
            }
            report.fetched += (events.len() + instances.len() + tasks.len()) as u64;
            let listed = Listed::new(instances, tasks, events);
            report
                .rejected
                .extend(listed.rejected.iter().map(ToString::to_string));
            report.note_count(
                listed.duplicates,
                &format!("{name} records listed more than once (latest kept)"),
            );
            let touched = listed.touched();
            total += touched.len() as u64;
            progress.set_total(total);
            progress.message(&format!("planning and writing {name} flows"));
            let group = (self.settings().batch_size / 10).max(1);
            let store = flows.store.as_ref();
            let listed = &listed;
            // Owned ids: a closure over borrowed chunks is not general enough for the job's `Send` future.
            let mut groups = stream::iter(touched.chunks(group).map(<[String]>::to_vec))
                .map(|ids| async move {
                    let stored_instances = store.instances(&ids).await?;
                    let stored_tasks = store.tasks_of(&ids).await?;
                    let plan = plan(&ids, stored_instances, stored_tasks, listed);
                    let empty = plan.instances.is_empty() && plan.tasks.is_empty();
                    let writes = if dry_run || empty {
                        0
                    } else {
                        store.write_flows(&plan.instances, &plan.tasks).await?
                    };
                    Ok::<_, PartError>((ids.len(), plan, writes))
                })
                .buffer_unordered(GROUPS_IN_FLIGHT);
            while let Some(done) = groups.next().await {
                let (planned, plan, writes) = done?;
                counts.add(&plan.counts);
                issues.extend(plan.issues);
                report.writes += writes;
                progress.advance(planned as u64);
            }
            if dry_run {
                continue;
            }
            let (instances_seen, tasks_seen, events_seen) = listed.newest();
            self.advance(&key("events"), events_mark, events_seen)
                .await?;
            self.advance(&key("instances"), instances_mark, instances_seen)
                .await?;
            self.advance(&key("tasks"), tasks_mark, tasks_seen).await?;
        }
        if !dry_run && report.writes >= BULK_WRITES {
            flows.store.refresh_statistics().await?;
            report
                .notes
                .push("the flow tables' statistics refreshed after the bulk change".into());
        }
        report.mode = modes.join(", ");
        report.change("instances.added", counts.instances_added as usize);
        report.change("instances.updated", counts.instances_updated as usize);
        report.change("tasks.added", counts.tasks_added as usize);
        report.change("tasks.updated", counts.tasks_updated as usize);
        report.change(
            "tasks.closed_by_events",
            counts.tasks_closed_by_events as usize,
        );
        report.note_count(counts.events_applied, "engine events applied");
        report.note_count(
            counts.orphan_tasks,
            "tasks of instances not listed yet (kept; their events wait)",
        );
        report.note_count(
            issues.len() as u64,
            "events or listings that could not be applied in full",
        );
        for issue in issues.iter().take(SAMPLES) {
            report.notes.push(describe(issue));
        }
        Ok(())
    }
}
