//! Catalogs (lists) and their elements, and elements linked to leads, contacts and companies.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::input::{Errors, Reader};
use super::listing::{ListParams, ints};
use super::model::Kind;
use super::relations::LinkView;
use super::render::self_link;
use super::state::{AmoState, ItemErrors};
use super::tasks::collect;

/// Catalog types the API accepts.
const CATALOG_TYPES: [&str; 3] = ["regular", "invoices", "products"];

/// A catalog.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) catalog_type: String,
    pub(crate) sort: i64,
    pub(crate) can_add_elements: bool,
    pub(crate) can_link_multiple: bool,
    pub(crate) created_by: i64,
    pub(crate) updated_by: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// An element of a catalog.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub(crate) id: i64,
    pub(crate) catalog_id: i64,
    pub(crate) name: String,
    pub(crate) custom_fields_values: Value,
    pub(crate) created_by: i64,
    pub(crate) updated_by: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// Elements linked to entities: (entity kind, entity id) → element id → link metadata.
pub(crate) type ElementLinks = BTreeMap<(Kind, i64), BTreeMap<i64, Value>>;

impl AmoState {
    pub(crate) fn element_exists(&self, id: i64) -> bool {
        self.elements.contains_key(&id)
    }

    /// The catalog elements linked to one entity.
    pub(crate) fn element_links_of(&self, kind: Kind, id: i64) -> Vec<LinkView> {
        self.element_links
            .get(&(kind, id))
            .into_iter()
            .flatten()
            .map(|(element, metadata)| LinkView {
                to_type: "catalog_elements",
                to_id: *element,
                metadata: metadata.clone(),
            })
            .collect()
    }

    /// Links or unlinks a catalog element; the link's metadata keeps `catalog_id` and `quantity`.
    pub(crate) fn change_element_link(
        &mut self,
        kind: Kind,
        id: i64,
        element: i64,
        metadata: &Value,
        link: bool,
    ) {
        if !link {
            if let Some(map) = self.element_links.get_mut(&(kind, id)) {
                map.remove(&element);
            }
            return;
        }
        let catalog_id = self.elements.get(&element).map_or(0, |e| e.catalog_id);
        let quantity = metadata.get("quantity").cloned().unwrap_or(json!(1));
        self.element_links.entry((kind, id)).or_default().insert(
            element,
            json!({ "catalog_id": catalog_id, "quantity": quantity }),
        );
    }
}

impl AmoState {
    pub(crate) fn render_catalog(&self, c: &Catalog) -> Value {
        json!({
            "id": c.id,
            "name": c.name,
            "created_by": c.created_by,
            "updated_by": c.updated_by,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "sort": c.sort,
            "type": c.catalog_type,
            "can_add_elements": c.can_add_elements,
            "can_show_in_cards": true,
            "can_link_multiple": c.can_link_multiple,
            "can_be_deleted": true,
            "sdk_widget_code": null,
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/catalogs/{}", c.id))),
        })
    }

    pub(crate) fn render_element(&self, e: &Element) -> Value {
        json!({
            "id": e.id,
            "name": e.name,
            "created_by": e.created_by,
            "updated_by": e.updated_by,
            "created_at": e.created_at,
            "updated_at": e.updated_at,
            "is_deleted": false,
            "custom_fields_values": e.custom_fields_values,
            "catalog_id": e.catalog_id,
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/catalogs/{}/elements/{}", e.catalog_id, e.id))),
        })
    }

