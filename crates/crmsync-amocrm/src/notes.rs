//! Notes of every common type, typed: text, incoming and outgoing calls, service messages, messages to the
//! cashier, geolocation, incoming and outgoing SMS, attachments, and any other type as raw parameters. Listed per
//! entity type (`/api/v4/{entity}/notes`) or per entity (`/api/v4/{entity}/{id}/notes`), read one by one, added
//! and updated.

use crmsync_domain::crm::{EntityKind, EntityRef, NoteContent};
use crmsync_ports::{CrmError, Order, Page, PageCursor, TimeRange};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;
use crate::rest::IdOnly;

/// A call's details (`call_in` / `call_out` notes).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallParams {
    /// The call's unique id in the telephony system.
    #[serde(default, deserialize_with = "lenient::string")]
    pub uniq: String,
    /// Duration in seconds.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub duration: i64,
    /// The telephony service's name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub source: String,
    /// A link to the recording.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub link: Option<String>,
    /// The other party's phone number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub phone: String,
    /// The call's result as text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub call_result: Option<String>,
    /// The call's status (1 left a message, 2 call back later, 3 unavailable, 4 answered, 5 wrong number,
    /// 6 not answered, 7 busy).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_i64"
    )]
    pub call_status: Option<i64>,
}

/// What a note says, by type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NoteParams {
    /// `common`: a text note.
    Common {
        /// The text.
        text: String,
    },
    /// `call_in`: an incoming call.
    CallIn(CallParams),
    /// `call_out`: an outgoing call.
    CallOut(CallParams),
    /// `service_message`: a message from an integration.
    ServiceMessage {
        /// The integration's name.
        service: String,
        /// The text.
        text: String,
    },
    /// `extended_service_message`: a service message with an expanded text.
    ExtendedServiceMessage {
        /// The integration's name.
        service: String,
        /// The text.
        text: String,
    },
    /// `message_cashier`: a message to the cashier.
    MessageCashier {
        /// `created`, `shown` or `canceled`.
        status: String,
        /// The text.
        text: String,
    },
    /// `geolocation`: a place.
    Geolocation {
        /// A caption.
        text: String,
        /// The address.
        address: String,
        /// Longitude, as text.
        longitude: String,
        /// Latitude, as text.
        latitude: String,
    },
    /// `sms_in`: an incoming SMS.
    SmsIn {
        /// The text.
        text: String,
        /// The sender's phone.
        phone: String,
    },
    /// `sms_out`: an outgoing SMS.
    SmsOut {
        /// The text.
        text: String,
        /// The recipient's phone.
        phone: String,
    },
    /// `attachment`: a file from the account's file storage.
    Attachment {
        /// The file's UUID.
        file_uuid: String,
        /// The version's UUID.
        version_uuid: Option<String>,
        /// The file's name.
        file_name: String,
    },
    /// Any other type, with its raw parameters.
    Other {
        /// The API's note type.
        note_type: String,
        /// Its `params` object.
        params: Value,
    },
}

