//! `ident-sync stats`: from the run journal — the last run of each kind, totals and the funnel distribution
//! over the journaled runs, and the most recent errors; plus the link tables' sizes.

use chrono::{DateTime, Utc};
use crmsync_domain::{ProcessKind, ProcessStatus};
use crmsync_jobs::reception_sync::Report;
use crmsync_ports::{ProcessFilter, ProcessStore, ReceptionLinkStore, StoreError};
use serde::Serialize;

/// How many journal entries per kind are read.
const WINDOW: u32 = 500;

/// The statistics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// When the last reception sync finished successfully.
    pub last_reception_sync: Option<DateTime<Utc>>,
    /// When the last patient sync finished successfully.
    pub last_patient_sync: Option<DateTime<Utc>>,
    /// When the last deep sync finished successfully.
    pub last_deep_sync: Option<DateTime<Utc>>,
    /// Runs read.
    pub runs: u64,
    /// Failed runs among them.
    pub failed_runs: u64,
    /// Receptions handled over those runs.
    pub total_receptions: u64,
    /// Deals created.
    pub deals_created: u64,
    /// Deals updated.
    pub deals_updated: u64,
    /// Contacts created.
    pub contacts_created: u64,
    /// Primary-funnel receptions.
    pub primary_funnel_count: u64,
    /// Secondary-funnel receptions.
    pub secondary_funnel_count: u64,
    /// Receptions linked to deals, patients to contacts.
    pub linked_receptions: u64,
    /// Patients linked to contacts.
    pub linked_patients: u64,
    /// The newest errors (reception id and message, or the run's error).
    pub sync_errors: Vec<String>,
}

/// Reads the statistics.
pub async fn collect(
    journal: &dyn ProcessStore,
    links: &dyn ReceptionLinkStore,
) -> Result<Stats, StoreError> {
    let mut stats = Stats::default();
    for (name, slot) in [
        ("ident.reception-sync", 0),
        ("ident.patient-sync", 1),
        ("ident.deep-sync", 2),
    ] {
        let kind = ProcessKind::new(name).map_err(|e| StoreError::Invalid {
            field: "kind",
            reason: e.to_string(),
        })?;
        let entries = journal
            .list(&ProcessFilter {
                kind: Some(kind),
                limit: Some(WINDOW),
                ..ProcessFilter::default()
            })
            .await?;
        for process in &entries {
            let record = process.record();
            stats.runs += 1;
            if process.status() == ProcessStatus::Failed {
                stats.failed_runs += 1;
                if stats.sync_errors.len() < 10
                    && let Some(error) = &record.last_error
                {
                    stats
                        .sync_errors
                        .push(format!("run {}: {error}", record.id));
                }
            }
            if process.status() == ProcessStatus::Completed {
                let last = match slot {
                    0 => &mut stats.last_reception_sync,
                    1 => &mut stats.last_patient_sync,
                    _ => &mut stats.last_deep_sync,
                };
                *last = (*last).max(record.finished_at);
            }
            let Some(report) = record
                .checkpoint
                .clone()
                .and_then(|c| serde_json::from_value::<Report>(c).ok())
            else {
                continue;
            };
            stats.total_receptions += report.receptions;
            stats.deals_created += report.deals_created;
            stats.deals_updated += report.deals_updated;
            stats.contacts_created += report.contacts_created;
            stats.primary_funnel_count += report.primary;
            stats.secondary_funnel_count += report.secondary;
            for failure in report.failures {
                if stats.sync_errors.len() < 10 {
                    stats
                        .sync_errors
                        .push(format!("reception {}: {}", failure.id, failure.error));
                }
            }
        }
    }
    let (receptions, patients, _, _) = links.counts().await?;
    stats.linked_receptions = receptions;
    stats.linked_patients = patients;
    Ok(stats)
}
