//! Routes of catalogs and their elements (`/api/v4/catalogs`) and of customers (`/api/v4/customers`, `402` while
//! the account has them disabled).

#![allow(
    clippy::result_large_err,
    reason = "handlers short-circuit with a finished Response, built once per request"
)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, get, patch};
use serde_json::{Value, json};

use super::catalogs::unknown_catalog;
use super::customers::CUSTOMER_STATUSES;
use super::http::{
    App, Shared, batch_body, list_params, object_body, parse_id, respond, self_link,
    total_envelope, validation_or,
};
use super::listing::MAX_LIMIT;
use super::{routes, wire};

/// The routes of this module (authentication is layered on by the caller).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/api/v4/catalogs",
            get(list_catalogs)
                .post(|s: Shared, b: Bytes| async move { save_catalogs(&s, &b, false) })
                .patch(|s: Shared, b: Bytes| async move { save_catalogs(&s, &b, true) }),
        )
        .route(
            "/api/v4/catalogs/{id}",
            get(get_catalog).patch(patch_catalog),
        )
        .route(
            "/api/v4/catalogs/{id}/elements",
            get(list_elements)
                .post(|s: Shared, p: Path<String>, b: Bytes| async move {
                    save_elements(&s, &p, &b, false)
                })
                .patch(|s: Shared, p: Path<String>, b: Bytes| async move {
                    save_elements(&s, &p, &b, true)
                }),
        )
        .route(
            "/api/v4/catalogs/{id}/elements/{element_id}",
            get(get_element).patch(patch_element),
        )
        .route(
            "/api/v4/customers",
            get(list_customers)
                .post(|s: Shared, b: Bytes| async move { save_customers(&s, &b, false) })
                .patch(|s: Shared, b: Bytes| async move { save_customers(&s, &b, true) }),
        )
        .route("/api/v4/customers/statuses", get(customer_statuses))
        .route("/api/v4/customers/mode", patch(set_mode))
        .route(
            "/api/v4/customers/transactions",
            any(not_emulated_customers),
        )
        .route(
            "/api/v4/customers/{id}",
            get(get_customer).patch(patch_customer),
        )
        .route(
            "/api/v4/customers/{id}/transactions",
            any(not_emulated_customers),
        )
}

fn missing(what: &str, id: &str) -> Response {
    wire::problem(StatusCode::NOT_FOUND, &format!("{what} {id} not found"))
}

fn written(app: &App, path: &str, key: &str, items: Vec<Value>) -> Response {
    wire::hal(&json!({
        "_total_items": items.len(),
        "_links": self_link(format!("{}{path}", app.base_url)),
        "_embedded": { key: items },
    }))
}

async fn list_catalogs(State(app): Shared, query: RawQuery) -> Response {
    let params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let items: Vec<Value> = {
        let state = app.state();
        params
            .page_of(state.catalogs.values())
            .into_iter()
            .map(|c| state.render_catalog(c))
            .collect()
    };
    if items.is_empty() {
        return wire::no_content();
    }
    wire::hal(&params.envelope(&app.base_url, "/api/v4/catalogs", "catalogs", items))
}

async fn get_catalog(State(app): Shared, Path(id): Path<String>) -> Response {
    let state = app.state();
    parse_id(&id)
        .and_then(|id| state.catalogs.get(&id))
        .map_or_else(wire::no_content, |c| wire::hal(&state.render_catalog(c)))
}

fn save_catalogs(app: &App, body: &Bytes, update: bool) -> Response {
    respond((|| {
        let items = batch_body(app, body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, now| s.save_catalogs(&items, update, now)))?;
        let state = app.state();
        let list = saved
            .iter()
            .filter_map(|(rid, id)| {
                let mut item = state.render_catalog(state.catalogs.get(id)?);
                item["request_id"] = json!(rid);
                Some(item)
            })
            .collect();
        Ok(written(app, "/api/v4/catalogs", "catalogs", list))
    })())
}

async fn patch_catalog(State(app): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(cid) = parse_id(&id) else {
        return missing("Catalog", &id);
    };
    respond((|| {
        let mut item = object_body(&body)?;
        item["id"] = json!(cid);
        validation_or(app.mutate(|s, now| s.save_catalogs(&[item], true, now)))?;
        let state = app.state();
        Ok(wire::hal(
            &state
                .catalogs
                .get(&cid)
                .map_or(Value::Null, |c| state.render_catalog(c)),
        ))
    })())
}

