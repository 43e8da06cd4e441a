//! The `FlowSource` listings of [`OfficeflowClient`]: process instances, tasks and engine events per category.

use async_trait::async_trait;
use crmsync_domain::flow::{EngineEvent, ProcessInstance, TaskRecord};
use crmsync_ports::{FlowSource, OrgPage, SourceError};

use crate::OfficeflowClient;
use crate::flow_wire::{EventPage, InstancePage, TaskPage};

impl OfficeflowClient {
    fn flow_query(
        &self,
        category: &str,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Vec<(&'static str, String)> {
        let mut query = self.page_query(cursor);
        query.push(("category", category.to_owned()));
        if let Some(since) = updated_since {
            query.push(("updated_since", since.to_string()));
        }
        query
    }
}

fn protocol(endpoint: &str) -> impl Fn(String) -> SourceError + '_ {
    move |reason| SourceError::Protocol {
        endpoint: endpoint.to_owned(),
        reason,
    }
}

#[async_trait]
impl FlowSource for OfficeflowClient {
    async fn instances(
        &self,
        category: &str,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<ProcessInstance>, SourceError> {
        const ENDPOINT: &str = "flow/instance/list";
        let query = self.flow_query(category, updated_since, cursor);
        let page: InstancePage = self.get(ENDPOINT, &query).await?;
        page.into_page(category).map_err(protocol(ENDPOINT))
    }

    async fn tasks(
        &self,
        category: &str,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<TaskRecord>, SourceError> {
        const ENDPOINT: &str = "flow/task/list";
        let query = self.flow_query(category, updated_since, cursor);
        let page: TaskPage = self.get(ENDPOINT, &query).await?;
        page.into_page().map_err(protocol(ENDPOINT))
    }

    async fn events(
        &self,
        category: &str,
        since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<EngineEvent>, SourceError> {
        const ENDPOINT: &str = "flow/event/list";
        let query = self.flow_query(category, since, cursor);
        let page: EventPage = self.get(ENDPOINT, &query).await?;
        page.into_page().map_err(protocol(ENDPOINT))
    }
}