    /// Adds (`update == false`) or changes catalogs, all or nothing.
    pub(crate) fn save_catalogs(
        &mut self,
        items: &[Value],
        update: bool,
        now: i64,
    ) -> Result<Vec<(String, i64)>, Vec<ItemErrors>> {
        let user = self.current_user();
        let parsed = collect(items, |item, errors| {
            let Some(obj) = item.as_object() else {
                errors.invalid_type("", "array");
                return None;
            };
            let r = Reader::new(obj, "");
            let mut catalog = if update {
                let Some(id) = r.int("id", errors) else {
                    errors.missing("id");
                    return None;
                };
                let Some(c) = self.catalogs.get(&id).cloned() else {
                    errors.not_found("id", "Catalog");
                    return None;
                };
                c
            } else {
                Catalog {
                    id: 0,
                    name: String::new(),
                    catalog_type: "regular".to_owned(),
                    sort: 10,
                    can_add_elements: true,
                    can_link_multiple: true,
                    created_by: user,
                    updated_by: user,
                    created_at: now,
                    updated_at: now,
                }
            };
            match r.string("name", errors) {
                Some(n) if !n.trim().is_empty() => catalog.name = n,
                Some(_) => errors.push("NotBlank", "name", "This value should not be blank."),
                None if !update => errors.missing("name"),
                None => {}
            }
            if let Some(t) = r.string("type", errors) {
                if update && t != catalog.catalog_type {
                    errors.choice("type");
                } else if CATALOG_TYPES.contains(&t.as_str()) {
                    catalog.catalog_type = t;
                } else {
                    errors.choice("type");
                }
            }
            if let Some(sort) = r.int("sort", errors) {
                catalog.sort = sort;
            }
            if let Some(b) = r.boolean("can_add_elements", errors) {
                catalog.can_add_elements = b;
            }
            if let Some(b) = r.boolean("can_link_multiple", errors) {
                catalog.can_link_multiple = b;
            }
            catalog.updated_by = user;
            catalog.updated_at = now;
            Some(catalog)
        })?;
        let mut out = Vec::new();
        for (rid, catalog) in parsed {
            let Some(mut catalog) = catalog else { continue };
            if catalog.id == 0 {
                catalog.id = self.allocate("catalogs");
            }
            out.push((rid, catalog.id));
            self.catalogs.insert(catalog.id, catalog);
        }
        Ok(out)
    }

    /// Adds (`update == false`) or changes elements of catalog `catalog_id`, all or nothing.
    pub(crate) fn save_elements(
        &mut self,
        catalog_id: i64,
        items: &[Value],
        update: bool,
        now: i64,
    ) -> Result<Vec<(String, i64)>, Vec<ItemErrors>> {
        let user = self.current_user();
        let parsed = collect(items, |item, errors| {
            let Some(obj) = item.as_object() else {
                errors.invalid_type("", "array");
                return None;
            };
            let r = Reader::new(obj, "");
            let mut element = if update {
                let Some(id) = r.int("id", errors) else {
                    errors.missing("id");
                    return None;
                };
                match self
                    .elements
                    .get(&id)
                    .filter(|e| e.catalog_id == catalog_id)
                {
                    Some(e) => e.clone(),
                    None => {
                        errors.not_found("id", "Element");
                        return None;
                    }
                }
            } else {
                Element {
                    id: 0,
                    catalog_id,
                    name: String::new(),
                    custom_fields_values: Value::Null,
                    created_by: user,
                    updated_by: user,
                    created_at: now,
                    updated_at: now,
                }
            };
            match r.string("name", errors) {
                Some(n) if !n.trim().is_empty() => element.name = n,
                Some(_) => errors.push("NotBlank", "name", "This value should not be blank."),
                None if !update => errors.missing("name"),
                None => {}
            }
            match obj.get("custom_fields_values") {
                Some(v @ (Value::Array(_) | Value::Null)) => {
                    element.custom_fields_values = v.clone()
                }
                Some(_) => errors.invalid_type("custom_fields_values", "array"),
                None => {}
            }
            element.updated_by = user;
            element.updated_at = now;
            Some(element)
        })?;
        let mut out = Vec::new();
        for (rid, element) in parsed {
            let Some(mut element) = element else { continue };
            if element.id == 0 {
                element.id = self.allocate("elements");
            }
            out.push((rid, element.id));
            self.elements.insert(element.id, element);
        }
        Ok(out)
    }

    /// The elements of a catalog of one page (`filter[id]`, `query` on the name).
    pub(crate) fn list_elements(&self, catalog_id: i64, params: &ListParams) -> Vec<&Element> {
        let ids = ints(params.filter.get("id"));
        let query = params.query.as_ref().map(|q| q.to_lowercase());
        params.page_of(self.elements.values().filter(|e| {
            e.catalog_id == catalog_id
                && ids.as_ref().is_none_or(|l| l.contains(&e.id))
                && query
                    .as_ref()
                    .is_none_or(|q| e.name.to_lowercase().contains(q.as_str()))
        }))
    }

    /// Catalogs are reported as missing when `catalog_id` is unknown.
    pub(crate) fn has_catalog(&self, catalog_id: i64) -> bool {
        self.catalogs.contains_key(&catalog_id)
    }
}

/// Errors of a request naming an unknown catalog.
pub(crate) fn unknown_catalog() -> Vec<ItemErrors> {
    let mut errors = Errors::default();
    errors.not_found("catalog_id", "Catalog");
    vec![ItemErrors {
        request_id: "0".to_owned(),
        errors: errors.list,
    }]
}
