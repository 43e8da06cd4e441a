//! Filters as amoCRM query strings, in PHP bracket syntax with indexes (`filter[id][0]=1`).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use crmsync_ports::{
    CompanyFilter, ContactFilter, LeadFilter, NoteFilter, Order, OrderField, SortDirection,
    TaskFilter, TimeRange,
};

/// An ordered list of query parameters.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn push(&mut self, key: impl Into<String>, value: impl ToString) {
        self.0.push((key.into(), value.to_string()));
    }

    pub(crate) fn list<T: ToString>(&mut self, key: &str, values: impl IntoIterator<Item = T>) {
        for (i, value) in values.into_iter().enumerate() {
            self.push(format!("{key}[{i}]"), value);
        }
    }

    pub(crate) fn range(&mut self, key: &str, range: Option<TimeRange>) {
        let Some(range) = range else { return };
        let ts = |t: DateTime<Utc>| t.timestamp();
        if let Some(from) = range.from {
            self.push(format!("{key}[from]"), ts(from));
        }
        if let Some(to) = range.to {
            self.push(format!("{key}[to]"), ts(to));
        }
    }

    pub(crate) fn order(&mut self, order: Option<Order>) {
        let Some(order) = order else { return };
        let field = match order.field {
            OrderField::Id => "id",
            OrderField::CreatedAt => "created_at",
            OrderField::UpdatedAt => "updated_at",
            OrderField::CompleteTill => "complete_till",
        };
        let direction = match order.direction {
            SortDirection::Asc => "asc",
            SortDirection::Desc => "desc",
        };
        self.push(format!("order[{field}]"), direction);
    }

    fn with(&mut self, parts: &[(&str, bool)]) {
        let with: Vec<&str> = parts
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        if !with.is_empty() {
            self.push("with", with.join(","));
        }
    }

    pub(crate) fn query(&mut self, query: Option<&String>) {
        if let Some(q) = query.filter(|q| !q.trim().is_empty()) {
            self.push("query", q.trim());
        }
    }

    /// `path?query`, keys keeping their brackets, everything else percent-encoded.
    pub(crate) fn to_path(&self, path: &str) -> String {
        let mut out = path.to_owned();
        for (i, (key, value)) in self.0.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            encode(&mut out, key, true);
            out.push('=');
            encode(&mut out, value, false);
        }
        out
    }
}

fn encode(out: &mut String, text: &str, keep_brackets: bool) {
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || (keep_brackets && matches!(byte, b'[' | b']'));
        if keep {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// The query of a leads list.
pub(crate) fn leads(filter: &LeadFilter, limit: u32) -> Query {
    let mut q = Query::default();
    q.push("limit", limit);
    q.with(&[("contacts", filter.with_contacts)]);
    q.query(filter.query.as_ref());
    q.list("filter[id]", filter.ids.iter().map(|id| id.0));
    for (i, stage) in filter.statuses.iter().enumerate() {
        q.push(
            format!("filter[statuses][{i}][pipeline_id]"),
            stage.pipeline_id.0,
        );
        q.push(
            format!("filter[statuses][{i}][status_id]"),
            stage.status_id.0,
        );
    }
    q.list(
        "filter[pipeline_id]",
        filter.pipeline_ids.iter().map(|id| id.0),
    );
    q.list(
        "filter[responsible_user_id]",
        filter.responsible_user_ids.iter().map(|id| id.0),
    );
    q.range("filter[updated_at]", filter.updated_at);
    q.order(filter.order);
    q
}

/// The query of a contacts list.
pub(crate) fn contacts(filter: &ContactFilter, limit: u32) -> Query {
    let mut q = Query::default();
    q.push("limit", limit);
    q.with(&[("leads", filter.with_leads)]);
    q.query(filter.query.as_ref());
    q.list("filter[id]", filter.ids.iter().map(|id| id.0));
    q.list(
        "filter[responsible_user_id]",
        filter.responsible_user_ids.iter().map(|id| id.0),
    );
    q.range("filter[updated_at]", filter.updated_at);
    q.order(filter.order);
    q
}

/// The query of a companies list.
pub(crate) fn companies(filter: &CompanyFilter, limit: u32) -> Query {
    let mut q = Query::default();
    q.push("limit", limit);
    q.with(&[
        ("contacts", filter.with_contacts),
        ("leads", filter.with_leads),
    ]);
    q.query(filter.query.as_ref());
    q.list("filter[id]", filter.ids.iter().map(|id| id.0));
    q.list(
        "filter[responsible_user_id]",
        filter.responsible_user_ids.iter().map(|id| id.0),
    );
    q.range("filter[updated_at]", filter.updated_at);
    q.order(filter.order);
    q
}

/// The query of a tasks list.
pub(crate) fn tasks(filter: &TaskFilter, limit: u32) -> Query {
    let mut q = Query::default();
    q.push("limit", limit);
    q.list("filter[id]", filter.ids.iter().map(|id| id.0));
    if let Some(kind) = filter.entity_kind {
        q.push("filter[entity_type]", kind.api_name());
        q.list("filter[entity_id]", filter.entity_ids.iter().copied());
    }
    if let Some(done) = filter.is_completed {
        q.push("filter[is_completed]", u8::from(done));
    }
    q.list(
        "filter[responsible_user_id]",
        filter.responsible_user_ids.iter().map(|id| id.0),
    );
    q.list(
        "filter[task_type]",
        filter.task_type_ids.iter().map(|id| id.0),
    );
    q.range("filter[updated_at]", filter.updated_at);
    q.order(filter.order);
    q
}

/// `GET /api/v4/{entity}/notes`.
pub(crate) fn notes(filter: &NoteFilter, limit: u32) -> Query {
    let mut q = Query::default();
    q.push("limit", limit);
    q.list("filter[id]", filter.ids.iter().map(|id| id.0));
    q.list("filter[entity_id]", filter.entity_ids.iter().copied());
    q.list("filter[note_type]", filter.note_types.iter());
    q.range("filter[updated_at]", filter.updated_at);
    q
}

#[cfg(test)]
mod tests;
