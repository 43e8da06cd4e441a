//! `plan()`: from leads, the monitored list and the two sets, what to remove, keep, retrieve and put on leads.

use std::collections::{BTreeMap, BTreeSet};

use crmsync_domain::{CaseNumber, CaseNumberError};
use crmsync_ports::MonitorId;
use serde::Serialize;

use super::input::{JobState, LeadCase, PlanInput, PlanOptions, TaskReason};
use super::tasks::{TaskIntent, needs_task};

/// A lead whose case-number field does not hold a valid first-instance number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidLead {
    /// The lead.
    pub lead_id: i64,
    /// The value as typed (`None`: the field is empty). Not serialised: a mistyped field may hold anything.
    #[serde(skip_serializing)]
    pub value: Option<String>,
    /// Why it is invalid (`appellate`, `malformed`, `empty`, ...).
    pub kind: &'static str,
    /// The full reason.
    pub reason: String,
}

/// Why a monitored entry goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// No lead in the stage carries the case any more.
    NotOnALead,
    /// The entry's number is not a valid case number.
    Unparsable,
    /// Another entry monitors the same case.
    Duplicate,
}

/// A monitored entry to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    /// The entry.
    pub id: MonitorId,
    /// Its number as the service wrote it.
    pub case_number: String,
    /// Why it goes.
    pub reason: RemovalReason,
}

/// What one run does, computed by [`plan`] from what it read. Pure data: [`apply`](super::apply) executes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// How many cases may be monitored.
    pub limit: usize,
    /// Valid cases on leads, deduplicated, in the order of their first lead.
    pub cases: Vec<CaseNumber>,
    /// For each case, the leads carrying it (in lead order).
    pub leads_of: BTreeMap<CaseNumber, Vec<i64>>,
    /// Leads with invalid numbers.
    pub invalid: Vec<InvalidLead>,
    /// Leads whose case another, earlier lead already carries.
    pub duplicate_leads: usize,
    /// Tasks to put on leads with invalid numbers.
    pub fix_tasks: Vec<TaskIntent>,
    /// Monitored entries to remove.
    pub removals: Vec<Removal>,
    /// Monitored cases that stay.
    pub kept: Vec<CaseNumber>,
    /// Monitored cases still on leads that exceed the limit: they move to the overflow set.
    pub demoted: Vec<CaseNumber>,
    /// Overflow cases still wanted, in arrival order: the first to get free room.
    pub overflow_queue: Vec<CaseNumber>,
    /// Pending cases still wanted, in arrival order: asked again on every run.
    pub poll: Vec<CaseNumber>,
    /// Valid cases neither monitored, pending nor waiting in overflow, in lead order.
    pub new_cases: Vec<CaseNumber>,
    /// Pending members that are no longer wanted (not on a lead, invalid, or already monitored).
    pub stale_pending: Vec<String>,
    /// Overflow members that are no longer wanted (not on a lead, invalid, monitored or pending).
    pub stale_overflow: Vec<String>,
    /// The responsible user of each lead, for tasks.
    #[serde(skip_serializing)]
    pub responsible: BTreeMap<i64, Option<i64>>,
    /// The remembered state after forgetting what no longer applies (not serialised: it holds field values).
    #[serde(skip_serializing)]
    pub state: JobState,
    /// Remembered tasks that are still open.
    pub open_tasks: BTreeSet<i64>,
    /// After how many not-found runs a case gets a task.
    pub not_found_task_after: u32,
}

impl Plan {
    /// Free room for cases that are not kept.
    pub fn room(&self) -> usize {
        self.limit.saturating_sub(self.kept.len())
    }

    /// The most retrievals this plan may need: every pending case plus as many candidates as could fill the
    /// room (more when some of them are not found or accepted).
    pub fn planned_retrievals(&self) -> usize {
        self.poll.len()
            + self
                .room()
                .min(self.overflow_queue.len() + self.new_cases.len())
    }
}

