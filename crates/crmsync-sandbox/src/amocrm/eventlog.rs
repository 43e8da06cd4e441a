//! The account's event list (`GET /api/v4/events`): what API calls changed, recorded under amoCRM's event types,
//! filtered, ordered newest first and paged.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::listing::{ListParams, Range, ints};
use super::model::Kind;
use super::render::self_link;
use super::state::{AmoState, Event};
use crate::phpquery::QueryNode;

/// Most events per page (amoCRM's documented maximum).
pub(crate) const MAX_EVENTS_LIMIT: usize = 100;

/// One recorded event.
#[derive(Debug, Clone)]
pub(crate) struct LoggedEvent {
    pub(crate) id: String,
    pub(crate) event_type: String,
    pub(crate) entity_type: &'static str,
    pub(crate) entity_id: i64,
    pub(crate) created_by: i64,
    pub(crate) created_at: i64,
    pub(crate) value_before: Value,
    pub(crate) value_after: Value,
}

/// Event types the emulator records: key, numeric type, Russian and English names.
pub(crate) const EVENT_TYPES: &[(&str, i64, &str, &str)] = &[
    ("lead_added", 1, "Новая сделка", "Lead added"),
    ("contact_added", 2, "Новый контакт", "Contact added"),
    ("company_added", 3, "Новая компания", "Company added"),
    (
        "lead_status_changed",
        4,
        "Изменение этапа продажи",
        "Lead status changed",
    ),
    ("entity_tag_added", 5, "Теги добавлены", "Tags added"),
    ("entity_tag_deleted", 6, "Теги убраны", "Tags deleted"),
    ("entity_linked", 7, "Прикрепление", "Linked"),
    ("entity_unlinked", 8, "Открепление", "Unlinked"),
    ("common_note_added", 9, "Примечание добавлено", "Note added"),
    (
        "service_note_added",
        10,
        "Системное примечание добавлено",
        "Service note added",
    ),
    ("incoming_call", 11, "Входящий звонок", "Incoming call"),
    ("outgoing_call", 12, "Исходящий звонок", "Outgoing call"),
    ("task_added", 13, "Новая задача", "Task added"),
    ("task_completed", 14, "Задача завершена", "Task completed"),
    (
        "incoming_unsorted_added",
        15,
        "Новая заявка в неразобранном",
        "Incoming lead added",
    ),
];

/// The singular entity name events use (`lead`, `contact`, `company`).
pub(crate) fn singular(kind: Kind) -> &'static str {
    match kind {
        Kind::Leads => "lead",
        Kind::Contacts => "contact",
        Kind::Companies => "company",
    }
}

/// The event type of a note of `note_type` being added.
pub(crate) fn note_event(note_type: &str) -> &'static str {
    match note_type {
        "call_in" => "incoming_call",
        "call_out" => "outgoing_call",
        "service_message" | "extended_service_message" => "service_note_added",
        _ => "common_note_added",
    }
}

impl AmoState {
    /// Records one event.
    pub(crate) fn log_event(
        &mut self,
        event_type: &str,
        entity_type: &'static str,
        entity_id: i64,
        (value_before, value_after): (Value, Value),
        now: i64,
    ) {
        let seq = self.event_log.len() as u64 + 1;
        let created_by = self.current_user();
        self.event_log.push(LoggedEvent {
            id: format!("01sbx{seq:021x}"),
            event_type: event_type.to_owned(),
            entity_type,
            entity_id,
            created_by,
            created_at: now,
            value_before,
            value_after,
        });
    }

