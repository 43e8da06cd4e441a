//! Reads whole listings from the platform page by page.

use std::future::Future;

use crmsync_domain::flow::{EngineEvent, ProcessInstance, TaskRecord};
use crmsync_domain::org::{
    Department, OrgUser, RemotePosition, RemoteTag, UserAttributes, UserOpenIds,
};
use crmsync_ports::{AttributeSource, FlowSource, OrgPage, OrgSource, SourceError};

/// Every page of a listing; a cursor that does not advance is a protocol error, not an endless loop.
async fn all<T, F, Fut>(endpoint: &str, mut next: F) -> Result<Vec<T>, SourceError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<OrgPage<T>, SourceError>>,
{
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = next(cursor.clone()).await?;
        items.extend(page.items);
        match page.next_cursor {
            None => return Ok(items),
            Some(next_cursor) if cursor.as_ref() == Some(&next_cursor) => {
                return Err(SourceError::Protocol {
                    endpoint: endpoint.to_owned(),
                    reason: format!("the cursor {next_cursor:?} did not advance"),
                });
            }
            Some(next_cursor) => cursor = Some(next_cursor),
        }
    }
}

pub(crate) async fn departments(source: &dyn OrgSource) -> Result<Vec<Department>, SourceError> {
    all("department/list", |cursor| source.departments(cursor)).await
}

pub(crate) async fn users(
    source: &dyn OrgSource,
    since: Option<i64>,
) -> Result<Vec<OrgUser>, SourceError> {
    all("user/list", |cursor| source.users(since, cursor)).await
}

pub(crate) async fn user_attributes(
    source: &dyn AttributeSource,
    since: Option<i64>,
) -> Result<Vec<UserAttributes>, SourceError> {
    all("user/list", |cursor| source.user_attributes(since, cursor)).await
}

pub(crate) async fn positions(source: &dyn OrgSource) -> Result<Vec<RemotePosition>, SourceError> {
    all("position/list", |cursor| source.positions(cursor)).await
}

pub(crate) async fn tags(source: &dyn OrgSource) -> Result<Vec<RemoteTag>, SourceError> {
    all("tag/list", |cursor| source.tags(cursor)).await
}

pub(crate) async fn tag_users(
    source: &dyn OrgSource,
    tag_id: &str,
) -> Result<Vec<String>, SourceError> {
    all("tag/users", |cursor| source.tag_users(tag_id, cursor)).await
}

pub(crate) async fn openids(
    source: &dyn OrgSource,
    platform: &str,
    since: Option<i64>,
) -> Result<Vec<UserOpenIds>, SourceError> {
    all("openid/list", |cursor| {
        source.user_openids(platform, since, cursor)
    })
    .await
}

pub(crate) async fn flow_instances(
    source: &dyn FlowSource,
    category: &str,
    since: Option<i64>,
) -> Result<Vec<ProcessInstance>, SourceError> {
    all("flow/instance/list", |cursor| {
        source.instances(category, since, cursor)
    })
    .await
}

pub(crate) async fn flow_tasks(
    source: &dyn FlowSource,
    category: &str,
    since: Option<i64>,
) -> Result<Vec<TaskRecord>, SourceError> {
    all("flow/task/list", |cursor| {
        source.tasks(category, since, cursor)
    })
    .await
}

pub(crate) async fn flow_events(
    source: &dyn FlowSource,
    category: &str,
    since: Option<i64>,
) -> Result<Vec<EngineEvent>, SourceError> {
    all("flow/event/list", |cursor| {
        source.events(category, since, cursor)
    })
    .await
}
