//! One API call with everything around it: bearer token, one refresh on `401`, following the account to a new
//! subdomain on `401`/`404`, waits on `429`, the block on `403`, and retries with backoff where a retry cannot
//! write anything twice.

use std::sync::atomic::Ordering;

use crmsync_ports::CrmError;
use reqwest::Method;

use crate::client::Inner;
use crate::http::{Outgoing, RawResponse, SendError, Target};
use crate::problem;
use crate::retry::backoff;

/// What a call does to the CRM's state, which decides what may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Reads nothing but state: always safe to repeat.
    Read,
    /// Sets fields to given values: repeating it gives the same state.
    Update,
    /// Creates entities: repeating it after the server may have acted would create duplicates.
    Create,
}

/// One request to send.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    pub(crate) body: Option<&'a [u8]>,
    pub(crate) effect: Effect,
    /// Whether a `504` should be handed back to be split (a batch of more than one entity).
    pub(crate) splittable: bool,
    /// Extra headers (`X-Context-User-ID`, `If-Modified-Since`).
    pub(crate) headers: &'a [(&'static str, String)],
}

/// Why a call produced no usable response.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A definite error.
    Crm(CrmError),
    /// A create was sent and its outcome is unknown.
    Undecided(String),
    /// `504` on a splittable batch: the batch was too large and was not processed.
    GatewayTimeout,
}

impl From<CrmError> for Failure {
    fn from(error: CrmError) -> Self {
        Self::Crm(error)
    }
}

/// Sends `call` until it succeeds or fails for good.
pub(crate) async fn execute(inner: &Inner, call: &Call<'_>) -> Result<RawResponse, Failure> {
    let retry = inner.retry;
    let mut bearer = inner.tokens.bearer(&inner.http).await?;
    let mut attempt = 1;
    let mut rate_limited = 0;
    let mut refreshed = false;
    let mut followed = false;
    loop {
        let sent = inner
            .http
            .send(Outgoing {
                method: &call.method,
                target: Target::Path(call.path),
                body: call.body,
                bearer: Some(&bearer),
                headers: call.headers,
            })
            .await;
        let failure = match sent {
            Ok(response) if (200..300).contains(&response.status) => return Ok(response),
            Ok(response) => {
                let status = response.status;
                let problem = problem::parse(&response.body, status);
                match status {
                    401 => {
                        if !refreshed
                            && let Some(fresh) = inner
                                .tokens
                                .after_unauthorized(&inner.http, &bearer)
                                .await?
                        {
                            bearer = fresh;
                            refreshed = true;
                            continue;
                        }
                        if !followed {
                            followed = true;
                            if crate::subdomain::follow(inner, &bearer).await {
                                continue;
                            }
                        }
                        return Err(CrmError::Unauthorized {
                            detail: problem.hint.unwrap_or(problem.detail),
                            reauthorize: true,
                        }
                        .into());
                    }
                    403 => {
                        inner.http.block(&problem.detail);
                        return Err(CrmError::Blocked {
                            detail: problem.detail,
                        }
                        .into());
                    }
                    429 => {
                        let wait = problem.retry_after.unwrap_or(retry.default_rate_limit_wait);
                        // Every clone holds back for as long as amoCRM asked, even when this call gives up.
                        inner.http.pause(wait).await;
                        if rate_limited >= retry.max_rate_limit_retries
                            || wait > retry.max_rate_limit_wait
                        {
                            return Err(CrmError::RateLimited {
                                retry_after: problem.retry_after,
                            }
                            .into());
                        }
                        rate_limited += 1;
                        continue;
                    }
                    404 if !followed => {
                        followed = true;
                        if crate::subdomain::follow(inner, &bearer).await {
                            continue;
                        }
                        return Err(problem::status_error(status, problem).into());
                    }
                    504 if call.splittable => return Err(Failure::GatewayTimeout),
                    500..=599 if call.effect == Effect::Create && status != 504 => {
                        return Err(Failure::Undecided(format!("HTTP {status}")));
                    }
                    500..=599 => problem::status_error(status, problem),
                    _ => return Err(problem::status_error(status, problem).into()),
                }
            }
            Err(SendError::Blocked(detail)) => return Err(CrmError::Blocked { detail }.into()),
            Err(SendError::Paused(remaining)) => {
                return Err(CrmError::RateLimited {
                    retry_after: Some(remaining),
                }
                .into());
            }
            Err(SendError::TooLarge { limit }) if call.effect == Effect::Create => {
                return Err(Failure::Undecided(format!(
                    "the answer exceeded the {limit}-byte response limit"
                )));
            }
            Err(SendError::TooLarge { limit }) => {
                return Err(CrmError::ResponseTooLarge {
                    context: format!("{} {}", call.method, path_only(call.path)),
                    limit,
                }
                .into());
            }
            Err(SendError::Lost(detail)) if call.effect == Effect::Create => {
                return Err(Failure::Undecided(detail));
            }
            Err(SendError::NotSent(detail) | SendError::Lost(detail)) => {
                CrmError::Transport { detail }
            }
        };
        if attempt >= retry.max_attempts {
            return Err(failure.into());
        }
        inner.http.counters.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(backoff(&retry, attempt)).await;
        attempt += 1;
    }
}

/// A request path without its query (which may carry a search term).
pub(crate) fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}
