//! Leads, contacts and companies: as read, as created, and as updated.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::custom_field::{CustomFieldValue, CustomFields};
use super::ids::{AccountId, CompanyId, ContactId, LeadId, PipelineId, StatusId, TagId, UserId};
use super::pipeline::StatusRef;
use super::price::Price;

/// A tag, by id or by name (names are enough when adding).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tag {
    /// The tag's id, when known.
    pub id: Option<TagId>,
    /// The tag's name.
    pub name: Option<String>,
}

impl Tag {
    /// A tag by name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            id: None,
            name: Some(name.into()),
        }
    }
}

/// A contact linked to a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedContact {
    /// The contact.
    pub id: ContactId,
    /// Whether it is the lead's main contact.
    pub is_main: bool,
}

/// A lead (deal) as read from the CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    /// Its id.
    pub id: LeadId,
    /// Its name.
    pub name: String,
    /// Its budget.
    pub price: Option<Price>,
    /// The pipeline it is in.
    pub pipeline_id: Option<PipelineId>,
    /// Its stage in that pipeline.
    pub status_id: Option<StatusId>,
    /// The responsible user.
    pub responsible_user_id: Option<UserId>,
    /// Who created it (`0` is a robot).
    pub created_by: Option<UserId>,
    /// Who changed it last.
    pub updated_by: Option<UserId>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// When it was closed (won or lost).
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was lost.
    pub loss_reason_id: Option<i64>,
    /// Whether it sits in the recycle bin.
    pub is_deleted: bool,
    /// Its custom field values.
    pub custom_fields: CustomFields,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Linked contacts (read only with `with=contacts`).
    pub contacts: Vec<LinkedContact>,
    /// Linked companies.
    pub companies: Vec<CompanyId>,
    /// The account it belongs to.
    pub account_id: Option<AccountId>,
}

impl Lead {
    /// Its (pipeline, status) pair, when both are known.
    pub fn stage(&self) -> Option<StatusRef> {
        Some(StatusRef::new(self.pipeline_id?, self.status_id?))
    }

    /// The main contact, or the first one when none is marked main.
    pub fn main_contact(&self) -> Option<ContactId> {
        self.contacts
            .iter()
            .find(|c| c.is_main)
            .or_else(|| self.contacts.first())
            .map(|c| c.id)
    }
}

/// A lead to create.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewLead {
    /// Its name (the CRM invents one when empty).
    pub name: Option<String>,
    /// Its budget.
    pub price: Option<Price>,
    /// The pipeline; the main pipeline when `None`.
    pub pipeline_id: Option<PipelineId>,
    /// The stage; the pipeline's first stage when `None`.
    pub status_id: Option<StatusId>,
    /// The responsible user.
    pub responsible_user_id: Option<UserId>,
    /// Custom field values.
    pub custom_fields: Vec<CustomFieldValue>,
    /// Tags to attach.
    pub tags: Vec<Tag>,
    /// Existing contacts to link.
    pub contacts: Vec<LinkedContact>,
    /// Existing companies to link.
    pub companies: Vec<CompanyId>,
    /// A correlation key echoed back with the created id; the client assigns one when `None`.
    pub request_id: Option<String>,
}

/// Changes to one lead; `None` fields are left as they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LeadUpdate {
    /// The lead to change.
    pub id: LeadId,
    /// New name.
    pub name: Option<String>,
    /// New budget.
    pub price: Option<Price>,
    /// New pipeline (set together with `status_id` to move a lead).
    pub pipeline_id: Option<PipelineId>,
    /// New stage.
    pub status_id: Option<StatusId>,
    /// New responsible user.
    pub responsible_user_id: Option<UserId>,
    /// Custom fields to set; a field with no values is cleared; fields not listed are kept.
    pub custom_fields: Vec<CustomFieldValue>,
    /// Tags to add.
    pub tags_to_add: Vec<Tag>,
    /// Tags to remove.
    pub tags_to_delete: Vec<Tag>,
}

