//! Guards for the HTTP servers binaries run: a bearer token for APIs, a path secret for webhook endpoints,
//! both compared in constant time.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// Whether `given` equals `expected`, in time that does not depend on where they differ.
pub fn secrets_match(given: &str, expected: &SecretString) -> bool {
    let expected = expected.expose_secret().as_bytes();
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected))
}

/// Axum middleware state: the bearer token every request must carry.
#[derive(Clone)]
pub struct BearerToken(pub Arc<SecretString>);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(***)")
    }
}

/// Rejects requests without `Authorization: Bearer <token>` with 401 (use with `middleware::from_fn_with_state`).
pub async fn require_bearer(
    State(token): State<BearerToken>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(given) if secrets_match(given, &token.0) => next.run(request).await,
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn app() -> Router {
        let token = BearerToken(Arc::new(SecretString::from("t0ken")));
        Router::new()
            .route("/x", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(token, require_bearer))
    }

    async fn status(auth: Option<&str>) -> StatusCode {
        let mut request = Request::builder().uri("/x");
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        app()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
            .status()
    }

    #[tokio::test]
    async fn only_the_configured_bearer_token_passes() {
        assert_eq!(status(Some("Bearer t0ken")).await, StatusCode::OK);
        assert_eq!(status(Some("Bearer t0ke")).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status(Some("t0ken")).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status(None).await, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn an_empty_secret_never_matches() {
        assert!(!secrets_match("", &SecretString::from("")));
        assert!(secrets_match("abc", &SecretString::from("abc")));
        assert!(!secrets_match("abd", &SecretString::from("abc")));
    }
}
