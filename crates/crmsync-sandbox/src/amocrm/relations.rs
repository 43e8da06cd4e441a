//! Tags of each entity type (`/api/v4/{entity}/tags`) and links between entities (`/link`, `/unlink`, `/links`),
//! all-or-nothing per request, each change recorded in the event list.

use serde_json::{Value, json};

use super::eventlog::singular;
use super::input::{Errors, Reader, request_id};
use super::listing::{ListParams, ints};
use super::model::Kind;
use super::state::{AmoState, ItemErrors};

/// One link as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinkView {
    pub(crate) to_type: &'static str,
    pub(crate) to_id: i64,
    pub(crate) metadata: Value,
}

/// A parsed link or unlink item.
#[derive(Debug, Clone)]
struct LinkItem {
    entity_id: i64,
    to_type: &'static str,
    to_id: i64,
    is_main: bool,
    metadata: Value,
}

/// What an entity of `kind` can be linked to through the API.
fn targets(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Leads => &["contacts", "companies", "catalog_elements"],
        Kind::Contacts => &["leads", "companies", "catalog_elements"],
        Kind::Companies => &["leads", "contacts", "catalog_elements"],
    }
}

fn is_hex_color(text: &str) -> bool {
    text.len() == 6 && text.chars().all(|c| c.is_ascii_hexdigit())
}

impl AmoState {
    /// Tags of `kind` matching `filter[id]`, `filter[name]` and `query`, one page.
    pub(crate) fn list_tags(&self, kind: Kind, params: &ListParams) -> Vec<Value> {
        let ids = ints(params.filter.get("id"));
        let name = params
            .filter
            .get("name")
            .and_then(|n| n.value())
            .map(|n| n.trim().to_lowercase());
        let query = params.query.as_ref().map(|q| q.to_lowercase());
        let all = self.tag_ids(kind);
        let matching = all.iter().filter(|id| {
            let text = self.tag_name(kind, **id).unwrap_or_default().to_lowercase();
            ids.as_ref().is_none_or(|l| l.contains(id))
                && name.as_ref().is_none_or(|n| *n == text)
                && query.as_ref().is_none_or(|q| text.contains(q.as_str()))
        });
        params
            .page_of(matching)
            .into_iter()
            .map(|id| self.render_tag(kind, *id))
            .collect()
    }

    pub(crate) fn render_tag(&self, kind: Kind, id: i64) -> Value {
        json!({
            "id": id,
            "name": self.tag_name(kind, id).unwrap_or_default(),
            "color": self.tag_color(kind, id),
        })
    }

