//! Named API tokens with roles (`viewer` < `operator` < `admin`) and the audit of every state-changing call.

use std::fmt;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use crmsync_cli::http::secrets_match;
use crmsync_domain::ProcessId;
use crmsync_ports::{AuditEntry, AuditLog, AuditOutcome};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::i18n::{Lang, args, tr};

/// What a token may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Preview, list, show, export.
    Viewer,
    /// Also start, step, finish and resume runs.
    Operator,
    /// Also abort runs, delete a run's unused coupons and read the audit.
    Admin,
}

impl Role {
    /// `viewer`, `operator`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One configured token (`[[serve.tokens]]`).
#[derive(Clone)]
pub struct NamedToken {
    /// Shown in the audit and in errors; never the secret.
    pub name: String,
    /// The bearer secret.
    pub token: SecretString,
    /// What it may do.
    pub role: Role,
}

impl fmt::Debug for NamedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedToken")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Who made a request: the matching token's name and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

impl Caller {
    /// How the audit names the caller: `token:NAME`.
    pub fn actor(&self) -> String {
        format!("token:{}", self.name)
    }
}

/// The tokens a server accepts.
#[derive(Debug, Clone)]
pub struct Tokens(Arc<Vec<NamedToken>>);

impl Tokens {
    /// Accepts `tokens`.
    pub fn new(tokens: Vec<NamedToken>) -> Self {
        Self(Arc::new(tokens))
    }

    /// The caller whose token is `given`; every token is compared, each in constant time.
    pub fn caller(&self, given: &str) -> Option<Caller> {
        let mut found = None;
        for named in self.0.iter() {
            if secrets_match(given, &named.token) && found.is_none() {
                found = Some(Caller {
                    name: named.name.clone(),
                    role: named.role,
                });
            }
        }
        found
    }
}

/// Rejects requests without a known `Authorization: Bearer <token>` (401, in the reader's language); others
/// carry their [`Caller`] as a request extension.
pub async fn authenticate(
    State(tokens): State<Tokens>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|given| tokens.caller(given));
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => {
            let lang = crate::serve::request_lang(request.uri(), request.headers());
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({"error": "unauthorized", "message": tr(lang, "error-unauthorized", &[])})),
            )
                .into_response()
        }
    }
}

/// The 403 text: which role is needed, which the token has.
pub fn forbidden_text(lang: Lang, caller: &Caller, needed: Role) -> String {
    tr(
        lang,
        "error-forbidden",
        args![
            "role" => tr(lang, &format!("role-{needed}"), &[]),
            "name" => caller.name,
            "has" => tr(lang, &format!("role-{}", caller.role), &[]),
        ],
    )
}

/// Writes audit entries; a failed write is logged and does not undo the call it describes.
#[derive(Clone)]
pub struct Auditor {
    log: Arc<dyn AuditLog>,
}

impl Auditor {
    /// Entries go to `log`.
    pub fn new(log: Arc<dyn AuditLog>) -> Self {
        Self { log }
    }

    /// Records that `actor` did `action` on `process` with `outcome` (`detail`: the error or the missing role).
    pub async fn record(
        &self,
        actor: String,
        action: &str,
        process: Option<ProcessId>,
        outcome: AuditOutcome,
        detail: Option<String>,
    ) {
        let entry = AuditEntry {
            at: Utc::now(),
            actor,
            action: action.to_owned(),
            process,
            outcome,
            detail,
        };
        if let Err(error) = self.log.record(&entry).await {
            tracing::error!(%error, action, "the audit entry could not be written");
        }
    }
}

/// How the audit names the operating-system user running the command line: `user:NAME`.
pub fn os_actor(var: impl Fn(&str) -> Option<String>) -> String {
    let name = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|n| var(n).filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned());
    format!("user:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(vec![
            NamedToken {
                name: "shop".into(),
                token: SecretString::from("s3cret-op"),
                role: Role::Operator,
            },
            NamedToken {
                name: "boss".into(),
                token: SecretString::from("s3cret-admin"),
                role: Role::Admin,
            },
        ])
    }

    #[test]
    fn a_token_names_its_caller_and_role() {
        let tokens = tokens();
        assert_eq!(
            tokens.caller("s3cret-admin"),
            Some(Caller {
                name: "boss".into(),
                role: Role::Admin
            })
        );
        assert_eq!(
            tokens.caller("s3cret-op").map(|c| c.role),
            Some(Role::Operator)
        );
        assert_eq!(tokens.caller("s3cret"), None);
        assert_eq!(tokens.caller(""), None);
    }

    #[test]
    fn roles_include_the_lower_ones_and_errors_name_the_missing_one() {
        assert!(Role::Admin > Role::Operator && Role::Operator > Role::Viewer);
        let caller = Caller {
            name: "витрина".into(),
            role: Role::Viewer,
        };
        assert_eq!(
            forbidden_text(Lang::En, &caller, Role::Admin),
            "this needs the admin role; token `витрина` has the viewer role"
        );
        assert_eq!(
            forbidden_text(Lang::Ru, &caller, Role::Operator),
            "для этого нужна роль operator (оператор); у токена `витрина` роль viewer (просмотр)"
        );
    }

    #[test]
    fn the_os_user_is_the_command_line_actor() {
        let env = |name: &str| (name == "LOGNAME").then(|| "anna".to_owned());
        assert_eq!(os_actor(env), "user:anna");
        assert_eq!(os_actor(|_| None), "user:unknown");
    }
}
