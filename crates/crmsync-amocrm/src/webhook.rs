//! Parsing amoCRM webhook deliveries: `application/x-www-form-urlencoded` bodies with PHP-style nested keys
//! (`leads[status][0][id]=…&account[subdomain]=…`), every value a string.
//!
//! amoCRM signs no delivery, so the destination URL carries a secret: [`verify`] compares the presented one in
//! constant time, [`verify_and_parse`] does both steps, and with the `axum` feature [`extract::AmoWebhook`](crate::webhook::extract::AmoWebhook)
//! is an extractor doing the same on a route ending in the secret.
//!
//! ```
//! use crmsync_amocrm::webhook::{self, EventAction, EventEntity};
//!
//! let body = b"leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142\
//!              &leads%5Bstatus%5D%5B0%5D%5Bpipeline_id%5D=3177727&leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D=32392159\
//!              &account%5Bid%5D=12345678&account%5Bsubdomain%5D=example";
//! let events = webhook::parse(body)?;
//! assert_eq!(events.len(), 1);
//! assert_eq!((events[0].entity, events[0].action), (EventEntity::Lead, EventAction::Status));
//! assert_eq!(events[0].status_id.map(|s| s.0), Some(142));
//! assert_eq!(events[0].account.subdomain.as_deref(), Some("example"));
//! # Ok::<(), webhook::WebhookError>(())
//! ```

use std::collections::BTreeMap;

use chrono::DateTime;
use crmsync_domain::crm::{
    AccountId, CustomFieldValue, CustomFields, EntityKind, EntityRef, FieldId, FieldType,
    PipelineId, Price, StatusId, Tag, TagId, UserId,
};
pub use crmsync_domain::crm::{EventAction, EventEntity, EventNote, WebhookAccount, WebhookEvent};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::decode::field_value;

/// The largest body [`parse`] accepts: 2 MiB, far above any real delivery.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How deep keys may nest (`leads[update][0][custom_fields][0][values][0][value]` is 7).
const MAX_DEPTH: usize = 10;