fn text(params: &Value, key: &str) -> String {
    match params.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

impl NoteParams {
    /// The API's note type name.
    pub fn note_type(&self) -> &str {
        match self {
            Self::Common { .. } => "common",
            Self::CallIn(_) => "call_in",
            Self::CallOut(_) => "call_out",
            Self::ServiceMessage { .. } => "service_message",
            Self::ExtendedServiceMessage { .. } => "extended_service_message",
            Self::MessageCashier { .. } => "message_cashier",
            Self::Geolocation { .. } => "geolocation",
            Self::SmsIn { .. } => "sms_in",
            Self::SmsOut { .. } => "sms_out",
            Self::Attachment { .. } => "attachment",
            Self::Other { note_type, .. } => note_type,
        }
    }

    /// The `params` object sent to the API.
    pub fn params(&self) -> Value {
        match self {
            Self::Common { text } => json!({ "text": text }),
            Self::CallIn(call) | Self::CallOut(call) => {
                serde_json::to_value(call).unwrap_or_else(|_| json!({}))
            }
            Self::ServiceMessage { service, text }
            | Self::ExtendedServiceMessage { service, text } => {
                json!({ "service": service, "text": text })
            }
            Self::MessageCashier { status, text } => json!({ "status": status, "text": text }),
            Self::Geolocation {
                text,
                address,
                longitude,
                latitude,
            } => {
                json!({ "text": text, "address": address, "longitude": longitude, "latitude": latitude })
            }
            Self::SmsIn { text, phone } | Self::SmsOut { text, phone } => {
                json!({ "text": text, "phone": phone })
            }
            Self::Attachment {
                file_uuid,
                version_uuid,
                file_name,
            } => {
                let mut params = json!({ "file_uuid": file_uuid, "file_name": file_name });
                if let Some(version) = version_uuid {
                    params["version_uuid"] = json!(version);
                }
                params
            }
            Self::Other { params, .. } => params.clone(),
        }
    }

    /// Reads a note's type and parameters; an unknown type (or a known one with unreadable parameters) stays
    /// [`NoteParams::Other`].
    pub fn from_parts(note_type: &str, params: Value) -> Self {
        let call = || serde_json::from_value::<CallParams>(params.clone()).ok();
        match note_type {
            "common" => Self::Common {
                text: text(&params, "text"),
            },
            "call_in" => call().map_or_else(|| Self::other(note_type, &params), Self::CallIn),
            "call_out" => call().map_or_else(|| Self::other(note_type, &params), Self::CallOut),
            "service_message" => Self::ServiceMessage {
                service: text(&params, "service"),
                text: text(&params, "text"),
            },
            "extended_service_message" => Self::ExtendedServiceMessage {
                service: text(&params, "service"),
                text: text(&params, "text"),
            },
            "message_cashier" => Self::MessageCashier {
                status: text(&params, "status"),
                text: text(&params, "text"),
            },
            "geolocation" => Self::Geolocation {
                text: text(&params, "text"),
                address: text(&params, "address"),
                longitude: text(&params, "longitude"),
                latitude: text(&params, "latitude"),
            },
            "sms_in" => Self::SmsIn {
                text: text(&params, "text"),
                phone: text(&params, "phone"),
            },
            "sms_out" => Self::SmsOut {
                text: text(&params, "text"),
                phone: text(&params, "phone"),
            },
            "attachment" => Self::Attachment {
                file_uuid: text(&params, "file_uuid"),
                version_uuid: Some(text(&params, "version_uuid")).filter(|v| !v.is_empty()),
                file_name: text(&params, "file_name"),
            },
            _ => Self::other(note_type, &params),
        }
    }

    fn other(note_type: &str, params: &Value) -> Self {
        Self::Other {
            note_type: note_type.to_owned(),
            params: params.clone(),
        }
    }

    /// The port's [`NoteContent`] of these parameters.
    pub fn to_content(&self) -> NoteContent {
        match self {
            Self::Common { text } => NoteContent::Common { text: text.clone() },
            Self::ServiceMessage { service, text } => NoteContent::ServiceMessage {
                service: service.clone(),
                text: text.clone(),
            },
            other => NoteContent::Other {
                note_type: other.note_type().to_owned(),
                params: other.params(),
            },
        }
    }

    fn check(&self, at: &str) -> Result<(), CrmError> {
        let missing = |field: &str| CrmError::InvalidInput {
            field: format!("{at}.params.{field}"),
            reason: format!("a {} note needs it", self.note_type()),
        };
        match self {
            Self::Common { text } if text.trim().is_empty() => Err(missing("text")),
            Self::CallIn(c) | Self::CallOut(c) if c.uniq.is_empty() => Err(missing("uniq")),
            Self::CallIn(c) | Self::CallOut(c) if c.phone.is_empty() => Err(missing("phone")),
            Self::ServiceMessage { service, .. } | Self::ExtendedServiceMessage { service, .. }
                if service.is_empty() =>
            {
                Err(missing("service"))
            }
            Self::SmsIn { phone, .. } | Self::SmsOut { phone, .. } if phone.is_empty() => {
                Err(missing("phone"))
            }
            Self::Attachment { file_uuid, .. } if file_uuid.is_empty() => Err(missing("file_uuid")),
            Self::Other { note_type, .. } if note_type.is_empty() => Err(CrmError::InvalidInput {
                field: format!("{at}.note_type"),
                reason: "name the note type".into(),
            }),
            _ => Ok(()),
        }
    }
}

#[derive(Deserialize)]
struct RawNote {
    #[serde(deserialize_with = "lenient::id")]
    id: i64,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    entity_id: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    note_type: String,
    #[serde(default)]
    params: Value,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    created_by: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    updated_by: Option<i64>,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    created_at: i64,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    updated_at: i64,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    responsible_user_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    account_id: Option<i64>,
}

/// A note as read from the API.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AmoNote {
    /// Note id.
    pub id: i64,
    /// The entity it is on.
    pub entity_id: i64,
    /// What it says.
    pub params: NoteParams,
    /// Its author.
    pub created_by: Option<i64>,
    /// Who changed it last.
    pub updated_by: Option<i64>,
    /// When it was created, in unix seconds.
    pub created_at: i64,
    /// When it last changed, in unix seconds.
    pub updated_at: i64,
    /// The responsible user.
    pub responsible_user_id: Option<i64>,
    /// The account.
    pub account_id: Option<i64>,
}

