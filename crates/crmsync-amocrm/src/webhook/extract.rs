//! An axum extractor for amoCRM deliveries: the route's last path segment is the secret, checked in constant time
//! against [`WebhookSecret`] from the router state; the body is read up to [`MAX_BODY_BYTES`] and parsed.
//!
//! ```no_run
//! use axum::{Router, extract::FromRef, routing::post};
//! use crmsync_amocrm::webhook::extract::{AmoWebhook, WebhookSecret};
//!
//! #[derive(Clone)]
//! struct AppState { secret: WebhookSecret }
//!
//! impl FromRef<AppState> for WebhookSecret {
//!     fn from_ref(state: &AppState) -> Self { state.secret.clone() }
//! }
//!
//! async fn hook(AmoWebhook(events): AmoWebhook) -> &'static str {
//!     // queue `events`; answer within 2 seconds
//!     let _ = events;
//!     "ok"
//! }
//!
//! let app: Router = Router::new()
//!     .route("/amocrm/hook/{secret}", post(hook))
//!     .with_state(AppState { secret: WebhookSecret("s3cret-from-config".into()) });
//! ```

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;

use super::{MAX_BODY_BYTES, WebhookError, WebhookEvent, parse, verify};

/// The secret deliveries must present as the last path segment.
#[derive(Clone)]
pub struct WebhookSecret(pub SecretString);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// The events of a verified delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct AmoWebhook(pub Vec<WebhookEvent>);

/// Why a delivery was refused: `404` for a wrong secret (nothing revealed), `413` for a body over the limit,
/// `400` naming the problem (keys, never values) otherwise.
#[derive(Debug)]
pub struct WebhookRejection(pub WebhookError);

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let status = match self.0 {
            WebhookError::WrongSecret => return StatusCode::NOT_FOUND.into_response(),
            WebhookError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        (status, self.0.to_string()).into_response()
    }
}

impl<S> FromRequest<S> for AmoWebhook
where
    WebhookSecret: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let secret = WebhookSecret::from_ref(state);
        let presented = request
            .uri()
            .path()
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        verify(&presented, &secret.0).map_err(WebhookRejection)?;
        let body = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                WebhookRejection(WebhookError::TooLarge {
                    size: MAX_BODY_BYTES + 1,
                    limit: MAX_BODY_BYTES,
                })
            })?;
        parse(&body).map(AmoWebhook).map_err(WebhookRejection)
    }
}
