//! Admission: which cases get the free room, asked one retrieval at a time; pure, so the order is testable.
//!
//! Priority: monitored cases stay (the plan keeps them); then overflow cases in arrival order while there is
//! room; then every pending case is asked again (found ones take room if any is left, otherwise they wait in
//! overflow); then new cases in lead order while there is room. New cases that find no room go to the overflow
//! set without being retrieved: they are retrieved when room frees, so no call is spent on a case that cannot be
//! monitored yet.

use crmsync_domain::CaseNumber;
use serde::Serialize;

use super::input::{JobState, TaskReason};
use super::plan::Plan;
use super::tasks::{TaskIntent, needs_task};

/// What a retrieval answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrieveOutcome {
    /// The card is known: the case can be monitored.
    Found,
    /// The service is fetching it: ask again next run.
    Accepted,
    /// No such case.
    NotFound,
}

/// Where a retrieved case came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The overflow set.
    Overflow,
    /// The pending set.
    Pending,
    /// A lead, never seen before.
    New,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Overflow,
    Pending,
    New,
    Done,
}

/// The outcome of a run's admission: the final set and every change to the two sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settlement {
    /// The cases to monitor: the kept ones, then the admitted ones in admission order.
    pub final_set: Vec<CaseNumber>,
    /// Whether the final set differs from what is monitored (so `syncCases` is needed).
    pub sync_needed: bool,
    /// Retrievals answered `found`, in call order.
    pub found: Vec<CaseNumber>,
    /// Retrievals answered `accepted`.
    pub accepted: Vec<CaseNumber>,
    /// Retrievals answered `not_found`.
    pub not_found: Vec<CaseNumber>,
    /// Cases admitted from the overflow set.
    pub admitted_from_overflow: Vec<CaseNumber>,
    /// Cases added to the overflow set (demoted, found without room, new without room), in that order.
    pub overflow_add: Vec<CaseNumber>,
    /// Overflow members to drop at once (stale, moved to pending, not found).
    pub overflow_remove: Vec<String>,
    /// Overflow members to drop once `syncCases` succeeded (admitted).
    pub overflow_remove_after_sync: Vec<String>,
    /// Cases to add to the pending set.
    pub pending_add: Vec<CaseNumber>,
    /// Pending members to drop at once (stale, not found, found without room).
    pub pending_remove: Vec<String>,
    /// Pending members to drop once `syncCases` succeeded (admitted).
    pub pending_remove_after_sync: Vec<String>,
    /// Tasks for cases not found for too many runs in a row.
    pub not_found_tasks: Vec<TaskIntent>,
    /// The remembered state with the not-found counters of this run (not serialised: it holds field values).
    #[serde(skip_serializing)]
    pub state: JobState,
    /// Why admission stopped early (a retrieval failed), if it did.
    pub aborted: Option<String>,
}

/// Walks the plan's candidates one retrieval at a time.
#[derive(Debug, Clone)]
pub struct Admission {
    plan: Plan,
    room: usize,
    stage: Stage,
    index: usize,
    current: Option<(CaseNumber, Source)>,
    joined: Vec<CaseNumber>,
    settlement: Settlement,
}

impl Admission {
    /// Starts admission for `plan`.
    pub fn new(plan: Plan) -> Self {
        let room = plan.room();
        let settlement = Settlement {
            final_set: plan.kept.clone(),
            sync_needed: false,
            found: Vec::new(),
            accepted: Vec::new(),
            not_found: Vec::new(),
            admitted_from_overflow: Vec::new(),
            overflow_add: plan.demoted.clone(),
            overflow_remove: plan.stale_overflow.clone(),
            overflow_remove_after_sync: Vec::new(),
            pending_add: Vec::new(),
            pending_remove: plan.stale_pending.clone(),
            pending_remove_after_sync: Vec::new(),
            not_found_tasks: Vec::new(),
            state: plan.state.clone(),
            aborted: None,
        };
        Self {
            plan,
            room,
            stage: Stage::Overflow,
            index: 0,
            current: None,
            joined: Vec::new(),
            settlement,
        }
    }

    /// The plan being admitted.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Free room left.
    pub fn room(&self) -> usize {
        self.room
    }

    /// The next case to retrieve and where it comes from; `None` when admission is over. Each case returned must
    /// be answered with [`record`](Self::record) before asking for the next.
    pub fn next_case(&mut self) -> Option<(CaseNumber, Source)> {
        if let Some(current) = &self.current {
            return Some(current.clone());
        }
        loop {
            match self.stage {
                Stage::Overflow => match self.plan.overflow_queue.get(self.index) {
                    Some(number) if self.room > 0 => {
                        self.index += 1;
                        return self.hold(number.clone(), Source::Overflow);
                    }
                    _ => self.advance(Stage::Pending),
                },
                Stage::Pending => match self.plan.poll.get(self.index) {
                    Some(number) => {
                        self.index += 1;
                        return self.hold(number.clone(), Source::Pending);
                    }
                    None => self.advance(Stage::New),
                },
                Stage::New => match self.plan.new_cases.get(self.index) {
                    Some(number) if self.room > 0 => {
                        self.index += 1;
                        return self.hold(number.clone(), Source::New);
                    }
                    Some(_) => {
                        let rest = self.plan.new_cases[self.index..].to_vec();
                        self.settlement.overflow_add.extend(rest);
                        self.advance(Stage::Done);
                    }
                    None => self.advance(Stage::Done),
                },
                Stage::Done => return None,
            }
        }
    }

