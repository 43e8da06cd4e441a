//! `plan()`: valid cases, duplicates, removal, kept/new split, stale set members, tasks, clear.

use super::super::*;
use super::support::*;

#[test]
fn limit_boundaries_from_an_empty_monitoring() {
    // (cases on leads, limit) -> (monitored after, overflowed, retrievals, sync)
    let table: &[(u32, usize, usize, usize, usize, bool)] = &[
        (0, 500, 0, 0, 0, false),
        (1, 500, 1, 0, 1, true),
        (499, 500, 499, 0, 499, true),
        (500, 500, 500, 0, 500, true),
        (501, 500, 500, 1, 500, true),
        (600, 500, 500, 100, 500, true),
        (3, 2, 2, 1, 2, true),
    ];
    for &(cases, limit, monitored, overflowed, retrievals, sync) in table {
        let leads = if cases == 0 {
            Vec::new()
        } else {
            leads_with_cases(1..=cases)
        };
        let plan = Input::new(leads).limit(limit).plan();
        assert_eq!(plan.new_cases.len(), cases as usize, "{cases}/{limit}");
        let mut asked = 0;
        let settlement = simulate(plan, |n| {
            asked += 1;
            all_found(n)
        });
        assert_eq!(settlement.final_set.len(), monitored, "{cases}/{limit}");
        assert_eq!(settlement.overflow_add.len(), overflowed, "{cases}/{limit}");
        assert_eq!(asked, retrievals, "{cases}/{limit}");
        assert_eq!(settlement.sync_needed, sync, "{cases}/{limit}");
        if overflowed > 0 {
            let first_overflow = settlement.overflow_add[0].canonical();
            assert_eq!(first_overflow, case(limit as u32 + 1), "lead order");
        }
    }
}

#[test]
fn limit_boundaries_with_monitored_cases_kept() {
    // 499 monitored + 2 new under a 500 limit: one fits, one overflows.
    let leads = leads_with_cases(1..=501);
    let monitored: Vec<_> = (1..=499).map(|n| entry(i64::from(n), &case(n))).collect();
    let plan = Input::new(leads).monitored(monitored).plan();
    assert_eq!(plan.kept.len(), 499);
    assert_eq!(canon(&plan.new_cases), [case(500), case(501)]);
    let settlement = simulate(plan, all_found);
    assert_eq!(settlement.final_set.len(), 500);
    assert_eq!(canon(&settlement.overflow_add), [case(501)]);
    assert!(settlement.sync_needed);
}

#[test]
fn monitored_above_a_lowered_limit_are_demoted_oldest_kept() {
    let leads = leads_with_cases(1..=4);
    let monitored: Vec<_> = (1..=4).map(|n| entry(i64::from(n), &case(n))).collect();
    let plan = Input::new(leads).monitored(monitored).limit(3).plan();
    assert_eq!(canon(&plan.kept), [case(1), case(2), case(3)]);
    assert_eq!(canon(&plan.demoted), [case(4)]);
    let settlement = simulate(plan, all_found);
    assert_eq!(canon(&settlement.overflow_add), [case(4)]);
    assert_eq!(settlement.final_set.len(), 3);
    assert!(settlement.sync_needed);
}

#[test]
fn duplicates_across_leads_count_once_and_keep_every_carrier() {
    let leads = vec![
        lead(1, "А40-1/2024"),
        lead(2, "А40-1/2024"),
        lead(3, "А40-2/2024"),
        lead(4, "А40-1/24"),
    ];
    let plan = Input::new(leads).plan();
    assert_eq!(canon(&plan.cases), ["А40-1/2024", "А40-2/2024"]);
    assert_eq!(plan.duplicate_leads, 2);
    assert_eq!(plan.leads_of[&number("А40-1/2024")], [1, 2, 4]);
}

#[test]
fn latin_and_cyrillic_spellings_are_one_case() {
    let leads = vec![
        lead(1, "A40-139272/2017"),
        lead(2, "А40-139272/17"),
        lead(3, " a 40-139272/2017-55 "),
    ];
    let monitored = vec![entry(9, "A40-139272/2017")];
    let plan = Input::new(leads).monitored(monitored).plan();
    assert_eq!(canon(&plan.cases), ["А40-139272/2017"]);
    assert_eq!(plan.duplicate_leads, 2);
    assert!(plan.removals.is_empty());
    assert_eq!(canon(&plan.kept), ["А40-139272/2017"]);
    assert!(plan.new_cases.is_empty());
}

#[test]
fn cases_no_longer_on_a_lead_are_removed_with_their_reason() {
    let leads = leads_with_cases(1..=2);
    let monitored = vec![
        entry(1, &case(1)),
        entry(2, &case(7)),
        entry(3, "garbage"),
        entry(4, &case(1)),
    ];
    let plan = Input::new(leads).monitored(monitored).plan();
    let removed: Vec<(i64, RemovalReason)> =
        plan.removals.iter().map(|r| (r.id.0, r.reason)).collect();
    assert_eq!(
        removed,
        [
            (2, RemovalReason::NotOnALead),
            (3, RemovalReason::Unparsable),
            (4, RemovalReason::Duplicate),
        ]
    );
    assert_eq!(canon(&plan.kept), [case(1)]);
    assert_eq!(canon(&plan.new_cases), [case(2)]);
    let settlement = simulate(plan, all_found);
    assert_eq!(canon(&settlement.final_set), [case(1), case(2)]);
    assert!(settlement.sync_needed);
}

