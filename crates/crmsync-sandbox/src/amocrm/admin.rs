//! Account settings written through the API: custom fields (add, change, delete), custom field groups and
//! roles.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::fixture::{CustomFieldDef, EnumDef};
use super::input::{Errors, Reader};
use super::model::Kind;
use super::render::self_link;
use super::state::{AmoState, ItemErrors};
use super::tasks::collect;

/// Field types the API accepts for new fields.
const FIELD_TYPES: [&str; 22] = [
    "text",
    "numeric",
    "checkbox",
    "select",
    "multiselect",
    "multitext",
    "date",
    "url",
    "textarea",
    "radiobutton",
    "streetaddress",
    "smart_address",
    "birthday",
    "legal_entity",
    "date_time",
    "price",
    "category",
    "file",
    "chained_list",
    "tracking_data",
    "linked_entity",
    "monetary",
];

const ENUM_TYPES: [&str; 4] = ["select", "multiselect", "radiobutton", "multitext"];

/// What the API keeps of a field beyond its definition.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldExtra {
    pub(crate) group_id: Option<String>,
    pub(crate) is_api_only: bool,
}

/// A custom field group.
#[derive(Debug, Clone)]
pub(crate) struct FieldGroup {
    pub(crate) id: String,
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) sort: i64,
}

/// A role added through the API.
#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) name: String,
    pub(crate) rights: Value,
}

/// Field extras, groups and roles.
#[derive(Debug, Default)]
pub(crate) struct AdminState {
    pub(crate) extras: HashMap<(Kind, i64), FieldExtra>,
    pub(crate) groups: Vec<FieldGroup>,
    pub(crate) roles: BTreeMap<i64, Role>,
}

fn one(path: &str, code: &'static str, detail: &str) -> Vec<ItemErrors> {
    let mut errors = Errors::default();
    errors.push(code, path, detail);
    vec![ItemErrors {
        request_id: "0".to_owned(),
        errors: errors.list,
    }]
}

fn name(r: &Reader<'_>, required: bool, errors: &mut Errors) -> Option<String> {
    match r.string("name", errors) {
        Some(n) if !n.trim().is_empty() => Some(n),
        Some(_) => {
            errors.push(
                "NotBlank",
                r.path("name"),
                "This value should not be blank.",
            );
            None
        }
        None => {
            if required {
                errors.missing(r.path("name"));
            }
            None
        }
    }
}

impl AmoState {
    pub(crate) fn defs_mut(&mut self, kind: Kind) -> &mut Vec<CustomFieldDef> {
        match kind {
            Kind::Leads => &mut self.fields.leads,
            Kind::Contacts => &mut self.fields.contacts,
            Kind::Companies => &mut self.fields.companies,
        }
    }

    fn next_field_id(&mut self, what: &'static str) -> i64 {
        let highest = [
            &self.fields.leads,
            &self.fields.contacts,
            &self.fields.companies,
        ]
        .iter()
        .flat_map(|defs| {
            defs.iter()
                .flat_map(|d| std::iter::once(d.id).chain(d.enums.iter().flatten().map(|e| e.id)))
        })
        .max()
        .unwrap_or(0);
        self.reserve(what, highest);
        self.allocate(what)
    }

