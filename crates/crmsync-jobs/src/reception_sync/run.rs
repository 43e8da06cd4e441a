//! A whole run: check the account once (cached), refresh the links from amoCRM, then page through the MIS in
//! batches — read patients and counts, look up links, verify candidate deals in bulk, plan, apply, and only
//! then move the cursor.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use crmsync_domain::crm::{EntityKind, Lead, LeadId};
use crmsync_domain::{MisReception, PatientId, Phone, ReceptionId};
use crmsync_ports::{
    CrmClient, KeyValueStore, LeadFilter, Link, MisCursor, MisSource, Progress, ReceptionLinkStore,
};
use serde::{Deserialize, Serialize};

use super::apply::{apply, count_planned};
use super::error::ReceptionSyncError;
use super::overlay::Overlay;
use super::plan::{BatchInput, Plan, plan};
use super::read::refresh;
use super::report::{Report, SyncMode};
use super::settings::{MAX_BATCH, SyncSettings};
use crate::shutdown::Shutdown;

/// The ports a run uses.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    /// amoCRM.
    pub crm: &'a dyn CrmClient,
    /// IDENT.
    pub mis: &'a dyn MisSource,
    /// The link tables.
    pub links: &'a dyn ReceptionLinkStore,
    /// Cursors and the cached account check.
    pub cursors: &'a dyn KeyValueStore,
}

/// Which receptions a run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Changed since the stored cursor.
    Incremental,
    /// Changed since this MIS-local time.
    Since(NaiveDateTime),
    /// Changed in the deep-sync window before `now`.
    Deep,
    /// One reception.
    Single(ReceptionId),
}

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Which receptions.
    pub scope: Scope,
    /// Read and plan only; write nothing (no amoCRM change, no link, no cursor).
    pub dry_run: bool,
    /// The run's time (intents, the deep-sync window).
    pub now: DateTime<Utc>,
    /// Asked between batches: a requested stop ends the run after the current batch.
    pub shutdown: Shutdown,
}

impl RunOptions {
    /// A normal incremental run at `now`.
    pub fn incremental(now: DateTime<Utc>) -> Self {
        Self {
            scope: Scope::Incremental,
            dry_run: false,
            now,
            shutdown: Shutdown::never(),
        }
    }
}

/// What a run returns: its report and, for a single reception or a dry run, the plans.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The counts.
    pub report: Report,
    /// The plans of a dry run (at most the first batch) or of `test-reception`.
    pub plans: Vec<Plan>,
    /// Whether the run stopped early on request.
    pub stopped: bool,
}

/// How long an account check is trusted.
const ACCOUNT_CHECK_TTL: Duration = Duration::from_secs(3600);

/// Checks that the configured pipelines, stages and fields exist in the account (`custom_fields` of deals and,
/// when a contact field is mapped, of contacts). A passing check is remembered for an hour under a fingerprint
/// of the settings, so frequent runs do not pay for it.
pub async fn check_account(
    crm: &dyn CrmClient,
    cursors: &dyn KeyValueStore,
    settings: &SyncSettings,
) -> Result<(), ReceptionSyncError> {
    let fingerprint =
        serde_json::to_string(&(&settings.primary, &settings.secondary, &settings.fields))
            .unwrap_or_default();
    let key = settings.key("account-check");
    if cursors.get(&key).await?.as_deref() == Some(fingerprint.as_str()) {
        return Ok(());
    }
    let pipelines = crm.pipelines().await?;
    for (key, stage) in [
        ("pipelines.primary", settings.primary),
        ("pipelines.secondary", settings.secondary),
    ] {
        let Some(pipeline) = pipelines.iter().find(|p| p.id == stage.pipeline_id) else {
            return Err(ReceptionSyncError::Config {
                key: format!("{key}.pipeline_id"),
                reason: format!("the account has no pipeline {}", stage.pipeline_id.0),
            });
        };
        if pipeline.status(stage.status_id).is_none() {
            return Err(ReceptionSyncError::Config {
                key: format!("{key}.status_id"),
                reason: format!(
                    "pipeline {} has no status {}",
                    stage.pipeline_id.0, stage.status_id.0
                ),
            });
        }
    }
    let lead_fields = crm.custom_fields(EntityKind::Leads).await?;
    for (key, field) in settings.fields.lead_fields() {
        if !lead_fields.iter().any(|f| f.id == field) {
            return Err(ReceptionSyncError::Config {
                key: key.to_owned(),
                reason: format!("the account has no deal field {}", field.0),
            });
        }
    }
    let contact_mapped = settings.fields.contact_fields();
    if !contact_mapped.is_empty() {
        let contact_fields = crm.custom_fields(EntityKind::Contacts).await?;
        for (key, field) in contact_mapped {
            if !contact_fields.iter().any(|f| f.id == field) {
                return Err(ReceptionSyncError::Config {
                    key: key.to_owned(),
                    reason: format!("the account has no contact field {}", field.0),
                });
            }
        }
    }
    cursors
        .put(&key, &fingerprint, Some(ACCOUNT_CHECK_TTL))
        .await?;
    Ok(())
}

