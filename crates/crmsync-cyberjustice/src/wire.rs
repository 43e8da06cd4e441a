//! The JSON bodies of the CyberJustice API and their translation into the port's values.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crmsync_ports::{
    CaseCard, CaseEvent, EventId, EventPage, MonitorId, MonitoredCase, MonitoredPage, Retrieval,
    SyncOutcome,
};
use serde::{Deserialize, Serialize};

/// A monitored entry as sent by the service.
#[derive(Debug, Deserialize)]
pub(crate) struct WireMonitored {
    id: i64,
    case_number: String,
    #[serde(default)]
    case_id: Option<String>,
    added_at: DateTime<Utc>,
    #[serde(default)]
    last_event_id: Option<i64>,
    #[serde(default)]
    last_event_at: Option<DateTime<Utc>>,
}

impl From<WireMonitored> for MonitoredCase {
    fn from(wire: WireMonitored) -> Self {
        Self {
            id: MonitorId(wire.id),
            case_number: wire.case_number,
            case_id: wire.case_id,
            added_at: wire.added_at,
            last_event_id: wire.last_event_id.map(EventId),
            last_event_at: wire.last_event_at,
        }
    }
}

/// `GET /api/v1/monitoring/cases`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireList {
    items: Vec<WireMonitored>,
    page: u32,
    #[serde(default)]
    pages: u32,
    #[serde(default)]
    total: u64,
    #[serde(default)]
    limit: Option<u32>,
}

impl From<WireList> for MonitoredPage {
    fn from(wire: WireList) -> Self {
        let next_page = (wire.page < wire.pages && !wire.items.is_empty()).then(|| wire.page + 1);
        Self {
            items: wire.items.into_iter().map(Into::into).collect(),
            next_page,
            total: wire.total,
            limit: wire.limit,
        }
    }
}

/// `POST /api/v1/cases/retrieve` request.
#[derive(Debug, Serialize)]
pub(crate) struct RetrieveRequest<'a> {
    pub(crate) case_number: &'a str,
    pub(crate) force: bool,
}

/// A case card.
#[derive(Debug, Deserialize)]
pub(crate) struct WireCard {
    case_id: String,
    case_number: String,
    #[serde(default)]
    court: Option<String>,
    #[serde(default)]
    judge: Option<String>,
    #[serde(default)]
    case_type: Option<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    last_event_id: Option<i64>,
}

/// `POST /api/v1/cases/retrieve` answer.
#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum WireRetrieval {
    Found {
        case: WireCard,
    },
    Accepted {
        #[serde(default)]
        retry_after_s: Option<u64>,
    },
    NotFound,
}

impl From<WireRetrieval> for Retrieval {
    fn from(wire: WireRetrieval) -> Self {
        match wire {
            WireRetrieval::Found { case } => Self::Found(CaseCard {
                case_id: case.case_id,
                case_number: case.case_number,
                court: case.court,
                judge: case.judge,
                case_type: case.case_type,
                started_at: case.started_at,
                last_event_id: case.last_event_id.map(EventId),
            }),
            WireRetrieval::Accepted { retry_after_s } => Self::Accepted {
                retry_after: retry_after_s.map(Duration::from_secs),
            },
            WireRetrieval::NotFound => Self::NotFound,
        }
    }
}

/// `PUT /api/v1/monitoring/cases` request.
#[derive(Debug, Serialize)]
pub(crate) struct SyncRequest {
    pub(crate) case_numbers: Vec<String>,
}

/// `PUT /api/v1/monitoring/cases` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct WireSync {
    added: u64,
    removed: u64,
    kept: u64,
    #[serde(default)]
    limit: Option<u32>,
    items: Vec<WireMonitored>,
}

impl From<WireSync> for SyncOutcome {
    fn from(wire: WireSync) -> Self {
        Self {
            added: wire.added,
            removed: wire.removed,
            kept: wire.kept,
            items: wire.items.into_iter().map(Into::into).collect(),
            limit: wire.limit,
        }
    }
}

/// One event.
#[derive(Debug, Deserialize)]
pub(crate) struct WireEvent {
    id: i64,
    date: DateTime<Utc>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    document_url: Option<String>,
}

/// `GET /api/v1/monitoring/cases/{id}/events`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireEvents {
    items: Vec<WireEvent>,
    #[serde(default)]
    has_more: bool,
}

impl From<WireEvents> for EventPage {
    fn from(wire: WireEvents) -> Self {
        Self {
            items: wire
                .items
                .into_iter()
                .map(|e| CaseEvent {
                    id: EventId(e.id),
                    date: e.date,
                    kind: e.kind,
                    description: e.description,
                    document_url: e.document_url,
                })
                .collect(),
            has_more: wire.has_more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_pages_point_to_the_next_until_the_last() {
        let body = r#"{"items":[{"id":1,"case_number":"А40-1/2020","case_id":null,
            "added_at":"2026-01-01T00:00:00Z","last_event_id":5,"last_event_at":"2026-01-02T00:00:00Z"}],
            "page":1,"per_page":1,"total":2,"pages":2,"limit":500}"#;
        let page: MonitoredPage = serde_json::from_str::<WireList>(body).unwrap().into();
        assert_eq!(page.next_page, Some(2));
        assert_eq!(page.limit, Some(500));
        assert_eq!(page.items[0].last_event_id, Some(EventId(5)));
        let last = r#"{"items":[],"page":3,"per_page":1,"total":2,"pages":2}"#;
        let page: MonitoredPage = serde_json::from_str::<WireList>(last).unwrap().into();
        assert_eq!(page.next_page, None);
    }

    #[test]
    fn retrieval_statuses_decode() {
        let found = r#"{"status":"found","case":{"case_id":"g","case_number":"А40-1/2020"}}"#;
        let accepted = r#"{"status":"accepted","retry_after_s":60}"#;
        let not_found = r#"{"status":"not_found"}"#;
        let decode = |s: &str| Retrieval::from(serde_json::from_str::<WireRetrieval>(s).unwrap());
        assert_eq!(decode(found).status(), "found");
        assert_eq!(
            decode(accepted),
            Retrieval::Accepted {
                retry_after: Some(Duration::from_secs(60))
            }
        );
        assert_eq!(decode(not_found), Retrieval::NotFound);
        assert!(serde_json::from_str::<WireRetrieval>(r#"{"status":"maybe"}"#).is_err());
    }
}
