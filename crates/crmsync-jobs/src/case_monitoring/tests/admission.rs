//! Admission: pending → found / accepted / not found, overflow order, room, aborts, not-found tasks.

use std::collections::BTreeMap;

use super::super::*;
use super::support::*;

fn answers(
    table: &[(String, RetrieveOutcome)],
) -> impl FnMut(&crmsync_domain::CaseNumber) -> RetrieveOutcome {
    let map: BTreeMap<String, RetrieveOutcome> = table.iter().cloned().collect();
    move |n| {
        map.get(&n.canonical())
            .copied()
            .unwrap_or(RetrieveOutcome::Found)
    }
}

#[test]
fn pending_cases_are_asked_again_found_joins_not_found_leaves() {
    let plan = Input::new(leads_with_cases(1..=3))
        .pending(&[case(1), case(2), case(3)])
        .plan();
    assert_eq!(plan.new_cases.len(), 0);
    let settlement = simulate(
        plan,
        answers(&[
            (case(1), RetrieveOutcome::Found),
            (case(2), RetrieveOutcome::NotFound),
            (case(3), RetrieveOutcome::Accepted),
        ]),
    );
    assert_eq!(canon(&settlement.final_set), [case(1)]);
    assert_eq!(settlement.pending_remove_after_sync, [case(1)]);
    assert_eq!(settlement.pending_remove, [case(2)]);
    assert!(
        settlement.pending_add.is_empty(),
        "case 3 is already pending"
    );
    assert_eq!(canon(&settlement.not_found), [case(2)]);
    assert_eq!(settlement.state.not_found_runs[&case(2)], 1);
    assert!(settlement.sync_needed);
}

#[test]
fn new_cases_accepted_become_pending_and_not_found_are_reported() {
    let plan = Input::new(leads_with_cases(1..=3)).plan();
    let settlement = simulate(
        plan,
        answers(&[
            (case(2), RetrieveOutcome::Accepted),
            (case(3), RetrieveOutcome::NotFound),
        ]),
    );
    assert_eq!(canon(&settlement.final_set), [case(1)]);
    assert_eq!(canon(&settlement.pending_add), [case(2)]);
    assert_eq!(canon(&settlement.not_found), [case(3)]);
    assert!(settlement.overflow_add.is_empty());
}

#[test]
fn overflow_is_admitted_in_arrival_order_before_new_cases() {
    // Room for 2: overflow 5 then 3 arrived in that order; new cases 1, 2, 4 wait.
    let plan = Input::new(leads_with_cases(1..=5))
        .overflow(&[case(5), case(3)])
        .limit(2)
        .plan();
    let mut order = Vec::new();
    let settlement = simulate(plan, |n| {
        order.push(n.canonical());
        RetrieveOutcome::Found
    });
    assert_eq!(order, [case(5), case(3)]);
    assert_eq!(canon(&settlement.final_set), [case(5), case(3)]);
    assert_eq!(
        canon(&settlement.admitted_from_overflow),
        [case(5), case(3)]
    );
    assert_eq!(settlement.overflow_remove_after_sync, [case(5), case(3)]);
    assert_eq!(canon(&settlement.overflow_add), [case(1), case(2), case(4)]);
}

#[test]
fn overflow_waits_while_there_is_no_room_and_is_not_retrieved() {
    let leads = leads_with_cases(1..=3);
    let plan = Input::new(leads)
        .monitored(vec![entry(1, &case(1)), entry(2, &case(2))])
        .overflow(&[case(3)])
        .limit(2)
        .plan();
    let settlement = simulate(plan, |_| unreachable!("no room, nothing pending"));
    assert!(!settlement.sync_needed);
    assert!(settlement.overflow_add.is_empty() && settlement.overflow_remove.is_empty());
}

#[test]
fn room_freed_by_a_removal_admits_the_oldest_overflow_case() {
    let plan = Input::new(vec![
        lead(1, &case(1)),
        lead(3, &case(3)),
        lead(4, &case(4)),
    ])
    .monitored(vec![entry(1, &case(1)), entry(2, &case(2))])
    .overflow(&[case(4), case(3)])
    .limit(2)
    .plan();
    let settlement = simulate(plan, all_found);
    assert_eq!(canon(&settlement.final_set), [case(1), case(4)]);
    assert_eq!(canon(&settlement.admitted_from_overflow), [case(4)]);
    assert!(
        settlement.overflow_add.is_empty(),
        "case 3 stays where it is"
    );
}

