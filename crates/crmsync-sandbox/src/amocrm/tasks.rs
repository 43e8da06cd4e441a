//! Adding and updating tasks and notes, all-or-nothing per request.

use serde_json::{Value, json};

use super::input::{Errors, Reader, request_id};
use super::model::{Kind, Note, Task};
use super::state::{AmoState, ItemErrors};

const TASK_ENTITY_TYPES: [&str; 4] = ["leads", "contacts", "companies", "customers"];

/// Note types the API accepts, with the parameters each requires.
const NOTE_TYPES: &[(&str, &[&str])] = &[
    ("common", &["text"]),
    ("call_in", &["uniq", "duration", "source", "phone"]),
    ("call_out", &["uniq", "duration", "source", "phone"]),
    ("service_message", &["service", "text"]),
    ("extended_service_message", &["service", "text"]),
    ("message_cashier", &["status", "text"]),
    ("geolocation", &["text", "address", "longitude", "latitude"]),
    ("sms_in", &["text", "phone"]),
    ("sms_out", &["text", "phone"]),
    ("attachment", &["file_uuid", "file_name"]),
    ("invoice_paid", &["text"]),
    ("key_action_completed", &["text"]),
];

/// A known note type with its required parameters present.
fn check_note(note_type: &str, params: &Value, errors: &mut Errors) {
    let Some((_, required)) = NOTE_TYPES.iter().find(|(t, _)| *t == note_type) else {
        errors.choice("note_type");
        return;
    };
    for key in *required {
        if params.get(*key).is_none_or(Value::is_null) {
            errors.missing(format!("params.{key}"));
        }
    }
}

/// Result of one applied task or note item.
#[derive(Debug, Clone)]
pub(crate) struct Saved {
    pub(crate) id: i64,
    pub(crate) request_id: String,
    pub(crate) updated_at: i64,
    pub(crate) entity_id: Option<i64>,
}

pub(crate) fn collect<T>(
    items: &[Value],
    mut parse: impl FnMut(&Value, &mut Errors) -> T,
) -> Result<Vec<(String, T)>, Vec<ItemErrors>> {
    let mut ok = Vec::with_capacity(items.len());
    let mut failures = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut errors = Errors::default();
        let parsed = parse(item, &mut errors);
        let rid = request_id(item, i);
        if errors.is_empty() {
            ok.push((rid, parsed));
        } else {
            failures.push(ItemErrors {
                request_id: rid,
                errors: errors.list,
            });
        }
    }
    if failures.is_empty() {
        Ok(ok)
    } else {
        Err(failures)
    }
}

