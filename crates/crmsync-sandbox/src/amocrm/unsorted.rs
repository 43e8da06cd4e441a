//! Incoming leads ("unsorted"): added from forms or calls (SIP) with their lead, contacts and company, listed
//! while pending, summarised, and accepted (the lead moves to a stage), declined (the lead is removed) or linked
//! to an existing lead.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::input::{Errors, Reader, request_id};
use super::listing::{ListParams, Range, ints, strings};
use super::model::Kind;
use super::render::self_link;
use super::state::{AmoState, ItemErrors};

/// What happened to an incoming lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sorting {
    Pending,
    Accepted,
    Declined,
}

/// One incoming lead.
#[derive(Debug, Clone)]
pub(crate) struct Unsorted {
    pub(crate) uid: String,
    pub(crate) source_uid: String,
    pub(crate) source_name: String,
    pub(crate) category: &'static str,
    pub(crate) pipeline_id: i64,
    pub(crate) created_at: i64,
    pub(crate) metadata: Value,
    pub(crate) lead_id: Option<i64>,
    pub(crate) contact_ids: Vec<i64>,
    pub(crate) company_id: Option<i64>,
    pub(crate) sorting: Sorting,
    pub(crate) sorted_at: Option<i64>,
}

/// Incoming leads by uid.
pub(crate) type UnsortedBook = BTreeMap<String, Unsorted>;

/// Metadata keys each category requires.
fn required_metadata(category: &str) -> &'static [&'static str] {
    match category {
        "sip" => &["uniq", "duration", "service_code", "phone", "called_at"],
        _ => &["form_id", "form_name", "form_page", "form_sent_at"],
    }
}

/// Why an accept, decline or link was refused.
#[derive(Debug, Clone)]
pub(crate) enum SortError {
    /// No such uid: 204.
    Missing,
    /// 400 with this validation error.
    Invalid(ItemErrors),
}

fn one_error(path: &str, code: &'static str, detail: &str) -> SortError {
    let mut errors = Errors::default();
    errors.push(code, path, detail);
    SortError::Invalid(ItemErrors {
        request_id: "0".to_owned(),
        errors: errors.list,
    })
}

impl AmoState {
    /// The pipeline's "incoming leads" status, else its first stage.
    fn unsorted_status(&self, pipeline_id: i64) -> Option<i64> {
        let pipeline = self.pipeline(pipeline_id)?;
        pipeline
            .statuses
            .iter()
            .find(|s| s.status_type == 1)
            .or_else(|| Self::first_stage(pipeline))
            .map(|s| s.id)
    }

