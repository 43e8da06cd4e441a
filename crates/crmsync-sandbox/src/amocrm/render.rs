//! Rendering stored records as amoCRM API JSON (HAL links, `_embedded`).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::fields::render_fields;
use super::model::{Entity, Kind, Note, Subscription, Task};
use super::state::AmoState;

pub(crate) fn self_link(href: String) -> Value {
    json!({ "self": { "href": href } })
}

impl AmoState {
    pub(crate) fn entity_href(&self, kind: Kind, id: i64) -> String {
        self.href(&format!("/api/v4/{}/{id}", kind.plural()))
    }

    fn link_item(&self, kind: Kind, id: i64) -> Value {
        json!({ "id": id, "_links": self_link(self.entity_href(kind, id)) })
    }

    fn render_tags(&self, kind: Kind, tags: &[i64]) -> Value {
        Value::Array(tags.iter().map(|id| self.render_tag(kind, *id)).collect())
    }

    /// One lead, contact or company as `GET /api/v4/{kind}/{id}` shows it; `with` names extra embeds.
    pub(crate) fn render_entity(&self, kind: Kind, e: &Entity, with: &BTreeSet<String>) -> Value {
        let mut obj = Map::new();
        obj.insert("id".into(), json!(e.id));
        obj.insert("name".into(), json!(e.name));
        match kind {
            Kind::Leads => {
                let price_int = e.price.trunc();
                obj.insert("price".into(), json!(price_int as i64));
                obj.insert("price_with_minor_units".into(), json!(e.price));
                obj.insert("responsible_user_id".into(), json!(e.responsible_user_id));
                obj.insert("group_id".into(), json!(0));
                obj.insert("status_id".into(), json!(e.status_id));
                obj.insert("pipeline_id".into(), json!(e.pipeline_id));
                obj.insert("loss_reason_id".into(), json!(e.loss_reason_id));
                obj.insert("source_id".into(), Value::Null);
            }
            Kind::Contacts => {
                obj.insert("first_name".into(), json!(e.first_name));
                obj.insert("last_name".into(), json!(e.last_name));
                obj.insert("responsible_user_id".into(), json!(e.responsible_user_id));
                obj.insert("group_id".into(), json!(0));
            }
            Kind::Companies => {
                obj.insert("responsible_user_id".into(), json!(e.responsible_user_id));
                obj.insert("group_id".into(), json!(0));
            }
        }
        obj.insert("created_by".into(), json!(e.created_by));
        obj.insert("updated_by".into(), json!(e.updated_by));
        obj.insert("created_at".into(), json!(e.created_at));
        obj.insert("updated_at".into(), json!(e.updated_at));
        if kind == Kind::Leads {
            obj.insert("closed_at".into(), json!(e.closed_at));
        }
        obj.insert("closest_task_at".into(), json!(e.closest_task_at));
        obj.insert("is_deleted".into(), json!(false));
        if kind == Kind::Contacts {
            obj.insert("is_unsorted".into(), json!(false));
        }
        obj.insert(
            "custom_fields_values".into(),
            render_fields(&e.fields, self.defs(kind)),
        );
        if kind == Kind::Leads {
            obj.insert("score".into(), Value::Null);
            obj.insert("labor_cost".into(), Value::Null);
            if with.contains("is_price_modified_by_robot") {
                obj.insert("is_price_modified_by_robot".into(), json!(false));
            }
        }
        obj.insert("account_id".into(), json!(self.account.id));
        obj.insert("_links".into(), self_link(self.entity_href(kind, e.id)));
        let mut embedded = Map::new();
        embedded.insert("tags".into(), self.render_tags(kind, &e.tags));
        match kind {
            Kind::Leads => {
                let companies: Vec<Value> = self
                    .links
                    .company_of_lead(e.id)
                    .map(|c| self.link_item(Kind::Companies, c))
                    .into_iter()
                    .collect();
                embedded.insert("companies".into(), Value::Array(companies));
                if with.contains("loss_reason") {
                    let reason: Vec<Value> = e
                        .loss_reason_id
                        .and_then(|id| self.render_loss_reason(id))
                        .into_iter()
                        .collect();
                    embedded.insert("loss_reason".into(), Value::Array(reason));
                }
                if with.contains("contacts") {
                    let contacts: Vec<Value> = self
                        .links
                        .contacts_of_lead(e.id)
                        .iter()
                        .map(|(c, main)| {
                            json!({ "id": c, "is_main": main, "_links": self_link(self.entity_href(Kind::Contacts, *c)) })
                        })
                        .collect();
                    embedded.insert("contacts".into(), Value::Array(contacts));
                }
            }
            Kind::Contacts => {
                let companies: Vec<Value> = self
                    .links
                    .company_of_contact(e.id)
                    .map(|c| self.link_item(Kind::Companies, c))
                    .into_iter()
                    .collect();
                embedded.insert("companies".into(), Value::Array(companies));
                if with.contains("leads") {
                    let leads: Vec<Value> = self
                        .links
                        .leads_of_contact(e.id)
                        .map(|l| self.link_item(Kind::Leads, l))
                        .collect();
                    embedded.insert("leads".into(), Value::Array(leads));
                }
            }
            Kind::Companies => {
                if with.contains("contacts") {
                    let contacts: Vec<Value> = self
                        .links
                        .contacts_of_company(e.id)
                        .map(|c| self.link_item(Kind::Contacts, c))
                        .collect();
                    embedded.insert("contacts".into(), Value::Array(contacts));
                }
                if with.contains("leads") {
                    let leads: Vec<Value> = self
                        .links
                        .leads_of_company(e.id)
                        .map(|l| self.link_item(Kind::Leads, l))
                        .collect();
                    embedded.insert("leads".into(), Value::Array(leads));
                }
            }
        }
        if with.contains("catalog_elements") {
            embedded.insert("catalog_elements".into(), Value::Array(Vec::new()));
        }
        if with.contains("customers") && kind != Kind::Leads {
            embedded.insert("customers".into(), Value::Array(Vec::new()));
        }
        obj.insert("_embedded".into(), Value::Object(embedded));
        Value::Object(obj)
    }

