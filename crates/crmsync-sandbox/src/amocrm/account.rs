//! The account, its users, roles and loss reasons as amoCRM renders them, with the documented `with=` embeds
//! (`amojo_id`, `amojo_rights`, `uuid`, `version`, `users_groups`, `task_types`, `datetime_settings`,
//! `entity_names`, `drive_url`, `is_api_filter_enabled`) and the full shape of user rights.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::render::self_link;
use super::state::AmoState;

/// The loss reasons every emulated account has (`GET /api/v4/leads/loss_reasons`).
pub(crate) const LOSS_REASONS: [(i64, &str); 3] = [
    (5_100_001, "Too expensive"),
    (5_100_002, "Chose a competitor"),
    (5_100_003, "No longer needed"),
];

/// The id of the one role every non-admin user has.
pub(crate) const ROLE_ID: i64 = 5_200_001;

const CREATED_AT: i64 = 1_577_836_800;

fn entity_rights(all: &str) -> Value {
    json!({ "view": all, "edit": all, "add": all, "delete": all, "export": all })
}

fn entity_names(singular: &str, plural: &str) -> Value {
    let form = |word: &str| json!({ "nominative": word, "genitive": word, "dative": word, "accusative": word, "instrumental": word, "prepositional": word });
    json!({
        "en": { "gender": "m", "plural_form": form(plural), "singular_form": form(singular) },
        "ru": { "gender": "f", "plural_form": form(plural), "singular_form": form(singular) },
    })
}