impl<'de> Deserialize<'de> for AmoNote {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawNote::deserialize(d)?;
        if raw.note_type.is_empty() {
            return Err(D::Error::custom("a note without note_type"));
        }
        Ok(Self {
            id: raw.id,
            entity_id: raw.entity_id,
            params: NoteParams::from_parts(&raw.note_type, raw.params),
            created_by: raw.created_by,
            updated_by: raw.updated_by,
            created_at: raw.created_at,
            updated_at: raw.updated_at,
            responsible_user_id: raw.responsible_user_id,
            account_id: raw.account_id,
        })
    }
}

/// A note to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAmoNote {
    /// The entity it goes on (ignored by [`AmoCrmClient::add_notes_to`], which names it in the path).
    pub entity_id: i64,
    /// What it says.
    pub params: NoteParams,
    /// Its author (the token's user when `None`).
    pub created_by: Option<i64>,
    /// Correlation key echoed back; the client assigns the index when `None`.
    pub request_id: Option<String>,
}

impl NewAmoNote {
    /// A note saying `params` on entity `entity_id`.
    pub fn new(entity_id: i64, params: NoteParams) -> Self {
        Self {
            entity_id,
            params,
            created_by: None,
            request_id: None,
        }
    }

    fn body(&self, with_entity: bool) -> Map<String, Value> {
        let mut map = Map::new();
        if with_entity {
            map.insert("entity_id".into(), json!(self.entity_id));
        }
        map.insert("note_type".into(), json!(self.params.note_type()));
        map.insert("params".into(), self.params.params());
        if let Some(user) = self.created_by {
            map.insert("created_by".into(), json!(user));
        }
        map
    }
}

/// The id and request id of an added note.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AddedNote {
    /// Note id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// The entity it is on.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub entity_id: i64,
    /// The request id it answers.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
}

/// New parameters of an existing note (its type stays).
#[derive(Debug, Clone, PartialEq)]
pub struct NoteUpdate {
    /// Note id.
    pub id: i64,
    /// What it says now.
    pub params: NoteParams,
}

/// Which notes to list. Empty lists do not filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotesQuery {
    /// Only these note ids.
    pub ids: Vec<i64>,
    /// Only notes on these entities (per entity type lists only).
    pub entity_ids: Vec<i64>,
    /// Only these types (`common`, `call_in`...).
    pub note_types: Vec<String>,
    /// Only notes changed within this range.
    pub updated_at: Option<TimeRange>,
    /// Order (`updated_at` or `id`).
    pub order: Option<Order>,
    /// Page size (at most 250).
    pub limit: Option<u32>,
}

impl NotesQuery {
    fn query(&self) -> Query {
        let mut q = Query::default();
        q.list("filter[id]", &self.ids);
        q.list("filter[entity_id]", &self.entity_ids);
        q.list("filter[note_type]", &self.note_types);
        q.range("filter[updated_at]", self.updated_at);
        q.order(self.order);
        q
    }
}

fn check_all<'a>(notes: impl Iterator<Item = &'a NoteParams>) -> Result<(), CrmError> {
    notes
        .enumerate()
        .try_for_each(|(i, params)| params.check(&format!("notes[{i}]")))
}

