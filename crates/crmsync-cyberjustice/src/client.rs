//! `CyberJusticeClient`: the [`MonitorApi`] adapter.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use crmsync_domain::CaseNumber;
use crmsync_ports::{
    EventPage, EventsSince, MonitorApi, MonitorError, MonitorId, MonitoredPage, Retrieval,
    SyncOutcome,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::config::{ConfigError, CyberJusticeConfig};
use crate::transport::{Answer, Call, Transport};
use crate::wire;

const CASES: &str = "/api/v1/monitoring/cases";
const RETRIEVE: &str = "/api/v1/cases/retrieve";

/// The CyberJustice client. Cheap to share behind an `Arc`; one limiter paces every call made through it.
pub struct CyberJusticeClient {
    transport: Transport,
    page_size: u32,
}

impl std::fmt::Debug for CyberJusticeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CyberJusticeClient")
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl CyberJusticeClient {
    /// A client for `config` (validated first).
    pub fn new(config: CyberJusticeConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            transport: Transport::new(&config)?,
            page_size: config.page_size,
        })
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.transport.counters.sent.load(Ordering::Relaxed)
    }

    /// Of those, how many were retries.
    pub fn retries(&self) -> u64 {
        self.transport.counters.retried.load(Ordering::Relaxed)
    }

    async fn json<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
        accept: &[StatusCode],
    ) -> Result<(StatusCode, T), MonitorError> {
        let context = format!("{} {}", call.method, call.path);
        let Answer { status, body } = self.transport.send(&call, accept).await?;
        let decoded = serde_json::from_slice(&body).map_err(|e| MonitorError::Decode {
            context,
            detail: e.to_string(),
        })?;
        Ok((status, decoded))
    }
}

#[async_trait]
impl MonitorApi for CyberJusticeClient {
    async fn list_monitored(&self, page: u32) -> Result<MonitoredPage, MonitorError> {
        let call = Call {
            method: Method::GET,
            path: CASES,
            query: vec![
                ("page", page.max(1).to_string()),
                ("per_page", self.page_size.to_string()),
            ],
            body: None,
        };
        let (_, list) = self.json::<wire::WireList>(call, &[]).await?;
        Ok(list.into())
    }

    async fn delete_monitored(&self, id: MonitorId) -> Result<bool, MonitorError> {
        let path = format!("{CASES}/{id}");
        let call = Call {
            method: Method::DELETE,
            path: &path,
            query: Vec::new(),
            body: None,
        };
        let answer = self.transport.send(&call, &[StatusCode::NOT_FOUND]).await?;
        Ok(answer.status != StatusCode::NOT_FOUND)
    }

    async fn retrieve(&self, number: &CaseNumber, force: bool) -> Result<Retrieval, MonitorError> {
        let canonical = number.canonical();
        let body = serde_json::to_value(wire::RetrieveRequest {
            case_number: &canonical,
            force,
        })
        .map_err(|e| MonitorError::InvalidInput {
            field: "case_number".into(),
            reason: e.to_string(),
        })?;
        let call = Call {
            method: Method::POST,
            path: RETRIEVE,
            query: Vec::new(),
            body: Some(body),
        };
        let (_, answer) = self.json::<wire::WireRetrieval>(call, &[]).await?;
        Ok(answer.into())
    }

    async fn sync_cases(&self, numbers: &[CaseNumber]) -> Result<SyncOutcome, MonitorError> {
        let body = serde_json::to_value(wire::SyncRequest {
            case_numbers: numbers.iter().map(CaseNumber::canonical).collect(),
        })
        .map_err(|e| MonitorError::InvalidInput {
            field: "case_numbers".into(),
            reason: e.to_string(),
        })?;
        let call = Call {
            method: Method::PUT,
            path: CASES,
            query: Vec::new(),
            body: Some(body),
        };
        let (_, outcome) = self.json::<wire::WireSync>(call, &[]).await?;
        Ok(outcome.into())
    }

    async fn case_events(
        &self,
        id: MonitorId,
        since: EventsSince,
        limit: u32,
    ) -> Result<EventPage, MonitorError> {
        if !(1..=500).contains(&limit) {
            return Err(MonitorError::InvalidInput {
                field: "limit".into(),
                reason: "must be between 1 and 500".into(),
            });
        }
        let path = format!("{CASES}/{id}/events");
        let mut query = vec![("limit", limit.to_string())];
        match since {
            EventsSince::After(event) => query.push(("after", event.to_string())),
            EventsSince::Date(date) => query.push((
                "since",
                date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )),
        }
        let call = Call {
            method: Method::GET,
            path: &path,
            query,
            body: None,
        };
        let (_, events) = self.json::<wire::WireEvents>(call, &[]).await?;
        Ok(events.into())
    }
}