#[test]
fn a_not_found_overflow_case_gives_its_room_to_the_next() {
    let plan = Input::new(leads_with_cases(1..=3))
        .overflow(&[case(2), case(3)])
        .limit(1)
        .plan();
    let settlement = simulate(plan, answers(&[(case(2), RetrieveOutcome::NotFound)]));
    assert_eq!(canon(&settlement.final_set), [case(3)]);
    assert_eq!(settlement.overflow_remove, [case(2)]);
    assert_eq!(canon(&settlement.overflow_add), [case(1)]);
}

#[test]
fn an_accepted_overflow_case_moves_to_pending() {
    let plan = Input::new(leads_with_cases(1..=1))
        .overflow(&[case(1)])
        .plan();
    let settlement = simulate(plan, answers(&[(case(1), RetrieveOutcome::Accepted)]));
    assert_eq!(settlement.overflow_remove, [case(1)]);
    assert_eq!(canon(&settlement.pending_add), [case(1)]);
    assert!(!settlement.sync_needed);
}

#[test]
fn a_pending_case_found_without_room_waits_in_overflow() {
    let plan = Input::new(leads_with_cases(1..=2))
        .monitored(vec![entry(1, &case(1))])
        .pending(&[case(2)])
        .limit(1)
        .plan();
    let settlement = simulate(plan, all_found);
    assert_eq!(canon(&settlement.final_set), [case(1)]);
    assert_eq!(settlement.pending_remove, [case(2)]);
    assert_eq!(canon(&settlement.overflow_add), [case(2)]);
    assert!(!settlement.sync_needed);
}

#[test]
fn a_failed_retrieval_stops_admission_and_leaves_new_cases_alone() {
    let plan = Input::new(leads_with_cases(1..=4)).limit(2).plan();
    let mut admission = Admission::new(plan);
    let (first, source) = admission.next_case().unwrap();
    assert_eq!((first.canonical(), source), (case(1), Source::New));
    admission.record(RetrieveOutcome::Found);
    let _ = admission.next_case().unwrap();
    admission.abort("the service is down");
    assert!(admission.next_case().is_none());
    let settlement = admission.finish();
    assert_eq!(canon(&settlement.final_set), [case(1)]);
    assert!(settlement.overflow_add.is_empty());
    assert_eq!(settlement.aborted.as_deref(), Some("the service is down"));
    assert!(settlement.sync_needed);
}

#[test]
fn next_case_repeats_until_it_is_answered() {
    let plan = Input::new(leads_with_cases(1..=2)).plan();
    let mut admission = Admission::new(plan);
    let a = admission.next_case().unwrap();
    let b = admission.next_case().unwrap();
    assert_eq!(a, b);
}

#[test]
fn not_found_for_n_runs_in_a_row_puts_a_task_on_every_carrier() {
    let mut state = JobState::default();
    state.not_found_runs.insert(case(1), 2);
    let leads = vec![lead(1, &case(1)), lead(2, &case(1))];
    let plan = Input::new(leads).state(state).plan();
    assert_eq!(plan.not_found_task_after, 3);
    let settlement = simulate(plan, |_| RetrieveOutcome::NotFound);
    assert_eq!(settlement.state.not_found_runs[&case(1)], 3);
    let tasks: Vec<(i64, TaskReason)> = settlement
        .not_found_tasks
        .iter()
        .map(|t| (t.lead_id, t.reason))
        .collect();
    assert_eq!(
        tasks,
        [(1, TaskReason::NotFound), (2, TaskReason::NotFound)]
    );
}

#[test]
fn not_found_counters_reset_when_the_case_is_found() {
    let mut state = JobState::default();
    state.not_found_runs.insert(case(1), 2);
    state.not_found_runs.insert(case(9), 5);
    let plan = Input::new(leads_with_cases(1..=1)).state(state).plan();
    assert!(
        !plan.state.not_found_runs.contains_key(&case(9)),
        "case 9 left the leads"
    );
    let settlement = simulate(plan, all_found);
    assert!(settlement.state.not_found_runs.is_empty());
    assert!(settlement.not_found_tasks.is_empty());
}

#[test]
fn a_not_found_task_is_not_repeated_while_open() {
    let mut state = JobState::default();
    state.not_found_runs.insert(case(1), 5);
    state.remember(RememberedTask {
        lead_id: 1,
        reason: TaskReason::NotFound,
        value: case(1),
        task_id: 40,
    });
    let plan = Input::new(leads_with_cases(1..=1))
        .state(state)
        .open_tasks(&[40])
        .plan();
    let settlement = simulate(plan, |_| RetrieveOutcome::NotFound);
    assert!(settlement.not_found_tasks.is_empty());
    assert_eq!(settlement.state.tasks.len(), 1);
}
