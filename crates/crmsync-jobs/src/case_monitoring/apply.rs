//! `run()`: reads the inputs, plans, and executes the plan through the ports (or only reports it, in a dry run).
//!
//! A sync run, in call order: leads (CRM, paged) → monitored list (paged) → pending and overflow sets →
//! remembered state → which remembered tasks are still open → [`plan`] → retrievals in admission order →
//! pending-set changes → `syncCases` (only when the final set differs) → set changes that wait for the sync →
//! overflow-set changes → tasks (after looking for open ones with the same text) → state → new events →
//! the notes already on the leads → notes → state.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use crmsync_domain::CaseNumber;
use crmsync_domain::crm::{EntityKind, EntityRef, LeadId, NewNote, NewTask, UserId};
use crmsync_ports::{
    CaseEvent, CrmClient, CrmClientExt, KeyValueStore, MonitorApi, MonitorApiExt, MonitorError,
    MonitoredCase, NoteFilter, Progress, Retrieval, SetStore, TaskFilter, TimeRange,
};
use serde::Serialize;

use super::admission::{Admission, RetrieveOutcome, Settlement, simulate};
use super::error::CaseMonitoringError;
use super::events::{self, covered_up_to, note_text};
use super::input::{JobState, PlanInput, RememberedTask, TaskReason};
use super::plan::{ClearPlan, Plan, plan, plan_clear};
use super::read::{self, StoredState};
use super::report::{Report, RunMode};
use super::settings::{JobSettings, TaskSettings};
use super::tasks::{ExistingTask, TaskIntent, reconcile};

/// Leads whose notes are read per request when checking what was already written.
const LEADS_PER_NOTE_READ: usize = 100;

/// The ports a run works through.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    /// The CRM (leads, tasks, notes).
    pub crm: &'a dyn CrmClient,
    /// The monitoring service.
    pub monitor: &'a dyn MonitorApi,
    /// The pending and overflow sets.
    pub sets: &'a dyn SetStore,
    /// Where the remembered state lives.
    pub store: &'a dyn KeyValueStore,
}

impl std::fmt::Debug for Ports<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

/// What a run did, with what it decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The counts.
    pub report: Report,
    /// The plan of a sync or dry run.
    pub plan: Option<Plan>,
    /// The admission result of a sync run, or its projection (every retrieval `found`) in a dry run.
    pub settlement: Option<Settlement>,
    /// The plan of a clear run.
    pub clear: Option<ClearPlan>,
}

