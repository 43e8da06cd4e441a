//! The identity endpoint of the emulator: `identity/list`, the identities with their attribute fields.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::server::{Shared, admit, json, lock};

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/api/v1/identity/list", get(identities))
}

#[derive(Serialize)]
struct FieldOut<'a> {
    key: &'a str,
    label: &'a str,
    kind: &'a str,
    required: bool,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    values: &'a [String],
}

#[derive(Serialize)]
struct IdentityOut<'a> {
    identity: &'a str,
    fields: Vec<FieldOut<'a>>,
}

#[derive(Serialize)]
struct IdentityList<'a> {
    identities: Vec<IdentityOut<'a>>,
}

async fn identities(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(response) = admit(&shared, "identity/list", Some(&headers)).await {
        return response;
    }
    let org = lock(&shared.org);
    json(IdentityList {
        identities: org
            .identities
            .iter()
            .map(|(identity, fields)| IdentityOut {
                identity,
                fields: fields
                    .iter()
                    .map(|f| FieldOut {
                        key: &f.key,
                        label: &f.label,
                        kind: f.kind,
                        required: f.required,
                        values: &f.values,
                    })
                    .collect(),
            })
            .collect(),
    })
}
