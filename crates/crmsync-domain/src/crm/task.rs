//! Tasks and notes, and the entity references they attach to.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{NoteId, TaskId, TaskTypeId, UserId};

/// The kinds of entities tasks, notes and custom fields attach to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// Leads (deals).
    Leads,
    /// Contacts.
    Contacts,
    /// Companies.
    Companies,
    /// Customers.
    Customers,
}

impl EntityKind {
    /// The API's plural name, also the path segment (`leads`).
    pub const fn api_name(self) -> &'static str {
        match self {
            Self::Leads => "leads",
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Customers => "customers",
        }
    }

    /// The kind named `name` (`leads`, `contacts`, `companies`, `customers`).
    pub fn from_api_name(name: &str) -> Option<Self> {
        match name {
            "leads" | "lead" => Some(Self::Leads),
            "contacts" | "contact" => Some(Self::Contacts),
            "companies" | "company" => Some(Self::Companies),
            "customers" | "customer" => Some(Self::Customers),
            _ => None,
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

/// One entity, by kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntityRef {
    /// What it is.
    pub kind: EntityKind,
    /// Its id.
    pub id: i64,
}

impl EntityRef {
    /// A lead.
    pub fn lead(id: impl Into<i64>) -> Self {
        Self {
            kind: EntityKind::Leads,
            id: id.into(),
        }
    }

    /// A contact.
    pub fn contact(id: impl Into<i64>) -> Self {
        Self {
            kind: EntityKind::Contacts,
            id: id.into(),
        }
    }

    /// A company.
    pub fn company(id: impl Into<i64>) -> Self {
        Self {
            kind: EntityKind::Companies,
            id: id.into(),
        }
    }
}

/// A task as read from the CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Its id.
    pub id: TaskId,
    /// What to do.
    pub text: String,
    /// The entity it is about, if any.
    pub entity: Option<EntityRef>,
    /// Who must do it.
    pub responsible_user_id: Option<UserId>,
    /// Its type.
    pub task_type_id: Option<TaskTypeId>,
    /// The deadline.
    pub complete_till: Option<DateTime<Utc>>,
    /// Whether it is done.
    pub is_completed: bool,
    /// Its planned duration in seconds.
    pub duration_s: Option<i64>,
    /// The result text of a completed task.
    pub result_text: Option<String>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// A task to create. The text and the deadline are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    /// What to do.
    pub text: String,
    /// The deadline.
    pub complete_till: DateTime<Utc>,
    /// The entity it is about.
    pub entity: Option<EntityRef>,
    /// Who must do it; the token's user when `None`.
    pub responsible_user_id: Option<UserId>,
    /// Its type; follow-up when `None`.
    pub task_type_id: Option<TaskTypeId>,
    /// Planned duration in seconds.
    pub duration_s: Option<i64>,
    /// A correlation key echoed back with the created id; the client assigns one when `None`.
    pub request_id: Option<String>,
}

impl NewTask {
    /// A task with `text` due at `complete_till` about `entity`.
    pub fn about(entity: EntityRef, text: impl Into<String>, complete_till: DateTime<Utc>) -> Self {
        Self {
            text: text.into(),
            complete_till,
            entity: Some(entity),
            responsible_user_id: None,
            task_type_id: None,
            duration_s: None,
            request_id: None,
        }
    }
}

/// The content of a note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NoteContent {
    /// A plain text note (`common`).
    Common {
        /// The text.
        text: String,
    },
    /// A system message from an integration (`service_message`).
    ServiceMessage {
        /// The integration's name shown as the author.
        service: String,
        /// The text.
        text: String,
    },
    /// Any other note type with its raw parameters.
    Other {
        /// The API's note type (`call_in`, `sms_out`, ...).
        note_type: String,
        /// Its `params` object.
        params: serde_json::Value,
    },
}

impl NoteContent {
    /// The API's note type name.
    pub fn note_type(&self) -> &str {
        match self {
            Self::Common { .. } => "common",
            Self::ServiceMessage { .. } => "service_message",
            Self::Other { note_type, .. } => note_type,
        }
    }

    /// The note's text, where it has one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Common { text } | Self::ServiceMessage { text, .. } => Some(text),
            Self::Other { params, .. } => params.get("text").and_then(serde_json::Value::as_str),
        }
    }
}

/// A note to add to an entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNote {
    /// The entity it goes on.
    pub entity: EntityRef,
    /// What it says.
    pub content: NoteContent,
    /// A correlation key echoed back with the created id; the client assigns one when `None`.
    pub request_id: Option<String>,
}

impl NewNote {
    /// A plain text note on `entity`.
    pub fn text(entity: EntityRef, text: impl Into<String>) -> Self {
        Self {
            entity,
            content: NoteContent::Common { text: text.into() },
            request_id: None,
        }
    }
}

/// A note as read from the CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Its id.
    pub id: NoteId,
    /// The entity it is on.
    pub entity: EntityRef,
    /// What it says.
    pub content: NoteContent,
    /// Its author.
    pub created_by: Option<UserId>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}