/// Computes what a run does. Deterministic: the same input always gives the same plan.
pub fn plan(input: PlanInput) -> Plan {
    let PlanInput {
        leads,
        monitored,
        pending,
        overflow,
        limit,
        mut state,
        open_tasks,
        now: _,
        options,
    } = input;

    let valid = ValidCases::collect(&leads, &options);
    let fix_tasks = fix_tasks(&leads, &valid.invalid, &state, &open_tasks, &options);
    forget_settled_tasks(&mut state, &leads, &valid);

    let mut removals = Vec::new();
    let mut monitored_cases = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in &monitored {
        match CaseNumber::parse(&entry.case_number) {
            Err(_) => removals.push(Removal {
                id: entry.id,
                case_number: entry.case_number.clone(),
                reason: RemovalReason::Unparsable,
            }),
            Ok(number) if !seen.insert(number.clone()) => removals.push(Removal {
                id: entry.id,
                case_number: entry.case_number.clone(),
                reason: RemovalReason::Duplicate,
            }),
            Ok(number) if !valid.leads_of.contains_key(&number) => removals.push(Removal {
                id: entry.id,
                case_number: entry.case_number.clone(),
                reason: RemovalReason::NotOnALead,
            }),
            Ok(number) => monitored_cases.push(number),
        }
    }
    let demoted = monitored_cases.split_off(limit.min(monitored_cases.len()));
    let kept = monitored_cases;
    let monitored_set: BTreeSet<&CaseNumber> = seen.iter().collect();

    let mut taken: BTreeSet<CaseNumber> = BTreeSet::new();
    let mut stale_pending = Vec::new();
    let mut poll = Vec::new();
    for member in pending {
        match CaseNumber::parse(&member) {
            Ok(number)
                if valid.leads_of.contains_key(&number)
                    && !monitored_set.contains(&number)
                    && taken.insert(number.clone()) =>
            {
                poll.push(number);
            }
            _ => stale_pending.push(member),
        }
    }
    let mut stale_overflow = Vec::new();
    let mut overflow_queue = Vec::new();
    for member in overflow {
        match CaseNumber::parse(&member) {
            Ok(number)
                if valid.leads_of.contains_key(&number)
                    && !monitored_set.contains(&number)
                    && taken.insert(number.clone()) =>
            {
                overflow_queue.push(number);
            }
            _ => stale_overflow.push(member),
        }
    }
    let new_cases: Vec<CaseNumber> = valid
        .cases
        .iter()
        .filter(|number| !monitored_set.contains(number) && !taken.contains(*number))
        .cloned()
        .collect();

    state
        .not_found_runs
        .retain(|case, _| parse_key(case).is_some_and(|n| valid.leads_of.contains_key(&n)));
    let kept_set: BTreeSet<&CaseNumber> = kept.iter().collect();
    state
        .event_cursors
        .retain(|case, _| parse_key(case).is_some_and(|n| kept_set.contains(&n)));

    Plan {
        limit,
        cases: valid.cases,
        leads_of: valid.leads_of,
        invalid: valid.invalid,
        duplicate_leads: valid.duplicate_leads,
        fix_tasks,
        removals,
        kept,
        demoted,
        overflow_queue,
        poll,
        new_cases,
        stale_pending,
        stale_overflow,
        responsible: leads
            .iter()
            .map(|lead| (lead.lead_id, lead.responsible_user_id))
            .collect(),
        state,
        open_tasks,
        not_found_task_after: options.not_found_task_after,
    }
}

fn parse_key(case: &str) -> Option<CaseNumber> {
    CaseNumber::parse(case).ok()
}

/// The valid cases of the leads and the leads with invalid numbers.
struct ValidCases {
    cases: Vec<CaseNumber>,
    leads_of: BTreeMap<CaseNumber, Vec<i64>>,
    invalid: Vec<InvalidLead>,
    duplicate_leads: usize,
}

