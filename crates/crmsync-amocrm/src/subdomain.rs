//! Where the account lives: `GET /oauth2/account/subdomain` on the common domain names the account's current
//! subdomain, and a client whose account host stops answering (`401`/`404` after an admin renamed the account)
//! asks it once and follows the account to its new address, as amoCRM's PHP SDK documents.

use reqwest::{Method, Url};
use secrecy::SecretString;
use serde::Deserialize;

use crmsync_ports::CrmError;

use crate::client::{AmoCrmClient, Inner};
use crate::http::{Outgoing, SendError, Target};
use crate::{platform, problem};

/// The answer of `GET /oauth2/account/subdomain`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccountDomain {
    /// The account id.
    pub id: i64,
    /// The account's current subdomain (`example`).
    pub subdomain: String,
    /// Its host (`example.amocrm.ru`).
    pub domain: String,
    /// The top-level domain (`ru`, `com`).
    pub top_level_domain: String,
}

/// The path of the lookup on the common domain.
const LOOKUP_PATH: &str = "/oauth2/account/subdomain";

impl AmoCrmClient {
    /// Asks the common domain (`https://www.amocrm.ru`, see
    /// [`AmoCrmClientBuilder::common_domain`](crate::AmoCrmClientBuilder::common_domain)) where the account of this
    /// client's token lives now.
    pub async fn account_domain(&self) -> Result<AccountDomain, CrmError> {
        let bearer = self.inner.tokens.bearer(&self.inner.http).await?;
        lookup(&self.inner, &bearer).await
    }

    /// The base URL requests go to now: the configured one, or the account's new address after the client
    /// followed a subdomain change (persist it to skip the lookup on the next start).
    pub fn base_url(&self) -> String {
        self.inner
            .http
            .base()
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }
}

async fn lookup(inner: &Inner, bearer: &SecretString) -> Result<AccountDomain, CrmError> {
    let url = inner
        .http
        .common_base()
        .join(LOOKUP_PATH)
        .map_err(|e| CrmError::InvalidInput {
            field: "common_domain".into(),
            reason: e.to_string(),
        })?;
    let response = inner
        .http
        .send(Outgoing {
            method: &Method::GET,
            target: Target::Url(&url),
            body: None,
            bearer: Some(bearer),
            headers: &[],
        })
        .await
        .map_err(send_error)?;
    if response.status != 200 {
        return Err(problem::status_error(
            response.status,
            problem::parse(&response.body, response.status),
        ));
    }
    serde_json::from_slice(&response.body)
        .map_err(|e| crate::decode::decode_error(LOOKUP_PATH, &response.body, &e))
}

fn send_error(error: SendError) -> CrmError {
    match error {
        SendError::Blocked(detail) => CrmError::Blocked { detail },
        SendError::Paused(remaining) => CrmError::RateLimited {
            retry_after: Some(remaining),
        },
        SendError::TooLarge { limit } => CrmError::ResponseTooLarge {
            context: format!("GET {LOOKUP_PATH}"),
            limit,
        },
        SendError::NotSent(detail) | SendError::Lost(detail) => CrmError::Transport { detail },
    }
}

/// After a `401` or `404` from the account host: asks where the account lives and, when its subdomain is no
/// longer the one the base URL names, points the client and its clones at the new address. `true` when it
/// moved (the caller repeats its request once).
pub(crate) async fn follow(inner: &Inner, bearer: &SecretString) -> bool {
    let base = inner.http.base();
    let Some(host) = base.host_str().map(str::to_owned) else {
        return false;
    };
    if !platform::is_account_host(&host) {
        return false;
    }
    let Ok(found) = lookup(inner, bearer).await else {
        return false;
    };
    let Some(moved) = moved_base(&base, &found) else {
        return false;
    };
    tracing::info!(
        target: "crmsync_amocrm",
        "the amoCRM account moved to a new subdomain: requests follow it"
    );
    inner.http.set_base(moved);
    true
}

/// `base` with its subdomain replaced by the account's current one, when they differ.
fn moved_base(base: &Url, found: &AccountDomain) -> Option<Url> {
    let host = base.host_str()?;
    let (current, domain) = host.split_once('.')?;
    let subdomain = found.subdomain.trim().to_ascii_lowercase();
    if subdomain.is_empty() || current.eq_ignore_ascii_case(&subdomain) {
        return None;
    }
    let mut moved = base.clone();
    moved
        .set_host(Some(&format!("{subdomain}.{domain}")))
        .ok()?;
    platform::is_account_host(moved.host_str()?).then_some(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(subdomain: &str) -> AccountDomain {
        AccountDomain {
            id: 1,
            subdomain: subdomain.into(),
            domain: format!("{subdomain}.amocrm.ru"),
            top_level_domain: "ru".into(),
        }
    }

    #[test]
    fn the_base_keeps_scheme_port_and_domain_and_changes_its_subdomain_only() {
        let base = Url::parse("http://old.amocrm.ru:8123/").unwrap();
        let moved = moved_base(&base, &found("New")).unwrap();
        assert_eq!(moved.as_str(), "http://new.amocrm.ru:8123/");
        let kommo = Url::parse("https://old.kommo.com").unwrap();
        assert_eq!(
            moved_base(&kommo, &found("new")).unwrap().as_str(),
            "https://new.kommo.com/"
        );
    }

    #[test]
    fn an_unchanged_or_unusable_subdomain_moves_nothing() {
        let base = Url::parse("https://old.amocrm.ru").unwrap();
        assert_eq!(moved_base(&base, &found("old")), None);
        assert_eq!(moved_base(&base, &found("")), None);
        assert_eq!(moved_base(&base, &found("not a label")), None);
    }
}