async fn list_elements(State(app): Shared, Path(id): Path<String>, query: RawQuery) -> Response {
    let Some(cid) = parse_id(&id).filter(|id| app.state().has_catalog(*id)) else {
        return missing("Catalog", &id);
    };
    let params = match list_params(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let items: Vec<Value> = {
        let state = app.state();
        state
            .list_elements(cid, &params)
            .into_iter()
            .map(|e| state.render_element(e))
            .collect()
    };
    if items.is_empty() {
        return wire::no_content();
    }
    let path = format!("/api/v4/catalogs/{cid}/elements");
    wire::hal(&params.envelope(&app.base_url, &path, "elements", items))
}

fn save_elements(app: &App, id: &str, body: &Bytes, update: bool) -> Response {
    respond((|| {
        let Some(cid) = parse_id(id).filter(|id| app.state().has_catalog(*id)) else {
            return Err(wire::validation(&unknown_catalog()));
        };
        let items = batch_body(app, body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, now| s.save_elements(cid, &items, update, now)))?;
        let state = app.state();
        let list = saved
            .iter()
            .filter_map(|(rid, id)| {
                let mut item = state.render_element(state.elements.get(id)?);
                item["request_id"] = json!(rid);
                Some(item)
            })
            .collect();
        Ok(written(
            app,
            &format!("/api/v4/catalogs/{cid}/elements"),
            "elements",
            list,
        ))
    })())
}

async fn get_element(
    State(app): Shared,
    Path((catalog, element)): Path<(String, String)>,
) -> Response {
    let state = app.state();
    match (parse_id(&catalog), parse_id(&element)) {
        (Some(c), Some(e)) => state
            .elements
            .get(&e)
            .filter(|found| found.catalog_id == c)
            .map_or_else(wire::no_content, |found| {
                wire::hal(&state.render_element(found))
            }),
        _ => wire::no_content(),
    }
}

async fn patch_element(
    State(app): Shared,
    Path((catalog, element)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (Some(cid), Some(eid)) = (parse_id(&catalog), parse_id(&element)) else {
        return missing("Element", &element);
    };
    respond((|| {
        let mut item = object_body(&body)?;
        item["id"] = json!(eid);
        validation_or(app.mutate(|s, now| s.save_elements(cid, &[item], true, now)))?;
        let state = app.state();
        Ok(wire::hal(
            &state
                .elements
                .get(&eid)
                .map_or(Value::Null, |e| state.render_element(e)),
        ))
    })())
}

fn require_customers(app: &App) -> Result<(), Response> {
    if app.state().customers_enabled {
        Ok(())
    } else {
        Err(wire::problem(
            StatusCode::PAYMENT_REQUIRED,
            "Customers are disabled in this account",
        ))
    }
}

async fn not_emulated_customers(State(app): Shared, method: Method, uri: Uri) -> Response {
    match require_customers(&app) {
        Ok(()) => routes::unmatched(method.as_str(), uri.path()),
        Err(response) => response,
    }
}

async fn list_customers(State(app): Shared, query: RawQuery) -> Response {
    respond((|| {
        require_customers(&app)?;
        let params = list_params(query)?;
        let items: Vec<Value> = {
            let state = app.state();
            state
                .list_customers(&params)
                .into_iter()
                .map(|c| state.render_customer(c))
                .collect()
        };
        if items.is_empty() {
            return Ok(wire::no_content());
        }
        Ok(wire::hal(&params.envelope(
            &app.base_url,
            "/api/v4/customers",
            "customers",
            items,
        )))
    })())
}

async fn get_customer(State(app): Shared, Path(id): Path<String>) -> Response {
    respond((|| {
        require_customers(&app)?;
        let state = app.state();
        Ok(parse_id(&id)
            .and_then(|id| state.customers.get(&id))
            .map_or_else(wire::no_content, |c| wire::hal(&state.render_customer(c))))
    })())
}

fn save_customers(app: &App, body: &Bytes, update: bool) -> Response {
    respond((|| {
        require_customers(app)?;
        let items = batch_body(app, body, MAX_LIMIT)?;
        let saved = validation_or(app.mutate(|s, now| s.save_customers(&items, update, now)))?;
        let state = app.state();
        let list = saved
            .iter()
            .map(|(rid, id)| {
                json!({ "id": id, "request_id": rid, "_links": self_link(state.href(&format!("/api/v4/customers/{id}"))) })
            })
            .collect();
        Ok(written(app, "/api/v4/customers", "customers", list))
    })())
}

async fn patch_customer(State(app): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    respond((|| {
        require_customers(&app)?;
        let Some(cid) = parse_id(&id) else {
            return Ok(missing("Customer", &id));
        };
        let mut item = object_body(&body)?;
        item["id"] = json!(cid);
        validation_or(app.mutate(|s, now| s.save_customers(&[item], true, now)))?;
        let state = app.state();
        Ok(wire::hal(
            &state
                .customers
                .get(&cid)
                .map_or(Value::Null, |c| state.render_customer(c)),
        ))
    })())
}

async fn customer_statuses(State(app): Shared) -> Response {
    respond((|| {
        require_customers(&app)?;
        let items: Vec<Value> = {
            let state = app.state();
            (0..CUSTOMER_STATUSES.len())
                .filter_map(|i| state.render_customer_status(i))
                .collect()
        };
        Ok(total_envelope(
            &app,
            "/api/v4/customers/statuses",
            "statuses",
            items,
        ))
    })())
}

async fn set_mode(State(app): Shared, body: Bytes) -> Response {
    respond((|| {
        let item = object_body(&body)?;
        let answer = validation_or(app.mutate(|s, _| s.set_customers_mode(&item)))?;
        Ok(wire::hal(&answer))
    })())
}
