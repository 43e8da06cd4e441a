//! Webhook events: what amoCRM reported changed (lead moved, contact added, task updated...).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::custom_field::CustomFields;
use super::entity::Tag;
use super::ids::{AccountId, PipelineId, StatusId, UserId};
use super::price::Price;
use super::task::EntityRef;

/// Which entity an event is about. Companies arrive under `contacts` with `type=company` and are reported here
/// as [`EventEntity::Company`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventEntity {
    /// A lead (`leads[...]`).
    Lead,
    /// A contact (`contacts[...]` with `type=contact` or no type).
    Contact,
    /// A company (`contacts[...]` with `type=company`, or `companies[...]`).
    Company,
    /// A task (`task[...]`).
    Task,
    /// An incoming (unsorted) lead (`unsorted[...]`).
    Unsorted,
    /// A catalog (products) element (`catalogs[...]`).
    Catalog,
    /// A chat message (`message[...]`).
    Message,
    /// A chat conversation (`talk[...]`).
    Talk,
    /// A customer (`customers[...]`).
    Customer,
}

impl fmt::Display for EventEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Lead => "lead",
            Self::Contact => "contact",
            Self::Company => "company",
            Self::Task => "task",
            Self::Unsorted => "unsorted",
            Self::Catalog => "catalog",
            Self::Message => "message",
            Self::Talk => "talk",
            Self::Customer => "customer",
        })
    }
}

/// What happened to the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    /// Created.
    Add,
    /// Edited (also a responsible change of contacts and companies).
    Update,
    /// Deleted (also an accepted or declined incoming lead).
    Delete,
    /// Restored from the recycle bin.
    Restore,
    /// A lead changed stage.
    Status,
    /// A lead changed responsible user.
    Responsible,
    /// A note was added.
    Note,
}

impl EventAction {
    /// The action named `name` in a webhook key.
    pub fn from_key(name: &str) -> Option<Self> {
        Some(match name {
            "add" => Self::Add,
            "update" => Self::Update,
            "delete" => Self::Delete,
            "restore" => Self::Restore,
            "status" => Self::Status,
            "responsible" => Self::Responsible,
            "note" => Self::Note,
            _ => return None,
        })
    }

    /// The name used in webhook keys.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Restore => "restore",
            Self::Status => "status",
            Self::Responsible => "responsible",
            Self::Note => "note",
        }
    }
}

impl fmt::Display for EventAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The account a webhook came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebhookAccount {
    /// Its id.
    pub id: Option<AccountId>,
    /// Its subdomain (`example` of `example.amocrm.ru`).
    pub subdomain: Option<String>,
    /// Its address, from `account[_links][self]`.
    pub link: Option<String>,
}

/// The note of a `note` event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventNote {
    /// The note's id.
    pub id: Option<i64>,
    /// The legacy numeric note type (4 text, 5 file, ...).
    pub note_type: Option<i64>,
    /// Its text.
    pub text: Option<String>,
}

/// One event of a webhook delivery.
///
/// Everything amoCRM sent for the event is kept as text in [`WebhookEvent::fields`] (flattened keys such as
/// `custom_fields.0.values.0.value`); the fields jobs use are also decoded into typed members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// What the event is about.
    pub entity: EventEntity,
    /// What happened.
    pub action: EventAction,
    /// The entity's id, when numeric.
    pub id: Option<i64>,
    /// The entity's name.
    pub name: Option<String>,
    /// The lead's pipeline.
    pub pipeline_id: Option<PipelineId>,
    /// The lead's stage.
    pub status_id: Option<StatusId>,
    /// The pipeline before a stage change.
    pub old_pipeline_id: Option<PipelineId>,
    /// The stage before a stage change.
    pub old_status_id: Option<StatusId>,
    /// The responsible user.
    pub responsible_user_id: Option<UserId>,
    /// The responsible user before the change.
    pub old_responsible_user_id: Option<UserId>,
    /// A lead's budget.
    pub price: Option<Price>,
    /// A task's or note's entity.
    pub linked: Option<EntityRef>,
    /// A `note` event's note.
    pub note: Option<EventNote>,
    /// Custom field values (`custom_fields[i]`).
    pub custom_fields: CustomFields,
    /// Tags.
    pub tags: Vec<Tag>,
    /// When the entity was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// The account.
    pub account: WebhookAccount,
    /// Every value of the event as sent, by flattened key.
    pub fields: BTreeMap<String, String>,
}

impl WebhookEvent {
    /// An event with nothing but its entity and action.
    pub fn new(entity: EventEntity, action: EventAction) -> Self {
        Self {
            entity,
            action,
            id: None,
            name: None,
            pipeline_id: None,
            status_id: None,
            old_pipeline_id: None,
            old_status_id: None,
            responsible_user_id: None,
            old_responsible_user_id: None,
            price: None,
            linked: None,
            note: None,
            custom_fields: CustomFields::default(),
            tags: Vec::new(),
            created_at: None,
            updated_at: None,
            account: WebhookAccount::default(),
            fields: BTreeMap::new(),
        }
    }

    /// The raw value at flattened `key` (`"status_id"`, `"custom_fields.0.values.0.value"`).
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}
