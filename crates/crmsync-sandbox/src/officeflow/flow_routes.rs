//! The process-engine endpoints of the emulator: `flow/instance/list`, `flow/task/list`, `flow/event/list`.

use std::ops::Bound;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;

use super::server::{Listing, Params, Shared, admit_listing, change_cursor, error, json, lock};

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/flow/instance/list", get(instances))
        .route("/api/v1/flow/task/list", get(tasks))
        .route("/api/v1/flow/event/list", get(events))
}

#[derive(Serialize)]
struct ParentOut<'a> {
    instance_id: &'a str,
    node_id: &'a str,
}

#[derive(Serialize)]
struct InstanceOut<'a> {
    instance_id: &'a str,
    category: &'a str,
    flow_key: &'a str,
    status: &'a str,
    creator: &'a str,
    agent: Option<&'a str>,
    anonymous: bool,
    participants: &'a [String],
    parent: Option<ParentOut<'a>>,
    form: &'a Value,
    started_at: i64,
    ended_at: Option<i64>,
    updated_at: i64,
}

#[derive(Serialize)]
struct InstancePage<'a> {
    instances: Vec<InstanceOut<'a>>,
    next_cursor: String,
}

/// Walks `order` from the listing's start, keeping up to `limit` items that `keep` turns into output; the
/// cursor of the next page is the `(updated_at, id)` of the last one kept.
fn keyset<'a, T>(
    order: &'a std::collections::BTreeSet<(i64, String)>,
    start: Bound<(i64, String)>,
    limit: usize,
    mut keep: impl FnMut(&'a str) -> Option<T>,
) -> (Vec<T>, String) {
    let mut items = Vec::new();
    let mut last: Option<&(i64, String)> = None;
    let mut next_cursor = String::new();
    for key in order.range((start, Bound::Unbounded)) {
        if items.len() == limit {
            if let Some((at, id)) = last {
                next_cursor = format!("{at}:{id}");
            }
            break;
        }
        if let Some(item) = keep(&key.1) {
            items.push(item);
            last = Some(key);
        }
    }
    (items, next_cursor)
}

async fn instances(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing {
        limit,
        cursor,
        since,
    } = match admit_listing(&shared, "flow/instance/list", &headers, &params).await {
        Ok(listing) => listing,
        Err(response) => return response,
    };
    let start = match change_cursor(cursor, since) {
        Ok(start) => start,
        Err(errcode) => return error(errcode),
    };
    let category = params.get("category").map_or("", String::as_str);
    let flows = lock(&shared.flows);
    let Some(book) = flows.books.get(category) else {
        return json(InstancePage {
            instances: Vec::new(),
            next_cursor: String::new(),
        });
    };
    let (instances, next_cursor) = keyset(&book.instance_order, start, limit, |id| {
        book.instances.get(id).map(|i| InstanceOut {
            instance_id: id,
            category,
            flow_key: i.flow_key,
            status: i.status,
            creator: &i.creator,
            agent: i.agent.as_deref(),
            anonymous: i.anonymous,
            participants: &i.participants,
            parent: i.parent.as_ref().map(|(p, n)| ParentOut {
                instance_id: p,
                node_id: n,
            }),
            form: &i.form,
            started_at: i.started_at,
            ended_at: i.ended_at,
            updated_at: i.updated_at,
        })
    });
    json(InstancePage {
        instances,
        next_cursor,
    })
}

#[derive(Serialize)]
struct TaskOut<'a> {
    task_id: &'a str,
    instance_id: &'a str,
    node_id: &'a str,
    node_name: &'a str,
    task_type: &'a str,
    assignee: Option<&'a str>,
    notice: bool,
    status: &'a str,
    created_at: i64,
    finished_at: Option<i64>,
    updated_at: i64,
}

#[derive(Serialize)]
struct TaskPage<'a> {
    tasks: Vec<TaskOut<'a>>,
    next_cursor: String,
}

async fn tasks(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing {
        limit,
        cursor,
        since,
    } = match admit_listing(&shared, "flow/task/list", &headers, &params).await {
        Ok(listing) => listing,
        Err(response) => return response,
    };
    let start = match change_cursor(cursor, since) {
        Ok(start) => start,
        Err(errcode) => return error(errcode),
    };
    let category = params.get("category").map_or("", String::as_str);
    let flows = lock(&shared.flows);
    let Some(book) = flows.books.get(category) else {
        return json(TaskPage {
            tasks: Vec::new(),
            next_cursor: String::new(),
        });
    };
    let (tasks, next_cursor) = keyset(&book.task_order, start, limit, |id| {
        book.tasks.get(id).map(|t| TaskOut {
            task_id: id,
            instance_id: &t.instance,
            node_id: t.node_id,
            node_name: t.node_name,
            task_type: t.kind,
            assignee: t.assignee.as_deref(),
            notice: t.notice,
            status: t.status,
            created_at: t.created_at,
            finished_at: t.finished_at,
            updated_at: t.updated_at,
        })
    });
    json(TaskPage { tasks, next_cursor })
}

#[derive(Serialize)]
struct EventOut<'a> {
    event_id: &'a str,
    instance_id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    task_id: Option<&'a str>,
    node_id: Option<&'a str>,
    to_node: Option<&'a str>,
    status: Option<&'a str>,
    at: i64,
}

#[derive(Serialize)]
struct EventPage<'a> {
    events: Vec<EventOut<'a>>,
    next_cursor: String,
}

async fn events(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing {
        limit,
        cursor,
        since,
    } = match admit_listing(&shared, "flow/event/list", &headers, &params).await {
        Ok(listing) => listing,
        Err(response) => return response,
    };
    let start = match change_cursor(cursor, since) {
        Ok(start) => start,
        Err(errcode) => return error(errcode),
    };
    let category = params.get("category").map_or("", String::as_str);
    let flows = lock(&shared.flows);
    let mut events = Vec::new();
    let mut next_cursor = String::new();
    if let Some(book) = flows.books.get(category) {
        let mut last: Option<&(i64, String)> = None;
        for (key, event) in book.events.range((start, Bound::Unbounded)) {
            if events.len() == limit {
                if let Some((at, id)) = last {
                    next_cursor = format!("{at}:{id}");
                }
                break;
            }
            events.push(EventOut {
                event_id: &key.1,
                instance_id: &event.instance,
                kind: event.kind,
                task_id: event.task.as_deref(),
                node_id: event.node,
                to_node: event.to_node,
                status: event.status,
                at: key.0,
            });
            last = Some(key);
        }
    }
    json(EventPage {
        events,
        next_cursor,
    })
}
