//! The account's address: requests to a host naming another account's subdomain answer `404`, and
//! `GET /oauth2/account/subdomain` tells a token's holder where the account lives now, so a client can follow a
//! subdomain change as amoCRM's own SDK does.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::http::App;
use super::wire;

type Shared = State<Arc<App>>;

/// The path of the account-domain lookup (on the common domain, `www.amocrm.ru`, in real amoCRM).
pub(crate) const SUBDOMAIN_PATH: &str = "/oauth2/account/subdomain";

/// The domain the emulated account's address is under.
const ACCOUNT_DOMAIN: &str = "amocrm.ru";

/// The lookup route (authentication is layered on by the caller).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new().route(SUBDOMAIN_PATH, get(account_subdomain))
}

/// `{id, subdomain, domain, top_level_domain}` of the account, the shape amoCRM answers.
async fn account_subdomain(State(app): Shared) -> Response {
    let state = app.state();
    let subdomain = state.subdomain.clone();
    wire::plain_json(&json!({
        "id": state.account.id,
        "domain": format!("{subdomain}.{ACCOUNT_DOMAIN}"),
        "subdomain": subdomain,
        "top_level_domain": ACCOUNT_DOMAIN.rsplit('.').next().unwrap_or("ru"),
    }))
}

/// Answers `404` to a request whose `Host` names an account subdomain other than the emulated account's
/// (`old.amocrm.ru` after a rename). Addresses by IP or `localhost`, and the common `www` host, always reach the
/// account; the lookup route is answered on every host.
pub(crate) async fn require_account_host(
    State(app): Shared,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() != SUBDOMAIN_PATH
        && let Some(label) = subdomain_label(request.headers())
        && label != "www"
        && !label.eq_ignore_ascii_case(&app.state().subdomain)
    {
        return wire::problem(
            StatusCode::NOT_FOUND,
            "No account lives at this address: its subdomain may have changed (ask GET \
             /oauth2/account/subdomain on the common domain)",
        );
    }
    next.run(request).await
}

/// The first label of the `Host` header when it is a domain name of three or more labels.
fn subdomain_label(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let name = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    let is_ip = labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
    (labels.len() >= 3 && !is_ip).then(|| labels[0].to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_names_of_three_labels_or_more_carry_a_subdomain() {
        let cases = [
            ("old.amocrm.ru:8080", Some("old")),
            ("Example.kommo.com", Some("example")),
            ("www.amocrm.ru", Some("www")),
            ("127.0.0.1:8080", None),
            ("localhost:3000", None),
            ("amocrm.ru", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                subdomain_label(&host(value)).as_deref(),
                expected,
                "{value}"
            );
        }
    }
}
