//! CRM-side data as the jobs see it: leads, contacts, companies, tasks, notes, pipelines and custom fields.
//!
//! These are plain values with no knowledge of any wire format. The amoCRM adapter decodes API responses and
//! webhook bodies into them (tolerating the API's many value shapes) and encodes the `New*`/`*Update` inputs back
//! into requests. Ids are `i64` newtypes, so a lead id can never be passed where a contact id is expected.

mod custom_field;
mod entity;
mod event;
mod ids;
mod pipeline;
mod price;
mod task;

pub use custom_field::{
    CustomFieldDefinition, CustomFieldValue, CustomFields, EMAIL, FieldData, FieldEnum, FieldType,
    FieldValue, PHONE,
};
pub use entity::{
    Company, CompanyUpdate, ComplexCreated, ComplexLead, Contact, ContactUpdate, Lead, LeadUpdate,
    LinkedContact, NewCompany, NewContact, NewLead, Tag,
};
pub use event::{EventAction, EventEntity, EventNote, WebhookAccount, WebhookEvent};
pub use ids::{
    AccountId, CompanyId, ContactId, EnumId, FieldId, LeadId, NoteId, PipelineId, StatusId, TagId,
    TaskId, TaskTypeId, UserId,
};
pub use pipeline::{Pipeline, Status, StatusKind, StatusRef};
pub use price::Price;
pub use task::{EntityKind, EntityRef, NewNote, NewTask, Note, NoteContent, Task};

#[cfg(test)]
mod tests;
