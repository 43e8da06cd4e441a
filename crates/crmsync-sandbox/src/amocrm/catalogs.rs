//! Catalogs (lists) and their elements, and elements linked to leads, contacts and companies.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::model::Kind;
use super::relations::LinkView;
use super::state::AmoState;

/// An element of a catalog.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub(crate) catalog_id: i64,
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
