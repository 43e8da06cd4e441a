//! Every amoCRM API v4 route the emulator knows of, emulated or not: the table `docs/sandbox.md` shows, and what
//! an unmatched request is told (`405` for a known path with another method, `404` naming the route "not
//! emulated" or "not an amoCRM API v4 route"), always as one problem+json shape.

use axum::http::StatusCode;
use axum::response::Response;

use super::wire;

/// Whether the emulator serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Served, with state.
    Emulated,
    /// Part of amoCRM API v4, answered `404` "not emulated".
    NotEmulated,
}

/// One route: method, path pattern (`{…}` matches one segment; `{entity}` is leads, contacts or companies) and whether it is emulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern.
    pub path: &'static str,
    /// Emulated or not.
    pub support: Support,
}

const fn r(method: &'static str, path: &'static str, support: Support) -> Route {
    Route {
        method,
        path,
        support,
    }
}

use Support::{Emulated as E, NotEmulated as N};

/// The route table.
pub const ROUTES: &[Route] = &[
    r("POST", "/oauth2/access_token", E),
    r("GET", "/oauth2/account/subdomain", E),
    r("GET", "/oauth2/account/current/subdomain", N),
    r("GET", "/api/v4/account", E),
    r("GET", "/api/v4/users", E),
    r("GET", "/api/v4/users/{id}", E),
    r("POST", "/api/v4/users", N),
    r("GET", "/api/v4/roles", E),
    r("GET", "/api/v4/roles/{id}", E),
    r("POST", "/api/v4/roles", E),
    r("PATCH", "/api/v4/roles/{id}", E),
    r("DELETE", "/api/v4/roles/{id}", E),
    r("GET", "/api/v4/{entity}", E),
    r("POST", "/api/v4/{entity}", E),
    r("PATCH", "/api/v4/{entity}", E),
    r("GET", "/api/v4/{entity}/{id}", E),
    r("PATCH", "/api/v4/{entity}/{id}", E),
    r("POST", "/api/v4/leads/complex", E),
    r("GET", "/api/v4/leads/loss_reasons", E),
    r("GET", "/api/v4/leads/loss_reasons/{id}", E),
    r("GET", "/api/v4/leads/pipelines", E),
    r("POST", "/api/v4/leads/pipelines", E),
    r("GET", "/api/v4/leads/pipelines/{id}", E),
    r("PATCH", "/api/v4/leads/pipelines/{id}", E),
    r("DELETE", "/api/v4/leads/pipelines/{id}", E),
    r("GET", "/api/v4/leads/pipelines/{id}/statuses", E),
    r("POST", "/api/v4/leads/pipelines/{id}/statuses", E),
    r("GET", "/api/v4/leads/pipelines/{id}/statuses/{id}", E),
    r("PATCH", "/api/v4/leads/pipelines/{id}/statuses/{id}", E),
    r("DELETE", "/api/v4/leads/pipelines/{id}/statuses/{id}", E),
    r("GET", "/api/v4/leads/unsorted", E),
    r("GET", "/api/v4/leads/unsorted/summary", E),
    r("GET", "/api/v4/leads/unsorted/{uid}", E),
    r("POST", "/api/v4/leads/unsorted/forms", E),
    r("POST", "/api/v4/leads/unsorted/sip", E),
    r("POST", "/api/v4/leads/unsorted/{uid}/accept", E),
    r("DELETE", "/api/v4/leads/unsorted/{uid}/decline", E),
    r("POST", "/api/v4/leads/unsorted/{uid}/link", E),
    r("GET", "/api/v4/{entity}/tags", E),
    r("POST", "/api/v4/{entity}/tags", E),
    r("GET", "/api/v4/{entity}/links", E),
    r("GET", "/api/v4/{entity}/{id}/links", E),
    r("POST", "/api/v4/{entity}/link", E),
    r("POST", "/api/v4/{entity}/unlink", E),
    r("POST", "/api/v4/{entity}/{id}/link", E),
    r("POST", "/api/v4/{entity}/{id}/unlink", E),
    r("GET", "/api/v4/{entity}/custom_fields", E),
    r("POST", "/api/v4/{entity}/custom_fields", E),
    r("PATCH", "/api/v4/{entity}/custom_fields", E),
    r("GET", "/api/v4/{entity}/custom_fields/{id}", E),
    r("PATCH", "/api/v4/{entity}/custom_fields/{id}", E),
    r("DELETE", "/api/v4/{entity}/custom_fields/{id}", E),
    r("GET", "/api/v4/{entity}/custom_fields/groups", E),
    r("POST", "/api/v4/{entity}/custom_fields/groups", E),
    r("GET", "/api/v4/{entity}/custom_fields/groups/{id}", E),
    r("PATCH", "/api/v4/{entity}/custom_fields/groups/{id}", E),
    r("DELETE", "/api/v4/{entity}/custom_fields/groups/{id}", E),
    r("GET", "/api/v4/{entity}/notes", E),
    r("POST", "/api/v4/{entity}/notes", E),
    r("PATCH", "/api/v4/{entity}/notes", E),
    r("GET", "/api/v4/{entity}/notes/{id}", E),
    r("PATCH", "/api/v4/{entity}/notes/{id}", E),
    r("GET", "/api/v4/{entity}/{id}/notes", E),
    r("POST", "/api/v4/{entity}/{id}/notes", E),
    r("GET", "/api/v4/{entity}/{id}/notes/{id}", E),
    r("GET", "/api/v4/{entity}/{id}/subscriptions", N),
    r("POST", "/api/v4/{entity}/{id}/subscriptions", N),
    r("GET", "/api/v4/tasks", E),
    r("POST", "/api/v4/tasks", E),
    r("PATCH", "/api/v4/tasks", E),
    r("GET", "/api/v4/tasks/{id}", E),
    r("PATCH", "/api/v4/tasks/{id}", E),
    r("GET", "/api/v4/events", E),
    r("GET", "/api/v4/events/{id}", E),
    r("GET", "/api/v4/events/types", E),
    r("GET", "/api/v4/webhooks", E),
    r("POST", "/api/v4/webhooks", E),
    r("DELETE", "/api/v4/webhooks", E),
    r("GET", "/api/v4/catalogs", E),
    r("POST", "/api/v4/catalogs", E),
    r("PATCH", "/api/v4/catalogs", E),
    r("GET", "/api/v4/catalogs/{id}", E),
    r("PATCH", "/api/v4/catalogs/{id}", E),
    r("GET", "/api/v4/catalogs/{id}/elements", E),
    r("POST", "/api/v4/catalogs/{id}/elements", E),
    r("PATCH", "/api/v4/catalogs/{id}/elements", E),
    r("GET", "/api/v4/catalogs/{id}/elements/{id}", E),
    r("PATCH", "/api/v4/catalogs/{id}/elements/{id}", E),
    r("GET", "/api/v4/sources", E),
    r("POST", "/api/v4/sources", E),
    r("PATCH", "/api/v4/sources", E),
    r("DELETE", "/api/v4/sources", E),
    r("GET", "/api/v4/sources/{id}", E),
    r("PATCH", "/api/v4/sources/{id}", E),
    r("DELETE", "/api/v4/sources/{id}", E),
    r("GET", "/api/v4/customers", E),
    r("POST", "/api/v4/customers", E),
    r("PATCH", "/api/v4/customers", E),
    r("GET", "/api/v4/customers/{id}", E),
    r("PATCH", "/api/v4/customers/{id}", E),
    r("PATCH", "/api/v4/customers/mode", E),
    r("GET", "/api/v4/customers/statuses", E),
    r("GET", "/api/v4/customers/transactions", N),
    r("POST", "/api/v4/customers/{id}/transactions", N),
    r("GET", "/api/v4/widgets", N),
    r("GET", "/api/v4/widgets/{code}", N),
    r("POST", "/api/v4/widgets/{code}", N),
    r("DELETE", "/api/v4/widgets/{code}", N),
    r("POST", "/api/v4/calls", N),
    r("POST", "/api/v4/short_links", N),
    r("GET", "/api/v4/talks/{id}", N),
    r("POST", "/api/v4/talks/{id}/close", N),
    r("GET", "/api/v4/chats/templates", N),
    r("POST", "/api/v4/chats/templates", N),
    r("GET", "/api/v4/contacts/chats", N),
    r("POST", "/api/v4/contacts/chats", N),
    r("GET", "/api/v4/{entity}/{id}/files", N),
    r("PUT", "/api/v4/{entity}/{id}/files", N),
    r("GET", "/api/v4/website_buttons", N),
];