impl AmoState {
    fn parse_task(
        &self,
        item: &Value,
        update: bool,
        fixture: bool,
        errors: &mut Errors,
    ) -> Option<Task> {
        let Some(obj) = item.as_object() else {
            errors.invalid_type("", "array");
            return None;
        };
        let r = Reader::new(obj, "");
        let user = self.current_user();
        let mut task = if update {
            match r.int("id", errors) {
                Some(id) => match self.tasks.get(&id) {
                    Some(task) => task.clone(),
                    None => {
                        errors.not_found("id", "Task");
                        return None;
                    }
                },
                None => {
                    if !obj.contains_key("id") {
                        errors.missing("id");
                    }
                    return None;
                }
            }
        } else {
            let id = if fixture {
                r.int("id", errors).unwrap_or(0)
            } else {
                0
            };
            Task {
                id,
                created_by: user,
                updated_by: user,
                created_at: 0,
                updated_at: 0,
                responsible_user_id: user,
                entity_id: None,
                entity_type: None,
                duration: 0,
                is_completed: false,
                task_type_id: 1,
                text: String::new(),
                result: None,
                complete_till: 0,
            }
        };
        match r.string("text", errors) {
            Some(text) if !text.trim().is_empty() => task.text = text,
            Some(_) => errors.push("NotBlank", "text", "This value should not be blank."),
            None if !update && !r.has_null("text") && !obj.contains_key("text") => {
                errors.missing("text")
            }
            None => {}
        }
        match r.int("complete_till", errors) {
            Some(ts) => task.complete_till = ts,
            None if !update && !obj.contains_key("complete_till") => {
                errors.missing("complete_till")
            }
            None => {}
        }
        let entity_type = r.string("entity_type", errors);
        if let Some(et) = &entity_type
            && !TASK_ENTITY_TYPES.contains(&et.as_str())
        {
            errors.choice("entity_type");
        }
        if let Some(entity_id) = r.int("entity_id", errors) {
            match entity_type.as_deref().or(task.entity_type.as_deref()) {
                None => errors.missing("entity_type"),
                Some(et) => {
                    if let Some(kind) = Kind::parse(et)
                        && !self.entities(kind).contains_key(&entity_id)
                    {
                        errors.not_found("entity_id", "Entity");
                    }
                    task.entity_id = Some(entity_id);
                    task.entity_type = Some(et.to_owned());
                }
            }
        } else if let Some(et) = entity_type {
            task.entity_type = Some(et);
        }
        if let Some(n) = r.int("task_type_id", errors) {
            task.task_type_id = n;
        }
        if let Some(n) = r.int("duration", errors) {
            task.duration = n;
        }
        if let Some(b) = r.boolean("is_completed", errors) {
            task.is_completed = b;
        }
        if let Some(result) = r.object("result", errors) {
            task.result = Reader::new(result, "result").string("text", errors);
        }
        if let Some(user) = r.int("responsible_user_id", errors) {
            if self.is_user(user) {
                task.responsible_user_id = user;
            } else {
                errors.choice("responsible_user_id");
            }
        }
        for (key, slot) in [
            ("created_by", &mut task.created_by),
            ("updated_by", &mut task.updated_by),
        ] {
            if let Some(user) = r.int(key, errors) {
                if user == 0 || self.is_user(user) {
                    *slot = user;
                } else {
                    errors.choice(key);
                }
            }
        }
        if let Some(ts) = r.int("created_at", errors) {
            task.created_at = ts;
        }
        if update && !obj.contains_key("updated_by") {
            task.updated_by = user;
        }
        task.updated_at = r.int("updated_at", errors).unwrap_or(0);
        Some(task)
    }

    pub(crate) fn add_tasks(
        &mut self,
        items: &[Value],
        now: i64,
        fixture: bool,
    ) -> Result<Vec<Saved>, Vec<ItemErrors>> {
        let parsed = collect(items, |item, errors| {
            self.parse_task(item, false, fixture, errors)
        })?;
        let mut saved = Vec::with_capacity(parsed.len());
        for (rid, task) in parsed {
            let Some(mut task) = task else { continue };
            task.id = if task.id > 0 {
                self.reserve("tasks", task.id);
                task.id
            } else {
                self.allocate("tasks")
            };
            if task.created_at == 0 {
                task.created_at = now;
            }
            if task.updated_at == 0 {
                task.updated_at = now;
            }
            saved.push(Saved {
                id: task.id,
                request_id: rid,
                updated_at: task.updated_at,
                entity_id: task.entity_id,
            });
            if !fixture {
                let after = json!([{ "task": { "id": task.id, "text": task.text } }]);
                self.log_event("task_added", "task", task.id, (json!([]), after), now);
            }
            self.tasks.insert(task.id, task);
        }
        Ok(saved)
    }

    pub(crate) fn update_tasks(
        &mut self,
        items: &[Value],
        now: i64,
    ) -> Result<Vec<Saved>, Vec<ItemErrors>> {
        let parsed = collect(items, |item, errors| {
            self.parse_task(item, true, false, errors)
        })?;
        let mut saved = Vec::with_capacity(parsed.len());
        for (rid, task) in parsed {
            let Some(mut task) = task else { continue };
            if task.updated_at == 0 {
                task.updated_at = now;
            }
            let was_completed = self.tasks.get(&task.id).is_some_and(|t| t.is_completed);
            if task.is_completed && !was_completed {
                let after = json!([{ "task_completed": true, "result": { "text": task.result } }]);
                self.log_event("task_completed", "task", task.id, (json!([]), after), now);
            }
            saved.push(Saved {
                id: task.id,
                request_id: rid,
                updated_at: task.updated_at,
                entity_id: task.entity_id,
            });
            self.tasks.insert(task.id, task);
        }
        Ok(saved)
    }

