//! The golden suite: response bodies in the shapes amoCRM's documentation shows (`tests/golden/`), decoded by the
//! client's own decoders and error readers.
#![allow(clippy::unwrap_used)]

use crmsync_domain::crm::{StatusId, TaskId};
use crmsync_ports::CrmError;

use crate::{decode, problem};

macro_rules! golden {
    ($file:literal) => {
        include_bytes!(concat!("../tests/golden/", $file))
    };
}

#[test]
fn a_documented_lead_decodes_with_null_fields_tags_and_company() {
    let lead = decode::lead(golden!("lead.json")).unwrap();
    assert_eq!(lead.id.0, 17657);
    assert_eq!(lead.name, "Тестовая сделка");
    assert_eq!(lead.status_id.map(|s| s.0), Some(2030));
    assert_eq!(lead.loss_reason_id, None);
    assert_eq!(lead.closed_at, None);
    assert_eq!(lead.tags.len(), 1);
    assert_eq!(
        lead.companies.iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![40401297]
    );
    assert_eq!(lead.account_id.map(|a| a.0), Some(115135));
    assert_eq!(lead.custom_fields.len(), 1);
}

#[test]
fn a_documented_contacts_page_keeps_its_next_link_path_and_null_custom_fields() {
    let page = decode::contacts_page(golden!("contacts_page.json")).unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(
        page.next.as_deref(),
        Some("/api/v4/contacts?limit=2&page=2")
    );
    assert!(page.items[0].custom_fields.is_empty());
    assert_eq!(page.items[1].custom_fields.phones(), vec!["+79123"]);
    assert_eq!(page.items[1].companies.len(), 1);
}

#[test]
fn the_documented_phone_with_an_enum_key_decodes() {
    let contact = decode::contact(golden!("contact_phone.json")).unwrap();
    assert_eq!(contact.custom_fields.phones(), vec!["+79123"]);
    assert_eq!(
        contact.leads.iter().map(|l| l.0).collect::<Vec<_>>(),
        vec![1]
    );
}

#[test]
fn documented_pipelines_keep_won_and_lost() {
    let pipelines = decode::pipelines(golden!("pipelines.json")).unwrap().items;
    assert_eq!(pipelines.len(), 1);
    assert!(pipelines[0].is_main);
    assert!(pipelines[0].status(StatusId::WON).unwrap().is_closed());
    assert!(pipelines[0].status(StatusId::LOST).unwrap().is_closed());
    assert_eq!(pipelines[0].statuses.len(), 4);
}

#[test]
fn a_documented_task_page_carries_its_result() {
    let tasks = decode::tasks_page(golden!("tasks_page.json")).unwrap();
    assert_eq!(tasks.next, None);
    let task = &tasks.items[0];
    assert_eq!(task.id, TaskId(56981));
    assert!(task.is_completed);
    assert_eq!(task.result_text.as_deref(), Some("Результат есть"));
}

#[test]
fn documented_write_answers_give_ids_by_request_id() {
    let written = decode::written(
        "POST /api/v4/leads",
        "leads",
        golden!("leads_added.json"),
        &["0".to_owned(), "1".to_owned()],
    )
    .unwrap();
    assert_eq!(
        written
            .iter()
            .map(|w| (w.id, w.request_ids.clone()))
            .collect::<Vec<_>>(),
        vec![
            (40401635, vec!["0".to_owned()]),
            (40401636, vec!["1".to_owned()])
        ]
    );
    let complex = decode::complex_created(
        golden!("complex_added.json"),
        &["0".to_owned(), "1".to_owned()],
    )
    .unwrap();
    assert_eq!(complex[0].contact_id.map(|c| c.0), Some(12117258));
    assert_eq!(complex[1].contact_id, None);
    assert!(complex[1].merged);
}

fn error(file: &[u8], status: u16) -> CrmError {
    problem::status_error(status, problem::parse(file, status))
}

#[test]
fn documented_error_bodies_become_typed_errors() {
    match error(golden!("validation_400.json"), 400) {
        CrmError::Validation { violations, .. } => {
            assert_eq!(violations.len(), 2);
            assert_eq!(violations[0].request_id.as_deref(), Some("0"));
            assert_eq!(violations[0].path, "custom_fields_values.0.field_id");
            assert_eq!(violations[1].code.as_deref(), Some("InvalidType"));
        }
        other => panic!("{other:?}"),
    }
    match error(golden!("empty_400.json"), 400) {
        CrmError::Validation { detail, violations } => {
            assert_eq!(detail, "Request data can not be empty");
            assert!(violations.is_empty());
        }
        other => panic!("{other:?}"),
    }
    match error(golden!("limit_422.json"), 422) {
        CrmError::Validation { detail, .. } => assert_eq!(detail, "Limit 250 per page"),
        other => panic!("{other:?}"),
    }
    match error(golden!("unauthorized_401.json"), 401) {
        CrmError::Unauthorized { detail, .. } => {
            assert_eq!(detail, "Invalid user name or password")
        }
        other => panic!("{other:?}"),
    }
    match error(golden!("oauth_revoked_401.json"), 401) {
        CrmError::Unauthorized { detail, .. } => assert_eq!(detail, "Token has been revoked"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        error(golden!("payment_402.json"), 402),
        CrmError::PaymentRequired
    ));
    match error(golden!("forbidden_403.html"), 403) {
        CrmError::Blocked { detail } => assert_eq!(detail, "HTTP 403: 403 Forbidden"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn documented_429_bodies_give_the_wait_or_none() {
    let json = problem::parse(golden!("too_many_429.json"), 429);
    assert_eq!(json.retry_after, Some(std::time::Duration::from_secs(300)));
    let html = problem::parse(golden!("too_many_429.html"), 429);
    assert_eq!(html.retry_after, None);
    assert_eq!(html.detail, "HTTP 429: 429 Too Many Requests");
}
