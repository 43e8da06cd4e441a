//! Conversions between organisation values and their stored columns, shared by the SQL backends.

use crmsync_domain::org::{Tag, TagKind, TagRule, UserOpenId};
use crmsync_ports::StoreError;

/// The stored `rule` column of a tag: JSON for dynamic tags, `NULL` for static ones.
pub(crate) fn rule_column(kind: &TagKind) -> Result<Option<String>, StoreError> {
    kind.rule()
        .map(|rule| {
            serde_json::to_string(rule).map_err(|e| StoreError::Invalid {
                field: "tag.rule",
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// A stored tag row back as a [`Tag`].
pub(crate) fn tag_from_row(
    id: String,
    group_id: Option<String>,
    name: String,
    kind: &str,
    rule: Option<String>,
) -> Result<Tag, StoreError> {
    let kind = match (kind, rule) {
        ("static", None) => TagKind::Static,
        ("dynamic", Some(rule)) => TagKind::Dynamic {
            rule: serde_json::from_str::<TagRule>(&rule).map_err(|e| StoreError::Corrupt {
                what: "tag rule",
                reason: e.to_string(),
            })?,
        },
        (other, _) => {
            return Err(StoreError::Corrupt {
                what: "tag kind",
                reason: format!("{other:?} with a rule that does not fit it"),
            });
        }
    };
    Ok(Tag {
        id,
        group_id,
        name,
        kind,
    })
}

/// The two tables of `(platform, openid, username)` rows: the OpenIDs bound to users, and the losing claims of
/// OpenIDs several users claim (kept so an incremental run still sees both claimants).
#[derive(Debug, Clone, Copy)]
pub(crate) enum OpenIdTable {
    /// `officeflow_user_openids`.
    Bound,
    /// `officeflow_openid_conflicts`.
    ConflictClaims,
}

impl OpenIdTable {
    /// The table's name; a closed set, so it is safe to splice into SQL.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Bound => "officeflow_user_openids",
            Self::ConflictClaims => "officeflow_openid_conflicts",
        }
    }
}

/// Stored `(openid, username)` rows of `platform` back as [`UserOpenId`]s.
pub(crate) fn openids_from_rows(platform: &str, rows: Vec<(String, String)>) -> Vec<UserOpenId> {
    rows.into_iter()
        .map(|(openid, username)| UserOpenId {
            platform: platform.to_owned(),
            openid,
            username,
        })
        .collect()
}