impl AmoState {
    /// `GET /api/v4/account` with the embeds `with` names.
    pub(crate) fn render_account(&self, with: &BTreeSet<String>) -> Value {
        let owner = self.users.first().map_or(0, |u| u.id);
        let mut obj = json!({
            "id": self.account.id,
            "name": self.account.name,
            "subdomain": self.subdomain,
            "created_at": CREATED_AT,
            "created_by": owner,
            "updated_at": CREATED_AT,
            "updated_by": owner,
            "current_user_id": self.current_user(),
            "country": self.account.country,
            "currency": self.account.currency,
            "currency_symbol": if self.account.currency == "RUB" { "₽" } else { "$" },
            "customers_mode": if self.customers_enabled { self.customers_mode.as_str() } else { "disabled" },
            "is_unsorted_on": true,
            "mobile_feature_version": 0,
            "is_loss_reason_enabled": true,
            "is_helpbot_enabled": false,
            "is_technical_account": true,
            "contact_name_display_order": 1,
            "_links": self_link(self.href("/api/v4/account")),
        });
        let Some(top) = obj.as_object_mut() else {
            return obj;
        };
        let uuid = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            self.account.id, self.account.id
        );
        let scalar: [(&str, Value); 5] = [
            ("amojo_id", json!(format!("{uuid}-amojo"))),
            ("uuid", json!(uuid)),
            ("version", json!(11)),
            ("drive_url", json!(self.href("/drive"))),
            ("is_api_filter_enabled", json!(true)),
        ];
        for (key, value) in scalar {
            if with.contains(key) {
                top.insert(key.to_owned(), value);
            }
        }
        let mut embedded = Map::new();
        if with.contains("amojo_rights") {
            embedded.insert(
                "amojo_rights".into(),
                json!({ "can_direct": true, "can_create_groups": true }),
            );
        }
        if with.contains("users_groups") {
            embedded.insert(
                "users_groups".into(),
                json!([{ "id": 0, "name": "Sales", "uuid": null }]),
            );
        }
        if with.contains("task_types") {
            embedded.insert(
                "task_types".into(),
                json!([
                    { "id": 1, "name": "Follow-up", "color": null, "icon_id": null, "code": "FOLLOW_UP" },
                    { "id": 2, "name": "Meeting", "color": null, "icon_id": null, "code": "MEETING" },
                ]),
            );
        }
        if with.contains("datetime_settings") {
            embedded.insert(
                "datetime_settings".into(),
                json!({
                    "date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y", "short_time_pattern": "H:i",
                    "date_format": "d.m.Y", "time_format": "H:i:s", "timezone": "Europe/Moscow",
                    "timezone_offset": "+03:00",
                }),
            );
        }
        if with.contains("entity_names") {
            embedded.insert(
                "entity_names".into(),
                json!({
                    "leads": entity_names("lead", "leads"),
                    "contacts": entity_names("contact", "contacts"),
                    "companies": entity_names("company", "companies"),
                    "customers": entity_names("customer", "customers"),
                }),
            );
        }
        if !embedded.is_empty() {
            top.insert("_embedded".into(), Value::Object(embedded));
        }
        obj
    }

    /// The documented rights object of a user: per-entity rights, mail/catalog/files access, status rights.
    pub(crate) fn user_rights(&self, is_admin: bool) -> Value {
        let all = if is_admin { "A" } else { "M" };
        let status_rights: Vec<Value> = self
            .pipelines
            .iter()
            .flat_map(|p| {
                p.statuses.iter().map(move |s| {
                    json!({
                        "entity_type": "leads", "pipeline_id": p.id, "status_id": s.id,
                        "rights": { "view": all, "edit": all, "delete": all },
                    })
                })
            })
            .collect();
        json!({
            "leads": entity_rights(all),
            "contacts": entity_rights(all),
            "companies": entity_rights(all),
            "tasks": { "edit": all, "delete": all },
            "mail_access": true,
            "catalog_access": is_admin,
            "files_access": true,
            "status_rights": status_rights,
            "catalog_rights": null,
            "custom_fields_rights": null,
            "oper_day_reports_view_access": is_admin,
            "oper_day_user_tracking": false,
            "is_admin": is_admin,
            "is_free": false,
            "is_active": true,
            "group_id": null,
            "role_id": if is_admin { Value::Null } else { json!(ROLE_ID) },
        })
    }

    /// `GET /api/v4/users/{id}`; `with` may name `role`, `group`, `uuid`, `amojo_id`, `user_rank`,
    /// `phone_number`.
    pub(crate) fn render_user(&self, id: i64, with: &BTreeSet<String>) -> Option<Value> {
        let u = self.users.iter().find(|u| u.id == id)?;
        let mut obj = json!({
            "id": u.id,
            "name": u.name,
            "email": u.email,
            "lang": "en",
            "rights": self.user_rights(u.is_admin),
            "_links": self_link(self.href(&format!("/api/v4/users/{}", u.id))),
        });
        if let Some(top) = obj.as_object_mut() {
            if with.contains("uuid") {
                top.insert("uuid".into(), json!(format!("user-{}", u.id)));
            }
            if with.contains("amojo_id") {
                top.insert("amojo_id".into(), json!(format!("amojo-{}", u.id)));
            }
            if with.contains("user_rank") {
                top.insert("user_rank".into(), json!("newbie"));
            }
            if with.contains("phone_number") {
                top.insert("phone_number".into(), Value::Null);
            }
            let mut embedded = Map::new();
            if with.contains("role") {
                let roles: Vec<Value> = (!u.is_admin)
                    .then(|| self.role_link())
                    .into_iter()
                    .collect();
                embedded.insert("roles".into(), Value::Array(roles));
            }
            if with.contains("group") {
                embedded.insert("groups".into(), json!([{ "id": 0, "name": "Sales" }]));
            }
            if !embedded.is_empty() {
                top.insert("_embedded".into(), Value::Object(embedded));
            }
        }
        Some(obj)
    }

    fn role_link(&self) -> Value {
        json!({ "id": ROLE_ID, "name": "Manager", "_links": self_link(self.href(&format!("/api/v4/roles/{ROLE_ID}"))) })
    }

    /// `GET /api/v4/roles/{id}`; `with=users` embeds the users holding it.
    pub(crate) fn render_role(&self, id: i64, with: &BTreeSet<String>) -> Option<Value> {
        let (name, rights) = match self.admin.roles.get(&id) {
            Some(role) => (role.name.clone(), role.rights.clone()),
            None if id == ROLE_ID => ("Manager".to_owned(), self.user_rights(false)),
            None => return None,
        };
        let mut role = json!({
            "id": id,
            "name": name,
            "rights": rights,
            "_links": self_link(self.href(&format!("/api/v4/roles/{id}"))),
        });
        if with.contains("users")
            && let Some(top) = role.as_object_mut()
        {
            let users: Vec<Value> = self
                .users
                .iter()
                .filter(|u| !u.is_admin && id == ROLE_ID)
                .map(|u| json!({ "id": u.id }))
                .collect();
            top.insert("_embedded".into(), json!({ "users": users }));
        }
        Some(role)
    }

    /// One loss reason, as `_embedded.loss_reasons[]` and `with=loss_reason` show it.
    pub(crate) fn render_loss_reason(&self, id: i64) -> Option<Value> {
        let (index, (id, name)) = LOSS_REASONS
            .iter()
            .enumerate()
            .find(|(_, (reason, _))| *reason == id)?;
        Some(json!({
            "id": id,
            "name": name,
            "sort": (index + 1) * 10,
            "created_at": CREATED_AT,
            "updated_at": CREATED_AT,
            "_links": self_link(self.href(&format!("/api/v4/leads/loss_reasons/{id}"))),
        }))
    }
}