impl AmoCrmClient {
    /// One page of the notes of an entity type (`GET /api/v4/{entity}/notes`).
    pub async fn entity_notes(
        &self,
        entity: EntityKind,
        query: &NotesQuery,
        cursor: Option<PageCursor>,
    ) -> Result<Page<AmoNote>, CrmError> {
        let path = format!("/api/v4/{}/notes", entity.api_name());
        self.list_page(&path, &query.query(), "notes", query.limit, 250, cursor)
            .await
    }

    /// Every note of an entity type matching `query`.
    pub async fn all_entity_notes(
        &self,
        entity: EntityKind,
        query: &NotesQuery,
    ) -> Result<Vec<AmoNote>, CrmError> {
        let path = format!("/api/v4/{}/notes", entity.api_name());
        self.list_all(&path, &query.query(), "notes", 250).await
    }

    /// Every note on one entity (`GET /api/v4/{entity}/{id}/notes`).
    pub async fn notes_of(
        &self,
        entity: EntityRef,
        query: &NotesQuery,
    ) -> Result<Vec<AmoNote>, CrmError> {
        let path = format!("/api/v4/{}/{}/notes", entity.kind.api_name(), entity.id);
        self.list_all(&path, &query.query(), "notes", 250).await
    }

    /// One note (`GET /api/v4/{entity}/notes/{id}`), `None` when there is none.
    pub async fn note(&self, entity: EntityKind, id: i64) -> Result<Option<AmoNote>, CrmError> {
        self.get_typed(&format!("/api/v4/{}/notes/{id}", entity.api_name()))
            .await
    }

    /// Adds typed notes to entities of one type (`POST /api/v4/{entity}/notes`). A create whose outcome is
    /// unknown is `Ambiguous`, never resent.
    pub async fn add_typed_notes(
        &self,
        entity: EntityKind,
        notes: &[NewAmoNote],
    ) -> Result<Vec<AddedNote>, CrmError> {
        check_all(notes.iter().map(|n| &n.params))?;
        let bodies: Vec<Map<String, Value>> = notes.iter().map(|n| n.body(true)).collect();
        let path = format!("/api/v4/{}/notes", entity.api_name());
        self.create_bodies(
            &path,
            "notes",
            bodies,
            notes.iter().map(|n| n.request_id.clone()),
        )
        .await
    }

    /// Adds typed notes to one entity (`POST /api/v4/{entity}/{id}/notes`).
    pub async fn add_notes_to(
        &self,
        entity: EntityRef,
        notes: &[NewAmoNote],
    ) -> Result<Vec<AddedNote>, CrmError> {
        check_all(notes.iter().map(|n| &n.params))?;
        let bodies: Vec<Map<String, Value>> = notes.iter().map(|n| n.body(false)).collect();
        let path = format!("/api/v4/{}/{}/notes", entity.kind.api_name(), entity.id);
        self.create_bodies(
            &path,
            "notes",
            bodies,
            notes.iter().map(|n| n.request_id.clone()),
        )
        .await
    }

    /// Changes the parameters of notes of one entity type (`PATCH /api/v4/{entity}/notes`); returns the ids.
    pub async fn update_notes(
        &self,
        entity: EntityKind,
        updates: &[NoteUpdate],
    ) -> Result<Vec<i64>, CrmError> {
        check_all(updates.iter().map(|u| &u.params))?;
        let items: Vec<Value> = updates
            .iter()
            .map(|u| json!({ "id": u.id, "note_type": u.params.note_type(), "params": u.params.params() }))
            .collect();
        let path = format!("/api/v4/{}/notes", entity.api_name());
        let done: Vec<IdOnly> = self
            .update_typed(&path, "notes", &items, |v| {
                v.get("id").map(Value::to_string).unwrap_or_default()
            })
            .await?;
        Ok(done.into_iter().map(|d| d.id).collect())
    }

    /// Changes one note (`PATCH /api/v4/{entity}/notes/{id}`).
    pub async fn update_note(
        &self,
        entity: EntityKind,
        update: &NoteUpdate,
    ) -> Result<(), CrmError> {
        update.params.check("note")?;
        let body =
            json!({ "note_type": update.params.note_type(), "params": update.params.params() });
        let path = format!("/api/v4/{}/notes/{}", entity.api_name(), update.id);
        self.send_typed::<crate::rest::Ignored>(
            reqwest::Method::PATCH,
            &path,
            Some(&body),
            crate::call::Effect::Update,
        )
        .await
        .map(drop)
    }
}
