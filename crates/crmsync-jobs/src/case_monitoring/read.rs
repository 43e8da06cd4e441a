//! Reading a run's inputs: leads as [`LeadCase`]s, the remembered state, which remembered tasks are open.

use std::collections::BTreeSet;

use crmsync_domain::crm::{FieldId, Lead, TaskId};
use crmsync_ports::{
    CrmClient, CrmClientExt, CrmError, KeyValueStore, LeadFilter, Order, OrderField, SortDirection,
    TaskFilter,
};

use super::error::CaseMonitoringError;
use super::input::{JobState, LeadCase};
use super::settings::JobSettings;

/// Task ids asked for per request when checking which remembered tasks are open.
const IDS_PER_REQUEST: usize = 100;

/// A lead reduced to its id, responsible user and the first value of the case-number field.
pub fn lead_case(lead: &Lead, field: FieldId) -> LeadCase {
    LeadCase {
        lead_id: lead.id.0,
        responsible_user_id: lead.responsible_user_id.map(|u| u.0),
        value: lead
            .custom_fields
            .by_id(field)
            .and_then(|f| f.first_text())
            .map(|text| text.into_owned()),
    }
}

/// Every lead in the configured stages, oldest id first.
pub(crate) async fn leads(
    crm: &dyn CrmClient,
    settings: &JobSettings,
) -> Result<Vec<LeadCase>, CrmError> {
    if settings.stages.is_empty() {
        return Ok(Vec::new());
    }
    let mut filter = LeadFilter::in_statuses(settings.stages.iter().copied());
    filter.order = Some(Order {
        field: OrderField::Id,
        direction: SortDirection::Asc,
    });
    let leads = crm.all_leads(&filter).await?;
    Ok(leads
        .iter()
        .filter(|lead| !lead.is_deleted)
        .map(|lead| lead_case(lead, settings.case_field))
        .collect())
}

/// The remembered state and the raw value it was read from (for a compare-and-swap on save).
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredState {
    pub(crate) state: JobState,
    raw: Option<String>,
}

pub(crate) async fn load_state(
    store: &dyn KeyValueStore,
    key: &str,
) -> Result<StoredState, CaseMonitoringError> {
    let raw = store.get(key).await?;
    let state = match &raw {
        None => JobState::default(),
        Some(text) => {
            serde_json::from_str(text).map_err(|e| CaseMonitoringError::CorruptState {
                key: key.to_owned(),
                reason: e.to_string(),
            })?
        }
    };
    Ok(StoredState { state, raw })
}

/// Writes `state` if it changed, only if nobody else wrote since it was read.
pub(crate) async fn save_state(
    store: &dyn KeyValueStore,
    key: &str,
    stored: &mut StoredState,
    state: &JobState,
) -> Result<(), CaseMonitoringError> {
    if *state == stored.state && stored.raw.is_some() {
        return Ok(());
    }
    if *state == JobState::default() && stored.raw.is_none() {
        return Ok(());
    }
    let text = serde_json::to_string(state).map_err(|e| CaseMonitoringError::CorruptState {
        key: key.to_owned(),
        reason: e.to_string(),
    })?;
    if !store
        .compare_and_swap(key, stored.raw.clone(), &text, None)
        .await?
    {
        return Err(CaseMonitoringError::StateConflict {
            key: key.to_owned(),
        });
    }
    stored.state = state.clone();
    stored.raw = Some(text);
    Ok(())
}

/// Which of `ids` are tasks that still exist and are not completed.
pub(crate) async fn open_tasks(
    crm: &dyn CrmClient,
    ids: &[i64],
) -> Result<BTreeSet<i64>, CrmError> {
    let mut open = BTreeSet::new();
    for chunk in ids.chunks(IDS_PER_REQUEST) {
        let filter = TaskFilter {
            ids: chunk.iter().map(|id| TaskId(*id)).collect(),
            ..TaskFilter::default()
        };
        for task in crm.all_tasks(&filter).await? {
            if !task.is_completed {
                open.insert(task.id.0);
            }
        }
    }
    Ok(open)
}