    fn parse_note(
        &self,
        kind: Kind,
        path_entity: Option<i64>,
        item: &Value,
        update: bool,
        fixture: bool,
        errors: &mut Errors,
    ) -> Option<Note> {
        let Some(obj) = item.as_object() else {
            errors.invalid_type("", "array");
            return None;
        };
        let r = Reader::new(obj, "");
        let user = self.current_user();
        let mut note = if update {
            let id = match r.int("id", errors) {
                Some(id) => id,
                None => {
                    if !obj.contains_key("id") {
                        errors.missing("id");
                    }
                    return None;
                }
            };
            match self.notes.get(&id).filter(|n| n.kind == kind) {
                Some(note) => note.clone(),
                None => {
                    errors.not_found("id", "Note");
                    return None;
                }
            }
        } else {
            Note {
                id: if fixture {
                    r.int("id", errors).unwrap_or(0)
                } else {
                    0
                },
                kind,
                entity_id: 0,
                created_by: user,
                updated_by: user,
                created_at: 0,
                updated_at: 0,
                responsible_user_id: user,
                note_type: String::new(),
                params: Value::Object(serde_json::Map::new()),
            }
        };
        if !update {
            match path_entity.or_else(|| r.int("entity_id", errors)) {
                Some(entity_id) if self.entities(kind).contains_key(&entity_id) => {
                    note.entity_id = entity_id
                }
                Some(_) => errors.not_found("entity_id", "Entity"),
                None if !obj.contains_key("entity_id") => errors.missing("entity_id"),
                None => {}
            }
        }
        match r.string("note_type", errors) {
            Some(t) if !t.trim().is_empty() => note.note_type = t,
            Some(_) => errors.push("NotBlank", "note_type", "This value should not be blank."),
            None if !update && !obj.contains_key("note_type") => errors.missing("note_type"),
            None => {}
        }
        if let Some(params) = r.object("params", errors) {
            note.params = Value::Object(params.clone());
        }
        if !note.note_type.is_empty() {
            check_note(&note.note_type, &note.params, errors);
        }
        if let Some(user) = r.int("responsible_user_id", errors) {
            if self.is_user(user) {
                note.responsible_user_id = user;
            } else {
                errors.choice("responsible_user_id");
            }
        }
        if let Some(user) = r.int("created_by", errors) {
            note.created_by = user;
        }
        if let Some(ts) = r.int("created_at", errors) {
            note.created_at = ts;
        }
        note.updated_at = r.int("updated_at", errors).unwrap_or(0);
        Some(note)
    }

    pub(crate) fn add_notes(
        &mut self,
        kind: Kind,
        path_entity: Option<i64>,
        items: &[Value],
        now: i64,
        fixture: bool,
    ) -> Result<Vec<Saved>, Vec<ItemErrors>> {
        let parsed = collect(items, |item, errors| {
            self.parse_note(kind, path_entity, item, false, fixture, errors)
        })?;
        let mut saved = Vec::with_capacity(parsed.len());
        for (rid, note) in parsed {
            let Some(mut note) = note else { continue };
            note.id = if note.id > 0 {
                self.reserve("notes", note.id);
                note.id
            } else {
                self.allocate("notes")
            };
            if note.created_at == 0 {
                note.created_at = now;
            }
            if note.updated_at == 0 {
                note.updated_at = now;
            }
            saved.push(Saved {
                id: note.id,
                request_id: rid,
                updated_at: note.updated_at,
                entity_id: Some(note.entity_id),
            });
            if !fixture {
                let after = json!([{ "note": { "id": note.id } }]);
                let event = super::eventlog::note_event(&note.note_type);
                let entity = super::eventlog::singular(kind);
                self.log_event(event, entity, note.entity_id, (json!([]), after), now);
            }
            self.notes.insert(note.id, note);
        }
        Ok(saved)
    }

    pub(crate) fn update_notes(
        &mut self,
        kind: Kind,
        items: &[Value],
        now: i64,
    ) -> Result<Vec<Saved>, Vec<ItemErrors>> {
        let parsed = collect(items, |item, errors| {
            self.parse_note(kind, None, item, true, false, errors)
        })?;
        let mut saved = Vec::with_capacity(parsed.len());
        for (rid, note) in parsed {
            let Some(mut note) = note else { continue };
            if note.updated_at == 0 {
                note.updated_at = now;
            }
            saved.push(Saved {
                id: note.id,
                request_id: rid,
                updated_at: note.updated_at,
                entity_id: Some(note.entity_id),
            });
            self.notes.insert(note.id, note);
        }
        Ok(saved)
    }
}
