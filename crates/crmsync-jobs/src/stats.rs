//! Per-kind summary of the run journal: last run, last success, counts by status, recent errors.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crmsync_domain::{Process, ProcessId, ProcessKind, ProcessStatus};
use crmsync_ports::{ProcessFilter, ProcessStore, StoreError};
use serde::Serialize;

/// Summary of one kind of run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindStats {
    /// The kind.
    pub kind: ProcessKind,
    /// Runs looked at.
    pub runs: u64,
    /// Runs per status (every status listed, zeros included).
    pub by_status: BTreeMap<&'static str, u64>,
    /// The newest run.
    pub last_run: Option<RunSummary>,
    /// When the newest successful run finished.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The newest failures, newest first.
    pub recent_errors: Vec<RecentError>,
}

/// One run in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// The entry.
    pub id: ProcessId,
    /// Its status.
    pub status: ProcessStatus,
    /// When its latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When its latest attempt ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Units done.
    pub processed: u64,
    /// Units expected.
    pub total: Option<u64>,
    /// Attempts made.
    pub attempts: u32,
}

/// A failed run's error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentError {
    /// The entry.
    pub id: ProcessId,
    /// When it failed.
    pub at: Option<DateTime<Utc>>,
    /// The error.
    pub error: String,
}

/// How many errors [`stats`] keeps per kind.
const RECENT_ERRORS: usize = 5;

/// Summarises the newest `window` entries of the journal, per kind, kinds in name order.
pub async fn stats(store: &dyn ProcessStore, window: u32) -> Result<Vec<KindStats>, StoreError> {
    let entries = store
        .list(&ProcessFilter {
            limit: Some(window),
            ..ProcessFilter::default()
        })
        .await?;
    Ok(summarise(&entries))
}

/// Groups `entries` (newest first) into per-kind statistics.
pub fn summarise(entries: &[Process]) -> Vec<KindStats> {
    let mut kinds: BTreeMap<&ProcessKind, KindStats> = BTreeMap::new();
    for process in entries {
        let stats = kinds.entry(process.kind()).or_insert_with(|| KindStats {
            kind: process.kind().clone(),
            runs: 0,
            by_status: ProcessStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
            last_run: None,
            last_success_at: None,
            recent_errors: Vec::new(),
        });
        let record = process.record();
        stats.runs += 1;
        *stats.by_status.entry(record.status.as_str()).or_default() += 1;
        if stats.last_run.is_none() {
            stats.last_run = Some(RunSummary {
                id: record.id,
                status: record.status,
                started_at: record.started_at,
                finished_at: record.finished_at,
                processed: record.processed,
                total: record.total,
                attempts: record.attempts,
            });
        }
        if record.status == ProcessStatus::Completed {
            stats.last_success_at = stats.last_success_at.max(record.finished_at);
        }
        if let (ProcessStatus::Failed, Some(error)) = (record.status, &record.last_error)
            && stats.recent_errors.len() < RECENT_ERRORS
        {
            stats.recent_errors.push(RecentError {
                id: record.id,
                at: record.finished_at,
                error: error.clone(),
            });
        }
    }
    kinds.into_values().collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use crmsync_domain::NewProcess;
    use serde_json::json;

    use super::*;

    fn entry(id: i64, kind: &str, outcome: Option<Result<(), &str>>) -> Process {
        let at = |s: i64| Utc.timestamp_opt(1_700_000_000 + id * 100 + s, 0).unwrap();
        let new = NewProcess {
            kind: ProcessKind::new(kind).unwrap(),
            settings: json!({}),
            total: None,
        };
        let mut p = Process::new(ProcessId(id), new, at(0));
        if let Some(outcome) = outcome {
            p.start(at(1)).unwrap();
            match outcome {
                Ok(()) => p.complete(at(2)).unwrap(),
                Err(e) => p.fail(e, at(2)).unwrap(),
            }
        }
        p
    }

    #[test]
    fn entries_are_summarised_per_kind() {
        let newest_first = vec![
            entry(5, "b.job", Some(Err("timeout"))),
            entry(4, "a.job", None),
            entry(3, "a.job", Some(Err("502"))),
            entry(2, "a.job", Some(Ok(()))),
            entry(1, "a.job", Some(Ok(()))),
        ];
        let stats = summarise(&newest_first);
        assert_eq!(
            stats.iter().map(|s| s.kind.as_str()).collect::<Vec<_>>(),
            ["a.job", "b.job"]
        );
        let a = &stats[0];
        assert_eq!(a.runs, 4);
        assert_eq!(
            (
                a.by_status["completed"],
                a.by_status["failed"],
                a.by_status["pending"]
            ),
            (2, 1, 1)
        );
        assert_eq!(a.last_run.as_ref().map(|r| r.id), Some(ProcessId(4)));
        assert_eq!(
            a.last_success_at,
            entry(2, "a.job", Some(Ok(()))).record().finished_at
        );
        assert_eq!(
            a.recent_errors
                .iter()
                .map(|e| e.error.as_str())
                .collect::<Vec<_>>(),
            ["502"]
        );
        assert_eq!(stats[1].recent_errors[0].error, "timeout");
    }
}