    /// Records the events of entity changes (added, status changed).
    pub(crate) fn log_changes(&mut self, events: &[Event], now: i64) {
        for event in events {
            match event {
                Event::Added { kind, id } => {
                    let after = match kind {
                        Kind::Leads => self.leads.get(id).map_or(Value::Null, |l| {
                            json!([{ "lead_status": { "id": l.status_id, "pipeline_id": l.pipeline_id } }])
                        }),
                        _ => json!([]),
                    };
                    let key = format!("{}_added", singular(*kind));
                    self.log_event(&key, singular(*kind), *id, (json!([]), after), now);
                }
                Event::StatusChanged {
                    id,
                    old_pipeline,
                    old_status,
                } => {
                    let Some(lead) = self.leads.get(id) else {
                        continue;
                    };
                    let after = json!([{ "lead_status": { "id": lead.status_id, "pipeline_id": lead.pipeline_id } }]);
                    let before = json!([{ "lead_status": { "id": old_status, "pipeline_id": old_pipeline } }]);
                    self.log_event("lead_status_changed", "lead", *id, (before, after), now);
                }
                Event::Updated { .. } => {}
            }
        }
    }

    /// The events of one page, newest first unless `order[created_at]=asc` or `order[id]=asc`.
    pub(crate) fn list_events(&self, params: &ListParams) -> Vec<&LoggedEvent> {
        let f = &params.filter;
        let split = |node: Option<&QueryNode>| -> Option<Vec<String>> {
            node.map(|n| {
                n.list()
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .collect()
            })
        };
        let ids = split(f.get("id"));
        let types = split(f.get("type"));
        let entities = split(f.get("entity"));
        let entity_ids = ints(f.get("entity_id"));
        let created_by = ints(f.get("created_by"));
        let created_at = created_range(f.get("created_at"));
        let matching = self.event_log.iter().filter(|e| {
            ids.as_ref().is_none_or(|l| l.contains(&e.id))
                && types.as_ref().is_none_or(|l| l.contains(&e.event_type))
                && entities
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|x| x == e.entity_type))
                && entity_ids.as_ref().is_none_or(|l| l.contains(&e.entity_id))
                && created_by
                    .as_ref()
                    .is_none_or(|l| l.contains(&e.created_by))
                && created_at.is_none_or(|r| r.contains(Some(e.created_at)))
        });
        let ascending = params.order.as_ref().is_some_and(|(_, desc)| !desc);
        if ascending {
            params.page_of(matching)
        } else {
            params.page_of(matching.rev())
        }
    }

    /// One event as `GET /api/v4/events` shows it; `with=lead_name` (and the other `*_name`) adds the entity's
    /// name to `_embedded.entity`.
    pub(crate) fn render_event(&self, e: &LoggedEvent, with: &BTreeSet<String>) -> Value {
        let kind = match e.entity_type {
            "lead" => Some(Kind::Leads),
            "contact" => Some(Kind::Contacts),
            "company" => Some(Kind::Companies),
            _ => None,
        };
        let mut entity = json!({ "id": e.entity_id });
        if let Some(kind) = kind {
            entity["_links"] = self_link(self.entity_href(kind, e.entity_id));
            if with.contains(&format!("{}_name", e.entity_type))
                && let Some(found) = self.entities(kind).get(&e.entity_id)
            {
                entity["name"] = json!(found.name);
            }
        }
        json!({
            "id": e.id,
            "type": e.event_type,
            "entity_id": e.entity_id,
            "entity_type": e.entity_type,
            "created_by": e.created_by,
            "created_at": e.created_at,
            "value_after": e.value_after,
            "value_before": e.value_before,
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/events/{}", e.id))),
            "_embedded": { "entity": entity },
        })
    }

    /// `GET /api/v4/events/types` items in `language` (`ru`, else English).
    pub(crate) fn render_event_types(language: &str) -> Vec<Value> {
        EVENT_TYPES
            .iter()
            .map(|(key, number, ru, en)| {
                json!({ "key": key, "type": number, "lang": if language == "ru" { ru } else { en } })
            })
            .collect()
    }
}

/// `filter[created_at]`: `[from]`/`[to]`, one timestamp (from then on), or two separated by a comma.
fn created_range(node: Option<&QueryNode>) -> Option<Range> {
    let node = node?;
    if node.get("from").is_some() || node.get("to").is_some() {
        return Range::read(Some(node));
    }
    let values: Vec<i64> = node
        .list()
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    match values.as_slice() {
        [from] => Some(Range::between(Some(*from), None)),
        [from, to, ..] => Some(Range::between(Some(*from), Some(*to))),
        [] => None,
    }
}
