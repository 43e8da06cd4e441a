//! Printing a run: the report as text (with the plan of a dry run) or as one JSON document.

use std::fmt::Write as _;

use crmsync_domain::{CaseNumber, ProcessId};
use crmsync_jobs::case_monitoring::{Outcome, Plan, RunMode, Settlement};
use serde_json::json;

/// Most items of one kind listed in the text plan.
const LISTED: usize = 10;

/// Prints `outcome` on stdout.
pub(crate) fn print(outcome: &Outcome, process: Option<ProcessId>, as_json: bool) {
    if as_json {
        let mut document = json!({
            "process_id": process,
            "report": outcome.report,
        });
        if outcome.report.mode == RunMode::DryRun {
            document["plan"] = json!(outcome.plan);
            document["projection"] = json!(outcome.settlement);
            document["clear"] = json!(outcome.clear);
        }
        println!("{document}");
        return;
    }
    if let Some(id) = process {
        println!("run journaled as process {id}");
    }
    println!("{}", outcome.report);
    if outcome.report.mode == RunMode::DryRun {
        if let (Some(plan), Some(projection)) = (&outcome.plan, &outcome.settlement) {
            print!("{}", describe(plan, projection));
        }
        if let Some(clear) = &outcome.clear {
            println!(
                "plan: delete {} monitored case(s), empty the pending set ({} member(s)) and the overflow set ({})",
                clear.deletes.len(),
                clear.pending,
                clear.overflow
            );
        }
    }
}

fn list(numbers: &[CaseNumber]) -> String {
    let mut out: Vec<String> = numbers
        .iter()
        .take(LISTED)
        .map(CaseNumber::canonical)
        .collect();
    if numbers.len() > LISTED {
        out.push(format!("… {} more", numbers.len() - LISTED));
    }
    out.join(", ")
}

/// The plan of a dry run, assuming every retrieval answers `found`.
pub(crate) fn describe(plan: &Plan, projection: &Settlement) -> String {
    let mut out = String::from("plan (retrievals assumed found):\n");
    let _ = writeln!(out, "  limit {}, room {}", plan.limit, plan.room());
    for removal in plan.removals.iter().take(LISTED) {
        let _ = writeln!(
            out,
            "  remove #{} {} ({:?})",
            removal.id, removal.case_number, removal.reason
        );
    }
    if !plan.kept.is_empty() {
        let _ = writeln!(out, "  keep {}: {}", plan.kept.len(), list(&plan.kept));
    }
    if !plan.demoted.is_empty() {
        let _ = writeln!(
            out,
            "  over the limit, to overflow: {}",
            list(&plan.demoted)
        );
    }
    if !plan.poll.is_empty() {
        let _ = writeln!(out, "  ask again (pending): {}", list(&plan.poll));
    }
    if !projection.admitted_from_overflow.is_empty() {
        let _ = writeln!(
            out,
            "  admit from overflow: {}",
            list(&projection.admitted_from_overflow)
        );
    }
    let new_admitted: Vec<CaseNumber> = projection
        .final_set
        .iter()
        .skip(plan.kept.len())
        .filter(|n| !projection.admitted_from_overflow.contains(n) && !plan.poll.contains(n))
        .cloned()
        .collect();
    if !new_admitted.is_empty() {
        let _ = writeln!(out, "  retrieve and monitor: {}", list(&new_admitted));
    }
    if !projection.overflow_add.is_empty() {
        let _ = writeln!(out, "  to overflow: {}", list(&projection.overflow_add));
    }
    for task in plan.fix_tasks.iter().take(LISTED) {
        let _ = writeln!(out, "  task on lead {}: {}", task.lead_id, task.detail);
    }
    let _ = writeln!(
        out,
        "  syncCases: {}",
        if projection.sync_needed {
            format!("{} case(s)", projection.final_set.len())
        } else {
            "not needed".to_owned()
        }
    );
    out
}