/// Runs a reception sync.
pub async fn run(
    ports: Ports<'_>,
    settings: &SyncSettings,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<Outcome, ReceptionSyncError> {
    let mut outcome = Outcome::default();
    outcome.report.mode = match options.scope {
        Scope::Incremental => SyncMode::Incremental,
        Scope::Since(_) => SyncMode::Since,
        Scope::Deep => SyncMode::Deep,
        Scope::Single(_) => SyncMode::Single,
    };
    outcome.report.dry_run = options.dry_run;
    check_account(ports.crm, ports.cursors, settings).await?;
    let overlay = Overlay::new(ports.links);
    let links: &dyn ReceptionLinkStore = if options.dry_run {
        &overlay
    } else {
        ports.links
    };
    outcome.report.amocrm_read =
        refresh(ports.crm, links, ports.cursors, settings, !options.dry_run).await?;
    tracing::info!(
        leads = outcome.report.amocrm_read.leads,
        contacts = outcome.report.amocrm_read.contacts,
        bootstrap = outcome.report.amocrm_read.bootstrap,
        "amoCRM links refreshed"
    );
    let batch = settings.batch_size.clamp(1, MAX_BATCH);
    let cursor_key = settings.key("receptions");
    let stored: Option<MisCursor> = ports
        .cursors
        .get(&cursor_key)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok());
    let local_now = options.now.with_timezone(&settings.offset()).naive_local();
    let mut cursor = match options.scope {
        Scope::Incremental => stored,
        Scope::Since(at) => Some(MisCursor::since(at)),
        Scope::Deep => Some(MisCursor::since(
            local_now - chrono::Duration::days(i64::from(settings.deep_sync_days)),
        )),
        Scope::Single(_) => None,
    };
    loop {
        let page: Vec<MisReception> = match options.scope {
            Scope::Single(id) => ports.mis.reception(id).await?.into_iter().collect(),
            _ => {
                ports
                    .mis
                    .receptions_since(cursor, u32::try_from(batch).unwrap_or(250))
                    .await?
            }
        };
        let Some(last) = page.last() else { break };
        let next = MisCursor {
            changed_at: last.changed_at,
            id: last.id,
        };
        outcome.report.receptions += page.len() as u64;
        outcome.report.batches += 1;
        let planned = plan_batch(ports, links, settings, &page, &mut outcome.report).await?;
        if options.dry_run {
            count_planned(&planned, &mut outcome.report);
            if outcome.plans.is_empty() {
                outcome.plans.push(planned);
            }
        } else {
            if let Err(error) =
                apply(&planned, ports.crm, links, options.now, &mut outcome.report).await
            {
                return Err(ReceptionSyncError::Stopped {
                    source: Box::new(error),
                    report: Box::new(outcome.report),
                });
            }
            if matches!(options.scope, Scope::Single(_)) {
                outcome.plans.push(planned);
            }
            if matches!(options.scope, Scope::Incremental | Scope::Since(_))
                && stored.is_none_or(|s| next > s)
            {
                let value = serde_json::to_string(&next).unwrap_or_default();
                ports.cursors.put(&cursor_key, &value, None).await?;
            }
        }
        progress.advance(page.len() as u64);
        tracing::info!(
            receptions = page.len(),
            created = outcome.report.deals_created,
            updated = outcome.report.deals_updated,
            errors = outcome.report.errors,
            "batch done"
        );
        if matches!(options.scope, Scope::Single(_)) || page.len() < batch {
            break;
        }
        cursor = Some(next);
        if options.shutdown.reason().is_some() {
            outcome.stopped = true;
            break;
        }
    }
    Ok(outcome)
}

/// Reads what the plan of one batch needs and plans it.
async fn plan_batch(
    ports: Ports<'_>,
    links: &dyn ReceptionLinkStore,
    settings: &SyncSettings,
    page: &[MisReception],
    report: &mut Report,
) -> Result<Plan, ReceptionSyncError> {
    let patient_ids: Vec<PatientId> = page
        .iter()
        .filter_map(|r| r.patient_id.map(PatientId))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let patients = ports.mis.patients(&patient_ids).await?;
    let completed = ports.mis.completed_counts(&patient_ids).await?;
    let reception_ids: Vec<ReceptionId> = page.iter().map(|r| ReceptionId(r.id)).collect();
    let reception_links: HashMap<ReceptionId, Link<LeadId>> = links
        .reception_leads(&reception_ids)
        .await?
        .into_iter()
        .collect();
    let patient_links = links
        .patient_contacts(&patient_ids)
        .await?
        .into_iter()
        .collect();
    let phones: Vec<String> = patients
        .iter()
        .flat_map(|p| p.phones.iter())
        .filter_map(|p| Phone::parse(p).ok())
        .map(|p| p.as_e164().to_owned())
        .collect();
    let phone_links = links.phone_contacts(&phones).await?.into_iter().collect();
    let numbers: Vec<String> = patients
        .iter()
        .filter_map(|p| p.patient_number.as_ref())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    let number_links: HashMap<String, LeadId> = if settings.fields.patient_number.is_some() {
        links.number_leads(&numbers).await?.into_iter().collect()
    } else {
        HashMap::new()
    };
    let mut candidates: Vec<LeadId> = reception_links
        .values()
        .filter_map(Link::linked)
        .chain(number_links.values().copied())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    candidates.sort();
    let mut leads: Vec<Lead> = Vec::with_capacity(candidates.len());
    for chunk in candidates.chunks(MAX_BATCH) {
        let filter = LeadFilter {
            limit: Some(MAX_BATCH as u32),
            with_contacts: true,
            ..LeadFilter::ids(chunk.iter().copied())
        };
        leads.extend(ports.crm.list_leads(&filter, None).await?.items);
    }
    report.verified_leads += candidates.len() as u64;
    let input = BatchInput {
        receptions: page,
        patients: patients.iter().map(|p| (PatientId(p.id), p)).collect(),
        completed: completed.into_iter().collect(),
        reception_links,
        patient_links,
        phone_links,
        number_links,
        leads: leads.iter().map(|l| (l.id, l)).collect(),
    };
    Ok(plan(&input, settings))
}
