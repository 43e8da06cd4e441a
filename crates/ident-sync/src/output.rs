//! Printing: a run's report (with the plan of a dry run or `test-reception`), statistics, checks — as text or
//! one JSON document. Ids only; never a name or a phone.

use std::fmt::Write as _;

use crmsync_domain::ProcessId;
use crmsync_jobs::reception_sync::{Action, ContactRef, Outcome, Plan};
use serde_json::{Value, json};

use crate::stats::Stats;

/// Most decisions listed in the text plan.
const LISTED: usize = 20;

/// Prints `value` as JSON, or the text `text` makes.
pub(crate) fn print_json_or(as_json: bool, value: &Value, text: impl FnOnce() -> String) {
    if as_json {
        println!("{value}");
    } else {
        println!("{}", text());
    }
}

/// Prints a run.
pub(crate) fn print_outcome(
    outcome: &Outcome,
    process: Option<ProcessId>,
    as_json: bool,
    requests: u64,
) {
    let mut report = outcome.report.clone();
    report.amocrm_requests = Some(requests);
    if as_json {
        println!(
            "{}",
            json!({
                "process_id": process,
                "report": report,
                "stopped": outcome.stopped,
                "plans": outcome.plans.iter().map(plan_json).collect::<Vec<_>>(),
            })
        );
        return;
    }
    if let Some(id) = process {
        println!("run journaled as process {id}");
    }
    print!("{report}");
    if outcome.stopped {
        println!("  stopped on request after the current batch");
    }
    for plan in &outcome.plans {
        print!("{}", describe(plan));
    }
}

/// A plan as JSON: per decision the reception, its patient, funnel and what to do, by ids — never the content
/// of a contact or deal (names, phones).
pub(crate) fn plan_json(plan: &Plan) -> Value {
    let decisions: Vec<Value> = plan
        .decisions
        .iter()
        .map(|d| {
            let action = match &d.action {
                Action::Update { level, update } => {
                    json!({ "kind": "update", "lead_id": update.id.0, "found_by": level })
                }
                Action::Unchanged { lead } => json!({ "kind": "unchanged", "lead_id": lead.0 }),
                Action::Create {
                    level,
                    contact,
                    deal,
                } => {
                    let (kind, contact_id) = match contact {
                        ContactRef::Existing(c) => ("create_deal", Some(c.0)),
                        ContactRef::New(_) => ("create_contact_and_deal", None),
                    };
                    json!({
                        "kind": kind,
                        "contact_id": contact_id,
                        "found_by": level,
                        "pipeline_id": deal.pipeline_id.map(|p| p.0),
                        "status_id": deal.status_id.map(|s| s.0),
                    })
                }
                Action::Skip(reason) => json!({ "kind": "skip", "reason": reason.to_string() }),
            };
            json!({
                "reception_id": d.reception.0,
                "patient_id": d.patient.map(|p| p.0),
                "funnel": d.funnel,
                "action": action,
            })
        })
        .collect();
    json!({ "decisions": decisions, "new_contacts": plan.contacts.len() })
}

/// A plan as text.
pub(crate) fn describe(plan: &Plan) -> String {
    let mut out = String::from("plan:\n");
    for decision in plan.decisions.iter().take(LISTED) {
        let funnel = decision.funnel.map_or("-", |f| f.as_str());
        let what = match &decision.action {
            Action::Update { level, update } => {
                format!("update deal {} (found by {level:?})", update.id.0)
            }
            Action::Unchanged { lead } => format!("deal {} is up to date", lead.0),
            Action::Create {
                contact: ContactRef::Existing(c),
                level,
                ..
            } => format!("create a deal for contact {} (found by {level:?})", c.0),
            Action::Create {
                contact: ContactRef::New(p),
                ..
            } => format!("create a contact for patient {} and a deal", p.0),
            Action::Skip(reason) => format!("skip: {reason}"),
        };
        let _ = writeln!(
            out,
            "  reception {} [{funnel}]: {what}",
            decision.reception.0
        );
    }
    if plan.decisions.len() > LISTED {
        let _ = writeln!(out, "  … {} more", plan.decisions.len() - LISTED);
    }
    out
}

/// Prints the statistics.
pub(crate) fn print_stats(stats: &Stats, as_json: bool) {
    print_json_or(as_json, &json!(stats), || {
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or_else(
                || "never".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            )
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "last reception sync: {}",
            time(stats.last_reception_sync)
        );
        let _ = writeln!(
            out,
            "last patient sync:   {}",
            time(stats.last_patient_sync)
        );
        let _ = writeln!(out, "last deep sync:      {}", time(stats.last_deep_sync));
        let _ = writeln!(
            out,
            "runs {} (failed {}), receptions {}, deals created {}, updated {}, contacts created {}",
            stats.runs,
            stats.failed_runs,
            stats.total_receptions,
            stats.deals_created,
            stats.deals_updated,
            stats.contacts_created
        );
        let _ = writeln!(
            out,
            "funnel distribution: {} primary, {} secondary",
            stats.primary_funnel_count, stats.secondary_funnel_count
        );
        let _ = writeln!(
            out,
            "linked: {} reception(s) to deals, {} patient(s) to contacts",
            stats.linked_receptions, stats.linked_patients
        );
        let _ = write!(out, "recent errors: {}", stats.sync_errors.len());
        for error in &stats.sync_errors {
            let _ = write!(out, "\n  {error}");
        }
        out
    });
}
