//! What a reception sync needs to know about the amoCRM account: pipelines, stages, field ids, batch size.

use chrono::{FixedOffset, Offset, Utc};
use crmsync_domain::Funnel;
use crmsync_domain::crm::{FieldId, PipelineId, StatusId, StatusRef, UserId};
use serde::{Deserialize, Serialize};

/// amoCRM's "won" stage id, the same in every pipeline.
pub const WON: StatusId = StatusId(142);
/// amoCRM's "lost" stage id.
pub const LOST: StatusId = StatusId(143);
/// Most entities amoCRM accepts or returns per request.
pub const MAX_BATCH: usize = 250;
/// Most complex-add items amoCRM accepts per request.
pub const MAX_COMPLEX: usize = 50;

/// The amoCRM custom fields a deal (and a contact) gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// Deal field "ID приёма" (required: the first search level).
    pub reception_id: FieldId,
    /// Deal field "Дата приёма" (a date field: unix seconds of the planned start).
    pub reception_date: Option<FieldId>,
    /// Deal field "Врач".
    pub doctor: Option<FieldId>,
    /// Deal field "Услуга".
    pub service: Option<FieldId>,
    /// Deal field "Стоимость приёма" (numeric).
    pub cost: Option<FieldId>,
    /// Deal field "Порядковый номер пациента" (the second search level).
    pub patient_number: Option<FieldId>,
    /// Contact field for the date of birth (a date field), when wanted.
    pub contact_birthday: Option<FieldId>,
}

impl FieldMapping {
    /// Every mapped deal field with its configuration key (as `ident-sync`'s `[fields]` table names it), for the
    /// check against the account.
    pub fn lead_fields(&self) -> Vec<(&'static str, FieldId)> {
        let mut out = vec![("fields.reception_id", self.reception_id)];
        for (key, field) in [
            ("fields.reception_date", self.reception_date),
            ("fields.doctor_name", self.doctor),
            ("fields.service_name", self.service),
            ("fields.reception_cost", self.cost),
            ("fields.patient_number", self.patient_number),
        ] {
            if let Some(field) = field {
                out.push((key, field));
            }
        }
        out
    }

    /// Every mapped contact field with its configuration key.
    pub fn contact_fields(&self) -> Vec<(&'static str, FieldId)> {
        self.contact_birthday
            .map(|f| ("fields.contact_birthday", f))
            .into_iter()
            .collect()
    }
}

/// The settings of a reception sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    /// Where new deals of patients without a completed reception go ("Первичные приёмы"), and at which stage.
    pub primary: StatusRef,
    /// Where new deals of returning patients go ("Повторные приёмы").
    pub secondary: StatusRef,
    /// Stages never matched, besides 142 and 143.
    pub excluded_statuses: Vec<StatusId>,
    /// The responsible user of new deals and contacts.
    pub responsible_user: Option<UserId>,
    /// The field ids.
    pub fields: FieldMapping,
    /// Receptions per batch (at most 250: one create request per batch and kind).
    pub batch_size: usize,
    /// The clinic's offset from UTC (IDENT stores local time).
    pub utc_offset_minutes: i32,
    /// How many days back a deep sync re-reads.
    pub deep_sync_days: u32,
    /// Prefix of the cursor keys in the key-value store.
    pub key_prefix: String,
}

impl SyncSettings {
    /// Settings with defaults for everything but the pipelines and the reception-id field.
    pub fn new(primary: StatusRef, secondary: StatusRef, reception_id: FieldId) -> Self {
        Self {
            primary,
            secondary,
            excluded_statuses: Vec::new(),
            responsible_user: None,
            fields: FieldMapping {
                reception_id,
                reception_date: None,
                doctor: None,
                service: None,
                cost: None,
                patient_number: None,
                contact_birthday: None,
            },
            batch_size: MAX_BATCH,
            utc_offset_minutes: 180,
            deep_sync_days: 14,
            key_prefix: "ident".to_owned(),
        }
    }

    /// The pipeline and first stage of `funnel`.
    pub fn stage_of(&self, funnel: Funnel) -> StatusRef {
        match funnel {
            Funnel::Primary => self.primary,
            Funnel::Secondary => self.secondary,
        }
    }

    /// The two pipelines searched.
    pub fn pipelines(&self) -> Vec<PipelineId> {
        let mut out = vec![self.primary.pipeline_id];
        if self.secondary.pipeline_id != self.primary.pipeline_id {
            out.push(self.secondary.pipeline_id);
        }
        out
    }

    /// Whether a deal in `stage` may be matched: one of the two pipelines, not won, lost or excluded.
    pub fn is_active(&self, stage: StatusRef) -> bool {
        self.pipelines().contains(&stage.pipeline_id)
            && stage.status_id != WON
            && stage.status_id != LOST
            && !self.excluded_statuses.contains(&stage.status_id)
    }

    /// The clinic's time zone.
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes.saturating_mul(60))
            .unwrap_or_else(|| Utc.fix())
    }

    /// The key of a cursor (`receptions`, `patients`, `amocrm.leads`, `amocrm.contacts`).
    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.key_prefix)
    }
}
