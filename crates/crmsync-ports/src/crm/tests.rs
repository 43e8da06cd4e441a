//! Tests of the paging helpers and error helpers, driven through the mockall mock of the port.

use crmsync_domain::crm::{ContactId, LeadId};
use mockall::predicate::eq;

use super::*;

fn lead(id: i64) -> Lead {
    Lead {
        id: LeadId(id),
        name: format!("lead {id}"),
        price: None,
        pipeline_id: None,
        status_id: None,
        responsible_user_id: None,
        created_by: None,
        updated_by: None,
        created_at: None,
        updated_at: None,
        closed_at: None,
        loss_reason_id: None,
        is_deleted: false,
        custom_fields: Default::default(),
        tags: vec![],
        contacts: vec![],
        companies: vec![],
        account_id: None,
    }
}

#[tokio::test]
async fn all_leads_follows_cursors_until_the_last_page() {
    let mut crm = MockCrmClient::new();
    let filter = LeadFilter::ids([LeadId(1), LeadId(2), LeadId(3)]);
    crm.expect_list_leads()
        .with(eq(filter.clone()), eq(None))
        .times(1)
        .returning(|_, _| {
            Ok(Page {
                items: vec![lead(1), lead(2)],
                next: Some(PageCursor::new("/api/v4/leads?page=2")),
            })
        });
    crm.expect_list_leads()
        .with(
            eq(filter.clone()),
            eq(Some(PageCursor::new("/api/v4/leads?page=2"))),
        )
        .times(1)
        .returning(|_, _| Ok(Page::last(vec![lead(3)])));
    let all = crm.all_leads(&filter).await.unwrap();
    let ids: Vec<_> = all.iter().map(|l| l.id.0).collect();
    assert_eq!(ids, vec![1, 2, 3]);
}

#[tokio::test]
async fn all_contacts_stops_at_the_first_error() {
    let mut crm = MockCrmClient::new();
    crm.expect_list_contacts().times(1).returning(|_, _| {
        Err(CrmError::Blocked {
            detail: "nginx".into(),
        })
    });
    let err = crm
        .all_contacts(&ContactFilter::ids([ContactId(1)]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "blocked");
    assert!(!err.is_transient());
}

#[test]
fn partial_errors_expose_what_was_written_and_the_root_cause() {
    let err = CrmError::Partial {
        written: vec![WrittenRef {
            request_id: "0".into(),
            id: 10,
        }],
        undecided: vec!["7".into()],
        source: Box::new(CrmError::Server {
            status: 502,
            detail: "bad gateway".into(),
        }),
    };
    assert_eq!(err.written().len(), 1);
    assert_eq!(err.undecided(), ["7".to_owned()]);
    assert_eq!(err.root().kind(), "server");
    assert!(err.is_transient());
}

#[test]
fn unauthorized_messages_say_when_reauthorisation_is_needed() {
    let revoked = CrmError::Unauthorized {
        detail: "Token has been revoked".into(),
        reauthorize: true,
    };
    assert!(revoked.to_string().contains("re-authorisation is needed"));
    let plain = CrmError::Unauthorized {
        detail: "expired".into(),
        reauthorize: false,
    };
    assert!(!plain.to_string().contains("re-authorisation"));
}

#[test]
fn ambiguous_messages_name_the_request_ids() {
    let err = CrmError::Ambiguous {
        request_ids: (0..12).map(|i| i.to_string()).collect(),
        written: vec![],
    };
    let text = err.to_string();
    assert!(text.contains("12 create(s)"));
    assert!(text.contains("0, 1, 2"));
    assert!(text.contains("2 more"));
}
