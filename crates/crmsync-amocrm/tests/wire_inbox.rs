//! Wire tests of incoming leads (forms and SIP added, listed, summarised, accepted, declined, linked) and of
//! lead sources, against the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use crmsync_amocrm::events::EventFilter;
use crmsync_amocrm::links::LinkFilter;
use crmsync_amocrm::sources::{NewSource, SourceUpdate};
use crmsync_amocrm::unsorted::{
    FormMetadata, NewUnsorted, SipMetadata, UnsortedCategory, UnsortedFilter, UnsortedMetadata,
};
use crmsync_amocrm::{CrmClient, CrmError};
use crmsync_domain::crm::{EntityRef, LeadId, NewCompany, NewContact, NewLead};
use crmsync_sandbox::FaultPlan;
use crmsync_sandbox::amocrm::AmoCrmConfig;
use crmsync_sandbox::faults::{Fault, Injection};

use common::*;

fn form(uid: &str) -> NewUnsorted {
    NewUnsorted {
        source_uid: uid.into(),
        source_name: "site".into(),
        pipeline_id: None,
        created_at: None,
        metadata: UnsortedMetadata::Form(FormMetadata {
            form_id: "f1".into(),
            form_name: "Call me back".into(),
            form_page: "https://example.org/contacts".into(),
            form_sent_at: 1_700_000_000,
            ip: Some("192.0.2.1".into()),
            referer: None,
        }),
        lead: Some(NewLead {
            name: Some(format!("from form {uid}")),
            ..NewLead::default()
        }),
        contacts: vec![NewContact {
            name: Some("visitor".into()),
            ..NewContact::default()
        }],
        company: Some(NewCompany {
            name: Some("visitor's company".into()),
            ..NewCompany::default()
        }),
        request_id: None,
    }
}

fn call(uid: &str) -> NewUnsorted {
    NewUnsorted {
        metadata: UnsortedMetadata::Sip(SipMetadata {
            uniq: uid.into(),
            duration: 42,
            service_code: "telephony".into(),
            link: None,
            phone: "+79990001122".into(),
            called_at: 1_700_000_000,
            from: None,
        }),
        lead: None,
        company: None,
        ..form(uid)
    }
}

#[tokio::test]
async fn a_form_lead_is_listed_summarised_and_accepted_into_a_stage() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let added = client.add_unsorted_forms(&[form("s-1")]).await.unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].request_id.as_deref(), Some("0"));
    let uid = added[0].uid.clone();
    let lead = LeadId(added[0].entities.leads[0]);
    assert_eq!(added[0].entities.contacts.len(), 1);
    assert_eq!(added[0].entities.companies.len(), 1);

    let pending = client
        .all_unsorted(&UnsortedFilter::default())
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].category, UnsortedCategory::Forms);
    assert_eq!(pending[0].metadata["form_name"], "Call me back");
    assert_eq!(client.unsorted(&uid).await.unwrap().unwrap().uid, uid);
    let sip_only = client
        .all_unsorted(&UnsortedFilter {
            categories: vec![UnsortedCategory::Sip],
            ..UnsortedFilter::default()
        })
        .await
        .unwrap();
    assert!(sip_only.is_empty());
    let summary = client
        .unsorted_summary(&UnsortedFilter::default())
        .await
        .unwrap();
    assert_eq!((summary.total, summary.accepted), (1, 0));
    assert_eq!(summary.categories["forms"], 1);

    let pipeline = client.pipelines().await.unwrap().remove(0);
    let stage = pipeline
        .statuses
        .iter()
        .filter(|s| !s.id.is_closed())
        .nth(2)
        .unwrap()
        .id;
    let accepted = client
        .accept_unsorted(&uid, None, Some(stage.0))
        .await
        .unwrap();
    assert_eq!(accepted.entities.leads, vec![lead.0]);
    let moved = client.get_lead(lead, false).await.unwrap().unwrap();
    assert_eq!(moved.status_id, Some(stage));
    assert!(
        client
            .all_unsorted(&UnsortedFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        client
            .unsorted_summary(&UnsortedFilter::default())
            .await
            .unwrap()
            .accepted,
        1
    );
    let again = client.accept_unsorted(&uid, None, None).await.unwrap_err();
    assert_eq!(again.kind(), "validation");
    let events = client
        .all_events(&EventFilter::of_types(["incoming_unsorted_added"]))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        client.unsorted("../x").await.unwrap_err().kind(),
        "invalid_input"
    );
}

