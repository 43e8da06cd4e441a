//! What every `AuditLog` must do.

use chrono::{Duration, DurationRound, Utc};
use crmsync_domain::ProcessId;
use crmsync_ports::{AuditEntry, AuditFilter, AuditLog, AuditOutcome};

fn entry(actor: &str, action: &str, process: Option<i64>, outcome: AuditOutcome) -> AuditEntry {
    AuditEntry {
        at: Utc::now()
            .duration_trunc(Duration::microseconds(1))
            .unwrap(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        process: process.map(ProcessId),
        outcome,
        detail: (outcome != AuditOutcome::Ok).then(|| "нужна роль admin".to_owned()),
    }
}

/// The audit table keeps every entry as written, lists newest first, filters by run and limits.
pub async fn audit_log(log: &dyn AuditLog) {
    assert!(log.list(&AuditFilter::default()).await.unwrap().is_empty());
    let written = [
        entry("token:shop", "start", Some(7), AuditOutcome::Ok),
        entry("token:shop", "step", Some(7), AuditOutcome::Ok),
        entry("token:viewer", "abort", Some(7), AuditOutcome::Denied),
        entry("user:ирина", "generate", None, AuditOutcome::Failed),
        entry("token:shop", "start", Some(8), AuditOutcome::Ok),
    ];
    for e in &written {
        log.record(e).await.unwrap();
    }
    let all = log.list(&AuditFilter::default()).await.unwrap();
    assert_eq!(all.len(), 5);
    let newest_first: Vec<AuditEntry> = written.iter().rev().cloned().collect();
    assert_eq!(
        all.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(),
        newest_first
    );
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "ids increase");
    let run7 = log
        .list(&AuditFilter {
            process: Some(ProcessId(7)),
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(
        run7.iter()
            .map(|r| r.entry.action.as_str())
            .collect::<Vec<_>>(),
        ["abort", "step", "start"]
    );
    assert_eq!(run7[0].entry.outcome, AuditOutcome::Denied);
    let limited = log
        .list(&AuditFilter {
            process: None,
            limit: Some(2),
        })
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[1].entry.actor, "user:ирина");
}
