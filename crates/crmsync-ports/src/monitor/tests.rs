//! Tests of the paging helpers of `MonitorApi`.

use chrono::{TimeZone, Utc};
use mockall::predicate::eq;

use super::*;

fn entry(id: i64) -> MonitoredCase {
    MonitoredCase {
        id: MonitorId(id),
        case_number: format!("А40-{id}/2020"),
        case_id: None,
        added_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        last_event_id: None,
        last_event_at: None,
    }
}

fn event(id: i64) -> CaseEvent {
    CaseEvent {
        id: EventId(id),
        date: Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap(),
        kind: "Определение".into(),
        description: None,
        document_url: None,
    }
}

#[tokio::test]
async fn all_monitored_follows_every_page_and_keeps_the_limit() {
    let mut api = MockMonitorApi::new();
    api.expect_list_monitored()
        .with(eq(1))
        .times(1)
        .returning(|_| {
            Ok(MonitoredPage {
                items: vec![entry(1), entry(2)],
                next_page: Some(2),
                total: 3,
                limit: Some(500),
            })
        });
    api.expect_list_monitored()
        .with(eq(2))
        .times(1)
        .returning(|_| {
            Ok(MonitoredPage {
                items: vec![entry(3)],
                next_page: None,
                total: 3,
                limit: None,
            })
        });
    let (all, limit) = api.all_monitored().await.unwrap();
    let ids: Vec<i64> = all.iter().map(|e| e.id.0).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(limit, Some(500));
}

#[tokio::test]
async fn all_monitored_stops_on_a_page_that_does_not_advance() {
    let mut api = MockMonitorApi::new();
    api.expect_list_monitored().times(1).returning(|_| {
        Ok(MonitoredPage {
            items: vec![entry(1)],
            next_page: Some(1),
            total: 1,
            limit: None,
        })
    });
    let (all, _) = api.all_monitored().await.unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn events_since_continues_after_the_last_event_of_each_page() {
    let mut api = MockMonitorApi::new();
    let start = EventsSince::After(EventId(10));
    api.expect_case_events()
        .with(eq(MonitorId(7)), eq(start), eq(EVENTS_PER_PAGE))
        .times(1)
        .returning(|_, _, _| {
            Ok(EventPage {
                items: vec![event(11), event(12)],
                has_more: true,
            })
        });
    api.expect_case_events()
        .with(
            eq(MonitorId(7)),
            eq(EventsSince::After(EventId(12))),
            eq(EVENTS_PER_PAGE),
        )
        .times(1)
        .returning(|_, _, _| {
            Ok(EventPage {
                items: vec![event(13)],
                has_more: false,
            })
        });
    let events = api.events_since(MonitorId(7), start).await.unwrap();
    let ids: Vec<i64> = events.iter().map(|e| e.id.0).collect();
    assert_eq!(ids, [11, 12, 13]);
}

#[test]
fn only_service_trouble_is_transient() {
    assert!(
        MonitorError::Server {
            status: 503,
            detail: String::new()
        }
        .is_transient()
    );
    assert!(MonitorError::RateLimited { retry_after: None }.is_transient());
    assert!(
        !MonitorError::LimitExceeded {
            limit: 500,
            requested: 501
        }
        .is_transient()
    );
    assert!(
        !MonitorError::Unauthorized {
            detail: String::new()
        }
        .is_transient()
    );
    let message = MonitorError::UnknownCases {
        case_numbers: (1..=12).map(|n| format!("А40-{n}/2020")).collect(),
    }
    .to_string();
    assert!(
        message.contains("12 case(s)") && message.contains("2 more"),
        "{message}"
    );
}