/// Why a webhook body could not be read. Messages name keys, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The body is larger than the limit.
    #[error("webhook body of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is empty.
    #[error("webhook body is empty")]
    Empty,
    /// The body, or a percent-decoded value in it, is not UTF-8.
    #[error("webhook body is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence in the raw body.
        offset: usize,
    },
    /// The body is not a form-encoded PHP structure.
    #[error("webhook body is malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// A list of events lacks its numeric index (`leads[update][id]` instead of `leads[update][0][id]`), or
    /// indexes skip a number.
    #[error("webhook key `{key}` lacks a numeric index")]
    MissingIndex {
        /// The key, as far as it is known.
        key: String,
    },
    /// A top-level key is no entity amoCRM sends events for.
    #[error("webhook names unknown entity `{name}`")]
    UnknownEntity {
        /// The key (clipped to 64 characters).
        name: String,
    },
    /// An action is not one amoCRM sends for the entity.
    #[error("webhook names unknown action `{action}` for `{entity}`")]
    UnknownAction {
        /// The entity key.
        entity: String,
        /// The action key (clipped to 64 characters).
        action: String,
    },
    /// The secret in the destination URL is missing or wrong.
    #[error("webhook secret is missing or wrong")]
    WrongSecret,
    /// A value has the wrong shape (an object where a string belongs, a non-numeric id...).
    #[error("webhook value `{key}` is invalid: {reason}")]
    InvalidValue {
        /// The flattened key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Checks the secret a delivery presented (a path segment or query value of the destination URL) against the
/// configured one, in constant time. An empty configured secret refuses everything.
pub fn verify(presented: &str, secret: &SecretString) -> Result<(), WebhookError> {
    let expected = secret.expose_secret().as_bytes();
    if !expected.is_empty() && bool::from(expected.ct_eq(presented.as_bytes())) {
        Ok(())
    } else {
        Err(WebhookError::WrongSecret)
    }
}

/// [`verify`], then [`parse`].
pub fn verify_and_parse(
    presented: &str,
    secret: &SecretString,
    body: &[u8],
) -> Result<Vec<WebhookEvent>, WebhookError> {
    verify(presented, secret)?;
    parse(body)
}

/// Parses a webhook body into its events, in body order (entities sorted by key), with the account on each.
pub fn parse(body: &[u8]) -> Result<Vec<WebhookEvent>, WebhookError> {
    parse_with_limit(body, MAX_BODY_BYTES)
}

/// [`parse`] with another size limit.
pub fn parse_with_limit(body: &[u8], limit: usize) -> Result<Vec<WebhookEvent>, WebhookError> {
    if body.len() > limit {
        return Err(WebhookError::TooLarge {
            size: body.len(),
            limit,
        });
    }
    let text = std::str::from_utf8(body).map_err(|e| WebhookError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(WebhookError::Empty);
    }
    check_percent_utf8(text)?;
    let config = serde_qs::Config::new()
        .max_depth(MAX_DEPTH)
        .use_form_encoding(true);
    let tree: Value = config.deserialize_str(text).map_err(|e| qs_error(&e))?;
    let Value::Object(top) = tree else {
        return Err(WebhookError::Malformed {
            reason: "the body has no keys".into(),
        });
    };
    let account = top
        .get("account")
        .map(account)
        .transpose()?
        .unwrap_or_default();
    let mut events = Vec::new();
    for (entity_key, actions) in &top {
        if entity_key == "account" {
            continue;
        }
        let entity = entity_of(entity_key)?;
        let Value::Object(actions) = actions else {
            return Err(WebhookError::InvalidValue {
                key: clip(entity_key),
                reason: "expected `entity[action][index][field]` keys".into(),
            });
        };
        for (action_key, items) in actions {
            let action = EventAction::from_key(action_key)
                .filter(|a| allowed(entity, *a))
                .ok_or_else(|| WebhookError::UnknownAction {
                    entity: clip(entity_key),
                    action: clip(action_key),
                })?;
            for (index, item) in indexed(items, &format!("{entity_key}[{action_key}]"))? {
                let key = format!("{entity_key}[{action_key}][{index}]");
                events.push(event(entity, action, item, &key, &account)?);
            }
        }
    }
    Ok(events)
}

/// Rejects `%XX` sequences that decode to invalid UTF-8, which the form decoder would otherwise replace.
fn check_percent_utf8(text: &str) -> Result<(), WebhookError> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| char::from(c).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                decoded.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        decoded.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    std::str::from_utf8(&decoded)
        .map(|_| ())
        .map_err(|e| WebhookError::NotUtf8 {
            offset: e.valid_up_to(),
        })
}

fn qs_error(error: &serde_qs::Error) -> WebhookError {
    let text = error.to_string();
    if text.contains("missing index") {
        WebhookError::MissingIndex {
            key: "an event list".into(),
        }
    } else {
        let reason: String = text.chars().take(120).collect();
        WebhookError::Malformed { reason }
    }
}

fn entity_of(key: &str) -> Result<EventEntity, WebhookError> {
    Ok(match key {
        "leads" => EventEntity::Lead,
        "contacts" => EventEntity::Contact,
        "companies" => EventEntity::Company,
        "task" | "tasks" => EventEntity::Task,
        "unsorted" => EventEntity::Unsorted,
        "catalogs" => EventEntity::Catalog,
        "message" => EventEntity::Message,
        "talk" => EventEntity::Talk,
        "customers" => EventEntity::Customer,
        other => {
            return Err(WebhookError::UnknownEntity { name: clip(other) });
        }
    })
}

fn allowed(entity: EventEntity, action: EventAction) -> bool {
    use EventAction as A;
    match entity {
        EventEntity::Lead => true,
        EventEntity::Contact | EventEntity::Company | EventEntity::Customer => {
            matches!(
                action,
                A::Add | A::Update | A::Delete | A::Restore | A::Note | A::Responsible
            )
        }
        EventEntity::Task => matches!(action, A::Add | A::Update | A::Delete | A::Responsible),
        EventEntity::Unsorted | EventEntity::Catalog => {
            matches!(action, A::Add | A::Update | A::Delete)
        }
        EventEntity::Message => matches!(action, A::Add | A::Update),
        EventEntity::Talk => matches!(action, A::Add | A::Update),
    }
}