const ENTITIES: [&str; 3] = ["leads", "contacts", "companies"];

fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = path.trim_end_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) => {
                let ok = match w {
                    "{entity}" => ENTITIES.contains(&g),
                    w if w.starts_with('{') => !g.is_empty(),
                    w => w == g,
                };
                if !ok {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The routes whose pattern matches `path` (any method), most specific (fewest placeholders) first.
pub fn lookup(path: &str) -> Vec<Route> {
    let mut found: Vec<Route> = ROUTES
        .iter()
        .copied()
        .filter(|route| matches(route.path, path))
        .collect();
    found.sort_by_key(|route| route.path.matches('{').count());
    found
}

/// The answer to a request no handler took.
pub(crate) fn unmatched(method: &str, path: &str) -> Response {
    let found = lookup(path);
    if found.is_empty() {
        return wire::problem(
            StatusCode::NOT_FOUND,
            &format!("Cannot {method} {path}: not an amoCRM API v4 route"),
        );
    }
    if found.iter().any(|route| route.method == method) {
        return wire::problem(
            StatusCode::NOT_FOUND,
            &format!(
                "Cannot {method} {path}: an amoCRM API v4 route that crmsync-sandbox does not emulate"
            ),
        );
    }
    let mut allowed: Vec<&str> = found.iter().map(|route| route.method).collect();
    allowed.sort_unstable();
    allowed.dedup();
    wire::method_not_allowed(method, path, &allowed)
}

/// The route table as the Markdown rows `docs/sandbox.md` shows.
pub fn markdown_table() -> String {
    let mut out = String::from("| method | path | amoCRM emulator |\n|---|---|---|\n");
    for route in ROUTES {
        let support = match route.support {
            Support::Emulated => "emulated",
            Support::NotEmulated => "not emulated",
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {support} |\n",
            route.method, route.path
        ));
    }
    out
}

#[cfg(test)]
mod tests;
