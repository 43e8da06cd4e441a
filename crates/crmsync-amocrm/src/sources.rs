//! Lead sources of the integration (`/api/v4/sources`): listed (by `external_id`), read, added, updated and
//! deleted.

use crmsync_ports::CrmError;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::call::Effect;
use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;
use crate::rest::{Ignored, Write, by_position};

/// A lead source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Source {
    /// Source id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// The pipeline its incoming leads go to.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub pipeline_id: Option<i64>,
    /// Your id of it (unique in the integration).
    #[serde(default, deserialize_with = "lenient::string")]
    pub external_id: String,
    /// Whether it is the integration's default source.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub default: bool,
    /// The origin code (chat channels).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub origin_code: Option<String>,
    /// Services (chat buttons and their pages), as sent.
    #[serde(default)]
    pub services: Value,
    /// The request id of an add or update answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
}

/// A source to add.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewSource {
    /// Name.
    pub name: String,
    /// Your id of it (unique in the integration).
    pub external_id: String,
    /// The pipeline its incoming leads go to (default: the main one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_id: Option<i64>,
    /// Whether it is the default source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// Services, as amoCRM documents them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Value>,
    /// Correlation key echoed back; the client assigns the index when `None`.
    #[serde(skip)]
    pub request_id: Option<String>,
}

impl NewSource {
    /// A source named `name` with your id `external_id`.
    pub fn new(name: impl Into<String>, external_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            external_id: external_id.into(),
            pipeline_id: None,
            default: None,
            services: None,
            request_id: None,
        }
    }
}

/// Changes to a source; `None` fields stay as they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SourceUpdate {
    /// The source.
    pub id: i64,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_id: Option<i64>,
    /// Default or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// New services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Value>,
}

impl AmoCrmClient {
    /// The integration's sources, all or those with the given `external_ids`.
    pub async fn sources(&self, external_ids: &[&str]) -> Result<Vec<Source>, CrmError> {
        let mut q = Query::default();
        q.list("filter[external_id]", external_ids);
        self.list_all("/api/v4/sources", &q, "sources", 250).await
    }

    /// One source, `None` when there is none.
    pub async fn source(&self, id: i64) -> Result<Option<Source>, CrmError> {
        self.get_typed(&format!("/api/v4/sources/{id}")).await
    }

    /// Adds sources (at most 100 per integration). A create whose outcome is unknown is `Ambiguous`.
    pub async fn add_sources(&self, sources: &[NewSource]) -> Result<Vec<Source>, CrmError> {
        if let Some(i) = sources
            .iter()
            .position(|s| s.name.trim().is_empty() || s.external_id.trim().is_empty())
        {
            return Err(CrmError::InvalidInput {
                field: format!("sources[{i}]"),
                reason: "a source needs a name and an external_id".into(),
            });
        }
        let rids = sources.iter().map(|s| s.request_id.clone());
        self.create_typed("/api/v4/sources", "sources", sources, rids)
            .await
    }

    /// Updates sources; answers them as saved.
    pub async fn update_sources(&self, updates: &[SourceUpdate]) -> Result<Vec<Source>, CrmError> {
        self.update_typed("/api/v4/sources", "sources", updates, |u| u.id.to_string())
            .await
    }

    /// Updates one source (`PATCH /api/v4/sources/{id}`).
    pub async fn update_source(&self, update: &SourceUpdate) -> Result<Source, CrmError> {
        let mut body = serde_json::to_value(update).map_err(|e| CrmError::InvalidInput {
            field: "source".into(),
            reason: e.to_string(),
        })?;
        if let Some(obj) = body.as_object_mut() {
            obj.remove("id");
        }
        let path = format!("/api/v4/sources/{}", update.id);
        self.send_typed(Method::PATCH, &path, Some(&body), Effect::Update)
            .await?
            .ok_or_else(|| CrmError::NotFound {
                detail: format!("PATCH {path}: no such source"),
            })
    }

    /// Deletes sources (`DELETE /api/v4/sources` with their ids).
    pub async fn delete_sources(&self, ids: &[i64]) -> Result<(), CrmError> {
        let bodies = ids.iter().map(|id| json!({ "id": id })).collect();
        let write = Write {
            method: Method::DELETE,
            path: "/api/v4/sources",
            key: "sources",
            effect: Effect::Update,
            by_id: false,
        };
        self.write_batch::<Ignored>(write, by_position(bodies))
            .await
            .map(drop)
    }

    /// Deletes one source (`DELETE /api/v4/sources/{id}`).
    pub async fn delete_source(&self, id: i64) -> Result<(), CrmError> {
        self.send_typed::<Ignored>(
            Method::DELETE,
            &format!("/api/v4/sources/{id}"),
            None,
            Effect::Update,
        )
        .await
        .map(drop)
    }
}