/// The events of one `entity[action]` list with their indexes.
type IndexedItems<'a> = Vec<(usize, &'a Map<String, Value>)>;

/// The items of an indexed list (`[0]`, `[1]`...), in index order.
fn indexed<'a>(value: &'a Value, key: &str) -> Result<IndexedItems<'a>, WebhookError> {
    let missing = || WebhookError::MissingIndex { key: clip(key) };
    let entries: Vec<(usize, &Value)> = match value {
        Value::Array(items) => items.iter().enumerate().collect(),
        Value::Object(map) => {
            let mut entries = map
                .iter()
                .map(|(k, v)| k.parse::<usize>().map(|i| (i, v)).map_err(|_| missing()))
                .collect::<Result<Vec<_>, _>>()?;
            entries.sort_by_key(|(i, _)| *i);
            entries
        }
        _ => return Err(missing()),
    };
    entries
        .into_iter()
        .map(|(i, item)| match item {
            Value::Object(map) => Ok((i, map)),
            _ => Err(WebhookError::InvalidValue {
                key: format!("{}[{i}]", clip(key)),
                reason: "expected the event's fields".into(),
            }),
        })
        .collect()
}

fn account(value: &Value) -> Result<WebhookAccount, WebhookError> {
    let Value::Object(map) = value else {
        return Err(WebhookError::InvalidValue {
            key: "account".into(),
            reason: "expected account[id], account[subdomain]".into(),
        });
    };
    Ok(WebhookAccount {
        id: int(map, "id", "account[id]")?.map(AccountId),
        subdomain: string(map, "subdomain"),
        link: map
            .get("_links")
            .and_then(|l| l.get("self"))
            .and_then(|s| match s {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("href").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            }),
    })
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// An integer field; empty means absent, a non-number is an error.
fn int(map: &Map<String, Value>, field: &str, key: &str) -> Result<Option<i64>, WebhookError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            s.trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| WebhookError::InvalidValue {
                    key: key.to_owned(),
                    reason: "expected an integer".into(),
                })
        }
        Some(Value::Number(n)) => Ok(n.as_i64()),
        Some(_) => Err(WebhookError::InvalidValue {
            key: key.to_owned(),
            reason: "expected an integer, found nested keys".into(),
        }),
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let key = if prefix.is_empty() {
                    i.to_string()
                } else {
                    format!("{prefix}.{i}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Null => {}
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

fn list_of(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| k.parse::<usize>().unwrap_or(usize::MAX));
            entries.into_iter().map(|(_, v)| v).collect()
        }
        _ => Vec::new(),
    }
}

fn custom_fields(value: Option<&Value>) -> CustomFields {
    CustomFields(
        list_of(value)
            .into_iter()
            .filter_map(|field| {
                let map = field.as_object()?;
                let values = match map.get("values") {
                    Some(Value::Object(v)) if v.contains_key("value") || v.contains_key("enum") => {
                        vec![field_value(&Value::Object(v.clone()))]
                    }
                    other => list_of(other).into_iter().map(field_value).collect(),
                };
                Some(CustomFieldValue {
                    field_id: string(map, "id")
                        .or_else(|| string(map, "field_id"))
                        .and_then(|s| s.trim().parse().ok())
                        .map(FieldId),
                    field_code: string(map, "code").or_else(|| string(map, "field_code")),
                    field_name: string(map, "name"),
                    field_type: string(map, "type").map(|t| FieldType::from_api_name(&t)),
                    values,
                })
            })
            .collect(),
    )
}

fn tags(value: Option<&Value>) -> Vec<Tag> {
    list_of(value)
        .into_iter()
        .filter_map(|tag| {
            let map = tag.as_object()?;
            Some(Tag {
                id: string(map, "id").and_then(|s| s.parse().ok()).map(TagId),
                name: string(map, "name"),
            })
        })
        .collect()
}