    fn parse_enums(&mut self, r: &Reader<'_>, errors: &mut Errors) -> Option<Vec<EnumDef>> {
        let list = r.array("enums", errors)?.clone();
        let mut enums = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let value = item
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if value.trim().is_empty() {
                errors.missing(format!("enums.{i}.value"));
                continue;
            }
            let id = match item.get("id").and_then(Value::as_i64) {
                Some(id) => id,
                None => self.next_field_id("custom_fields"),
            };
            let sort = item
                .get("sort")
                .and_then(Value::as_i64)
                .unwrap_or((i as i64 + 1) * 10);
            enums.push(EnumDef {
                id,
                value: value.to_owned(),
                sort,
            });
        }
        Some(enums)
    }

    fn group_exists(&self, kind: Kind, id: &str) -> bool {
        self.admin
            .groups
            .iter()
            .any(|g| g.kind == kind && g.id == id)
    }

    fn parse_field(
        &mut self,
        kind: Kind,
        item: &Value,
        update: bool,
        errors: &mut Errors,
    ) -> Option<(CustomFieldDef, FieldExtra)> {
        let Some(obj) = item.as_object() else {
            errors.invalid_type("", "array");
            return None;
        };
        let r = Reader::new(obj, "");
        let (mut def, mut extra) = if update {
            let id = r.int("id", errors).or_else(|| {
                errors.missing("id");
                None
            })?;
            let Some(def) = self.defs(kind).iter().find(|d| d.id == id).cloned() else {
                errors.not_found("id", "Custom field");
                return None;
            };
            let extra = self
                .admin
                .extras
                .get(&(kind, id))
                .cloned()
                .unwrap_or_default();
            (def, extra)
        } else {
            let field_type = match r.string("type", errors) {
                Some(t) if FIELD_TYPES.contains(&t.as_str()) => t,
                Some(_) => {
                    errors.choice("type");
                    return None;
                }
                None => {
                    errors.missing("type");
                    return None;
                }
            };
            let def = CustomFieldDef {
                id: 0,
                name: String::new(),
                field_type,
                code: None,
                sort: 500,
                enums: None,
            };
            (def, FieldExtra::default())
        };
        if let Some(n) = name(&r, !update, errors) {
            def.name = n;
        }
        if let Some(sort) = r.int("sort", errors) {
            def.sort = sort;
        }
        if let Some(code) = r.string("code", errors) {
            let taken = self
                .defs(kind)
                .iter()
                .any(|d| d.id != def.id && d.code.as_deref() == Some(code.as_str()));
            if taken {
                errors.push("NotUnique", "code", "This value is already used.");
            }
            def.code = Some(code);
        }
        if let Some(api_only) = r.boolean("is_api_only", errors) {
            extra.is_api_only = api_only;
        }
        if let Some(group) = r.string("group_id", errors) {
            if self.group_exists(kind, &group) {
                extra.group_id = Some(group);
            } else {
                errors.choice("group_id");
            }
        }
        if let Some(enums) = self.parse_enums(&r, errors) {
            if ENUM_TYPES.contains(&def.field_type.as_str()) {
                def.enums = Some(enums);
            } else {
                errors.choice("enums");
            }
        } else if !update && ENUM_TYPES.contains(&def.field_type.as_str()) {
            errors.missing("enums");
        }
        Some((def, extra))
    }

    /// Adds (`update == false`) or changes custom fields of `kind`, all or nothing.
    pub(crate) fn save_fields(
        &mut self,
        kind: Kind,
        items: &[Value],
        update: bool,
    ) -> Result<Vec<(String, i64)>, Vec<ItemErrors>> {
        let mut parsed = Vec::new();
        let mut failures = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let rid = super::input::request_id(item, index);
            let mut errors = Errors::default();
            match self.parse_field(kind, item, update, &mut errors) {
                Some(field) if errors.is_empty() => parsed.push((rid, field)),
                _ => failures.push(ItemErrors {
                    request_id: rid,
                    errors: errors.list,
                }),
            }
        }
        if !failures.is_empty() {
            return Err(failures);
        }
        let mut out = Vec::with_capacity(parsed.len());
        for (rid, (mut def, extra)) in parsed {
            if def.id == 0 {
                def.id = self.next_field_id("custom_fields");
                self.defs_mut(kind).push(def.clone());
            } else if let Some(slot) = self.defs_mut(kind).iter_mut().find(|d| d.id == def.id) {
                *slot = def.clone();
            }
            self.admin.extras.insert((kind, def.id), extra);
            out.push((rid, def.id));
        }
        Ok(out)
    }

    /// Deletes a custom field and its values; predefined fields (with a code) cannot be deleted.
    pub(crate) fn delete_field(&mut self, kind: Kind, id: i64) -> Result<bool, Vec<ItemErrors>> {
        let Some(def) = self.defs(kind).iter().find(|d| d.id == id) else {
            return Ok(false);
        };
        if matches!(def.code.as_deref(), Some("PHONE" | "EMAIL" | "POSITION")) {
            return Err(one(
                "id",
                "NotSupportedChoice",
                "A predefined field cannot be deleted.",
            ));
        }
        self.defs_mut(kind).retain(|d| d.id != id);
        self.admin.extras.remove(&(kind, id));
        for entity in self.entities_mut(kind).values_mut() {
            entity.fields.retain(|f| f.field_id != id);
        }
        Ok(true)
    }

    pub(crate) fn field_extra(&self, kind: Kind, id: i64) -> FieldExtra {
        self.admin
            .extras
            .get(&(kind, id))
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn render_group(&self, g: &FieldGroup) -> Value {
        let fields: Vec<i64> = self
            .admin
            .extras
            .iter()
            .filter(|((kind, _), e)| {
                *kind == g.kind && e.group_id.as_deref() == Some(g.id.as_str())
            })
            .map(|((_, id), _)| *id)
            .collect();
        json!({
            "id": g.id,
            "name": g.name,
            "sort": g.sort,
            "entity_type": g.kind.plural(),
            "is_predefined": false,
            "type": "custom_field_group",
            "fields": fields,
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/{}/custom_fields/groups/{}", g.kind.plural(), g.id))),
        })
    }

    /// `POST /api/v4/{entity}/custom_fields/groups`: `name` and `sort`.
    pub(crate) fn add_groups(
        &mut self,
        kind: Kind,
        items: &[Value],
    ) -> Result<Vec<(String, String)>, Vec<ItemErrors>> {
        let parsed = collect(items, |item, errors| {
            let Some(obj) = item.as_object() else {
                errors.invalid_type("", "array");
                return None;
            };
            let r = Reader::new(obj, "");
            let n = name(&r, true, errors)?;
            Some((n, r.int("sort", errors).unwrap_or(0)))
        })?;
        let mut out = Vec::new();
        for (rid, group) in parsed {
            let Some((name, sort)) = group else { continue };
            let id = format!(
                "{}_{}",
                kind.plural(),
                1_000_000 + self.allocate("field_groups")
            );
            self.admin.groups.push(FieldGroup {
                id: id.clone(),
                kind,
                name,
                sort,
            });
            out.push((rid, id));
        }
        Ok(out)
    }

    /// `PATCH /api/v4/{entity}/custom_fields/groups/{id}`: `name`, `sort` and `fields` (the ids it holds).
    pub(crate) fn update_group(
        &mut self,
        kind: Kind,
        id: &str,
        item: &Value,
    ) -> Result<bool, Vec<ItemErrors>> {
        if !self.group_exists(kind, id) {
            return Ok(false);
        }
        let Some(obj) = item.as_object() else {
            return Err(one(
                "",
                "InvalidType",
                "This value should be of type array.",
            ));
        };
        let r = Reader::new(obj, "");
        let mut errors = Errors::default();
        let new_name = name(&r, false, &mut errors);
        let sort = r.int("sort", &mut errors);
        let fields: Option<Vec<i64>> = r
            .array("fields", &mut errors)
            .map(|list| list.iter().filter_map(Value::as_i64).collect());
        if let Some(fields) = &fields {
            for (i, field) in fields.iter().enumerate() {
                if !self.defs(kind).iter().any(|d| d.id == *field) {
                    errors.not_found(format!("fields.{i}"), "Custom field");
                }
            }
        }
        if !errors.is_empty() {
            return Err(vec![ItemErrors {
                request_id: "0".to_owned(),
                errors: errors.list,
            }]);
        }
        if let Some(group) = self
            .admin
            .groups
            .iter_mut()
            .find(|g| g.kind == kind && g.id == id)
        {
            if let Some(n) = new_name {
                group.name = n;
            }
            if let Some(s) = sort {
                group.sort = s;
            }
        }
        if let Some(fields) = fields {
            for field in fields {
                self.admin.extras.entry((kind, field)).or_default().group_id = Some(id.to_owned());
            }
        }
        Ok(true)
    }

    /// Deletes a group; its fields stay, without a group.
    pub(crate) fn delete_group(&mut self, kind: Kind, id: &str) -> bool {
        if !self.group_exists(kind, id) {
            return false;
        }
        self.admin
            .groups
            .retain(|g| !(g.kind == kind && g.id == id));
        for extra in self.admin.extras.values_mut() {
            if extra.group_id.as_deref() == Some(id) {
                extra.group_id = None;
            }
        }
        true
    }

    /// Adds (`update == false`) or changes roles: `name` and a `rights` object.
    pub(crate) fn save_roles(
        &mut self,
        items: &[Value],
        update: bool,
    ) -> Result<Vec<(String, i64)>, Vec<ItemErrors>> {
        let parsed = collect(items, |item, errors| {
            let Some(obj) = item.as_object() else {
                errors.invalid_type("", "array");
                return None;
            };
            let r = Reader::new(obj, "");
            let id = if update {
                match r.int("id", errors) {
                    Some(id) if self.admin.roles.contains_key(&id) => Some(id),
                    Some(id) if id == super::account::ROLE_ID => {
                        errors.push(
                            "NotSupportedChoice",
                            "id",
                            "A predefined role cannot be changed.",
                        );
                        None
                    }
                    Some(_) => {
                        errors.not_found("id", "Role");
                        None
                    }
                    None => {
                        errors.missing("id");
                        None
                    }
                }
            } else {
                None
            };
            let existing = id.and_then(|id| self.admin.roles.get(&id)).cloned();
            let n =
                name(&r, !update, errors).or_else(|| existing.as_ref().map(|e| e.name.clone()))?;
            let rights = match r.object("rights", errors) {
                Some(rights) => Value::Object(rights.clone()),
                None => existing.map_or_else(|| self.user_rights(false), |e| e.rights),
            };
            Some((id, Role { name: n, rights }))
        })?;
        let mut out = Vec::new();
        for (rid, role) in parsed {
            let Some((id, role)) = role else { continue };
            let id = match id {
                Some(id) => id,
                None => {
                    self.reserve("roles", super::account::ROLE_ID);
                    self.allocate("roles")
                }
            };
            self.admin.roles.insert(id, role);
            out.push((rid, id));
        }
        Ok(out)
    }

    /// Deletes a role added through the API; the predefined one stays.
    pub(crate) fn delete_role(&mut self, id: i64) -> Result<bool, Vec<ItemErrors>> {
        if id == super::account::ROLE_ID {
            return Err(one(
                "id",
                "NotSupportedChoice",
                "A role held by users cannot be deleted.",
            ));
        }
        Ok(self.admin.roles.remove(&id).is_some())
    }
}
