//! Pipelines and their statuses beyond the port's list: one pipeline, add (with statuses), change, delete; a
//! pipeline's statuses, one status, add, change, delete. At most 50 pipelines and 100 statuses each.

use crmsync_ports::CrmError;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::call::Effect;
use crate::catalogs::without_id;
use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;
use crate::rest::Ignored;

/// A status (stage) of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Stage {
    /// Status id (142 won and 143 lost in every pipeline).
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Sort order.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub sort: i64,
    /// Whether it can be edited.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_editable: bool,
    /// Its pipeline.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub pipeline_id: i64,
    /// Colour (`#99ccff`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub color: Option<String>,
    /// 1 for "incoming leads", 0 otherwise.
    #[serde(rename = "type", default, deserialize_with = "lenient::i64_or_zero")]
    pub status_type: i64,
    /// The request id of an add answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
struct Statuses {
    #[serde(default, deserialize_with = "lenient::list")]
    statuses: Vec<Stage>,
}

/// A pipeline with its statuses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PipelineInfo {
    /// Pipeline id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Sort order.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub sort: i64,
    /// Whether it is the main pipeline.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_main: bool,
    /// Whether incoming leads ("unsorted") are on.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_unsorted_on: bool,
    /// Whether it is archived.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_archive: bool,
    /// The request id of an add answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
    #[serde(default, rename = "_embedded", deserialize_with = "lenient::object")]
    embedded: Statuses,
}

impl PipelineInfo {
    /// Its statuses in sort order.
    pub fn statuses(&self) -> &[Stage] {
        &self.embedded.statuses
    }
}

/// A status to add or the new values of one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StageInput {
    /// Name (required to add).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
    /// Colour (`#fffeb2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Correlation key echoed back on add; the client assigns the index when `None`.
    #[serde(skip)]
    pub request_id: Option<String>,
}

impl StageInput {
    /// A status named `name` at `sort`.
    pub fn new(name: impl Into<String>, sort: i64) -> Self {
        Self {
            name: Some(name.into()),
            sort: Some(sort),
            ..Self::default()
        }
    }
}

/// A pipeline to add.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewPipeline {
    /// Name.
    pub name: String,
    /// Sort order.
    pub sort: Option<i64>,
    /// Make it the main pipeline.
    pub is_main: bool,
    /// Turn incoming leads on.
    pub is_unsorted_on: bool,
    /// Its open statuses (142/143 are added by amoCRM).
    pub statuses: Vec<StageInput>,
    /// Correlation key echoed back; the client assigns the index when `None`.
    pub request_id: Option<String>,
}

/// Changes to a pipeline; `None` fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PipelineUpdate {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
    /// Make it the main pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_main: Option<bool>,
    /// Incoming leads on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_unsorted_on: Option<bool>,
}

const PATH: &str = "/api/v4/leads/pipelines";

fn not_found(path: &str) -> CrmError {
    CrmError::NotFound {
        detail: format!("{path}: no such pipeline or status"),
    }
}

impl AmoCrmClient {
    /// One pipeline with its statuses, `None` when there is none.
    pub async fn pipeline(&self, id: i64) -> Result<Option<PipelineInfo>, CrmError> {
        self.get_typed(&format!("{PATH}/{id}")).await
    }

    /// Adds pipelines with their statuses. A create whose outcome is unknown is `Ambiguous`.
    pub async fn add_pipelines(
        &self,
        pipelines: &[NewPipeline],
    ) -> Result<Vec<PipelineInfo>, CrmError> {
        let bodies = pipelines
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if p.name.trim().is_empty() || p.statuses.is_empty() {
                    return Err(CrmError::InvalidInput {
                        field: format!("pipelines[{i}]"),
                        reason: "a pipeline needs a name and at least one status".into(),
                    });
                }
                let mut body = json!({
                    "name": p.name,
                    "is_main": p.is_main,
                    "is_unsorted_on": p.is_unsorted_on,
                    "_embedded": { "statuses": p.statuses },
                });
                if let Some(sort) = p.sort {
                    body["sort"] = json!(sort);
                }
                match body {
                    Value::Object(map) => Ok(map),
                    _ => Err(CrmError::InvalidInput {
                        field: format!("pipelines[{i}]"),
                        reason: "not an object".into(),
                    }),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rids = pipelines.iter().map(|p| p.request_id.clone());
        self.create_bodies(PATH, "pipelines", bodies, rids).await
    }

    /// Changes a pipeline.
    pub async fn update_pipeline(
        &self,
        id: i64,
        update: &PipelineUpdate,
    ) -> Result<PipelineInfo, CrmError> {
        let path = format!("{PATH}/{id}");
        self.send_typed(
            Method::PATCH,
            &path,
            Some(&without_id(update)?),
            Effect::Update,
        )
        .await?
        .ok_or_else(|| not_found(&path))
    }

    /// Deletes a pipeline (not the main one).
    pub async fn delete_pipeline(&self, id: i64) -> Result<(), CrmError> {
        self.send_typed::<Ignored>(
            Method::DELETE,
            &format!("{PATH}/{id}"),
            None,
            Effect::Update,
        )
        .await
        .map(drop)
    }

    /// A pipeline's statuses.
    pub async fn stages(&self, pipeline_id: i64) -> Result<Vec<Stage>, CrmError> {
        let path = format!("{PATH}/{pipeline_id}/statuses");
        self.list_all(&path, &Query::default(), "statuses", 250)
            .await
    }

    /// One status, `None` when there is none.
    pub async fn stage(&self, pipeline_id: i64, id: i64) -> Result<Option<Stage>, CrmError> {
        self.get_typed(&format!("{PATH}/{pipeline_id}/statuses/{id}"))
            .await
    }

    /// Adds statuses to a pipeline. A create whose outcome is unknown is `Ambiguous`.
    pub async fn add_stages(
        &self,
        pipeline_id: i64,
        stages: &[StageInput],
    ) -> Result<Vec<Stage>, CrmError> {
        if let Some(i) = stages
            .iter()
            .position(|s| s.name.as_deref().is_none_or(|n| n.trim().is_empty()))
        {
            return Err(CrmError::InvalidInput {
                field: format!("statuses[{i}].name"),
                reason: "a status needs a name".into(),
            });
        }
        let path = format!("{PATH}/{pipeline_id}/statuses");
        let rids = stages.iter().map(|s| s.request_id.clone());
        self.create_typed(&path, "statuses", stages, rids).await
    }

    /// Changes a status (only the name of 142/143).
    pub async fn update_stage(
        &self,
        pipeline_id: i64,
        id: i64,
        stage: &StageInput,
    ) -> Result<Stage, CrmError> {
        let path = format!("{PATH}/{pipeline_id}/statuses/{id}");
        let body = serde_json::to_value(stage).map_err(|e| CrmError::InvalidInput {
            field: "status".into(),
            reason: e.to_string(),
        })?;
        self.send_typed(Method::PATCH, &path, Some(&body), Effect::Update)
            .await?
            .ok_or_else(|| not_found(&path))
    }

    /// Deletes a status (not a system one).
    pub async fn delete_stage(&self, pipeline_id: i64, id: i64) -> Result<(), CrmError> {
        let path = format!("{PATH}/{pipeline_id}/statuses/{id}");
        self.send_typed::<Ignored>(Method::DELETE, &path, None, Effect::Update)
            .await
            .map(drop)
    }
}