#[test]
fn removal_alone_still_syncs() {
    let plan = Input::new(leads_with_cases(1..=1))
        .monitored(vec![entry(1, &case(1)), entry(2, &case(2))])
        .plan();
    let settlement = simulate(plan, |_| unreachable!("nothing to retrieve"));
    assert_eq!(canon(&settlement.final_set), [case(1)]);
    assert!(settlement.sync_needed);
}

#[test]
fn nothing_changed_means_no_sync_and_no_retrieval() {
    let leads = leads_with_cases(1..=3);
    let monitored: Vec<_> = (1..=3).map(|n| entry(i64::from(n), &case(n))).collect();
    let plan = Input::new(leads).monitored(monitored).plan();
    assert_eq!(plan.planned_retrievals(), 0);
    let settlement = simulate(plan, |_| unreachable!("nothing to retrieve"));
    assert!(!settlement.sync_needed);
    assert_eq!(settlement.final_set.len(), 3);
    assert!(settlement.overflow_add.is_empty() && settlement.pending_add.is_empty());
}

#[test]
fn stale_set_members_are_dropped() {
    let leads = leads_with_cases(1..=3);
    let plan = Input::new(leads)
        .monitored(vec![entry(1, &case(1))])
        .pending(&[case(1), case(2), case(9), "junk".into()])
        .overflow(&[case(2), case(3), case(8)])
        .plan();
    assert_eq!(canon(&plan.poll), [case(2)]);
    assert_eq!(plan.stale_pending, [case(1), case(9), "junk".to_owned()]);
    assert_eq!(canon(&plan.overflow_queue), [case(3)]);
    assert_eq!(plan.stale_overflow, [case(2), case(8)]);
    assert!(plan.new_cases.is_empty());
}

#[test]
fn invalid_numbers_get_one_task_each_with_the_responsible_user() {
    let leads = vec![
        lead(1, "05АП-3141/2018"),
        lead(2, "А40-1/2024"),
        LeadCase::new(3, None, None),
        lead(4, "СИП-715/2022"),
    ];
    let plan = Input::new(leads).plan();
    let tasks: Vec<(i64, Option<i64>, &str)> = plan
        .fix_tasks
        .iter()
        .map(|t| (t.lead_id, t.responsible_user_id, t.value.as_str()))
        .collect();
    assert_eq!(
        tasks,
        [
            (1, Some(1001), "05АП-3141/2018"),
            (3, None, ""),
            (4, Some(1004), "СИП-715/2022")
        ]
    );
    assert!(plan.fix_tasks[0].detail.contains("appellate"));
    assert_eq!(plan.invalid.len(), 3);
}

#[test]
fn empty_fields_can_be_left_alone() {
    let mut input = Input::new(vec![LeadCase::new(3, None, Some("  "))]);
    input.0.options.task_on_missing_number = false;
    let plan = input.plan();
    assert!(plan.invalid.is_empty() && plan.fix_tasks.is_empty());
}

fn remembered(lead_id: i64, value: &str, task_id: i64) -> JobState {
    let mut state = JobState::default();
    state.remember(RememberedTask {
        lead_id,
        reason: TaskReason::InvalidNumber,
        value: value.into(),
        task_id,
    });
    state
}

#[test]
fn a_task_is_not_created_again_while_it_is_open_and_the_value_is_the_same() {
    // (remembered value, task open?, current value) -> task created?
    let table = [
        ("А40-1", true, "А40-1", false),
        ("А40-1", false, "А40-1", true),
        ("А40-1", true, "А40-2", true),
        ("А40-1", false, "А40-2", true),
    ];
    for (old, open, current, expected) in table {
        let open_ids: &[i64] = if open { &[77] } else { &[] };
        let plan = Input::new(vec![lead(1, current)])
            .state(remembered(1, old, 77))
            .open_tasks(open_ids)
            .plan();
        assert_eq!(
            !plan.fix_tasks.is_empty(),
            expected,
            "{old} open={open} now={current}"
        );
    }
}

#[test]
fn memory_of_fixed_or_departed_leads_is_forgotten() {
    let mut state = remembered(1, "bad", 10);
    state.remember(RememberedTask {
        lead_id: 2,
        reason: TaskReason::InvalidNumber,
        value: "bad".into(),
        task_id: 11,
    });
    state.remember(RememberedTask {
        lead_id: 3,
        reason: TaskReason::InvalidNumber,
        value: "bad".into(),
        task_id: 12,
    });
    let plan = Input::new(vec![lead(1, "А40-1/2024"), lead(3, "bad")])
        .state(state)
        .open_tasks(&[12])
        .plan();
    let kept: Vec<i64> = plan.state.tasks.iter().map(|t| t.lead_id).collect();
    assert_eq!(kept, [3]);
    assert!(plan.fix_tasks.is_empty());
}

#[test]
fn clear_deletes_every_entry_once() {
    let monitored = vec![entry(1, &case(1)), entry(2, "junk"), entry(1, &case(1))];
    let clear = plan_clear(&monitored, 4, 7);
    assert_eq!(
        clear.deletes.iter().map(|id| id.0).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!((clear.pending, clear.overflow), (4, 7));
    assert!(plan_clear(&[], 0, 0).deletes.is_empty());
}

#[test]
fn the_plan_is_deterministic() {
    let build = || {
        Input::new(leads_with_cases(1..=50))
            .monitored((20..=70).map(|n| entry(i64::from(n), &case(n))).collect())
            .pending(&[case(5), case(6)])
            .overflow(&[case(9), case(3)])
            .limit(30)
            .plan()
    };
    assert_eq!(build(), build());
}