/// A contact as read from the CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// Full name.
    pub name: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The responsible user.
    pub responsible_user_id: Option<UserId>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// Whether it sits in the recycle bin.
    pub is_deleted: bool,
    /// Custom field values, phones and e-mails included.
    pub custom_fields: CustomFields,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Linked companies (at most one).
    pub companies: Vec<CompanyId>,
    /// Linked leads (read only with `with=leads`).
    pub leads: Vec<LeadId>,
    /// The account it belongs to.
    pub account_id: Option<AccountId>,
}

/// A contact to create.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewContact {
    /// Full name.
    pub name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The responsible user.
    pub responsible_user_id: Option<UserId>,
    /// Custom field values (see [`CustomFieldValue::phone`]).
    pub custom_fields: Vec<CustomFieldValue>,
    /// Tags to attach.
    pub tags: Vec<Tag>,
    /// A correlation key echoed back with the created id; the client assigns one when `None`.
    pub request_id: Option<String>,
}

/// Changes to one contact; `None` fields are left as they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContactUpdate {
    /// The contact to change.
    pub id: ContactId,
    /// New full name.
    pub name: Option<String>,
    /// New first name.
    pub first_name: Option<String>,
    /// New last name.
    pub last_name: Option<String>,
    /// New responsible user.
    pub responsible_user_id: Option<UserId>,
    /// Custom fields to set; a field with no values is cleared.
    pub custom_fields: Vec<CustomFieldValue>,
    /// Tags to add.
    pub tags_to_add: Vec<Tag>,
    /// Tags to remove.
    pub tags_to_delete: Vec<Tag>,
}

/// A company as read from the CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    /// Its id.
    pub id: CompanyId,
    /// Its name.
    pub name: String,
    /// The responsible user.
    pub responsible_user_id: Option<UserId>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// Whether it sits in the recycle bin.
    pub is_deleted: bool,
    /// Custom field values.
    pub custom_fields: CustomFields,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Linked contacts (read only with `with=contacts`).
    pub contacts: Vec<ContactId>,
    /// Linked leads (read only with `with=leads`).
    pub leads: Vec<LeadId>,
    /// The account it belongs to.
    pub account_id: Option<AccountId>,
}

/// A company to create.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewCompany {
    /// Its name.
    pub name: Option<String>,
    /// The responsible user.
    pub responsible_user_id: Option<UserId>,
    /// Custom field values.
    pub custom_fields: Vec<CustomFieldValue>,
    /// Tags to attach.
    pub tags: Vec<Tag>,
    /// A correlation key echoed back with the created id; the client assigns one when `None`.
    pub request_id: Option<String>,
}

/// Changes to one company; `None` fields are left as they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CompanyUpdate {
    /// The company to change.
    pub id: CompanyId,
    /// New name.
    pub name: Option<String>,
    /// New responsible user.
    pub responsible_user_id: Option<UserId>,
    /// Custom fields to set; a field with no values is cleared.
    pub custom_fields: Vec<CustomFieldValue>,
    /// Tags to add.
    pub tags_to_add: Vec<Tag>,
    /// Tags to remove.
    pub tags_to_delete: Vec<Tag>,
}

/// A lead created together with one new contact and/or company in one call ("complex add").
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ComplexLead {
    /// The lead; its `request_id` identifies the whole item.
    pub lead: NewLead,
    /// A new contact to create and link.
    pub contact: Option<NewContact>,
    /// A new company to create and link.
    pub company: Option<NewCompany>,
}

/// What a complex add created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplexCreated {
    /// The lead.
    pub lead_id: LeadId,
    /// The contact, if one was created or merged.
    pub contact_id: Option<ContactId>,
    /// The company, if one was created or merged.
    pub company_id: Option<CompanyId>,
    /// The request ids this lead answers (several when duplicates were merged).
    pub request_ids: Vec<String>,
    /// Whether duplicate control merged it into an existing lead.
    pub merged: bool,
}
