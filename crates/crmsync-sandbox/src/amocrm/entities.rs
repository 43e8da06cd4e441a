//! Adding and updating leads, contacts and companies (batch, by id, and complex add), all-or-nothing per request.

use serde_json::{Value, json};

use super::fields::{FieldPatch, apply_field_patches, parse_field_values};
use super::input::{Errors, Reader, request_id};
use super::model::{Entity, Kind};
use super::state::{AmoState, Event, ItemErrors, is_closed};

/// A tag named by id or by name.
#[derive(Debug, Clone)]
pub(crate) enum TagRef {
    Id(i64),
    Name(String),
}

/// An entity embedded in another: an existing one by id, or (complex add only) a new one.
#[derive(Debug, Clone)]
pub(crate) enum Embedded {
    Existing { id: i64, is_main: Option<bool> },
    New(Box<EntityPatch>),
}

/// What one request item asks to set.
#[derive(Debug, Clone, Default)]
pub(crate) struct EntityPatch {
    pub(crate) id: Option<i64>,
    pub(crate) name: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) price: Option<f64>,
    pub(crate) status_id: Option<i64>,
    pub(crate) pipeline_id: Option<i64>,
    pub(crate) loss_reason_id: Option<Option<i64>>,
    pub(crate) responsible_user_id: Option<i64>,
    pub(crate) created_by: Option<i64>,
    pub(crate) updated_by: Option<i64>,
    pub(crate) created_at: Option<i64>,
    pub(crate) updated_at: Option<i64>,
    pub(crate) closed_at: Option<Option<i64>>,
    pub(crate) fields: Vec<FieldPatch>,
    pub(crate) tags_set: Option<Vec<TagRef>>,
    pub(crate) tags_add: Vec<TagRef>,
    pub(crate) tags_delete: Vec<TagRef>,
    pub(crate) contacts: Vec<Embedded>,
    pub(crate) companies: Vec<Embedded>,
    /// (pipeline, status) after validation, for leads.
    pub(crate) resolved: Option<(i64, i64)>,
}

/// How an item is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `POST /api/v4/{entity}`.
    Add,
    /// `PATCH`: `id` required and must exist.
    Update,
    /// `POST /api/v4/leads/complex`: embedded contact/company may be new.
    Complex,
    /// Fixture loading: like `Add`, but an explicit `id` is kept.
    Fixture,
}

/// The result of one applied item.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) id: i64,
    pub(crate) request_id: String,
    pub(crate) updated_at: i64,
    pub(crate) contact_id: Option<i64>,
    pub(crate) company_id: Option<i64>,
}

