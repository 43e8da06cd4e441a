//! List requests: `page`/`limit`/`with`/`order`/`query` parameters, bracket filters, paging and HAL envelopes.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::fields::value_texts;
use super::model::{Entity, Kind, Note, Task};
use super::state::AmoState;
use crate::phpquery::QueryNode;

/// Most items per page and per write.
pub(crate) const MAX_LIMIT: usize = 250;
/// Items per page when `limit` is not given.
pub(crate) const DEFAULT_LIMIT: usize = 50;

/// Parsed list parameters.
#[derive(Debug, Clone)]
pub(crate) struct ListParams {
    pub(crate) page: usize,
    pub(crate) limit: usize,
    pub(crate) query: Option<String>,
    pub(crate) with: BTreeSet<String>,
    pub(crate) order: Option<(String, bool)>,
    pub(crate) filter: QueryNode,
    /// From an `If-Modified-Since` header: only records with `updated_at` at or after it.
    pub(crate) modified_since: Option<i64>,
    raw: String,
}

/// Why list parameters were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListError {
    /// `limit` above 250: 422.
    OverLimit,
    /// A malformed parameter: 400 with this detail.
    Bad(String),
}

/// The `with=` values of a query node (`with=a,b` or `with[]=a&with[]=b`).
fn with_of(root: &QueryNode) -> BTreeSet<String> {
    root.get("with")
        .map(|w| {
            w.list()
                .iter()
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The `with=` values of a raw query string.
pub(crate) fn with_values(raw: Option<&str>) -> BTreeSet<String> {
    QueryNode::parse(raw.unwrap_or_default())
        .map(|root| with_of(&root))
        .unwrap_or_default()
}

impl ListParams {
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, ListError> {
        let raw = raw.unwrap_or_default().to_owned();
        let root = QueryNode::parse(&raw).map_err(|e| ListError::Bad(e.to_string()))?;
        let number = |key: &str, default: usize| -> Result<usize, ListError> {
            match root.get(key).and_then(QueryNode::value) {
                None => Ok(default),
                Some(text) => match text.trim().parse::<usize>() {
                    Ok(n) if n >= 1 => Ok(n),
                    _ => Err(ListError::Bad(format!("{key} must be a positive integer"))),
                },
            }
        };
        let limit = number("limit", DEFAULT_LIMIT)?;
        if limit > MAX_LIMIT {
            return Err(ListError::OverLimit);
        }
        let page = number("page", 1)?;
        let query = root
            .get("query")
            .and_then(QueryNode::value)
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty());
        let with = with_of(&root);
        let order = root.get("order").and_then(|o| {
            o.children().next().map(|(field, dir)| {
                let desc = dir.value().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
                (field.to_owned(), desc)
            })
        });
        let filter = root.get("filter").cloned().unwrap_or_default();
        Ok(Self {
            page,
            limit,
            query,
            with,
            order,
            filter,
            modified_since: None,
            raw,
        })
    }

    fn offset(&self) -> usize {
        (self.page - 1).saturating_mul(self.limit)
    }

    /// The query string with `page` replaced, other parameters kept as received.
    fn query_for_page(&self, page: usize) -> String {
        let mut parts: Vec<&str> = self
            .raw
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let key = pair.split('=').next().unwrap_or_default();
                key != "page" && key != "limit"
            })
            .collect();
        let tail = format!("limit={}&page={page}", self.limit);
        parts.push(&tail);
        parts.join("&")
    }

    /// The HAL list envelope for page items; `next` appears when the page is full.
    pub(crate) fn envelope(
        &self,
        base_url: &str,
        path: &str,
        key: &str,
        items: Vec<Value>,
    ) -> Value {
        let mut links = Map::new();
        let href = |page: usize| json!({ "href": format!("{base_url}{path}?{}", self.query_for_page(page)) });
        links.insert("self".into(), href(self.page));
        if items.len() >= self.limit {
            links.insert("next".into(), href(self.page + 1));
        }
        if self.page > 1 {
            links.insert("prev".into(), href(self.page - 1));
        }
        json!({
            "_page": self.page,
            "_links": links,
            "_embedded": { key: items },
        })
    }

    /// The page of `items` (already filtered and ordered).
    pub(crate) fn page_of<'a, T: 'a>(&self, items: impl Iterator<Item = &'a T>) -> Vec<&'a T> {
        items.skip(self.offset()).take(self.limit).collect()
    }
}

/// An inclusive range; a single value gives `from == to`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Range {
    from: Option<i64>,
    to: Option<i64>,
}

