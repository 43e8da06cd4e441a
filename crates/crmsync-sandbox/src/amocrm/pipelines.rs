//! Pipeline and status writes: add pipelines (with their statuses, and the system 142/143), rename or reorder
//! them, delete them; add, change and delete statuses. At most 50 pipelines and 100 statuses per pipeline.

use serde_json::Value;

use super::fixture::{Pipeline, Status};
use super::input::{Errors, Reader};
use super::state::{AmoState, ItemErrors, ensure_closed_statuses, is_closed};
use super::tasks::collect;

/// Most pipelines per account.
pub(crate) const MAX_PIPELINES: usize = 50;
/// Most statuses per pipeline, system ones included.
pub(crate) const MAX_STATUSES: usize = 100;

fn single(path: &str, code: &'static str, detail: &str) -> Vec<ItemErrors> {
    let mut errors = Errors::default();
    errors.push(code, path, detail);
    vec![ItemErrors {
        request_id: "0".to_owned(),
        errors: errors.list,
    }]
}

fn name_of(r: &Reader<'_>, required: bool, errors: &mut Errors) -> Option<String> {
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
    fn next_status_id(&mut self) -> i64 {
        let highest = self
            .pipelines
            .iter()
            .flat_map(|p| p.statuses.iter().map(|s| s.id))
            .filter(|id| !is_closed(*id))
            .max()
            .unwrap_or(0);
        self.reserve("statuses", highest);
        self.allocate("statuses")
    }

    fn parse_status(
        &self,
        r: &Reader<'_>,
        existing: Option<&Status>,
        errors: &mut Errors,
    ) -> Status {
        let mut status = existing.cloned().unwrap_or(Status {
            id: 0,
            name: String::new(),
            sort: 0,
            color: "#99ccff".to_owned(),
            status_type: 0,
            is_editable: true,
        });
        if let Some(name) = name_of(r, existing.is_none(), errors) {
            status.name = name;
        }
        if let Some(sort) = r.int("sort", errors) {
            status.sort = sort;
        }
        if let Some(color) = r.string("color", errors) {
            let hex = color.strip_prefix('#').unwrap_or(&color);
            if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                status.color = format!("#{hex}");
            } else {
                errors.choice(r.path("color"));
            }
        }
        status
    }

    /// `POST /api/v4/leads/pipelines`: each with `name`, optional `sort`, `is_main`, `is_unsorted_on` and
    /// `_embedded.statuses`; the system statuses 142/143 may be renamed there by id.
    pub(crate) fn add_pipelines(
        &mut self,
        items: &[Value],
    ) -> Result<Vec<(String, i64)>, Vec<ItemErrors>> {
        if self.pipelines.len() + items.len() > MAX_PIPELINES {
            return Err(single(
                "",
                "Count",
                &format!("An account has at most {MAX_PIPELINES} pipelines."),
            ));
        }
        let parsed = collect(items, |item, errors| {
            let Some(obj) = item.as_object() else {
                errors.invalid_type("", "array");
                return None;
            };
            let r = Reader::new(obj, "");
            let name = name_of(&r, true, errors)?;
            let mut pipeline = Pipeline {
                id: 0,
                name,
                sort: r.int("sort", errors).unwrap_or(10),
                is_main: r.boolean("is_main", errors).unwrap_or(false),
                is_unsorted_on: r.boolean("is_unsorted_on", errors).unwrap_or(true),
                is_archive: false,
                statuses: Vec::new(),
            };
            let statuses = obj
                .get("_embedded")
                .and_then(|e| e.get("statuses"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (i, s) in statuses.iter().enumerate() {
                let Some(obj) = s.as_object() else {
                    errors.invalid_type(format!("_embedded.statuses.{i}"), "array");
                    continue;
                };
                let sr = Reader::new(obj, format!("_embedded.statuses.{i}"));
                let mut status = self.parse_status(&sr, None, errors);
                if let Some(id) = sr.int("id", errors) {
                    if is_closed(id) {
                        status.id = id;
                        status.is_editable = false;
                    } else {
                        errors.choice(sr.path("id"));
                    }
                }
                pipeline.statuses.push(status);
            }
            if pipeline
                .statuses
                .iter()
                .filter(|s| !is_closed(s.id))
                .count()
                == 0
            {
                errors.push(
                    "Count",
                    "_embedded.statuses",
                    "A pipeline needs at least one open status.",
                );
            }
            if pipeline.statuses.len() + 2 > MAX_STATUSES {
                errors.push(
                    "Count",
                    "_embedded.statuses",
                    "This collection should contain 100 elements or less.",
                );
            }
            Some(pipeline)
        })?;
        let mut out = Vec::with_capacity(parsed.len());
        for (rid, pipeline) in parsed {
            let Some(mut pipeline) = pipeline else {
                continue;
            };
            let highest = self.pipelines.iter().map(|p| p.id).max().unwrap_or(0);
            self.reserve("pipelines", highest);
            pipeline.id = self.allocate("pipelines");
            if pipeline.is_unsorted_on {
                let incoming = Status {
                    id: 0,
                    name: "Incoming leads".to_owned(),
                    sort: 0,
                    color: "#c1c1c1".to_owned(),
                    status_type: 1,
                    is_editable: false,
                };
                pipeline.statuses.insert(0, incoming);
            }
            for status in &mut pipeline.statuses {
                if status.id == 0 {
                    status.id = self.next_status_id();
                }
            }
            ensure_closed_statuses(&mut pipeline);
            pipeline.statuses.sort_by_key(|s| (s.sort, s.id));
            if pipeline.is_main {
                for other in &mut self.pipelines {
                    other.is_main = false;
                }
            }
            out.push((rid, pipeline.id));
            self.pipelines.push(pipeline);
        }
        Ok(out)
    }

    /// `PATCH /api/v4/leads/pipelines/{id}`: `name`, `sort`, `is_main`, `is_unsorted_on`.
    pub(crate) fn update_pipeline(
        &mut self,
        id: i64,
        item: &Value,
    ) -> Result<Option<i64>, Vec<ItemErrors>> {
        let Some(index) = self.pipelines.iter().position(|p| p.id == id) else {
            return Ok(None);
        };
        let mut errors = Errors::default();
        let Some(obj) = item.as_object() else {
            return Err(single(
                "",
                "InvalidType",
                "This value should be of type array.",
            ));
        };
        let r = Reader::new(obj, "");
        let name = name_of(&r, false, &mut errors);
        let sort = r.int("sort", &mut errors);
        let is_main = r.boolean("is_main", &mut errors);
        let unsorted = r.boolean("is_unsorted_on", &mut errors);
        if !errors.is_empty() {
            return Err(vec![ItemErrors {
                request_id: "0".to_owned(),
                errors: errors.list,
            }]);
        }
        if is_main == Some(true) {
            for other in &mut self.pipelines {
                other.is_main = false;
            }
        }
        if let Some(p) = self.pipelines.get_mut(index) {
            if let Some(name) = name {
                p.name = name;
            }
            if let Some(sort) = sort {
                p.sort = sort;
            }
            if let Some(main) = is_main {
                p.is_main = main || p.is_main;
            }
            if let Some(on) = unsorted {
                p.is_unsorted_on = on;
            }
        }
        Ok(Some(id))
    }

    /// `DELETE /api/v4/leads/pipelines/{id}`: not the main pipeline, nor one that still has leads.
    pub(crate) fn delete_pipeline(&mut self, id: i64) -> Result<bool, Vec<ItemErrors>> {
        let Some(pipeline) = self.pipeline(id) else {
            return Ok(false);
        };
        if pipeline.is_main {
            return Err(single(
                "id",
                "NotSupportedChoice",
                "The main pipeline cannot be deleted.",
            ));
        }
        if self.leads.values().any(|l| l.pipeline_id == id) {
            return Err(single(
                "id",
                "NotSupportedChoice",
                "The pipeline still has leads.",
            ));
        }
        self.pipelines.retain(|p| p.id != id);
        Ok(true)
    }

    /// `POST /api/v4/leads/pipelines/{id}/statuses`.
    pub(crate) fn add_statuses(
        &mut self,
        pipeline_id: i64,
        items: &[Value],
    ) -> Result<Option<Vec<(String, i64)>>, Vec<ItemErrors>> {
        let Some(count) = self.pipeline(pipeline_id).map(|p| p.statuses.len()) else {
            return Ok(None);
        };
        if count + items.len() > MAX_STATUSES {
            return Err(single("", "Count", "A pipeline has at most 100 statuses."));
        }
        let parsed = collect(items, |item, errors| {
            let Some(obj) = item.as_object() else {
                errors.invalid_type("", "array");
                return None;
            };
            Some(self.parse_status(&Reader::new(obj, ""), None, errors))
        })?;
        let mut out = Vec::new();
        for (rid, status) in parsed {
            let Some(mut status) = status else { continue };
            status.id = self.next_status_id();
            out.push((rid, status.id));
            if let Some(p) = self.pipelines.iter_mut().find(|p| p.id == pipeline_id) {
                p.statuses.push(status);
                p.statuses.sort_by_key(|s| (s.sort, s.id));
            }
        }
        Ok(Some(out))
    }

    /// `PATCH /api/v4/leads/pipelines/{id}/statuses/{status_id}`: `name`, `sort`, `color` (only the name of a
    /// system status).
    pub(crate) fn update_status(
        &mut self,
        pipeline_id: i64,
        status_id: i64,
        item: &Value,
    ) -> Result<bool, Vec<ItemErrors>> {
        let Some(existing) = self
            .pipeline(pipeline_id)
            .and_then(|p| p.statuses.iter().find(|s| s.id == status_id))
            .cloned()
        else {
            return Ok(false);
        };
        let Some(obj) = item.as_object() else {
            return Err(single(
                "",
                "InvalidType",
                "This value should be of type array.",
            ));
        };
        let mut errors = Errors::default();
        let r = Reader::new(obj, "");
        let mut status = self.parse_status(&r, Some(&existing), &mut errors);
        if !existing.is_editable && (status.sort != existing.sort || status.color != existing.color)
        {
            errors.push(
                "NotSupportedChoice",
                "sort",
                "Only the name of a system status can change.",
            );
        }
        if !errors.is_empty() {
            return Err(vec![ItemErrors {
                request_id: "0".to_owned(),
                errors: errors.list,
            }]);
        }
        status.id = status_id;
        if let Some(p) = self.pipelines.iter_mut().find(|p| p.id == pipeline_id) {
            if let Some(slot) = p.statuses.iter_mut().find(|s| s.id == status_id) {
                *slot = status;
            }
            p.statuses.sort_by_key(|s| (s.sort, s.id));
        }
        Ok(true)
    }

    /// `DELETE /api/v4/leads/pipelines/{id}/statuses/{status_id}`: not a system status, nor one with leads.
    pub(crate) fn delete_status(
        &mut self,
        pipeline_id: i64,
        status_id: i64,
    ) -> Result<bool, Vec<ItemErrors>> {
        let Some(status) = self
            .pipeline(pipeline_id)
            .and_then(|p| p.statuses.iter().find(|s| s.id == status_id))
        else {
            return Ok(false);
        };
        if !status.is_editable || is_closed(status_id) {
            return Err(single(
                "id",
                "NotSupportedChoice",
                "A system status cannot be deleted.",
            ));
        }
        let open_left = self.pipeline(pipeline_id).map_or(0, |p| {
            p.statuses
                .iter()
                .filter(|s| !is_closed(s.id) && s.status_type == 0)
                .count()
        });
        if open_left <= 1 {
            return Err(single(
                "id",
                "NotSupportedChoice",
                "A pipeline needs at least one open status.",
            ));
        }
        if self
            .leads
            .values()
            .any(|l| l.pipeline_id == pipeline_id && l.status_id == status_id)
        {
            return Err(single(
                "id",
                "NotSupportedChoice",
                "The status still has leads.",
            ));
        }
        if let Some(p) = self.pipelines.iter_mut().find(|p| p.id == pipeline_id) {
            p.statuses.retain(|s| s.id != status_id);
        }
        Ok(true)
    }
}