impl AmoState {
    pub(crate) fn parse_entity(
        &self,
        kind: Kind,
        item: &Value,
        prefix: &str,
        mode: Mode,
        errors: &mut Errors,
    ) -> EntityPatch {
        let mut patch = EntityPatch::default();
        let Some(obj) = item.as_object() else {
            errors.invalid_type(prefix, "array");
            return patch;
        };
        let r = Reader::new(obj, prefix);
        match mode {
            Mode::Update => match r.int("id", errors) {
                Some(id) if self.entities(kind).contains_key(&id) => patch.id = Some(id),
                Some(_) => errors.not_found(r.path("id"), "Entity"),
                None if !obj.contains_key("id") => errors.missing(r.path("id")),
                None => {}
            },
            Mode::Fixture => {
                if let Some(id) = r.int("id", errors) {
                    if id <= 0 || self.entities(kind).contains_key(&id) {
                        errors.push(
                            "Duplicate",
                            r.path("id"),
                            "The id is taken or not positive.",
                        );
                    } else {
                        patch.id = Some(id);
                    }
                }
            }
            Mode::Add | Mode::Complex => {}
        }
        patch.name = r.string("name", errors);
        if kind == Kind::Contacts {
            patch.first_name = r.string("first_name", errors);
            patch.last_name = r.string("last_name", errors);
        }
        if kind == Kind::Leads {
            patch.price = r.number("price", errors);
            patch.status_id = r.int("status_id", errors);
            patch.pipeline_id = r.int("pipeline_id", errors);
            patch.loss_reason_id = r.nullable_int("loss_reason_id", errors);
            patch.closed_at = r.nullable_int("closed_at", errors);
        }
        patch.responsible_user_id = r.int("responsible_user_id", errors);
        if let Some(user) = patch.responsible_user_id
            && !self.is_user(user)
        {
            errors.choice(r.path("responsible_user_id"));
        }
        for (key, slot) in [
            ("created_by", &mut patch.created_by),
            ("updated_by", &mut patch.updated_by),
        ] {
            *slot = r.int(key, errors);
            if let Some(user) = *slot
                && user != 0
                && !self.is_user(user)
            {
                errors.choice(r.path(key));
            }
        }
        patch.created_at = r.int("created_at", errors);
        patch.updated_at = r.int("updated_at", errors);
        if let Some(items) = r.array("custom_fields_values", errors) {
            patch.fields = parse_field_values(
                items,
                self.defs(kind),
                &r.path("custom_fields_values"),
                errors,
            );
        }
        patch.tags_add = self.parse_tags(kind, &r, "tags_to_add", errors);
        patch.tags_delete = self.parse_tags(kind, &r, "tags_to_delete", errors);
        if let Some(embedded) = r.object("_embedded", errors) {
            let e = Reader::new(embedded, r.path("_embedded"));
            if e.raw("tags").is_some() {
                patch.tags_set = Some(self.parse_tags(kind, &e, "tags", errors));
            }
            if kind == Kind::Leads {
                patch.contacts = self.parse_embedded(Kind::Contacts, &e, mode, errors);
            }
            if kind != Kind::Companies {
                patch.companies = self.parse_embedded(Kind::Companies, &e, mode, errors);
            }
        }
        if kind == Kind::Leads {
            let existing = patch.id.and_then(|id| self.leads.get(&id));
            patch.resolved = self.resolve_status(existing, &patch, &r, errors);
        }
        patch
    }

