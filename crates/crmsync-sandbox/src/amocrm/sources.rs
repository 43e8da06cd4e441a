//! Lead sources of the integration (`/api/v4/sources`): at most 100, each with a unique `external_id` and a
//! pipeline its incoming leads go to.

use serde_json::{Value, json};

use super::input::{Errors, Reader, request_id};
use super::render::self_link;
use super::state::{AmoState, ItemErrors};

/// Most sources per integration.
pub(crate) const MAX_SOURCES: usize = 100;

/// One source.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) pipeline_id: i64,
    pub(crate) external_id: String,
    pub(crate) default: bool,
    pub(crate) origin_code: Option<String>,
    pub(crate) services: Value,
}

impl AmoState {
    pub(crate) fn render_source(&self, s: &Source) -> Value {
        json!({
            "id": s.id,
            "name": s.name,
            "pipeline_id": s.pipeline_id,
            "external_id": s.external_id,
            "default": s.default,
            "origin_code": s.origin_code,
            "services": s.services,
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/sources/{}", s.id))),
        })
    }

    fn parse_source(&self, item: &Value, update: bool, errors: &mut Errors) -> Option<Source> {
        let Some(obj) = item.as_object() else {
            errors.invalid_type("", "array");
            return None;
        };
        let r = Reader::new(obj, "");
        let mut source = if update {
            let Some(id) = r.int("id", errors) else {
                errors.missing("id");
                return None;
            };
            match self.sources.get(&id) {
                Some(s) => s.clone(),
                None => {
                    errors.not_found("id", "Source");
                    return None;
                }
            }
        } else {
            Source {
                id: 0,
                name: String::new(),
                pipeline_id: self.main_pipeline().map_or(0, |p| p.id),
                external_id: String::new(),
                default: false,
                origin_code: None,
                services: json!([]),
            }
        };
        match r.string("name", errors) {
            Some(n) if !n.trim().is_empty() => source.name = n,
            Some(_) => errors.push("NotBlank", "name", "This value should not be blank."),
            None if !update => errors.missing("name"),
            None => {}
        }
        match r.string("external_id", errors) {
            Some(e) if !e.trim().is_empty() => source.external_id = e,
            Some(_) => errors.push("NotBlank", "external_id", "This value should not be blank."),
            None if !update => errors.missing("external_id"),
            None => {}
        }
        if let Some(pipeline) = r.int("pipeline_id", errors) {
            if self.pipeline(pipeline).is_some() {
                source.pipeline_id = pipeline;
            } else {
                errors.choice("pipeline_id");
            }
        }
        if let Some(default) = r.boolean("default", errors) {
            source.default = default;
        }
        if let Some(code) = r.string("origin_code", errors) {
            source.origin_code = Some(code);
        }
        if let Some(services) = r.array("services", errors) {
            source.services = Value::Array(services.clone());
        }
        let taken = self
            .sources
            .values()
            .any(|s| s.external_id == source.external_id && s.id != source.id);
        if taken {
            errors.push("NotUnique", "external_id", "This value is already used.");
        }
        Some(source)
    }

    /// Adds (`update == false`) or updates sources, all or nothing; answers `(request id, source id)`.
    pub(crate) fn save_sources(
        &mut self,
        items: &[Value],
        update: bool,
    ) -> Result<Vec<(String, i64)>, Vec<ItemErrors>> {
        let mut parsed = Vec::new();
        let mut failures = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let rid = request_id(item, index);
            let mut errors = Errors::default();
            let source = self.parse_source(item, update, &mut errors);
            let duplicate = source.as_ref().is_some_and(|s| {
                parsed
                    .iter()
                    .any(|(_, p): &(String, Source)| p.external_id == s.external_id)
            });
            if duplicate {
                errors.push("NotUnique", "external_id", "This value is already used.");
            }
            match source {
                Some(s) if errors.is_empty() => parsed.push((rid, s)),
                _ => failures.push(ItemErrors {
                    request_id: rid,
                    errors: errors.list,
                }),
            }
        }
        if !update && self.sources.len() + parsed.len() > MAX_SOURCES {
            let mut errors = Errors::default();
            errors.push(
                "Count",
                "",
                format!("An integration has at most {MAX_SOURCES} sources."),
            );
            failures.push(ItemErrors {
                request_id: "0".to_owned(),
                errors: errors.list,
            });
        }
        if !failures.is_empty() {
            return Err(failures);
        }
        Ok(parsed
            .into_iter()
            .map(|(rid, mut source)| {
                if source.id == 0 {
                    source.id = self.allocate("sources");
                }
                let id = source.id;
                self.sources.insert(id, source);
                (rid, id)
            })
            .collect())
    }

    /// Deletes sources; unknown ids are a validation error and nothing is deleted.
    pub(crate) fn delete_sources(&mut self, ids: &[i64]) -> Result<(), Vec<ItemErrors>> {
        let failures: Vec<ItemErrors> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !self.sources.contains_key(id))
            .map(|(index, _)| {
                let mut errors = Errors::default();
                errors.not_found("id", "Source");
                ItemErrors {
                    request_id: index.to_string(),
                    errors: errors.list,
                }
            })
            .collect();
        if !failures.is_empty() {
            return Err(failures);
        }
        for id in ids {
            self.sources.remove(id);
        }
        Ok(())
    }
}