    /// `POST /api/v4/{entity}/tags`: a name (unique per entity type, case-insensitive: an existing name answers
    /// its tag) and an optional colour (six hex digits).
    pub(crate) fn add_tags(
        &mut self,
        kind: Kind,
        items: &[Value],
    ) -> Result<Vec<(String, i64)>, Vec<ItemErrors>> {
        let mut parsed = Vec::new();
        let mut failures = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let rid = request_id(item, index);
            let mut errors = Errors::default();
            let (mut name, mut color) = (None, None);
            match item.as_object() {
                None => errors.invalid_type("", "array"),
                Some(obj) => {
                    let r = Reader::new(obj, "");
                    match r.string("name", &mut errors) {
                        Some(n) if !n.trim().is_empty() => name = Some(n),
                        Some(_) => {
                            errors.push("NotBlank", "name", "This value should not be blank.")
                        }
                        None if !obj.contains_key("name") => errors.missing("name"),
                        None => {}
                    }
                    if let Some(c) = r.string("color", &mut errors) {
                        if is_hex_color(&c) {
                            color = Some(c.to_uppercase());
                        } else {
                            errors.choice("color");
                        }
                    }
                }
            }
            match (errors.is_empty(), name) {
                (true, Some(name)) => parsed.push((rid, name, color)),
                _ => failures.push(ItemErrors {
                    request_id: rid,
                    errors: errors.list,
                }),
            }
        }
        if !failures.is_empty() {
            return Err(failures);
        }
        Ok(parsed
            .into_iter()
            .map(|(rid, name, color)| {
                let id = self.tag_id(kind, &name);
                if let Some(color) = color {
                    self.set_tag_color(kind, id, color);
                }
                (rid, id)
            })
            .collect())
    }

    /// Every link of one entity.
    pub(crate) fn links_of(&self, kind: Kind, id: i64) -> Vec<LinkView> {
        let plain = |to_type: &'static str, to_id: i64| LinkView {
            to_type,
            to_id,
            metadata: Value::Null,
        };
        let mut out: Vec<LinkView> = match kind {
            Kind::Leads => {
                let mut list: Vec<LinkView> = self
                    .links
                    .contacts_of_lead(id)
                    .iter()
                    .map(|(c, main)| LinkView {
                        to_type: "contacts",
                        to_id: *c,
                        metadata: json!({ "is_main": main }),
                    })
                    .collect();
                list.extend(
                    self.links
                        .company_of_lead(id)
                        .map(|c| plain("companies", c)),
                );
                list
            }
            Kind::Contacts => {
                let mut list: Vec<LinkView> = self
                    .links
                    .leads_of_contact(id)
                    .map(|l| plain("leads", l))
                    .collect();
                list.extend(
                    self.links
                        .company_of_contact(id)
                        .map(|c| plain("companies", c)),
                );
                list
            }
            Kind::Companies => self
                .links
                .leads_of_company(id)
                .map(|l| plain("leads", l))
                .chain(
                    self.links
                        .contacts_of_company(id)
                        .map(|c| plain("contacts", c)),
                )
                .collect(),
        };
        out.extend(self.element_links_of(kind, id));
        out
    }

    /// A link as the API shows it.
    pub(crate) fn render_link(kind: Kind, entity_id: i64, link: &LinkView) -> Value {
        json!({
            "entity_id": entity_id,
            "entity_type": kind.plural(),
            "to_entity_id": link.to_id,
            "to_entity_type": link.to_type,
            "metadata": link.metadata,
        })
    }

    fn parse_link(
        &self,
        kind: Kind,
        path_entity: Option<i64>,
        item: &Value,
        errors: &mut Errors,
    ) -> Option<LinkItem> {
        let Some(obj) = item.as_object() else {
            errors.invalid_type("", "array");
            return None;
        };
        let r = Reader::new(obj, "");
        let entity_id = match path_entity.or_else(|| r.int("entity_id", errors)) {
            Some(id) if self.entities(kind).contains_key(&id) => Some(id),
            Some(_) => {
                errors.not_found("entity_id", "Entity");
                None
            }
            None => {
                errors.missing("entity_id");
                None
            }
        };
        let to_type = match r.string("to_entity_type", errors) {
            Some(t) => match targets(kind).iter().find(|x| **x == t) {
                Some(found) => Some(*found),
                None => {
                    errors.choice("to_entity_type");
                    None
                }
            },
            None => {
                errors.missing("to_entity_type");
                None
            }
        };
        let to_id = r.int("to_entity_id", errors);
        if to_id.is_none() && !obj.contains_key("to_entity_id") {
            errors.missing("to_entity_id");
        }
        let metadata = r
            .object("metadata", errors)
            .map_or(Value::Null, |m| Value::Object(m.clone()));
        let is_main = metadata
            .get("is_main")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (entity_id, to_type, to_id) = (entity_id?, to_type?, to_id?);
        let exists = match (to_type, Kind::parse(to_type)) {
            (_, Some(target)) => self.entities(target).contains_key(&to_id),
            ("catalog_elements", None) => self.element_exists(to_id),
            _ => false,
        };
        if !exists {
            errors.not_found("to_entity_id", "Entity");
            return None;
        }
        Some(LinkItem {
            entity_id,
            to_type,
            to_id,
            is_main,
            metadata,
        })
    }

    /// Links (`link`) or unlinks the items; answers the links made.
    pub(crate) fn apply_links(
        &mut self,
        kind: Kind,
        path_entity: Option<i64>,
        items: &[Value],
        link: bool,
        now: i64,
    ) -> Result<Vec<Value>, Vec<ItemErrors>> {
        let mut parsed = Vec::new();
        let mut failures = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let mut errors = Errors::default();
            match self.parse_link(kind, path_entity, item, &mut errors) {
                Some(parsed_item) if errors.is_empty() => parsed.push(parsed_item),
                _ => failures.push(ItemErrors {
                    request_id: request_id(item, index),
                    errors: errors.list,
                }),
            }
        }
        if !failures.is_empty() {
            return Err(failures);
        }
        let mut answers = Vec::with_capacity(parsed.len());
        for item in parsed {
            self.change_link(kind, &item, link);
            let to_singular = Kind::parse(item.to_type).map_or("catalog_element", singular);
            let change =
                json!([{ "link": { "entity": { "type": to_singular, "id": item.to_id } } }]);
            let (event, values) = if link {
                ("entity_linked", (json!([]), change))
            } else {
                ("entity_unlinked", (change, json!([])))
            };
            self.log_event(event, singular(kind), item.entity_id, values, now);
            answers.push(Self::render_link(
                kind,
                item.entity_id,
                &LinkView {
                    to_type: item.to_type,
                    to_id: item.to_id,
                    metadata: item.metadata,
                },
            ));
        }
        Ok(answers)
    }

    fn change_link(&mut self, kind: Kind, item: &LinkItem, link: bool) {
        let (id, to) = (item.entity_id, item.to_id);
        let links = &mut self.links;
        match (kind, item.to_type, link) {
            (Kind::Leads, "contacts", true) => links.link_lead_contact(id, to, item.is_main),
            (Kind::Leads, "contacts", false) => links.unlink_lead_contact(id, to),
            (Kind::Contacts, "leads", true) => links.link_lead_contact(to, id, item.is_main),
            (Kind::Contacts, "leads", false) => links.unlink_lead_contact(to, id),
            (Kind::Leads, "companies", true) => links.link_lead_company(id, to),
            (Kind::Leads, "companies", false) => links.unlink_lead_company(id, to),
            (Kind::Companies, "leads", true) => links.link_lead_company(to, id),
            (Kind::Companies, "leads", false) => links.unlink_lead_company(to, id),
            (Kind::Contacts, "companies", true) => links.link_contact_company(id, to),
            (Kind::Contacts, "companies", false) => links.unlink_contact_company(id, to),
            (Kind::Companies, "contacts", true) => links.link_contact_company(to, id),
            (Kind::Companies, "contacts", false) => links.unlink_contact_company(to, id),
            (_, "catalog_elements", link) => {
                self.change_element_link(kind, id, to, &item.metadata, link);
            }
            _ => {}
        }
    }
}