    fn parse_tags(
        &self,
        kind: Kind,
        r: &Reader<'_>,
        key: &str,
        errors: &mut Errors,
    ) -> Vec<TagRef> {
        let Some(items) = r.array(key, errors) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}.{i}", r.path(key));
            let Some(obj) = item.as_object() else {
                errors.invalid_type(path, "array");
                continue;
            };
            let t = Reader::new(obj, path);
            if let Some(id) = t.int("id", errors) {
                if self.has_tag(kind, id) {
                    out.push(TagRef::Id(id));
                } else {
                    errors.choice(t.path("id"));
                }
            } else if let Some(name) = t.string("name", errors) {
                if name.trim().is_empty() {
                    errors.missing(t.path("name"));
                } else {
                    out.push(TagRef::Name(name));
                }
            } else if !obj.contains_key("id") && !obj.contains_key("name") {
                errors.missing(t.path("name"));
            }
        }
        out
    }

    fn parse_embedded(
        &self,
        target: Kind,
        e: &Reader<'_>,
        mode: Mode,
        errors: &mut Errors,
    ) -> Vec<Embedded> {
        let key = target.plural();
        let Some(items) = e.array(key, errors) else {
            return Vec::new();
        };
        if mode == Mode::Complex && items.len() > 1 {
            errors.push(
                "TooMuchItems",
                e.path(key),
                "This collection should contain 1 element or less.",
            );
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}.{i}", e.path(key));
            let Some(obj) = item.as_object() else {
                errors.invalid_type(path, "array");
                continue;
            };
            let t = Reader::new(obj, path.clone());
            match t.int("id", errors) {
                Some(id) if self.entities(target).contains_key(&id) => {
                    out.push(Embedded::Existing {
                        id,
                        is_main: t.boolean("is_main", errors),
                    })
                }
                Some(_) => errors.not_found(t.path("id"), "Entity"),
                None if mode == Mode::Complex && !obj.contains_key("id") => {
                    let inner = self.parse_entity(target, item, &path, Mode::Add, errors);
                    out.push(Embedded::New(Box::new(inner)));
                }
                None if !obj.contains_key("id") => errors.missing(t.path("id")),
                None => {}
            }
        }
        out
    }

    fn resolve_status(
        &self,
        existing: Option<&Entity>,
        patch: &EntityPatch,
        r: &Reader<'_>,
        errors: &mut Errors,
    ) -> Option<(i64, i64)> {
        let pipeline = match patch.pipeline_id {
            Some(id) => match self.pipeline(id) {
                Some(p) => p,
                None => {
                    errors.choice(r.path("pipeline_id"));
                    return None;
                }
            },
            None => match (existing, patch.status_id) {
                (Some(e), _) => self.pipeline(e.pipeline_id)?,
                (None, Some(status)) => self
                    .main_pipeline()
                    .filter(|p| p.statuses.iter().any(|s| s.id == status))
                    .or_else(|| {
                        self.pipelines
                            .iter()
                            .find(|p| p.statuses.iter().any(|s| s.id == status))
                    })
                    .or(self.main_pipeline())?,
                (None, None) => self.main_pipeline()?,
            },
        };
        let status = match patch.status_id {
            Some(status) => status,
            None => match existing {
                Some(e) if e.pipeline_id == pipeline.id => e.status_id,
                _ => Self::first_stage(pipeline)?.id,
            },
        };
        if !pipeline.statuses.iter().any(|s| s.id == status) {
            errors.choice(r.path("status_id"));
            return None;
        }
        Some((pipeline.id, status))
    }

    /// Parses every item first; applies nothing unless all are valid.
    fn parse_batch(
        &self,
        kind: Kind,
        items: &[Value],
        mode: Mode,
    ) -> Result<Vec<(String, EntityPatch)>, Vec<ItemErrors>> {
        let mut patches = Vec::with_capacity(items.len());
        let mut failures = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mut errors = Errors::default();
            let patch = self.parse_entity(kind, item, "", mode, &mut errors);
            let rid = request_id(item, i);
            if errors.is_empty() {
                patches.push((rid, patch));
            } else {
                failures.push(ItemErrors {
                    request_id: rid,
                    errors: errors.list,
                });
            }
        }
        if failures.is_empty() {
            Ok(patches)
        } else {
            Err(failures)
        }
    }

    /// Checks `items` as an add would, changing nothing.
    pub(crate) fn validate_entities(
        &self,
        kind: Kind,
        items: &[Value],
    ) -> Result<(), Vec<ItemErrors>> {
        self.parse_batch(kind, items, Mode::Add).map(drop)
    }

    pub(crate) fn add_entities(
        &mut self,
        kind: Kind,
        items: &[Value],
        now: i64,
        fixture: bool,
    ) -> Result<Vec<Outcome>, Vec<ItemErrors>> {
        let mode = if fixture { Mode::Fixture } else { Mode::Add };
        let patches = self.parse_batch(kind, items, mode)?;
        Ok(patches
            .into_iter()
            .map(|(rid, patch)| self.create(kind, rid, &patch, now))
            .collect())
    }

    pub(crate) fn update_entities(
        &mut self,
        kind: Kind,
        items: &[Value],
        now: i64,
    ) -> Result<Vec<Outcome>, Vec<ItemErrors>> {
        let patches = self.parse_batch(kind, items, Mode::Update)?;
        let mut outcomes = Vec::with_capacity(patches.len());
        for (rid, patch) in patches {
            let Some(id) = patch.id else { continue };
            let mut patch = patch;
            if kind == Kind::Leads {
                // An earlier item of the same batch may have moved this lead: resolve against the current state.
                let mut errors = Errors::default();
                let existing = self.leads.get(&id).cloned();
                let empty = serde_json::Map::new();
                patch.resolved = self.resolve_status(
                    existing.as_ref(),
                    &patch,
                    &Reader::new(&empty, ""),
                    &mut errors,
                );
            }
            let updated_at = self.modify(kind, id, &patch, now);
            outcomes.push(Outcome {
                id,
                request_id: rid,
                updated_at,
                contact_id: None,
                company_id: None,
            });
        }
        Ok(outcomes)
    }

    pub(crate) fn add_complex(
        &mut self,
        items: &[Value],
        now: i64,
    ) -> Result<Vec<Outcome>, Vec<ItemErrors>> {
        let patches = self.parse_batch(Kind::Leads, items, Mode::Complex)?;
        let mut outcomes = Vec::with_capacity(patches.len());
        for (rid, patch) in patches {
            let contact_id = patch
                .contacts
                .first()
                .map(|c| self.embedded_id(Kind::Contacts, c, now));
            let company_id = patch
                .companies
                .first()
                .map(|c| self.embedded_id(Kind::Companies, c, now));
            if let (Some(contact), Some(company)) = (contact_id, company_id) {
                self.links.link_contact_company(contact, company);
            }
            let mut lead_patch = patch;
            lead_patch.contacts = contact_id
                .map(|id| {
                    vec![Embedded::Existing {
                        id,
                        is_main: Some(true),
                    }]
                })
                .unwrap_or_default();
            lead_patch.companies = company_id
                .map(|id| vec![Embedded::Existing { id, is_main: None }])
                .unwrap_or_default();
            let mut outcome = self.create(Kind::Leads, rid, &lead_patch, now);
            outcome.contact_id = contact_id;
            outcome.company_id = company_id;
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    fn embedded_id(&mut self, kind: Kind, embedded: &Embedded, now: i64) -> i64 {
        match embedded {
            Embedded::Existing { id, .. } => *id,
            Embedded::New(patch) => self.create(kind, String::new(), patch, now).id,
        }
    }

    fn create(&mut self, kind: Kind, request_id: String, patch: &EntityPatch, now: i64) -> Outcome {
        let id = match patch.id {
            Some(id) => {
                self.reserve(kind.plural(), id);
                id
            }
            None => self.allocate(kind.plural()),
        };
        let user = self.current_user();
        let mut entity = Entity::blank(id);
        entity.created_at = patch.created_at.unwrap_or(now);
        entity.created_by = patch.created_by.unwrap_or(user);
        entity.responsible_user_id = patch.responsible_user_id.unwrap_or(user);
        self.entities_mut(kind).insert(id, entity);
        let updated_at = self.modify_inner(kind, id, patch, now, true);
        self.events.push(Event::Added { kind, id });
        Outcome {
            id,
            request_id,
            updated_at,
            contact_id: None,
            company_id: None,
        }
    }

    fn modify(&mut self, kind: Kind, id: i64, patch: &EntityPatch, now: i64) -> i64 {
        let old_status = self
            .entities(kind)
            .get(&id)
            .map(|e| (e.pipeline_id, e.status_id));
        let updated_at = self.modify_inner(kind, id, patch, now, false);
        let new_status = self
            .entities(kind)
            .get(&id)
            .map(|e| (e.pipeline_id, e.status_id));
        let changed = kind == Kind::Leads && old_status != new_status;
        if changed && let Some((old_pipeline, old_status)) = old_status {
            self.events.push(Event::StatusChanged {
                id,
                old_pipeline,
                old_status,
            });
        }
        self.events.push(Event::Updated {
            kind,
            id,
            old_status: if changed { old_status } else { None },
        });
        updated_at
    }

    fn modify_inner(
        &mut self,
        kind: Kind,
        id: i64,
        patch: &EntityPatch,
        now: i64,
        is_new: bool,
    ) -> i64 {
        let tag_ops: Vec<(bool, i64)> = self.resolve_tag_ops(kind, patch);
        let user = self.current_user();
        let Some(entity) = self.entities_mut(kind).get_mut(&id) else {
            return now;
        };
        if let Some(name) = &patch.name {
            entity.name.clone_from(name);
        }
        if let Some(first) = &patch.first_name {
            entity.first_name.clone_from(first);
        }
        if let Some(last) = &patch.last_name {
            entity.last_name.clone_from(last);
        }
        if kind == Kind::Contacts
            && patch.name.is_none()
            && (patch.first_name.is_some() || patch.last_name.is_some())
        {
            entity.name = format!("{} {}", entity.first_name, entity.last_name)
                .trim()
                .to_owned();
        }
        if let Some(price) = patch.price {
            entity.price = price;
        }
        let moves = is_new || patch.status_id.is_some() || patch.pipeline_id.is_some();
        if let Some((pipeline, status)) = patch.resolved.filter(|_| moves) {
            let was_closed = !is_new && is_closed(entity.status_id);
            entity.pipeline_id = pipeline;
            entity.status_id = status;
            if is_closed(status) && !was_closed {
                entity.closed_at = Some(now);
            } else if !is_closed(status) {
                entity.closed_at = None;
            }
        }
        if let Some(closed) = patch.closed_at {
            entity.closed_at = closed;
        }
        if let Some(reason) = patch.loss_reason_id {
            entity.loss_reason_id = reason;
        }
        if let Some(user) = patch.responsible_user_id {
            entity.responsible_user_id = user;
        }
        apply_field_patches(&mut entity.fields, &patch.fields);
        if patch.tags_set.is_some() {
            entity.tags.clear();
        }
        let mut tag_changes = Vec::new();
        for (add, tag) in tag_ops {
            if add {
                if !entity.tags.contains(&tag) {
                    entity.tags.push(tag);
                    tag_changes.push((true, tag));
                }
            } else if entity.tags.contains(&tag) {
                entity.tags.retain(|t| *t != tag);
                tag_changes.push((false, tag));
            }
        }
        entity.updated_by = patch.updated_by.unwrap_or(user);
        entity.updated_at = patch.updated_at.unwrap_or(now);
        let updated_at = entity.updated_at;
        if !is_new {
            for (added, tag) in tag_changes {
                let value =
                    json!([{ "tag": { "name": self.tag_name(kind, tag).unwrap_or_default() } }]);
                let (event, values) = if added {
                    ("entity_tag_added", (json!([]), value))
                } else {
                    ("entity_tag_deleted", (value, json!([])))
                };
                self.log_event(event, super::eventlog::singular(kind), id, values, now);
            }
        }
        for embedded in &patch.contacts {
            if let Embedded::Existing {
                id: contact,
                is_main,
            } = embedded
            {
                self.links
                    .link_lead_contact(id, *contact, is_main.unwrap_or(false));
            }
        }
        for embedded in &patch.companies {
            if let Embedded::Existing { id: company, .. } = embedded {
                match kind {
                    Kind::Leads => self.links.link_lead_company(id, *company),
                    Kind::Contacts => self.links.link_contact_company(id, *company),
                    Kind::Companies => {}
                }
            }
        }
        updated_at
    }

    fn resolve_tag_ops(&mut self, kind: Kind, patch: &EntityPatch) -> Vec<(bool, i64)> {
        let mut ops = Vec::new();
        let adds = patch.tags_set.iter().flatten().chain(&patch.tags_add);
        let adds: Vec<TagRef> = adds.cloned().collect();
        for tag in adds {
            let id = match tag {
                TagRef::Id(id) => id,
                TagRef::Name(name) => self.tag_id(kind, &name),
            };
            ops.push((true, id));
        }
        for tag in &patch.tags_delete {
            let id = match tag {
                TagRef::Id(id) => Some(*id),
                TagRef::Name(name) => {
                    let key = name.trim().to_lowercase();
                    self.tag_lookup(kind, &key)
                }
            };
            if let Some(id) = id {
                ops.push((false, id));
            }
        }
        ops
    }
}
