//! Tasks beyond the port's list and add: one task by id, updates (batch and single) and completion with a
//! result (`is_completed` plus `result.text`, as amoCRM records a closed task).

use chrono::{DateTime, Utc};
use crmsync_domain::crm::{EntityRef, Task, TaskId, TaskTypeId, UserId};
use crmsync_ports::CrmError;
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::call::Effect;
use crate::client::AmoCrmClient;
use crate::decode;
use crate::rest::{IdOnly, Ignored};

/// Changes to one task; `None` fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskUpdate {
    /// The task.
    pub id: TaskId,
    /// New text.
    pub text: Option<String>,
    /// New deadline.
    pub complete_till: Option<DateTime<Utc>>,
    /// New entity it is about.
    pub entity: Option<EntityRef>,
    /// New responsible user.
    pub responsible_user_id: Option<UserId>,
    /// New type.
    pub task_type_id: Option<TaskTypeId>,
    /// New duration in seconds.
    pub duration_s: Option<i64>,
    /// Done or reopened.
    pub is_completed: Option<bool>,
    /// The result text (amoCRM shows it on the closed task).
    pub result_text: Option<String>,
}

impl TaskUpdate {
    /// Completes task `id` with the result `text`.
    pub fn complete(id: TaskId, text: impl Into<String>) -> Self {
        Self {
            id,
            is_completed: Some(true),
            result_text: Some(text.into()),
            ..Self::default()
        }
    }

    fn body(&self, at: &str, with_id: bool) -> Result<Map<String, Value>, CrmError> {
        let mut map = Map::new();
        if with_id {
            map.insert("id".into(), json!(self.id.0));
        }
        if let Some(text) = &self.text {
            if text.trim().is_empty() {
                return Err(CrmError::InvalidInput {
                    field: format!("{at}.text"),
                    reason: "a task's text cannot be blank".into(),
                });
            }
            map.insert("text".into(), json!(text));
        }
        if let Some(till) = self.complete_till {
            map.insert("complete_till".into(), json!(till.timestamp()));
        }
        if let Some(entity) = self.entity {
            map.insert("entity_id".into(), json!(entity.id));
            map.insert("entity_type".into(), json!(entity.kind.api_name()));
        }
        if let Some(user) = self.responsible_user_id {
            map.insert("responsible_user_id".into(), json!(user.0));
        }
        if let Some(kind) = self.task_type_id {
            map.insert("task_type_id".into(), json!(kind.0));
        }
        if let Some(duration) = self.duration_s {
            map.insert("duration".into(), json!(duration));
        }
        if let Some(done) = self.is_completed {
            map.insert("is_completed".into(), json!(done));
        }
        if let Some(result) = &self.result_text {
            map.insert("result".into(), json!({ "text": result }));
        }
        if map.len() <= usize::from(with_id) {
            return Err(CrmError::InvalidInput {
                field: at.to_owned(),
                reason: "nothing to change".into(),
            });
        }
        Ok(map)
    }
}

impl AmoCrmClient {
    /// One task (`GET /api/v4/tasks/{id}`), `None` when there is none.
    pub async fn task(&self, id: TaskId) -> Result<Option<Task>, CrmError> {
        self.one(&format!("/api/v4/tasks/{}", id.0), &decode::task)
            .await
    }

    /// Updates tasks (`PATCH /api/v4/tasks`), chunked; returns the ids updated.
    pub async fn update_tasks(&self, updates: &[TaskUpdate]) -> Result<Vec<TaskId>, CrmError> {
        let items: Vec<Value> = updates
            .iter()
            .enumerate()
            .map(|(i, u)| u.body(&format!("tasks[{i}]"), true).map(Value::Object))
            .collect::<Result<_, _>>()?;
        let done: Vec<IdOnly> = self
            .update_typed("/api/v4/tasks", "tasks", &items, |v| {
                v.get("id").map(Value::to_string).unwrap_or_default()
            })
            .await?;
        Ok(done.into_iter().map(|d| TaskId(d.id)).collect())
    }

    /// Updates one task (`PATCH /api/v4/tasks/{id}`).
    pub async fn update_task(&self, update: &TaskUpdate) -> Result<(), CrmError> {
        let body = Value::Object(update.body("task", false)?);
        let path = format!("/api/v4/tasks/{}", update.id.0);
        self.send_typed::<Ignored>(Method::PATCH, &path, Some(&body), Effect::Update)
            .await
            .map(drop)
    }

    /// Completes task `id` with the result `text`.
    pub async fn complete_task(&self, id: TaskId, text: &str) -> Result<(), CrmError> {
        self.update_task(&TaskUpdate::complete(id, text)).await
    }

    /// Completes several tasks, each with its result text, in batches.
    pub async fn complete_tasks(
        &self,
        results: &[(TaskId, String)],
    ) -> Result<Vec<TaskId>, CrmError> {
        let updates: Vec<TaskUpdate> = results
            .iter()
            .map(|(id, text)| TaskUpdate::complete(*id, text.clone()))
            .collect();
        self.update_tasks(&updates).await
    }
}