    /// `POST /api/v4/leads/unsorted/{category}`: all items are checked before anything is created.
    pub(crate) fn add_unsorted(
        &mut self,
        category: &'static str,
        items: &[Value],
        now: i64,
    ) -> Result<Vec<(String, String)>, Vec<ItemErrors>> {
        let mut parsed = Vec::new();
        let mut failures = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let rid = request_id(item, index);
            let mut errors = Errors::default();
            let prepared = self.parse_unsorted(category, item, now, &mut errors);
            match prepared {
                Some(p) if errors.is_empty() => parsed.push((rid, p)),
                _ => failures.push(ItemErrors {
                    request_id: rid,
                    errors: errors.list,
                }),
            }
        }
        if !failures.is_empty() {
            return Err(failures);
        }
        let mut answers = Vec::with_capacity(parsed.len());
        for (rid, mut record) in parsed {
            let lead = record.metadata["__lead"].take();
            let contacts = record.metadata["__contacts"].take();
            let companies = record.metadata["__companies"].take();
            if let Some(obj) = record.metadata.as_object_mut() {
                obj.retain(|k, _| !k.starts_with("__"));
            }
            let created = |state: &mut AmoState, kind: Kind, list: Value| -> Vec<i64> {
                let items = list.as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    return Vec::new();
                }
                state
                    .add_entities(kind, &items, now, false)
                    .map(|outcomes| outcomes.iter().map(|o| o.id).collect())
                    .unwrap_or_default()
            };
            record.company_id = created(self, Kind::Companies, companies).first().copied();
            record.contact_ids = created(self, Kind::Contacts, contacts);
            record.lead_id = created(self, Kind::Leads, lead).first().copied();
            if let Some(lead) = record.lead_id {
                for contact in &record.contact_ids {
                    self.links.link_lead_contact(lead, *contact, false);
                }
                if let Some(company) = record.company_id {
                    self.links.link_lead_company(lead, company);
                }
                let after = json!([{ "unsorted": { "uid": record.uid, "category": category } }]);
                self.log_event(
                    "incoming_unsorted_added",
                    "lead",
                    lead,
                    (json!([]), after),
                    now,
                );
            }
            answers.push((rid, record.uid.clone()));
            self.unsorted.insert(record.uid.clone(), record);
        }
        Ok(answers)
    }

    fn parse_unsorted(
        &mut self,
        category: &'static str,
        item: &Value,
        now: i64,
        errors: &mut Errors,
    ) -> Option<Unsorted> {
        let Some(obj) = item.as_object() else {
            errors.invalid_type("", "array");
            return None;
        };
        let r = Reader::new(obj, "");
        let text = |key: &str, errors: &mut Errors| match r.string(key, errors) {
            Some(v) if !v.trim().is_empty() => Some(v),
            _ => {
                errors.missing(key);
                None
            }
        };
        let source_uid = text("source_uid", errors);
        let source_name = text("source_name", errors);
        let pipeline_id = match r.int("pipeline_id", errors) {
            Some(id) if self.pipeline(id).is_some() => Some(id),
            Some(_) => {
                errors.choice("pipeline_id");
                None
            }
            None => self.main_pipeline().map(|p| p.id),
        };
        let metadata = match r.object("metadata", errors) {
            Some(m) => {
                for key in required_metadata(category) {
                    if m.get(*key).is_none_or(Value::is_null) {
                        errors.missing(format!("metadata.{key}"));
                    }
                }
                Value::Object(m.clone())
            }
            None => {
                errors.missing("metadata");
                Value::Null
            }
        };
        let embedded = r.object("_embedded", errors).cloned().unwrap_or_default();
        let list = |key: &str| embedded.get(key).cloned().unwrap_or(json!([]));
        let mut leads = list("leads");
        if leads.as_array().is_some_and(|l| l.len() > 1) {
            errors.push(
                "Count",
                "_embedded.leads",
                "This collection should contain 1 element or less.",
            );
        }
        let status = pipeline_id.and_then(|p| self.unsorted_status(p));
        if let (Some(items), Some(pipeline), Some(status)) =
            (leads.as_array_mut(), pipeline_id, status)
        {
            if items.is_empty() {
                items.push(json!({}));
            }
            for lead in items.iter_mut().filter_map(Value::as_object_mut) {
                lead.insert("pipeline_id".into(), json!(pipeline));
                lead.insert("status_id".into(), json!(status));
            }
        }
        for (kind, key) in [
            (Kind::Leads, "leads"),
            (Kind::Contacts, "contacts"),
            (Kind::Companies, "companies"),
        ] {
            let items = if key == "leads" {
                leads.clone()
            } else {
                list(key)
            };
            if let Err(failures) =
                self.validate_entities(kind, items.as_array().map_or(&[][..], Vec::as_slice))
            {
                for failure in failures {
                    for e in failure.errors {
                        errors.push(
                            e.code,
                            format!("_embedded.{key}.{}.{}", failure.request_id, e.path),
                            e.detail,
                        );
                    }
                }
            }
        }
        let (source_uid, source_name, pipeline_id) = (source_uid?, source_name?, pipeline_id?);
        let uid = format!("sbx{:029x}", self.allocate("unsorted"));
        let mut metadata = metadata;
        if let Some(obj) = metadata.as_object_mut() {
            obj.insert("__lead".into(), leads);
            obj.insert("__contacts".into(), list("contacts"));
            obj.insert("__companies".into(), list("companies"));
        }
        Some(Unsorted {
            uid,
            source_uid,
            source_name,
            category,
            pipeline_id,
            created_at: r.int("created_at", errors).unwrap_or(now),
            metadata,
            lead_id: None,
            contact_ids: Vec::new(),
            company_id: None,
            sorting: Sorting::Pending,
            sorted_at: None,
        })
    }

    /// Pending incoming leads of one page.
    pub(crate) fn list_unsorted(&self, params: &ListParams) -> Vec<&Unsorted> {
        let f = &params.filter;
        let uids = strings(f.get("uid"));
        let categories = strings(f.get("category"));
        let pipelines = ints(f.get("pipeline_id"));
        let mut items: Vec<&Unsorted> = self
            .unsorted
            .values()
            .filter(|u| u.sorting == Sorting::Pending)
            .filter(|u| uids.as_ref().is_none_or(|l| l.contains(&u.uid)))
            .filter(|u| {
                categories
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|c| c == u.category))
            })
            .filter(|u| {
                pipelines
                    .as_ref()
                    .is_none_or(|l| l.contains(&u.pipeline_id))
            })
            .collect();
        items.sort_by_key(|u| (u.created_at, u.uid.clone()));
        if params.order.as_ref().is_some_and(|(_, desc)| *desc) {
            items.reverse();
        }
        params.page_of(items.into_iter())
    }

    /// `GET /api/v4/leads/unsorted/summary`.
    pub(crate) fn unsorted_summary(&self, params: &ListParams) -> Value {
        let f = &params.filter;
        let uids = strings(f.get("uid"));
        let pipelines = ints(f.get("pipeline_id"));
        let created = Range::read(f.get("created_at"));
        let matching: Vec<&Unsorted> = self
            .unsorted
            .values()
            .filter(|u| uids.as_ref().is_none_or(|l| l.contains(&u.uid)))
            .filter(|u| {
                pipelines
                    .as_ref()
                    .is_none_or(|l| l.contains(&u.pipeline_id))
            })
            .filter(|u| created.is_none_or(|r| r.contains(Some(u.created_at))))
            .collect();
        let count = |s: Sorting| matching.iter().filter(|u| u.sorting == s).count();
        let sort_times: Vec<i64> = matching
            .iter()
            .filter_map(|u| u.sorted_at.map(|t| t - u.created_at))
            .collect();
        let average = if sort_times.is_empty() {
            0
        } else {
            sort_times.iter().sum::<i64>() / sort_times.len() as i64
        };
        let mut categories = Map::new();
        for category in ["forms", "sip", "chats", "mail"] {
            let n = matching.iter().filter(|u| u.category == category).count();
            categories.insert(category.to_owned(), json!(n));
        }
        json!({
            "total": matching.len(),
            "accepted": count(Sorting::Accepted),
            "declined": count(Sorting::Declined),
            "average_sort_time": average,
            "categories": categories,
        })
    }

    fn embedded_refs(&self, u: &Unsorted) -> Value {
        let refs = |kind: Kind, ids: Vec<i64>| -> Value {
            Value::Array(
                ids.into_iter()
                    .map(|id| json!({ "id": id, "_links": self_link(self.entity_href(kind, id)) }))
                    .collect(),
            )
        };
        json!({
            "leads": refs(Kind::Leads, u.lead_id.into_iter().collect()),
            "contacts": refs(Kind::Contacts, u.contact_ids.clone()),
            "companies": refs(Kind::Companies, u.company_id.into_iter().collect()),
        })
    }

    pub(crate) fn unsorted_href(&self, uid: &str) -> String {
        self.href(&format!("/api/v4/leads/unsorted/{uid}"))
    }

    /// One incoming lead as `GET /api/v4/leads/unsorted` shows it.
    pub(crate) fn render_unsorted(&self, u: &Unsorted) -> Value {
        json!({
            "uid": u.uid,
            "source_uid": u.source_uid,
            "source_name": u.source_name,
            "category": u.category,
            "pipeline_id": u.pipeline_id,
            "created_at": u.created_at,
            "metadata": u.metadata,
            "account_id": self.account.id,
            "_links": self_link(self.unsorted_href(&u.uid)),
            "_embedded": self.embedded_refs(u),
        })
    }

    /// The short answer of add, accept and link: uid, account, links, and the entities.
    pub(crate) fn render_unsorted_result(&self, uid: &str) -> Value {
        let embedded = self
            .unsorted
            .get(uid)
            .map_or(Value::Null, |u| self.embedded_refs(u));
        json!({
            "uid": uid,
            "account_id": self.account.id,
            "_links": self_link(self.unsorted_href(uid)),
            "_embedded": embedded,
        })
    }

    fn pending(&self, uid: &str) -> Result<&Unsorted, SortError> {
        let u = self.unsorted.get(uid).ok_or(SortError::Missing)?;
        if u.sorting != Sorting::Pending {
            return Err(one_error(
                "uid",
                "NotSupportedChoice",
                "The incoming lead was already sorted.",
            ));
        }
        Ok(u)
    }

    /// Accepts an incoming lead: its lead moves to `status_id` (default: the pipeline's first stage).
    pub(crate) fn accept_unsorted(
        &mut self,
        uid: &str,
        body: &Value,
        now: i64,
    ) -> Result<(), SortError> {
        let u = self.pending(uid)?.clone();
        let status = match body.get("status_id").and_then(Value::as_i64) {
            Some(s) => s,
            None => self
                .pipeline(u.pipeline_id)
                .and_then(Self::first_stage)
                .map_or(0, |s| s.id),
        };
        if let Some(lead) = u.lead_id {
            let patch = json!([{ "id": lead, "pipeline_id": u.pipeline_id, "status_id": status }]);
            self.update_entities(
                Kind::Leads,
                patch.as_array().map_or(&[][..], Vec::as_slice),
                now,
            )
            .map_err(|failures| match failures.into_iter().next() {
                Some(f) => SortError::Invalid(f),
                None => one_error(
                    "status_id",
                    "NotSupportedChoice",
                    "The value you selected is not a valid choice.",
                ),
            })?;
        }
        self.mark_sorted(uid, Sorting::Accepted, now);
        Ok(())
    }

    /// Declines an incoming lead: its lead is removed.
    pub(crate) fn decline_unsorted(&mut self, uid: &str, now: i64) -> Result<(), SortError> {
        let u = self.pending(uid)?.clone();
        if let Some(lead) = u.lead_id {
            self.remove_lead(lead);
        }
        self.mark_sorted(uid, Sorting::Declined, now);
        Ok(())
    }

    /// Links an incoming lead to an existing lead: its contacts join that lead; its own lead is removed.
    pub(crate) fn link_unsorted(
        &mut self,
        uid: &str,
        body: &Value,
        now: i64,
    ) -> Result<(), SortError> {
        let u = self.pending(uid)?.clone();
        let target = body.pointer("/link/entity_id").and_then(Value::as_i64);
        let entity_type = body.pointer("/link/entity_type").and_then(Value::as_str);
        let Some(target) = target.filter(|id| self.leads.contains_key(id)) else {
            return Err(one_error("link.entity_id", "NotFound", "Entity not found."));
        };
        if entity_type.is_some_and(|t| t != "leads") {
            return Err(one_error(
                "link.entity_type",
                "NotSupportedChoice",
                "The value you selected is not a valid choice.",
            ));
        }
        for contact in &u.contact_ids {
            self.links.link_lead_contact(target, *contact, false);
        }
        if let Some(lead) = u.lead_id {
            self.remove_lead(lead);
        }
        if let Some(record) = self.unsorted.get_mut(uid) {
            record.lead_id = Some(target);
        }
        self.mark_sorted(uid, Sorting::Accepted, now);
        Ok(())
    }

    fn mark_sorted(&mut self, uid: &str, sorting: Sorting, now: i64) {
        if let Some(record) = self.unsorted.get_mut(uid) {
            record.sorting = sorting;
            record.sorted_at = Some(now);
        }
    }

    fn remove_lead(&mut self, lead: i64) {
        let contacts: Vec<i64> = self
            .links
            .contacts_of_lead(lead)
            .iter()
            .map(|(c, _)| *c)
            .collect();
        for contact in contacts {
            self.links.unlink_lead_contact(lead, contact);
        }
        if let Some(company) = self.links.company_of_lead(lead) {
            self.links.unlink_lead_company(lead, company);
        }
        self.leads.remove(&lead);
    }
}