    fn hold(&mut self, number: CaseNumber, source: Source) -> Option<(CaseNumber, Source)> {
        self.current = Some((number.clone(), source));
        Some((number, source))
    }

    fn advance(&mut self, stage: Stage) {
        self.stage = stage;
        self.index = 0;
    }

    /// Records the answer for the case [`next_case`](Self::next_case) returned.
    pub fn record(&mut self, outcome: RetrieveOutcome) {
        let Some((number, source)) = self.current.take() else {
            return;
        };
        let key = number.canonical();
        let threshold = self.plan.not_found_task_after;
        let s = &mut self.settlement;
        match outcome {
            RetrieveOutcome::Found => {
                s.found.push(number.clone());
                s.state.not_found_runs.remove(&key);
                if self.room > 0 {
                    self.room -= 1;
                    self.joined.push(number.clone());
                    match source {
                        Source::Overflow => {
                            s.admitted_from_overflow.push(number);
                            s.overflow_remove_after_sync.push(key);
                        }
                        Source::Pending => s.pending_remove_after_sync.push(key),
                        Source::New => {}
                    }
                } else {
                    // Only a pending case can be found without room: it waits in overflow.
                    if source == Source::Pending {
                        s.pending_remove.push(key);
                    }
                    s.overflow_add.push(number);
                }
            }
            RetrieveOutcome::Accepted => {
                s.accepted.push(number.clone());
                s.state.not_found_runs.remove(&key);
                match source {
                    Source::Overflow => {
                        s.overflow_remove.push(key);
                        s.pending_add.push(number);
                    }
                    Source::Pending => {}
                    Source::New => s.pending_add.push(number),
                }
            }
            RetrieveOutcome::NotFound => {
                s.not_found.push(number);
                if threshold > 0 {
                    // Counting stops at the threshold: the state stays put once the task is due.
                    let runs = s.state.not_found_runs.entry(key.clone()).or_insert(0);
                    *runs = (*runs + 1).min(threshold);
                }
                match source {
                    Source::Overflow => s.overflow_remove.push(key),
                    Source::Pending => s.pending_remove.push(key),
                    Source::New => {}
                }
            }
        }
    }

    /// Leaves the case [`next_case`](Self::next_case) returned where it is (its retrieval failed in a way that
    /// concerns only this case) and goes on with the next.
    pub fn skip(&mut self) {
        self.current = None;
    }

    /// Stops admission after a failed retrieval: nothing else is retrieved, cases not reached stay where they
    /// are (new ones are not put in overflow, since the free room is unknown).
    pub fn abort(&mut self, reason: impl Into<String>) {
        self.current = None;
        self.stage = Stage::Done;
        self.settlement.aborted = Some(reason.into());
    }

    /// Ends admission and computes the settlement. Cases not reached yet stay where they are.
    pub fn finish(self) -> Settlement {
        let Self {
            plan,
            joined,
            mut settlement,
            ..
        } = self;
        settlement.sync_needed =
            !plan.removals.is_empty() || !plan.demoted.is_empty() || !joined.is_empty();
        settlement.final_set.extend(joined);
        settlement.not_found_tasks = not_found_tasks(&plan, &settlement);
        let found_or_accepted: Vec<String> = settlement
            .found
            .iter()
            .chain(&settlement.accepted)
            .map(CaseNumber::canonical)
            .collect();
        settlement.state.tasks.retain(|task| {
            !(task.reason == TaskReason::NotFound && found_or_accepted.contains(&task.value))
        });
        settlement
    }
}

fn not_found_tasks(plan: &Plan, settlement: &Settlement) -> Vec<TaskIntent> {
    let threshold = plan.not_found_task_after;
    if threshold == 0 {
        return Vec::new();
    }
    let mut intents = Vec::new();
    for number in &settlement.not_found {
        let key = number.canonical();
        let runs = settlement
            .state
            .not_found_runs
            .get(&key)
            .copied()
            .unwrap_or(0);
        if runs < threshold {
            continue;
        }
        for lead_id in plan.leads_of.get(number).into_iter().flatten() {
            if needs_task(
                &settlement.state,
                &plan.open_tasks,
                *lead_id,
                TaskReason::NotFound,
                &key,
            ) {
                intents.push(TaskIntent {
                    lead_id: *lead_id,
                    responsible_user_id: plan.responsible.get(lead_id).copied().flatten(),
                    reason: TaskReason::NotFound,
                    value: key.clone(),
                    detail: format!(
                        "not found by the monitoring service in {threshold} runs in a row"
                    ),
                });
            }
        }
    }
    intents
}

/// Runs admission with `answer` giving each retrieval's outcome: for tests, dry runs and benchmarks.
pub fn simulate(plan: Plan, mut answer: impl FnMut(&CaseNumber) -> RetrieveOutcome) -> Settlement {
    let mut admission = Admission::new(plan);
    while let Some((number, _)) = admission.next_case() {
        let outcome = answer(&number);
        admission.record(outcome);
    }
    admission.finish()
}
