//! Pipelines (funnels) and their statuses (stages).

use serde::{Deserialize, Serialize};

use super::ids::{PipelineId, StatusId};

/// A status within a pipeline. Status ids 142 and 143 repeat in every pipeline, so a stage is only unique as
/// this pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StatusRef {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// The status in it.
    pub status_id: StatusId,
}

impl StatusRef {
    /// The stage `status_id` of `pipeline_id`.
    pub const fn new(pipeline_id: PipelineId, status_id: StatusId) -> Self {
        Self {
            pipeline_id,
            status_id,
        }
    }
}

/// What role a status plays in its pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusKind {
    /// The "incoming leads" (unsorted) system status.
    Incoming,
    /// An ordinary working stage.
    Regular,
    /// Closed - won (id 142).
    Won,
    /// Closed - lost (id 143).
    Lost,
}

/// A status (stage) of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Its id.
    pub id: StatusId,
    /// The pipeline it belongs to.
    pub pipeline_id: PipelineId,
    /// Its name.
    pub name: String,
    /// Display order.
    pub sort: i64,
    /// Its role.
    pub kind: StatusKind,
    /// Whether users may rename or delete it.
    pub is_editable: bool,
    /// Display colour (`#99ccff`).
    pub color: Option<String>,
}

impl Status {
    /// This status as a (pipeline, status) pair.
    pub const fn stage(&self) -> StatusRef {
        StatusRef::new(self.pipeline_id, self.id)
    }

    /// Whether leads here are closed (won or lost).
    pub const fn is_closed(&self) -> bool {
        matches!(self.kind, StatusKind::Won | StatusKind::Lost)
    }
}

/// A pipeline with its statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Its id.
    pub id: PipelineId,
    /// Its name.
    pub name: String,
    /// Display order.
    pub sort: i64,
    /// Whether it is the account's main pipeline.
    pub is_main: bool,
    /// Whether it is archived.
    pub is_archive: bool,
    /// Whether it has an "incoming leads" stage.
    pub is_unsorted_on: bool,
    /// Its statuses in display order.
    pub statuses: Vec<Status>,
}

impl Pipeline {
    /// The status with id `id`.
    pub fn status(&self, id: StatusId) -> Option<&Status> {
        self.statuses.iter().find(|s| s.id == id)
    }

    /// The first status with name `name` (exact match).
    pub fn status_named(&self, name: &str) -> Option<&Status> {
        self.statuses.iter().find(|s| s.name == name)
    }

    /// The stages where leads are still open.
    pub fn open_statuses(&self) -> impl Iterator<Item = &Status> {
        self.statuses.iter().filter(|s| !s.is_closed())
    }
}