    pub(crate) fn render_task(&self, t: &Task) -> Value {
        json!({
            "id": t.id,
            "created_by": t.created_by,
            "updated_by": t.updated_by,
            "created_at": t.created_at,
            "updated_at": t.updated_at,
            "responsible_user_id": t.responsible_user_id,
            "group_id": 0,
            "entity_id": t.entity_id,
            "entity_type": t.entity_type,
            "duration": t.duration,
            "is_completed": t.is_completed,
            "task_type_id": t.task_type_id,
            "text": t.text,
            "result": t.result.as_ref().map_or(json!([]), |text| json!({ "text": text })),
            "complete_till": t.complete_till,
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/tasks/{}", t.id))),
        })
    }

    pub(crate) fn note_href(&self, n: &Note) -> String {
        self.href(&format!(
            "/api/v4/{}/{}/notes/{}",
            n.kind.plural(),
            n.entity_id,
            n.id
        ))
    }

    pub(crate) fn render_note(&self, n: &Note) -> Value {
        json!({
            "id": n.id,
            "entity_id": n.entity_id,
            "created_by": n.created_by,
            "updated_by": n.updated_by,
            "created_at": n.created_at,
            "updated_at": n.updated_at,
            "responsible_user_id": n.responsible_user_id,
            "group_id": 0,
            "note_type": n.note_type,
            "params": n.params,
            "account_id": self.account.id,
            "_links": self_link(self.note_href(n)),
        })
    }

    pub(crate) fn render_subscription(&self, s: &Subscription, disabled: bool) -> Value {
        json!({
            "id": s.id,
            "destination": s.destination,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
            "account_id": self.account.id,
            "created_by": self.current_user(),
            "sort": s.sort,
            "disabled": disabled,
            "settings": s.settings,
        })
    }

    pub(crate) fn render_pipeline(&self, pipeline_id: i64) -> Option<Value> {
        let p = self.pipeline(pipeline_id)?;
        let base = format!("/api/v4/leads/pipelines/{}", p.id);
        let statuses: Vec<Value> = p
            .statuses
            .iter()
            .map(|s| self.render_status(p.id, s.id).unwrap_or(Value::Null))
            .collect();
        Some(json!({
            "id": p.id,
            "name": p.name,
            "sort": p.sort,
            "is_main": p.is_main,
            "is_unsorted_on": p.is_unsorted_on,
            "is_archive": p.is_archive,
            "account_id": self.account.id,
            "_links": self_link(self.href(&base)),
            "_embedded": { "statuses": statuses },
        }))
    }

    pub(crate) fn render_status(&self, pipeline_id: i64, status_id: i64) -> Option<Value> {
        let p = self.pipeline(pipeline_id)?;
        let s = p.statuses.iter().find(|s| s.id == status_id)?;
        Some(json!({
            "id": s.id,
            "name": s.name,
            "sort": s.sort,
            "is_editable": s.is_editable,
            "pipeline_id": p.id,
            "color": s.color,
            "type": s.status_type,
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/leads/pipelines/{}/statuses/{}", p.id, s.id))),
        }))
    }

    pub(crate) fn render_field_def(&self, kind: Kind, id: i64) -> Option<Value> {
        let d = self.defs(kind).iter().find(|d| d.id == id)?;
        let extra = self.field_extra(kind, id);
        Some(json!({
            "id": d.id,
            "name": d.name,
            "type": d.field_type,
            "account_id": self.account.id,
            "code": d.code,
            "sort": d.sort,
            "is_api_only": extra.is_api_only,
            "enums": d.enums.as_ref().map(|enums| enums.iter().map(|e| json!({"id": e.id, "value": e.value, "sort": e.sort})).collect::<Vec<_>>()),
            "group_id": extra.group_id,
            "required_statuses": [],
            "is_deletable": d.code.is_none(),
            "is_predefined": d.code.is_some(),
            "entity_type": kind.plural(),
            "remind": null,
            "_links": self_link(self.href(&format!("/api/v4/{}/custom_fields/{}", kind.plural(), d.id))),
        }))
    }
}
