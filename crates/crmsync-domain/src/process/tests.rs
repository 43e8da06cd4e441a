//! Transition rules of the run journal entry.

use chrono::TimeZone;
use serde_json::json;

use super::*;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn pending() -> Process {
    let new = NewProcess {
        kind: ProcessKind::new("sample.job").unwrap(),
        settings: json!({"n": 1}),
        total: Some(10),
    };
    Process::new(ProcessId(7), new, at(0))
}

#[test]
fn a_run_goes_pending_running_completed() {
    let mut p = pending();
    assert_eq!(p.status(), ProcessStatus::Pending);
    p.start(at(1)).unwrap();
    assert_eq!((p.status(), p.attempts()), (ProcessStatus::Running, 1));
    p.progress(4, None, Some("chunk".into()), at(2)).unwrap();
    assert_eq!((p.processed(), p.total()), (4, Some(10)));
    p.complete(at(3)).unwrap();
    assert_eq!(p.status(), ProcessStatus::Completed);
    assert_eq!(p.record().finished_at, Some(at(3)));
}

#[test]
fn illegal_transitions_are_refused_and_change_nothing() {
    let mut p = pending();
    let before = p.clone();
    assert_eq!(p.complete(at(1)).unwrap_err().from, ProcessStatus::Pending);
    assert!(p.fail("x", at(1)).is_err());
    assert!(p.progress(1, None, None, at(1)).is_err());
    assert!(p.requeue().is_err());
    assert_eq!(p, before);

    p.start(at(1)).unwrap();
    assert!(p.start(at(2)).is_err());
    p.complete(at(3)).unwrap();
    for result in [
        p.start(at(4)),
        p.fail("late", at(4)),
        p.abort("late", at(4)),
        p.requeue(),
    ] {
        assert!(result.is_err());
    }
    assert_eq!(p.status(), ProcessStatus::Completed);
}

#[test]
fn a_failed_run_keeps_its_error_and_progress_when_requeued() {
    let mut p = pending();
    p.start(at(1)).unwrap();
    p.progress(5, None, None, at(2)).unwrap();
    p.set_checkpoint(json!({"next": 5})).unwrap();
    p.fail("amoCRM answered 502", at(3)).unwrap();
    assert_eq!(
        p.record().last_error.as_deref(),
        Some("amoCRM answered 502")
    );
    p.requeue().unwrap();
    p.start(at(4)).unwrap();
    assert_eq!((p.attempts(), p.processed()), (2, 5));
    assert_eq!(p.checkpoint(), Some(&json!({"next": 5})));
    p.complete(at(5)).unwrap();
    assert_eq!(p.record().last_error, None);
}

#[test]
fn staleness_is_measured_from_the_last_heartbeat() {
    let mut p = pending();
    assert!(!p.is_stale(at(100)), "a pending run is never stale");
    p.start(at(1)).unwrap();
    p.heartbeat(at(50)).unwrap();
    assert!(!p.is_stale(at(50)));
    assert!(p.is_stale(at(51)));
    p.mark_stale(at(200)).unwrap();
    assert_eq!(p.status(), ProcessStatus::Failed);
    assert!(
        p.record()
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("heartbeat lost since")
    );
}

#[test]
fn aborting_is_final() {
    let mut p = pending();
    p.abort("operator", at(1)).unwrap();
    assert!(p.status().is_terminal());
    assert!(p.start(at(2)).is_err());
}

#[test]
fn kinds_and_statuses_are_validated() {
    assert!(ProcessKind::new("coupons.generate").is_ok());
    for bad in ["", "Coupons", "with space", &"x".repeat(65)] {
        assert!(ProcessKind::new(bad).is_err(), "{bad:?}");
    }
    for status in ProcessStatus::ALL {
        assert_eq!(status.as_str().parse::<ProcessStatus>(), Ok(status));
    }
    assert!("done".parse::<ProcessStatus>().is_err());
}
