//! Wire tests of tags, links and events against the emulator: tag lists and tags on entities, links both ways and
//! in bulk, and the event list with its filters, paging, names and types.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use crmsync_amocrm::events::EventFilter;
use crmsync_amocrm::links::{LinkFilter, LinkTo, LinkedType};
use crmsync_amocrm::tags::{EntityTags, NewTag, TagFilter, TagRef};
use crmsync_amocrm::{CrmClient, CrmError};
use crmsync_domain::crm::{
    CompanyId, ContactId, EntityKind, EntityRef, LeadId, LeadUpdate, NewCompany, NewContact,
    NewLead,
};
use crmsync_sandbox::FaultPlan;
use crmsync_sandbox::amocrm::AmoCrmConfig;
use crmsync_sandbox::faults::{Fault, Injection};

use common::*;

async fn lead(client: &crmsync_amocrm::AmoCrmClient, name: &str) -> LeadId {
    client
        .add_leads(&[NewLead {
            name: Some(name.into()),
            ..NewLead::default()
        }])
        .await
        .unwrap()[0]
        .id
}

#[tokio::test]
async fn tags_are_created_listed_and_put_on_and_off_entities() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let added = client
        .add_tags(
            EntityKind::Leads,
            &[
                NewTag {
                    color: Some("DDEBB5".into()),
                    ..NewTag::named("vip")
                },
                NewTag {
                    request_id: Some("second".into()),
                    ..NewTag::named("wholesale")
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(added[0].color.as_deref(), Some("DDEBB5"));
    assert_eq!(added[1].request_id.as_deref(), Some("second"));
    let found = client
        .all_tags(
            EntityKind::Leads,
            &TagFilter {
                query: Some("whole".into()),
                ..TagFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        vec!["wholesale"]
    );
    assert!(
        client
            .all_tags(EntityKind::Contacts, &TagFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    let id = lead(&client, "tagged").await;
    let updated = client
        .tag_entities(
            EntityKind::Leads,
            &[EntityTags {
                id: id.0,
                add: vec![TagRef::id(added[0].id), TagRef::name("new-one")],
                remove: vec![],
            }],
        )
        .await
        .unwrap();
    assert_eq!(updated, vec![id.0]);
    let tags: Vec<String> = client
        .get_lead(id, false)
        .await
        .unwrap()
        .unwrap()
        .tags
        .iter()
        .filter_map(|t| t.name.clone())
        .collect();
    assert_eq!(tags, vec!["vip", "new-one"]);
    client
        .tag_entities(
            EntityKind::Leads,
            &[EntityTags {
                id: id.0,
                add: vec![],
                remove: vec![TagRef::name("vip")],
            }],
        )
        .await
        .unwrap();
    let lead = client.get_lead(id, false).await.unwrap().unwrap();
    assert_eq!(lead.tags.len(), 1);
    let events = client
        .all_events(&EventFilter::of_types([
            "entity_tag_added",
            "entity_tag_deleted",
        ]))
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].event_type, "entity_tag_deleted");
    assert_eq!(
        client
            .tag_entities(
                EntityKind::Leads,
                &[EntityTags {
                    id: id.0,
                    ..EntityTags::default()
                }]
            )
            .await
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
}

#[tokio::test]
async fn a_tag_create_whose_answer_is_lost_is_ambiguous_and_not_resent() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    emulator.set_faults(FaultPlan::none().with_script(
        "POST /api/v4/leads/tags",
        vec![Injection::after(Fault::Error500)],
    ));
    let client = client(&emulator);
    let error = client
        .add_tags(EntityKind::Leads, &[NewTag::named("lost")])
        .await
        .unwrap_err();
    match error {
        CrmError::Ambiguous { request_ids, .. } => assert_eq!(request_ids, vec!["0"]),
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    let requests = emulator.stats().routes["POST /api/v4/leads/tags"].requests;
    assert_eq!(requests, 1);
    assert_eq!(
        client
            .all_tags(EntityKind::Leads, &TagFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn links_are_made_read_both_ways_and_removed() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let lead = lead(&client, "linked").await;
    let contacts = client
        .add_contacts(&[
            NewContact {
                name: Some("a".into()),
                ..NewContact::default()
            },
            NewContact {
                name: Some("b".into()),
                ..NewContact::default()
            },
        ])
        .await
        .unwrap();
    let (a, b): (ContactId, ContactId) = (contacts[0].id, contacts[1].id);
    let company: CompanyId = client
        .add_companies(&[NewCompany {
            name: Some("c".into()),
            ..NewCompany::default()
        }])
        .await
        .unwrap()[0]
        .id;
    let made = client
        .link_one(
            EntityRef::lead(lead.0),
            &[
                LinkTo::contact(a.0),
                LinkTo::contact(b.0).as_main(),
                LinkTo::company(company.0),
            ],
        )
        .await
        .unwrap();
    assert_eq!(made.len(), 3);
    assert_eq!(made[1].metadata.is_main, Some(true));
    let links = client
        .links_of(EntityRef::lead(lead.0), &LinkFilter::default())
        .await
        .unwrap();
    let main: Vec<i64> = links
        .iter()
        .filter(|l| l.metadata.is_main == Some(true))
        .map(|l| l.to_entity_id)
        .collect();
    assert_eq!(main, vec![b.0]);
    let only_companies = client
        .links_of(
            EntityRef::lead(lead.0),
            &LinkFilter {
                to_entity_type: Some(LinkedType::Companies),
                ..LinkFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(only_companies.len(), 1);
    assert_eq!(only_companies[0].to_entity_id, company.0);
    let from_contact = client
        .links_of(EntityRef::contact(a.0), &LinkFilter::default())
        .await
        .unwrap();
    assert_eq!(from_contact[0].to_entity_type, LinkedType::Leads);
    assert_eq!(from_contact[0].to_entity_id, lead.0);

    client
        .link(EntityKind::Contacts, &[(a.0, LinkTo::company(company.0))])
        .await
        .unwrap();
    let bulk = client
        .list_links(EntityKind::Contacts, &[a.0, b.0], &LinkFilter::default())
        .await
        .unwrap();
    assert_eq!(bulk.len(), 3);
    client
        .unlink_one(EntityRef::lead(lead.0), &[LinkTo::contact(b.0)])
        .await
        .unwrap();
    client
        .unlink(EntityKind::Contacts, &[(a.0, LinkTo::company(company.0))])
        .await
        .unwrap();
    let after = client
        .links_of(EntityRef::lead(lead.0), &LinkFilter::default())
        .await
        .unwrap();
    assert_eq!(after.len(), 2);
    assert!(
        after
            .iter()
            .any(|l| l.to_entity_id == a.0 && l.metadata.is_main == Some(true))
    );
    let events = client
        .all_events(&EventFilter::of_types(["entity_linked", "entity_unlinked"]))
        .await
        .unwrap();
    assert_eq!(events.len(), 6);
    let missing = client
        .link_one(EntityRef::lead(lead.0), &[LinkTo::contact(999)])
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), "validation");
}

#[tokio::test]
async fn events_are_filtered_paged_named_and_typed() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let pipeline = client.pipelines().await.unwrap().remove(0);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(lead(&client, &format!("lead {i}")).await);
    }
    let next_stage = pipeline
        .statuses
        .iter()
        .filter(|s| !s.id.is_closed())
        .nth(2)
        .unwrap()
        .id;
    client
        .update_leads(&[LeadUpdate {
            id: ids[1],
            status_id: Some(next_stage),
            pipeline_id: Some(pipeline.id),
            ..LeadUpdate::default()
        }])
        .await
        .unwrap();
    let changes = client
        .all_events(&EventFilter::of_types(["lead_status_changed"]))
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].entity_id, ids[1].0);
    let (before, after) = changes[0].status_change().unwrap();
    assert_eq!(after.status_id, next_stage.0);
    assert_ne!(before.status_id, after.status_id);

    let first = client
        .list_events(
            &EventFilter {
                limit: Some(2),
                ..EventFilter::of_types(["lead_added"])
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.items[0].entity_id, ids[4].0);
    let all = client
        .all_events(&EventFilter {
            limit: Some(2),
            ..EventFilter::of_types(["lead_added"])
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 5);

    let named = client
        .all_events(&EventFilter {
            entities: vec![crmsync_amocrm::events::EventEntity::Lead],
            entity_ids: vec![ids[3].0],
            with_names: true,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].entity_name(), Some("lead 3"));
    let one = client.get_event(&named[0].id).await.unwrap().unwrap();
    assert_eq!(one, client.get_event(&one.id).await.unwrap().unwrap());
    assert!(client.get_event("nothere").await.unwrap().is_none());
    assert_eq!(
        client.get_event("../x").await.unwrap_err().kind(),
        "invalid_input"
    );
    let types = client.event_types("en").await.unwrap();
    assert!(types.iter().any(|t| t.key == "lead_status_changed"));
    assert!(
        client
            .all_events(&EventFilter::of_types(["nothing_like_this"]))
            .await
            .unwrap()
            .is_empty()
    );
    let bad = EventFilter {
        entity_ids: vec![1],
        ..EventFilter::default()
    };
    assert_eq!(
        client.all_events(&bad).await.unwrap_err().kind(),
        "invalid_input"
    );
}