/// Runs case monitoring in `mode`. `now` dates the tasks. A run whose steps partly failed ends with
/// [`CaseMonitoringError::Incomplete`] carrying its report; a dry run never writes anything.
pub async fn run(
    ports: Ports<'_>,
    settings: &JobSettings,
    mode: RunMode,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<Outcome, CaseMonitoringError> {
    let outcome = match mode {
        RunMode::Sync => sync(ports, settings, now, progress).await?,
        RunMode::DryRun => dry_run(ports, settings, now).await?,
        RunMode::Clear => clear(ports, settings, progress).await?,
    };
    if outcome.report.errors > 0 {
        return Err(CaseMonitoringError::Incomplete {
            report: Box::new(outcome.report),
        });
    }
    Ok(outcome)
}

/// Plans `--clear` without writing anything: what would be deleted and emptied.
pub async fn dry_run_clear(
    ports: Ports<'_>,
    settings: &JobSettings,
) -> Result<Outcome, CaseMonitoringError> {
    let (monitored, _) = ports.monitor.all_monitored().await?;
    let pending = ports.sets.len(&settings.pending_set).await?;
    let overflow = ports.sets.len(&settings.overflow_set).await?;
    let clear = plan_clear(&monitored, to_usize(pending), to_usize(overflow));
    let report = Report {
        mode: RunMode::DryRun,
        removed: clear.deletes.len() as u64,
        monitored: 0,
        ..Report::default()
    };
    Ok(Outcome {
        report,
        plan: None,
        settlement: None,
        clear: Some(clear),
    })
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// What every sync or dry run reads first.
struct Inputs {
    plan: Plan,
    monitored: Vec<MonitoredCase>,
    stored: StoredState,
    leads: u64,
}

async fn read_and_plan(
    ports: Ports<'_>,
    settings: &JobSettings,
    now: DateTime<Utc>,
) -> Result<Inputs, CaseMonitoringError> {
    let leads = read::leads(ports.crm, settings).await?;
    let (monitored, service_limit) = ports.monitor.all_monitored().await?;
    let limit = service_limit.map_or(settings.limit, |l| settings.limit.min(to_usize(l.into())));
    let pending = ports.sets.members(&settings.pending_set).await?;
    let overflow = ports.sets.members(&settings.overflow_set).await?;
    let stored = read::load_state(ports.store, &settings.state_key).await?;
    let open_tasks = read::open_tasks(ports.crm, &stored.state.task_ids()).await?;
    let lead_count = leads.len() as u64;
    let plan = plan(PlanInput {
        leads,
        monitored: monitored.clone(),
        pending,
        overflow,
        limit,
        state: stored.state.clone(),
        open_tasks,
        now,
        options: settings.plan.clone(),
    });
    tracing::info!(
        leads = lead_count,
        cases = plan.cases.len(),
        monitored = monitored.len(),
        limit,
        "case monitoring planned"
    );
    Ok(Inputs {
        plan,
        monitored,
        stored,
        leads: lead_count,
    })
}

fn base_report(mode: RunMode, leads: u64, plan: &Plan) -> Report {
    Report {
        mode,
        leads,
        valid_cases: plan.cases.len() as u64,
        invalid_numbers: plan.invalid.len() as u64,
        duplicate_leads: plan.duplicate_leads as u64,
        kept: plan.kept.len() as u64,
        planned_retrievals: plan.planned_retrievals() as u64,
        ..Report::default()
    }
}

async fn dry_run(
    ports: Ports<'_>,
    settings: &JobSettings,
    now: DateTime<Utc>,
) -> Result<Outcome, CaseMonitoringError> {
    let Inputs {
        plan,
        monitored,
        leads,
        ..
    } = read_and_plan(ports, settings, now).await?;
    let projection = simulate(plan.clone(), |_| RetrieveOutcome::Found);
    let mut report = base_report(RunMode::DryRun, leads, &plan);
    report.removed = plan.removals.len() as u64;
    report.overflowed = projection.overflow_add.len() as u64;
    report.admitted_from_overflow = projection.admitted_from_overflow.len() as u64;
    report.monitored = projection.final_set.len() as u64;
    report.synced = projection.sync_needed;
    report.tasks_created = plan.fix_tasks.len() as u64;
    report.pending = 0;
    report.overflow = (plan.overflow_queue.len() - projection.admitted_from_overflow.len()
        + projection.overflow_add.len()) as u64;
    if settings.notes {
        let wanted = fetch_events(ports.monitor, &monitored, &plan, &mut report).await;
        report.notes_added = wanted
            .iter()
            .map(|(case, _)| plan.leads_of.get(case).map_or(0, Vec::len) as u64)
            .sum();
    }
    Ok(Outcome {
        report,
        plan: Some(plan),
        settlement: Some(projection),
        clear: None,
    })
}

async fn sync(
    ports: Ports<'_>,
    settings: &JobSettings,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<Outcome, CaseMonitoringError> {
    let Inputs {
        plan,
        monitored,
        mut stored,
        leads,
    } = read_and_plan(ports, settings, now).await?;
    let mut report = base_report(RunMode::Sync, leads, &plan);

    let settlement = admit(ports.monitor, &plan, progress, &mut report).await;
    report.retrieved.found = settlement.found.len() as u64;
    report.retrieved.accepted = settlement.accepted.len() as u64;
    report.retrieved.not_found = settlement.not_found.len() as u64;

    let sets = ports.sets;
    remove(sets, &settings.pending_set, &settlement.pending_remove).await?;
    add(sets, &settings.pending_set, &settlement.pending_add).await?;

    let mut monitored_now = monitored;
    if settlement.sync_needed {
        match ports.monitor.sync_cases(&settlement.final_set).await {
            Ok(outcome) => {
                tracing::info!(
                    added = outcome.added,
                    removed = outcome.removed,
                    kept = outcome.kept,
                    "syncCases done"
                );
                monitored_now = outcome.items;
                report.synced = true;
                report.removed = plan.removals.len() as u64;
                report.admitted_from_overflow = settlement.admitted_from_overflow.len() as u64;
                remove(
                    sets,
                    &settings.pending_set,
                    &settlement.pending_remove_after_sync,
                )
                .await?;
                remove(
                    sets,
                    &settings.overflow_set,
                    &settlement.overflow_remove_after_sync,
                )
                .await?;
            }
            Err(error) => report.error(format!("syncCases: {error}")),
        }
    }
    remove(sets, &settings.overflow_set, &settlement.overflow_remove).await?;
    let overflowed = add(sets, &settings.overflow_set, &settlement.overflow_add).await?;
    report.overflowed = overflowed;
    report.monitored = monitored_now.len() as u64;

    let mut state = settlement.state.clone();
    let intents: Vec<TaskIntent> = plan
        .fix_tasks
        .iter()
        .chain(&settlement.not_found_tasks)
        .cloned()
        .collect();
    report.tasks_created = create_tasks(
        ports.crm,
        &settings.tasks,
        intents,
        now,
        &mut state,
        &mut report,
    )
    .await;
    read::save_state(ports.store, &settings.state_key, &mut stored, &state).await?;

    if settings.notes {
        report.notes_added =
            copy_events(ports, &monitored_now, &plan, &mut state, &mut report).await;
        read::save_state(ports.store, &settings.state_key, &mut stored, &state).await?;
    }
    report.pending = sets.len(&settings.pending_set).await?;
    report.overflow = sets.len(&settings.overflow_set).await?;
    Ok(Outcome {
        report,
        plan: Some(plan),
        settlement: Some(settlement),
        clear: None,
    })
}

/// Retrieves cases in admission order; stops at an error that will not go away by itself.
async fn admit(
    monitor: &dyn MonitorApi,
    plan: &Plan,
    progress: &dyn Progress,
    report: &mut Report,
) -> Settlement {
    let mut total = plan.planned_retrievals() as u64;
    let mut done = 0;
    progress.set_total(total);
    progress.message("retrieving cases");
    let mut admission = Admission::new(plan.clone());
    while let Some((number, _source)) = admission.next_case() {
        if done >= total {
            // Cases answered `accepted` or `not_found` leave their room to the next ones.
            total = done + 1;
            progress.set_total(total);
        }
        done += 1;
        match monitor.retrieve(&number, false).await {
            Ok(answer) => {
                admission.record(match answer {
                    Retrieval::Found(_) => RetrieveOutcome::Found,
                    Retrieval::Accepted { .. } => RetrieveOutcome::Accepted,
                    Retrieval::NotFound => RetrieveOutcome::NotFound,
                });
                progress.advance(1);
            }
            Err(error) if stops_admission(&error) => {
                report.error(format!("retrieve {number}: {error}"));
                admission.abort(error.to_string());
            }
            Err(error) => {
                report.error(format!("retrieve {number}: {error}"));
                admission.skip();
            }
        }
    }
    admission.finish()
}

/// Errors after which no further retrieval can succeed in this run.
fn stops_admission(error: &MonitorError) -> bool {
    error.is_transient()
        || matches!(
            error,
            MonitorError::Unauthorized { .. } | MonitorError::Forbidden { .. }
        )
}

async fn add(
    sets: &dyn SetStore,
    set: &str,
    members: &[CaseNumber],
) -> Result<u64, CaseMonitoringError> {
    if members.is_empty() {
        return Ok(0);
    }
    let members: Vec<String> = members.iter().map(CaseNumber::canonical).collect();
    Ok(sets.add(set, &members).await?)
}

async fn remove(
    sets: &dyn SetStore,
    set: &str,
    members: &[String],
) -> Result<(), CaseMonitoringError> {
    if !members.is_empty() {
        sets.remove(set, members).await?;
    }
    Ok(())
}

fn task_text(settings: &TaskSettings, intent: &TaskIntent) -> String {
    let template = match intent.reason {
        TaskReason::InvalidNumber => &settings.invalid_number_text,
        TaskReason::NotFound => &settings.not_found_text,
    };
    TaskSettings::render(template, &intent.value, &intent.detail)
}

/// Creates the tasks of `intents` that no open task with the same text answers yet, and remembers every task.
async fn create_tasks(
    crm: &dyn CrmClient,
    settings: &TaskSettings,
    intents: Vec<TaskIntent>,
    now: DateTime<Utc>,
    state: &mut JobState,
    report: &mut Report,
) -> u64 {
    if intents.is_empty() {
        return 0;
    }
    let lead_ids: BTreeSet<i64> = intents.iter().map(|i| i.lead_id).collect();
    let existing = match crm
        .all_tasks(&TaskFilter::open_for(EntityKind::Leads, lead_ids))
        .await
    {
        Ok(tasks) => tasks
            .into_iter()
            .filter_map(|task| {
                let entity = task.entity?;
                (entity.kind == EntityKind::Leads).then_some(ExistingTask {
                    task_id: task.id.0,
                    lead_id: entity.id,
                    text: task.text,
                })
            })
            .collect::<Vec<_>>(),
        Err(error) => {
            report.error(format!("reading open tasks: {error}"));
            return 0;
        }
    };
    let (create, adopt) = reconcile(intents, &existing, |i| task_text(settings, i));
    for (intent, task_id) in adopt {
        state.remember(remembered(&intent, task_id));
    }
    if create.is_empty() {
        return 0;
    }
    let due =
        now + chrono::Duration::from_std(settings.due_in).unwrap_or(chrono::Duration::days(1));
    let tasks: Vec<NewTask> = create
        .iter()
        .enumerate()
        .map(|(i, intent)| NewTask {
            responsible_user_id: intent.responsible_user_id.map(UserId),
            task_type_id: settings.task_type_id,
            request_id: Some(format!("task-{i}")),
            ..NewTask::about(
                EntityRef::lead(LeadId(intent.lead_id)),
                task_text(settings, intent),
                due,
            )
        })
        .collect();
    let (written, failure) = match crm.add_tasks(&tasks).await {
        Ok(created) => (
            created
                .into_iter()
                .map(|c| (c.request_id, c.id.0))
                .collect::<Vec<_>>(),
            None,
        ),
        Err(error) => (
            error
                .written()
                .iter()
                .map(|w| (w.request_id.clone(), w.id))
                .collect(),
            Some(error),
        ),
    };
    for (request_id, task_id) in &written {
        let index = request_id
            .strip_prefix("task-")
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(intent) = index.and_then(|i| create.get(i)) {
            state.remember(remembered(intent, *task_id));
        }
    }
    if let Some(error) = failure {
        report.error(format!("creating tasks: {error}"));
    }
    tracing::info!(created = written.len(), "tasks created");
    written.len() as u64
}

fn remembered(intent: &TaskIntent, task_id: i64) -> RememberedTask {
    RememberedTask {
        lead_id: intent.lead_id,
        reason: intent.reason,
        value: intent.value.clone(),
        task_id,
    }
}

/// The new events of every monitored case carried by a lead, fetched; errors are reported per case.
async fn fetch_events(
    monitor: &dyn MonitorApi,
    monitored: &[MonitoredCase],
    plan: &Plan,
    report: &mut Report,
) -> Vec<(CaseNumber, Vec<CaseEvent>)> {
    let mut out = Vec::new();
    for fetch in events::fetches(monitored, &plan.state.event_cursors) {
        if !plan.leads_of.contains_key(&fetch.case) {
            continue;
        }
        match monitor.events_since(fetch.id, fetch.since).await {
            Ok(list) if !list.is_empty() => out.push((fetch.case, list)),
            Ok(_) => {}
            Err(error) => report.error(format!("events of {}: {error}", fetch.case)),
        }
    }
    out
}

/// The update step: new events of monitored cases become one note per lead and case, never twice.
///
/// Before writing, the notes already on the leads are read: a note of an earlier run whose answer was lost
/// covers its events, so only newer ones are written. A case's cursor moves only when every lead carrying it has
/// its note.
async fn copy_events(
    ports: Ports<'_>,
    monitored: &[MonitoredCase],
    plan: &Plan,
    state: &mut JobState,
    report: &mut Report,
) -> u64 {
    for (case, cursor) in events::baselines(monitored, &state.event_cursors) {
        state.event_cursors.insert(case, cursor);
    }
    let mut cursor_plan = plan.clone();
    cursor_plan.state.event_cursors = state.event_cursors.clone();
    let fetched = fetch_events(ports.monitor, monitored, &cursor_plan, report).await;
    if fetched.is_empty() {
        return 0;
    }
    let coverage = match written_coverage(ports.crm, plan, &fetched).await {
        Ok(coverage) => coverage,
        Err(error) => {
            report.error(format!("reading lead notes: {error}"));
            return 0;
        }
    };
    let mut drafts: Vec<(CaseNumber, NewNote)> = Vec::new();
    for (case, events) in &fetched {
        for lead in plan.leads_of.get(case).into_iter().flatten() {
            let covered = coverage.get(&(*lead, case.canonical())).copied();
            let new: Vec<CaseEvent> = events
                .iter()
                .filter(|e| covered.is_none_or(|c| e.id.0 > c))
                .cloned()
                .collect();
            if new.is_empty() {
                continue;
            }
            let mut note = NewNote::text(EntityRef::lead(LeadId(*lead)), note_text(case, &new));
            note.request_id = Some(format!("note-{}", drafts.len()));
            drafts.push((case.clone(), note));
        }
    }
    let notes: Vec<NewNote> = drafts.iter().map(|(_, note)| note.clone()).collect();
    let written: BTreeSet<String> = if notes.is_empty() {
        BTreeSet::new()
    } else {
        match ports.crm.add_notes(&notes).await {
            Ok(created) => created.into_iter().map(|c| c.request_id).collect(),
            Err(error) => {
                report.error(format!("adding notes: {error}"));
                error
                    .written()
                    .iter()
                    .map(|w| w.request_id.clone())
                    .collect()
            }
        }
    };
    let mut incomplete: BTreeSet<CaseNumber> = BTreeSet::new();
    for (case, note) in &drafts {
        if !note
            .request_id
            .as_ref()
            .is_some_and(|id| written.contains(id))
        {
            incomplete.insert(case.clone());
        }
    }
    for (case, events) in &fetched {
        if let (false, Some(last)) = (incomplete.contains(case), events.last()) {
            state.event_cursors.insert(case.canonical(), last.id.0);
        }
    }
    tracing::info!(
        notes = written.len(),
        cases = fetched.len(),
        "event notes added"
    );
    written.len() as u64
}

/// For each (lead, case) of `fetched`, the newest event a note already on the lead covers.
async fn written_coverage(
    crm: &dyn CrmClient,
    plan: &Plan,
    fetched: &[(CaseNumber, Vec<CaseEvent>)],
) -> Result<BTreeMap<(i64, String), i64>, crmsync_ports::CrmError> {
    let mut leads: BTreeSet<i64> = BTreeSet::new();
    let mut cases_of: BTreeMap<i64, Vec<&CaseNumber>> = BTreeMap::new();
    for (case, _) in fetched {
        for lead in plan.leads_of.get(case).into_iter().flatten() {
            leads.insert(*lead);
            cases_of.entry(*lead).or_default().push(case);
        }
    }
    let oldest = fetched
        .iter()
        .filter_map(|(_, events)| events.first().map(|e| e.date))
        .min()
        .map(|date| date - chrono::Duration::days(1));
    let lead_list: Vec<i64> = leads.into_iter().collect();
    let mut coverage = BTreeMap::new();
    for chunk in lead_list.chunks(LEADS_PER_NOTE_READ) {
        let mut filter = NoteFilter::on(EntityKind::Leads, chunk.iter().copied()).of_type("common");
        filter.updated_at = oldest.map(TimeRange::since);
        for note in crm.all_notes(&filter).await? {
            let Some(text) = note.content.text() else {
                continue;
            };
            for case in cases_of.get(&note.entity.id).into_iter().flatten() {
                if let Some(up_to) = covered_up_to(text, case) {
                    let slot = coverage
                        .entry((note.entity.id, case.canonical()))
                        .or_insert(up_to);
                    *slot = (*slot).max(up_to);
                }
            }
        }
    }
    Ok(coverage)
}

async fn clear(
    ports: Ports<'_>,
    settings: &JobSettings,
    progress: &dyn Progress,
) -> Result<Outcome, CaseMonitoringError> {
    let (monitored, _) = ports.monitor.all_monitored().await?;
    let pending = ports.sets.len(&settings.pending_set).await?;
    let overflow = ports.sets.len(&settings.overflow_set).await?;
    let clear = plan_clear(&monitored, to_usize(pending), to_usize(overflow));
    let mut report = Report {
        mode: RunMode::Clear,
        ..Report::default()
    };
    progress.set_total(clear.deletes.len() as u64);
    progress.message("removing cases from monitoring");
    for id in &clear.deletes {
        match ports.monitor.delete_monitored(*id).await {
            Ok(_) => report.removed += 1,
            Err(error) => report.error(format!("delete monitored {id}: {error}")),
        }
        progress.advance(1);
    }
    ports.sets.clear(&settings.pending_set).await?;
    ports.sets.clear(&settings.overflow_set).await?;
    let (left, _) = ports.monitor.all_monitored().await?;
    report.monitored = left.len() as u64;
    Ok(Outcome {
        report,
        plan: None,
        settlement: None,
        clear: Some(clear),
    })
}