impl Range {
    /// A range with optional ends.
    pub(crate) fn between(from: Option<i64>, to: Option<i64>) -> Range {
        Range { from, to }
    }

    pub(crate) fn read(node: Option<&QueryNode>) -> Option<Range> {
        let node = node?;
        let parse = |n: Option<&QueryNode>| {
            n.and_then(QueryNode::value)
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        if node.get("from").is_some() || node.get("to").is_some() {
            return Some(Range {
                from: parse(node.get("from")),
                to: parse(node.get("to")),
            });
        }
        let value = parse(Some(node))?;
        Some(Range {
            from: Some(value),
            to: Some(value),
        })
    }

    pub(crate) fn contains(&self, value: Option<i64>) -> bool {
        let Some(v) = value else { return false };
        self.from.is_none_or(|f| v >= f) && self.to.is_none_or(|t| v <= t)
    }
}

pub(crate) fn ints(node: Option<&QueryNode>) -> Option<Vec<i64>> {
    let node = node?;
    Some(
        node.list()
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|v| v.trim().parse::<i64>().ok())
            .collect(),
    )
}

pub(crate) fn strings(node: Option<&QueryNode>) -> Option<Vec<String>> {
    node.map(|n| n.list().iter().map(|v| (*v).to_owned()).collect())
}

/// A compiled filter of leads, contacts or companies.
#[derive(Debug, Default)]
struct EntityFilter {
    ids: Option<Vec<i64>>,
    names: Option<Vec<String>>,
    price: Option<Range>,
    statuses: Option<Vec<(Option<i64>, Option<i64>)>>,
    pipelines: Option<Vec<i64>>,
    created_by: Option<Vec<i64>>,
    updated_by: Option<Vec<i64>>,
    responsible: Option<Vec<i64>>,
    created_at: Option<Range>,
    updated_at: Option<Range>,
    closed_at: Option<Range>,
    closest_task_at: Option<Range>,
    custom_fields: Vec<(i64, Option<Vec<String>>, Option<Range>)>,
    query: Option<Query>,
}

#[derive(Debug)]
struct Query {
    lower: String,
    digits: Option<String>,
}

impl Query {
    fn new(text: &str) -> Self {
        let phone_like = text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        Self {
            lower: text.to_lowercase(),
            digits: (phone_like && digits.len() >= 3).then_some(digits),
        }
    }

    fn matches_text(&self, text: &str) -> bool {
        if text.to_lowercase().contains(&self.lower) {
            return true;
        }
        match &self.digits {
            Some(digits) => {
                let own: String = text.chars().filter(char::is_ascii_digit).collect();
                own.len() >= digits.len() && own.contains(digits.as_str())
            }
            None => false,
        }
    }
}

