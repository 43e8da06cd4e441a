//! The JSON shapes of amoCRM v4 responses, every field forgiving, and their conversion to domain values.

use chrono::{DateTime, Utc};
use crmsync_domain::crm::{
    self as domain, AccountId, CompanyId, ContactId, CustomFieldDefinition, CustomFields,
    EntityKind, EntityRef, EnumId, FieldEnum, FieldId, FieldType, LeadId, LinkedContact,
    PipelineId, Price, StatusId, StatusKind, TagId, TaskId, TaskTypeId, UserId,
};
use serde::Deserialize;
use serde_json::Value;

use super::fields::WireCustomField;
use crate::flex::{FlexBool, FlexF64, FlexI64, FlexList, FlexString, Lenient};

fn time(ts: FlexI64) -> Option<DateTime<Utc>> {
    ts.0.filter(|t| *t > 0)
        .and_then(|t| DateTime::from_timestamp(t, 0))
}

fn required(id: FlexI64, what: &str) -> Result<i64, String> {
    id.0.ok_or_else(|| format!("a {what} has no usable `id`"))
}

/// The request ids of a written item: a string, a number, or an array of them (complex add).
pub(super) fn request_ids(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(request_ids).collect(),
        _ => Vec::new(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Href {
    pub(super) href: FlexString,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Links {
    pub(super) next: Option<Href>,
}

/// A HAL envelope.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Page<E: Default> {
    #[serde(rename = "_embedded")]
    pub(super) embedded: Lenient<E>,
    #[serde(rename = "_links")]
    pub(super) links: Lenient<Links>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LeadsEmbedded {
    pub(super) leads: FlexList<Lead>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ContactsEmbedded {
    pub(super) contacts: FlexList<Contact>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CompaniesEmbedded {
    pub(super) companies: FlexList<Company>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TasksEmbedded {
    pub(super) tasks: FlexList<Task>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PipelinesEmbedded {
    pub(super) pipelines: FlexList<Pipeline>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CustomFieldsEmbedded {
    pub(super) custom_fields: FlexList<CustomFieldDef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Tag {
    id: FlexI64,
    name: FlexString,
}

impl Tag {
    fn into_domain(self) -> domain::Tag {
        domain::Tag {
            id: self.id.0.map(TagId),
            name: self.name.0,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Link {
    id: FlexI64,
    is_main: FlexBool,
}

/// `_embedded` of an entity.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Embedded {
    tags: FlexList<Tag>,
    contacts: FlexList<Link>,
    companies: FlexList<Link>,
    leads: FlexList<Link>,
}

impl Embedded {
    fn tags(&mut self) -> Vec<domain::Tag> {
        std::mem::take(&mut self.tags.0)
            .into_iter()
            .map(Tag::into_domain)
            .collect()
    }

    fn ids<T>(links: &FlexList<Link>, wrap: fn(i64) -> T) -> Vec<T> {
        links.0.iter().filter_map(|l| l.id.0).map(wrap).collect()
    }
}

fn custom_fields(list: FlexList<WireCustomField>) -> CustomFields {
    CustomFields(
        list.0
            .into_iter()
            .map(WireCustomField::into_domain)
            .collect(),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Lead {
    id: FlexI64,
    name: FlexString,
    price: FlexF64,
    price_with_minor_units: FlexF64,
    responsible_user_id: FlexI64,
    status_id: FlexI64,
    pipeline_id: FlexI64,
    loss_reason_id: FlexI64,
    created_by: FlexI64,
    updated_by: FlexI64,
    created_at: FlexI64,
    updated_at: FlexI64,
    closed_at: FlexI64,
    is_deleted: FlexBool,
    custom_fields_values: FlexList<WireCustomField>,
    account_id: FlexI64,
    #[serde(rename = "_embedded")]
    embedded: Lenient<Embedded>,
}

impl Lead {
    pub(super) fn into_domain(self) -> Result<domain::Lead, String> {
        let mut embedded = self.embedded.0;
        Ok(domain::Lead {
            id: LeadId(required(self.id, "lead")?),
            name: self.name.0.unwrap_or_default(),
            price: self
                .price_with_minor_units
                .0
                .or(self.price.0)
                .and_then(Price::from_decimal),
            pipeline_id: self.pipeline_id.0.map(PipelineId),
            status_id: self.status_id.0.map(StatusId),
            responsible_user_id: self.responsible_user_id.0.map(UserId),
            created_by: self.created_by.0.map(UserId),
            updated_by: self.updated_by.0.map(UserId),
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
            closed_at: time(self.closed_at),
            loss_reason_id: self.loss_reason_id.0,
            is_deleted: self.is_deleted.0.unwrap_or(false),
            custom_fields: custom_fields(self.custom_fields_values),
            tags: embedded.tags(),
            contacts: embedded
                .contacts
                .0
                .iter()
                .filter_map(|l| {
                    Some(LinkedContact {
                        id: ContactId(l.id.0?),
                        is_main: l.is_main.0.unwrap_or(false),
                    })
                })
                .collect(),
            companies: Embedded::ids(&embedded.companies, CompanyId),
            account_id: self.account_id.0.map(AccountId),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Contact {
    id: FlexI64,
    name: FlexString,
    first_name: FlexString,
    last_name: FlexString,
    responsible_user_id: FlexI64,
    created_at: FlexI64,
    updated_at: FlexI64,
    is_deleted: FlexBool,
    custom_fields_values: FlexList<WireCustomField>,
    account_id: FlexI64,
    #[serde(rename = "_embedded")]
    embedded: Lenient<Embedded>,
}

fn non_empty(text: FlexString) -> Option<String> {
    text.0.filter(|t| !t.is_empty())
}

impl Contact {
    pub(super) fn into_domain(self) -> Result<domain::Contact, String> {
        let mut embedded = self.embedded.0;
        Ok(domain::Contact {
            id: ContactId(required(self.id, "contact")?),
            name: self.name.0.unwrap_or_default(),
            first_name: non_empty(self.first_name),
            last_name: non_empty(self.last_name),
            responsible_user_id: self.responsible_user_id.0.map(UserId),
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
            is_deleted: self.is_deleted.0.unwrap_or(false),
            custom_fields: custom_fields(self.custom_fields_values),
            tags: embedded.tags(),
            companies: Embedded::ids(&embedded.companies, CompanyId),
            leads: Embedded::ids(&embedded.leads, LeadId),
            account_id: self.account_id.0.map(AccountId),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Company {
    id: FlexI64,
    name: FlexString,
    responsible_user_id: FlexI64,
    created_at: FlexI64,
    updated_at: FlexI64,
    is_deleted: FlexBool,
    custom_fields_values: FlexList<WireCustomField>,
    account_id: FlexI64,
    #[serde(rename = "_embedded")]
    embedded: Lenient<Embedded>,
}

impl Company {
    pub(super) fn into_domain(self) -> Result<domain::Company, String> {
        let mut embedded = self.embedded.0;
        Ok(domain::Company {
            id: CompanyId(required(self.id, "company")?),
            name: self.name.0.unwrap_or_default(),
            responsible_user_id: self.responsible_user_id.0.map(UserId),
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
            is_deleted: self.is_deleted.0.unwrap_or(false),
            custom_fields: custom_fields(self.custom_fields_values),
            tags: embedded.tags(),
            contacts: Embedded::ids(&embedded.contacts, ContactId),
            leads: Embedded::ids(&embedded.leads, LeadId),
            account_id: self.account_id.0.map(AccountId),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TaskResult {
    text: FlexString,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Task {
    id: FlexI64,
    text: FlexString,
    entity_id: FlexI64,
    entity_type: FlexString,
    responsible_user_id: FlexI64,
    task_type_id: FlexI64,
    complete_till: FlexI64,
    is_completed: FlexBool,
    duration: FlexI64,
    result: Lenient<TaskResult>,
    created_at: FlexI64,
    updated_at: FlexI64,
}

impl Task {
    pub(super) fn into_domain(self) -> Result<domain::Task, String> {
        let entity = match (
            self.entity_type
                .0
                .as_deref()
                .and_then(EntityKind::from_api_name),
            self.entity_id.0,
        ) {
            (Some(kind), Some(id)) if id > 0 => Some(EntityRef { kind, id }),
            _ => None,
        };
        Ok(domain::Task {
            id: TaskId(required(self.id, "task")?),
            text: self.text.0.unwrap_or_default(),
            entity,
            responsible_user_id: self.responsible_user_id.0.map(UserId),
            task_type_id: self.task_type_id.0.map(TaskTypeId),
            complete_till: time(self.complete_till),
            is_completed: self.is_completed.0.unwrap_or(false),
            duration_s: self.duration.0,
            result_text: non_empty(self.result.0.text),
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Status {
    id: FlexI64,
    name: FlexString,
    sort: FlexI64,
    is_editable: FlexBool,
    pipeline_id: FlexI64,
    color: FlexString,
    #[serde(rename = "type")]
    kind: FlexI64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatusesEmbedded {
    statuses: FlexList<Status>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Pipeline {
    id: FlexI64,
    name: FlexString,
    sort: FlexI64,
    is_main: FlexBool,
    is_unsorted_on: FlexBool,
    is_archive: FlexBool,
    #[serde(rename = "_embedded")]
    embedded: Lenient<StatusesEmbedded>,
}

impl Pipeline {
    pub(super) fn into_domain(self) -> Result<domain::Pipeline, String> {
        let id = PipelineId(required(self.id, "pipeline")?);
        let mut statuses = self
            .embedded
            .0
            .statuses
            .0
            .into_iter()
            .map(|s| {
                let status_id = StatusId(required(s.id, "status")?);
                let kind = if status_id == StatusId::WON {
                    StatusKind::Won
                } else if status_id == StatusId::LOST {
                    StatusKind::Lost
                } else if s.kind.0 == Some(1) {
                    StatusKind::Incoming
                } else {
                    StatusKind::Regular
                };
                Ok(domain::Status {
                    id: status_id,
                    pipeline_id: s.pipeline_id.0.map_or(id, PipelineId),
                    name: s.name.0.unwrap_or_default(),
                    sort: s.sort.0.unwrap_or_default(),
                    kind,
                    is_editable: s.is_editable.0.unwrap_or(false),
                    color: non_empty(s.color),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        statuses.sort_by_key(|s| s.sort);
        Ok(domain::Pipeline {
            id,
            name: self.name.0.unwrap_or_default(),
            sort: self.sort.0.unwrap_or_default(),
            is_main: self.is_main.0.unwrap_or(false),
            is_archive: self.is_archive.0.unwrap_or(false),
            is_unsorted_on: self.is_unsorted_on.0.unwrap_or(false),
            statuses,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnumDef {
    id: FlexI64,
    value: FlexString,
    sort: FlexI64,
    code: FlexString,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CustomFieldDef {
    id: FlexI64,
    name: FlexString,
    code: FlexString,
    #[serde(rename = "type")]
    field_type: FlexString,
    entity_type: FlexString,
    sort: FlexI64,
    is_api_only: FlexBool,
    enums: FlexList<EnumDef>,
}

impl CustomFieldDef {
    pub(super) fn into_domain(
        self,
        requested: EntityKind,
    ) -> Result<CustomFieldDefinition, String> {
        Ok(CustomFieldDefinition {
            id: FieldId(required(self.id, "custom field")?),
            name: self.name.0.unwrap_or_default(),
            code: non_empty(self.code),
            field_type: FieldType::from_api_name(self.field_type.0.as_deref().unwrap_or("")),
            entity: self
                .entity_type
                .0
                .as_deref()
                .and_then(EntityKind::from_api_name)
                .unwrap_or(requested),
            sort: self.sort.0.unwrap_or_default(),
            is_api_only: self.is_api_only.0.unwrap_or(false),
            enums: self
                .enums
                .0
                .into_iter()
                .filter_map(|e| {
                    Some(FieldEnum {
                        id: EnumId(e.id.0?),
                        value: e.value.0.unwrap_or_default(),
                        sort: e.sort.0.unwrap_or_default(),
                        code: non_empty(e.code),
                    })
                })
                .collect(),
        })
    }
}

/// One item of a batch write answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Written {
    pub(super) id: FlexI64,
    pub(super) request_id: Value,
}

/// One item of the complex add answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ComplexItem {
    id: FlexI64,
    contact_id: FlexI64,
    company_id: FlexI64,
    request_id: Value,
    merged: FlexBool,
}

impl ComplexItem {
    pub(super) fn into_domain(
        self,
        sent: Option<&String>,
    ) -> Result<domain::ComplexCreated, String> {
        let mut request_ids = request_ids(&self.request_id);
        if request_ids.is_empty() {
            request_ids.extend(sent.cloned());
        }
        Ok(domain::ComplexCreated {
            lead_id: LeadId(required(self.id, "created lead")?),
            contact_id: self.contact_id.0.filter(|id| *id > 0).map(ContactId),
            company_id: self.company_id.0.filter(|id| *id > 0).map(CompanyId),
            request_ids,
            merged: self.merged.0.unwrap_or(false),
        })
    }
}