/// The legacy `element_type` codes: 1 contact, 2 lead, 3 company, 12 customer.
fn legacy_kind(code: i64) -> Option<EntityKind> {
    match code {
        1 => Some(EntityKind::Contacts),
        2 => Some(EntityKind::Leads),
        3 => Some(EntityKind::Companies),
        12 => Some(EntityKind::Customers),
        _ => None,
    }
}

fn linked(map: &Map<String, Value>, key: &str) -> Result<Option<EntityRef>, WebhookError> {
    let id = int(map, "element_id", &format!("{key}[element_id]"))?.or(int(
        map,
        "entity_id",
        &format!("{key}[entity_id]"),
    )?);
    let kind = match map.get("element_type").or_else(|| map.get("entity_type")) {
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(legacy_kind)
            .or_else(|| EntityKind::from_api_name(s.trim())),
        _ => None,
    };
    Ok(match (kind, id) {
        (Some(kind), Some(id)) => Some(EntityRef { kind, id }),
        _ => None,
    })
}

fn time(map: &Map<String, Value>, fields: &[&str]) -> Option<DateTime<chrono::Utc>> {
    fields.iter().find_map(|f| {
        string(map, f)
            .and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|t| *t > 0)
            .and_then(|t| DateTime::from_timestamp(t, 0))
    })
}

fn event(
    entity: EventEntity,
    action: EventAction,
    item: &Map<String, Value>,
    key: &str,
    account: &WebhookAccount,
) -> Result<WebhookEvent, WebhookError> {
    let entity = match (entity, item.get("type")) {
        (EventEntity::Contact, Some(Value::String(t))) if t == "company" => EventEntity::Company,
        (other, _) => other,
    };
    let numeric_id = !matches!(
        entity,
        EventEntity::Message | EventEntity::Talk | EventEntity::Unsorted
    );
    let id = if numeric_id {
        int(item, "id", &format!("{key}[id]"))?
    } else {
        string(item, "id").and_then(|s| s.parse().ok())
    };
    let field = |name: &str| int(item, name, &format!("{key}[{name}]"));
    let mut event = WebhookEvent::new(entity, action);
    event.id = id;
    event.name = string(item, "name");
    event.pipeline_id = field("pipeline_id")?.map(PipelineId);
    event.status_id = field("status_id")?.map(StatusId);
    event.old_pipeline_id = field("old_pipeline_id")?.map(PipelineId);
    event.old_status_id = field("old_status_id")?.map(StatusId);
    event.responsible_user_id = field("responsible_user_id")?.map(UserId);
    event.old_responsible_user_id = field("old_responsible_user_id")?.map(UserId);
    event.price = match item.get("price") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(
            s.trim()
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(Price::from_decimal)
                .ok_or_else(|| WebhookError::InvalidValue {
                    key: format!("{key}[price]"),
                    reason: "expected a number".into(),
                })?,
        ),
        _ => None,
    };
    event.linked = linked(item, key)?;
    if let Some(Value::Object(note)) = item.get("note") {
        let note_key = format!("{key}[note]");
        event.note = Some(EventNote {
            id: int(note, "id", &format!("{note_key}[id]"))?,
            note_type: int(note, "note_type", &format!("{note_key}[note_type]"))?,
            text: string(note, "text"),
        });
        if event.linked.is_none() {
            event.linked = linked(note, &note_key)?;
        }
    }
    event.custom_fields = custom_fields(item.get("custom_fields"));
    event.tags = tags(item.get("tags"));
    event.created_at = time(item, &["created_at", "date_create"]);
    event.updated_at = time(item, &["updated_at", "last_modified"]);
    event.account = account.clone();
    flatten("", &Value::Object(item.clone()), &mut event.fields);
    Ok(event)
}

#[cfg(feature = "axum")]
pub mod extract;
#[cfg(test)]
mod tests;