impl ValidCases {
    fn collect(leads: &[LeadCase], options: &PlanOptions) -> Self {
        let mut cases = Vec::new();
        let mut leads_of: BTreeMap<CaseNumber, Vec<i64>> = BTreeMap::new();
        let mut invalid = Vec::new();
        let mut duplicate_leads = 0;
        for lead in leads {
            let parsed = match lead.trimmed_value() {
                Some(value) => CaseNumber::parse(value),
                None if options.task_on_missing_number => Err(CaseNumberError::Empty),
                None => continue,
            };
            match parsed {
                Ok(number) => {
                    let carriers = leads_of.entry(number.clone()).or_default();
                    if carriers.is_empty() {
                        cases.push(number);
                    } else {
                        duplicate_leads += 1;
                    }
                    if !carriers.contains(&lead.lead_id) {
                        carriers.push(lead.lead_id);
                    }
                }
                Err(error) => invalid.push(InvalidLead {
                    lead_id: lead.lead_id,
                    value: lead.trimmed_value().map(str::to_owned),
                    kind: error.kind(),
                    reason: error.to_string(),
                }),
            }
        }
        Self {
            cases,
            leads_of,
            invalid,
            duplicate_leads,
        }
    }
}

fn fix_tasks(
    leads: &[LeadCase],
    invalid: &[InvalidLead],
    state: &JobState,
    open_tasks: &BTreeSet<i64>,
    options: &PlanOptions,
) -> Vec<TaskIntent> {
    let responsible: BTreeMap<i64, Option<i64>> = leads
        .iter()
        .map(|l| (l.lead_id, l.responsible_user_id))
        .collect();
    let mut seen = BTreeSet::new();
    invalid
        .iter()
        .filter(|lead| options.task_on_missing_number || lead.value.is_some())
        .filter(|lead| seen.insert(lead.lead_id))
        .filter(|lead| {
            needs_task(
                state,
                open_tasks,
                lead.lead_id,
                TaskReason::InvalidNumber,
                lead.value.as_deref().unwrap_or_default(),
            )
        })
        .map(|lead| TaskIntent {
            lead_id: lead.lead_id,
            responsible_user_id: responsible.get(&lead.lead_id).copied().flatten(),
            reason: TaskReason::InvalidNumber,
            value: lead.value.clone().unwrap_or_default(),
            detail: lead.reason.clone(),
        })
        .collect()
}

/// Forgets invalid-number tasks of leads that left the stage or now hold a valid number, and not-found tasks of
/// leads that no longer carry that case.
fn forget_settled_tasks(state: &mut JobState, leads: &[LeadCase], valid: &ValidCases) {
    let invalid: BTreeSet<i64> = valid.invalid.iter().map(|l| l.lead_id).collect();
    let present: BTreeSet<i64> = leads.iter().map(|l| l.lead_id).collect();
    state.tasks.retain(|task| match task.reason {
        TaskReason::InvalidNumber => invalid.contains(&task.lead_id),
        TaskReason::NotFound => {
            present.contains(&task.lead_id)
                && parse_key(&task.value).is_some_and(|case| {
                    valid
                        .leads_of
                        .get(&case)
                        .is_some_and(|carriers| carriers.contains(&task.lead_id))
                })
        }
    });
}

/// What `--clear` does: delete every monitored entry, then empty both sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClearPlan {
    /// Entries to delete, in list order.
    pub deletes: Vec<MonitorId>,
    /// Members of the pending set to drop.
    pub pending: usize,
    /// Members of the overflow set to drop.
    pub overflow: usize,
}

/// Plans `--clear` from the monitored list and the sizes of the two sets.
pub fn plan_clear(
    monitored: &[crmsync_ports::MonitoredCase],
    pending: usize,
    overflow: usize,
) -> ClearPlan {
    let mut seen = BTreeSet::new();
    ClearPlan {
        deletes: monitored
            .iter()
            .map(|entry| entry.id)
            .filter(|id| seen.insert(*id))
            .collect(),
        pending,
        overflow,
    }
}
