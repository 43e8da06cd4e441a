//! What a list call asks for: ids, stages, time ranges, full-text query, related entities, order.

use chrono::{DateTime, Utc};
use crmsync_domain::crm::{
    CompanyId, ContactId, EntityKind, LeadId, PipelineId, StatusRef, TaskId, TaskTypeId, UserId,
};

/// A time range; either end may be open. Both ends are inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    /// From this instant on.
    pub from: Option<DateTime<Utc>>,
    /// Up to this instant.
    pub to: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// Everything since `from`.
    pub const fn since(from: DateTime<Utc>) -> Self {
        Self {
            from: Some(from),
            to: None,
        }
    }

    /// Everything between `from` and `to`.
    pub const fn between(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self {
            from: Some(from),
            to: Some(to),
        }
    }
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// A field lists can be ordered by (not every entity supports every field: contacts and companies order by
/// `updated_at` and `id`; tasks by `created_at`, `complete_till` and `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    /// Id.
    Id,
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Task deadline.
    CompleteTill,
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// By which field.
    pub field: OrderField,
    /// In which direction.
    pub direction: SortDirection,
}

impl Order {
    /// Oldest change first: what incremental sync wants.
    pub const UPDATED_ASC: Self = Self {
        field: OrderField::UpdatedAt,
        direction: SortDirection::Asc,
    };
}

/// Which leads to list. Empty vectors and `None` mean "no condition".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeadFilter {
    /// Only these leads.
    pub ids: Vec<LeadId>,
    /// Only leads in one of these (pipeline, status) stages.
    pub statuses: Vec<StatusRef>,
    /// Only leads in these pipelines.
    pub pipeline_ids: Vec<PipelineId>,
    /// Only leads of these responsible users.
    pub responsible_user_ids: Vec<UserId>,
    /// Only leads changed in this range.
    pub updated_at: Option<TimeRange>,
    /// Full-text search over names and field values.
    pub query: Option<String>,
    /// Also read each lead's linked contacts.
    pub with_contacts: bool,
    /// Order of the results.
    pub order: Option<Order>,
    /// Page size (at most 250; 250 when `None`).
    pub limit: Option<u32>,
}

impl LeadFilter {
    /// Leads with these ids.
    pub fn ids(ids: impl IntoIterator<Item = LeadId>) -> Self {
        Self {
            ids: ids.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Leads in these stages.
    pub fn in_statuses(statuses: impl IntoIterator<Item = StatusRef>) -> Self {
        Self {
            statuses: statuses.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Also read linked contacts.
    #[must_use]
    pub fn with_contacts(mut self) -> Self {
        self.with_contacts = true;
        self
    }

    /// Only leads changed since `from`, oldest change first.
    #[must_use]
    pub fn updated_since(mut self, from: DateTime<Utc>) -> Self {
        self.updated_at = Some(TimeRange::since(from));
        self.order = Some(Order::UPDATED_ASC);
        self
    }
}

/// Which contacts to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactFilter {
    /// Only these contacts.
    pub ids: Vec<ContactId>,
    /// Only contacts of these responsible users.
    pub responsible_user_ids: Vec<UserId>,
    /// Only contacts changed in this range.
    pub updated_at: Option<TimeRange>,
    /// Full-text search over names and field values (phones, e-mails).
    pub query: Option<String>,
    /// Also read each contact's linked leads.
    pub with_leads: bool,
    /// Order of the results.
    pub order: Option<Order>,
    /// Page size (at most 250; 250 when `None`).
    pub limit: Option<u32>,
}

impl ContactFilter {
    /// Contacts with these ids.
    pub fn ids(ids: impl IntoIterator<Item = ContactId>) -> Self {
        Self {
            ids: ids.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Contacts whose fields contain `query` (for a phone: digits without `+`).
    pub fn query(query: impl Into<String>) -> Self {
        Self {
            query: Some(query.into()),
            ..Self::default()
        }
    }

    /// Also read linked leads.
    #[must_use]
    pub fn with_leads(mut self) -> Self {
        self.with_leads = true;
        self
    }

    /// Only contacts changed since `from`, oldest change first.
    #[must_use]
    pub fn updated_since(mut self, from: DateTime<Utc>) -> Self {
        self.updated_at = Some(TimeRange::since(from));
        self.order = Some(Order::UPDATED_ASC);
        self
    }
}

/// Which companies to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompanyFilter {
    /// Only these companies.
    pub ids: Vec<CompanyId>,
    /// Only companies of these responsible users.
    pub responsible_user_ids: Vec<UserId>,
    /// Only companies changed in this range.
    pub updated_at: Option<TimeRange>,
    /// Full-text search over names and field values.
    pub query: Option<String>,
    /// Also read each company's linked contacts.
    pub with_contacts: bool,
    /// Also read each company's linked leads.
    pub with_leads: bool,
    /// Order of the results.
    pub order: Option<Order>,
    /// Page size (at most 250; 250 when `None`).
    pub limit: Option<u32>,
}

impl CompanyFilter {
    /// Companies with these ids.
    pub fn ids(ids: impl IntoIterator<Item = CompanyId>) -> Self {
        Self {
            ids: ids.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Only companies changed since `from`, oldest change first.
    #[must_use]
    pub fn updated_since(mut self, from: DateTime<Utc>) -> Self {
        self.updated_at = Some(TimeRange::since(from));
        self.order = Some(Order::UPDATED_ASC);
        self
    }
}

/// Which tasks to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskFilter {
    /// Only these tasks.
    pub ids: Vec<TaskId>,
    /// Only tasks about entities of this kind.
    pub entity_kind: Option<EntityKind>,
    /// Only tasks about these entities (needs `entity_kind`).
    pub entity_ids: Vec<i64>,
    /// Only done (`Some(true)`) or open (`Some(false)`) tasks.
    pub is_completed: Option<bool>,
    /// Only tasks of these responsible users.
    pub responsible_user_ids: Vec<UserId>,
    /// Only tasks of these types.
    pub task_type_ids: Vec<TaskTypeId>,
    /// Only tasks changed in this range.
    pub updated_at: Option<TimeRange>,
    /// Order of the results.
    pub order: Option<Order>,
    /// Page size (at most 250; 250 when `None`).
    pub limit: Option<u32>,
}

impl TaskFilter {
    /// Open tasks about `entity_ids` of `kind`.
    pub fn open_for(kind: EntityKind, entity_ids: impl IntoIterator<Item = i64>) -> Self {
        Self {
            entity_kind: Some(kind),
            entity_ids: entity_ids.into_iter().collect(),
            is_completed: Some(false),
            ..Self::default()
        }
    }
}