impl EntityFilter {
    fn compile(params: &ListParams) -> Self {
        let f = &params.filter;
        let statuses = f.get("statuses").map(|node| {
            node.children()
                .map(|(_, s)| {
                    let get = |k: &str| {
                        s.get(k)
                            .and_then(QueryNode::value)
                            .and_then(|v| v.trim().parse().ok())
                    };
                    (get("pipeline_id"), get("status_id"))
                })
                .collect()
        });
        let custom_fields = f
            .get("custom_fields_values")
            .map(|node| {
                node.children()
                    .filter_map(|(id, cond)| {
                        let id = id.parse::<i64>().ok()?;
                        let range = if cond.get("from").is_some() || cond.get("to").is_some() {
                            Range::read(Some(cond))
                        } else {
                            None
                        };
                        let values = range
                            .is_none()
                            .then(|| cond.list().iter().map(|v| (*v).to_owned()).collect());
                        Some((id, values, range))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            ids: ints(f.get("id")),
            names: strings(f.get("name")),
            price: Range::read(f.get("price")),
            statuses,
            pipelines: ints(f.get("pipeline_id")),
            created_by: ints(f.get("created_by")),
            updated_by: ints(f.get("updated_by")),
            responsible: ints(f.get("responsible_user_id")),
            created_at: Range::read(f.get("created_at")),
            updated_at: Range::read(f.get("updated_at")),
            closed_at: Range::read(f.get("closed_at")),
            closest_task_at: Range::read(f.get("closest_task_at")),
            custom_fields,
            query: params.query.as_deref().map(Query::new),
        }
    }

    fn matches(&self, kind: Kind, e: &Entity) -> bool {
        let within = |list: &Option<Vec<i64>>, v: i64| list.as_ref().is_none_or(|l| l.contains(&v));
        let in_range = |r: &Option<Range>, v: Option<i64>| r.is_none_or(|r| r.contains(v));
        if !within(&self.ids, e.id)
            || !within(&self.created_by, e.created_by)
            || !within(&self.updated_by, e.updated_by)
            || !within(&self.responsible, e.responsible_user_id)
            || !in_range(&self.created_at, Some(e.created_at))
            || !in_range(&self.updated_at, Some(e.updated_at))
            || !in_range(&self.closest_task_at, e.closest_task_at)
        {
            return false;
        }
        if let Some(names) = &self.names
            && !names.contains(&e.name)
        {
            return false;
        }
        if kind == Kind::Leads {
            if !within(&self.pipelines, e.pipeline_id)
                || !in_range(&self.closed_at, e.closed_at)
                || !in_range(&self.price, Some(e.price.trunc() as i64))
            {
                return false;
            }
            if let Some(statuses) = &self.statuses
                && !statuses.is_empty()
                && !statuses.iter().any(|(p, s)| {
                    p.is_none_or(|p| p == e.pipeline_id) && s.is_none_or(|s| s == e.status_id)
                })
            {
                return false;
            }
        }
        for (field_id, values, range) in &self.custom_fields {
            let Some(field) = e.fields.iter().find(|f| f.field_id == *field_id) else {
                return false;
            };
            let texts: Vec<String> = value_texts(std::slice::from_ref(field)).collect();
            if let Some(values) = values
                && !values.is_empty()
                && !texts.iter().any(|t| values.contains(t))
                && !field.values.iter().any(|v| {
                    v.get("enum_id")
                        .and_then(Value::as_i64)
                        .is_some_and(|id| values.contains(&id.to_string()))
                })
            {
                return false;
            }
            if let Some(range) = range
                && !texts
                    .iter()
                    .any(|t| range.contains(t.trim().parse::<f64>().ok().map(|f| f as i64)))
            {
                return false;
            }
        }
        if let Some(query) = &self.query {
            let hit = query.matches_text(&e.name)
                || (kind == Kind::Contacts
                    && (query.matches_text(&e.first_name) || query.matches_text(&e.last_name)))
                || value_texts(&e.fields).any(|t| query.matches_text(&t))
                || query.lower == e.id.to_string();
            if !hit {
                return false;
            }
        }
        true
    }
}

fn sort_key_entity(e: &Entity, field: &str) -> i64 {
    match field {
        "created_at" => e.created_at,
        "updated_at" => e.updated_at,
        _ => e.id,
    }
}

impl AmoState {
    /// The entities of one page.
    pub(crate) fn list_entities(&self, kind: Kind, params: &ListParams) -> Vec<&Entity> {
        let filter = EntityFilter::compile(params);
        let all = self.entities(kind);
        let since = params.modified_since;
        let candidates: Box<dyn Iterator<Item = &Entity>> = match &filter.ids {
            Some(ids) => {
                let unique: BTreeSet<i64> = ids.iter().copied().collect();
                Box::new(unique.into_iter().filter_map(|id| all.get(&id)))
            }
            None => Box::new(all.values()),
        };
        let matching = candidates
            .filter(|e| since.is_none_or(|s| e.updated_at >= s))
            .filter(|e| filter.matches(kind, e));
        match &params.order {
            Some((field, desc)) if field != "id" || *desc => {
                let mut items: Vec<&Entity> = matching.collect();
                items.sort_by_key(|e| (sort_key_entity(e, field), e.id));
                if *desc {
                    items.reverse();
                }
                params.page_of(items.into_iter())
            }
            _ => params.page_of(matching),
        }
    }

    /// The tasks of one page.
    pub(crate) fn list_tasks(&self, params: &ListParams) -> Vec<&Task> {
        let f = &params.filter;
        let ids = ints(f.get("id"));
        let responsible = ints(f.get("responsible_user_id"));
        let types = ints(f.get("task_type"));
        let entity_types = strings(f.get("entity_type"));
        let entity_ids = ints(f.get("entity_id"));
        let updated = Range::read(f.get("updated_at"));
        let completed = f
            .get("is_completed")
            .and_then(QueryNode::value)
            .map(|v| v == "1" || v.eq_ignore_ascii_case("true"));
        let within = |list: &Option<Vec<i64>>, v: Option<i64>| {
            list.as_ref()
                .is_none_or(|l| v.is_some_and(|v| l.contains(&v)))
        };
        let matching = self.tasks.values().filter(|t| {
            within(&ids, Some(t.id))
                && within(&responsible, Some(t.responsible_user_id))
                && within(&types, Some(t.task_type_id))
                && within(&entity_ids, t.entity_id)
                && entity_types
                    .as_ref()
                    .is_none_or(|l| t.entity_type.as_ref().is_some_and(|et| l.contains(et)))
                && updated.is_none_or(|r| r.contains(Some(t.updated_at)))
                && completed.is_none_or(|c| c == t.is_completed)
                && params.modified_since.is_none_or(|s| t.updated_at >= s)
        });
        match &params.order {
            Some((field, desc)) if field != "id" || *desc => {
                let mut items: Vec<&Task> = matching.collect();
                items.sort_by_key(|t| {
                    let key = match field.as_str() {
                        "created_at" => t.created_at,
                        "complete_till" => t.complete_till,
                        "updated_at" => t.updated_at,
                        _ => t.id,
                    };
                    (key, t.id)
                });
                if *desc {
                    items.reverse();
                }
                params.page_of(items.into_iter())
            }
            _ => params.page_of(matching),
        }
    }

    /// The notes of one page, of entity type `kind` (and of one entity when `entity` is given).
    pub(crate) fn list_notes(
        &self,
        kind: Kind,
        entity: Option<i64>,
        params: &ListParams,
    ) -> Vec<&Note> {
        let f = &params.filter;
        let ids = ints(f.get("id"));
        let entity_ids = ints(f.get("entity_id"));
        let types = strings(f.get("note_type"));
        let updated = Range::read(f.get("updated_at"));
        let matching = self.notes.values().filter(|n| {
            n.kind == kind
                && entity.is_none_or(|e| e == n.entity_id)
                && ids.as_ref().is_none_or(|l| l.contains(&n.id))
                && entity_ids.as_ref().is_none_or(|l| l.contains(&n.entity_id))
                && types.as_ref().is_none_or(|l| l.contains(&n.note_type))
                && updated.is_none_or(|r| r.contains(Some(n.updated_at)))
        });
        let mut items: Vec<&Note> = matching.collect();
        if let Some((field, desc)) = &params.order {
            items.sort_by_key(|n| {
                (
                    if field == "updated_at" {
                        n.updated_at
                    } else {
                        n.id
                    },
                    n.id,
                )
            });
            if *desc {
                items.reverse();
            }
        }
        params.page_of(items.into_iter())
    }
}

#[cfg(test)]
mod tests;
