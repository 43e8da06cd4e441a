//! Customers (repeat purchases), available only while the account has them switched on (`PATCH
//! /api/v4/customers/mode`); otherwise every customers route answers 402, as amoCRM does.

use serde_json::{Value, json};

use super::input::{Errors, Reader};
use super::listing::{ListParams, ints};
use super::render::self_link;
use super::state::{AmoState, ItemErrors};
use super::tasks::collect;

/// Customer statuses of every emulated account: id, name, sort, colour, type (0 regular, 1 recently bought,
/// 2 purchase expected, 3 overdue).
pub(crate) const CUSTOMER_STATUSES: [(i64, &str, i64, &str, i64); 4] = [
    (5_300_001, "Recently bought", 10, "#ccff66", 1),
    (5_300_002, "Purchase expected", 20, "#99ccff", 2),
    (5_300_003, "Overdue", 30, "#ff8f92", 3),
    (5_300_004, "Regular", 40, "#fffeb2", 0),
];

/// Customer modes the API accepts.
pub(crate) const CUSTOMER_MODES: [&str; 2] = ["segments", "periodicity"];

/// One customer.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) next_price: i64,
    pub(crate) next_date: Option<i64>,
    pub(crate) responsible_user_id: i64,
    pub(crate) status_id: i64,
    pub(crate) periodicity: i64,
    pub(crate) created_by: i64,
    pub(crate) updated_by: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) custom_fields_values: Value,
}

impl AmoState {
    pub(crate) fn render_customer(&self, c: &Customer) -> Value {
        json!({
            "id": c.id,
            "name": c.name,
            "next_price": c.next_price,
            "next_date": c.next_date,
            "responsible_user_id": c.responsible_user_id,
            "status_id": c.status_id,
            "periodicity": c.periodicity,
            "created_by": c.created_by,
            "updated_by": c.updated_by,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "closest_task_at": null,
            "is_deleted": false,
            "custom_fields_values": c.custom_fields_values,
            "ltv": 0,
            "purchases_count": 0,
            "average_check": 0,
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/customers/{}", c.id))),
            "_embedded": { "segments": [], "tags": [] },
        })
    }

    pub(crate) fn render_customer_status(&self, index: usize) -> Option<Value> {
        let (id, name, sort, color, kind) = CUSTOMER_STATUSES.get(index)?;
        Some(json!({
            "id": id,
            "name": name,
            "sort": sort,
            "is_default": index == 0,
            "color": color,
            "type": kind,
            "conditions": [],
            "account_id": self.account.id,
            "_links": self_link(self.href(&format!("/api/v4/customers/statuses/{id}"))),
        }))
    }

    /// Customers of one page (`filter[id]`, `query` on the name).
    pub(crate) fn list_customers(&self, params: &ListParams) -> Vec<&Customer> {
        let ids = ints(params.filter.get("id"));
        let query = params.query.as_ref().map(|q| q.to_lowercase());
        params.page_of(self.customers.values().filter(|c| {
            ids.as_ref().is_none_or(|l| l.contains(&c.id))
                && query
                    .as_ref()
                    .is_none_or(|q| c.name.to_lowercase().contains(q.as_str()))
        }))
    }

    /// Adds (`update == false`) or changes customers, all or nothing.
    pub(crate) fn save_customers(
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
            let mut customer = if update {
                let Some(id) = r.int("id", errors) else {
                    errors.missing("id");
                    return None;
                };
                let Some(c) = self.customers.get(&id).cloned() else {
                    errors.not_found("id", "Customer");
                    return None;
                };
                c
            } else {
                Customer {
                    id: 0,
                    name: String::new(),
                    next_price: 0,
                    next_date: None,
                    responsible_user_id: user,
                    status_id: CUSTOMER_STATUSES[1].0,
                    periodicity: 0,
                    created_by: user,
                    updated_by: user,
                    created_at: now,
                    updated_at: now,
                    custom_fields_values: Value::Null,
                }
            };
            self.read_customer(&r, obj, update, &mut customer, errors);
            customer.updated_by = user;
            customer.updated_at = now;
            Some(customer)
        })?;
        let mut out = Vec::new();
        for (rid, customer) in parsed {
            let Some(mut customer) = customer else {
                continue;
            };
            if customer.id == 0 {
                customer.id = self.allocate("customers");
            }
            out.push((rid, customer.id));
            self.customers.insert(customer.id, customer);
        }
        Ok(out)
    }

    fn read_customer(
        &self,
        r: &Reader<'_>,
        obj: &serde_json::Map<String, Value>,
        update: bool,
        customer: &mut Customer,
        errors: &mut Errors,
    ) {
        match r.string("name", errors) {
            Some(n) if !n.trim().is_empty() => customer.name = n,
            Some(_) => errors.push("NotBlank", "name", "This value should not be blank."),
            None if !update => errors.missing("name"),
            None => {}
        }
        if let Some(price) = r.int("next_price", errors) {
            customer.next_price = price;
        }
        if let Some(date) = r.int("next_date", errors) {
            customer.next_date = Some(date);
        }
        if let Some(days) = r.int("periodicity", errors) {
            customer.periodicity = days;
        }
        if let Some(status) = r.int("status_id", errors) {
            if CUSTOMER_STATUSES.iter().any(|s| s.0 == status) {
                customer.status_id = status;
            } else {
                errors.choice("status_id");
            }
        }
        if let Some(user) = r.int("responsible_user_id", errors) {
            if self.is_user(user) {
                customer.responsible_user_id = user;
            } else {
                errors.choice("responsible_user_id");
            }
        }
        match obj.get("custom_fields_values") {
            Some(v @ (Value::Array(_) | Value::Null)) => customer.custom_fields_values = v.clone(),
            Some(_) => errors.invalid_type("custom_fields_values", "array"),
            None => {}
        }
    }

    /// `PATCH /api/v4/customers/mode`: `mode` (`segments` or `periodicity`) and `is_enabled`.
    pub(crate) fn set_customers_mode(&mut self, item: &Value) -> Result<Value, Vec<ItemErrors>> {
        let mut errors = Errors::default();
        let mode = item.get("mode").and_then(Value::as_str);
        match mode {
            Some(m) if CUSTOMER_MODES.contains(&m) => {}
            Some(_) => errors.choice("mode"),
            None => errors.missing("mode"),
        }
        let enabled = item
            .get("is_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if !errors.is_empty() {
            return Err(vec![ItemErrors {
                request_id: "0".to_owned(),
                errors: errors.list,
            }]);
        }
        let mode = mode.unwrap_or("segments").to_owned();
        self.customers_enabled = enabled;
        self.customers_mode = mode.clone();
        Ok(json!({ "mode": mode, "is_enabled": enabled }))
    }
}