#[tokio::test]
async fn a_call_is_declined_and_another_linked_to_an_existing_lead() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let added = client
        .add_unsorted_sip(&[call("c-1"), call("c-2")])
        .await
        .unwrap();
    assert_eq!(added.len(), 2);
    let declined_lead = LeadId(added[0].entities.leads[0]);
    client.decline_unsorted(&added[0].uid, None).await.unwrap();
    assert!(
        client
            .get_lead(declined_lead, false)
            .await
            .unwrap()
            .is_none()
    );

    let existing = client.add_leads(&[NewLead::default()]).await.unwrap()[0].id;
    let linked = client
        .link_unsorted(&added[1].uid, existing.0, None)
        .await
        .unwrap();
    assert_eq!(linked.entities.leads, vec![existing.0]);
    let links = client
        .links_of(EntityRef::lead(existing.0), &LinkFilter::default())
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].to_entity_id, added[1].entities.contacts[0]);
    let summary = client
        .unsorted_summary(&UnsortedFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (summary.total, summary.accepted, summary.declined),
        (2, 1, 1)
    );
    assert_eq!(summary.categories["sip"], 2);
    let missing = client
        .decline_unsorted("nosuchuid", None)
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), "not_found");
    let wrong = client.add_unsorted_sip(&[form("f")]).await.unwrap_err();
    assert_eq!(wrong.kind(), "invalid_input");
}

#[tokio::test]
async fn an_accept_whose_answer_is_lost_is_ambiguous_and_not_resent() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let uid = client.add_unsorted_forms(&[form("s-1")]).await.unwrap()[0]
        .uid
        .clone();
    let route = format!("POST /api/v4/leads/unsorted/{uid}/accept");
    emulator
        .set_faults(FaultPlan::none().with_script(&route, vec![Injection::after(Fault::Error502)]));
    let error = client.accept_unsorted(&uid, None, None).await.unwrap_err();
    match error {
        CrmError::Ambiguous { request_ids, .. } => {
            assert_eq!(
                request_ids,
                vec![format!("/api/v4/leads/unsorted/{uid}/accept")]
            );
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    assert_eq!(emulator.stats().routes[&route].requests, 1);
    assert!(
        client
            .all_unsorted(&UnsortedFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn sources_are_added_found_updated_and_deleted() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let added = client
        .add_sources(&[
            NewSource::new("Site", "site-1"),
            NewSource::new("Shop", "shop-1"),
        ])
        .await
        .unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(added[1].request_id.as_deref(), Some("1"));
    let duplicate = client
        .add_sources(&[NewSource::new("Again", "site-1")])
        .await
        .unwrap_err();
    assert_eq!(duplicate.kind(), "validation");
    let found = client.sources(&["shop-1"]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "Shop");
    let renamed = client
        .update_sources(&[SourceUpdate {
            id: added[0].id,
            name: Some("Website".into()),
            ..SourceUpdate::default()
        }])
        .await
        .unwrap();
    assert_eq!(renamed[0].name, "Website");
    let default = client
        .update_source(&SourceUpdate {
            id: added[1].id,
            default: Some(true),
            ..SourceUpdate::default()
        })
        .await
        .unwrap();
    assert!(default.default);
    client.delete_source(added[0].id).await.unwrap();
    assert!(client.source(added[0].id).await.unwrap().is_none());
    client.delete_sources(&[added[1].id]).await.unwrap();
    assert!(client.sources(&[]).await.unwrap().is_empty());
    assert_eq!(
        client
            .delete_sources(&[added[1].id])
            .await
            .unwrap_err()
            .kind(),
        "validation"
    );
}
