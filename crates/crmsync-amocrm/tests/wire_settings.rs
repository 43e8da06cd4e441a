//! Wire tests of account settings written through the API: pipelines and statuses, custom fields and their
//! groups, roles; and the read-only users and loss reasons.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use crmsync_amocrm::CrmClient;
use crmsync_amocrm::fields::{FieldEnum, FieldInput, GroupInput};
use crmsync_amocrm::pipelines::{NewPipeline, PipelineUpdate, StageInput};
use crmsync_amocrm::roles::RoleInput;
use crmsync_domain::crm::{EntityKind, LeadUpdate, NewLead, PipelineId, StatusId};
use crmsync_sandbox::amocrm::AmoCrmConfig;
use serde_json::json;

use common::*;

#[tokio::test]
async fn pipelines_and_statuses_are_added_changed_and_deleted() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let added = client
        .add_pipelines(&[NewPipeline {
            name: "Wholesale".into(),
            is_unsorted_on: true,
            statuses: vec![
                StageInput::new("First call", 10),
                StageInput::new("Offer", 20),
            ],
            ..NewPipeline::default()
        }])
        .await
        .unwrap();
    let pipeline = &added[0];
    let ids: Vec<i64> = pipeline.statuses().iter().map(|s| s.id).collect();
    assert!(ids.contains(&142) && ids.contains(&143));
    assert_eq!(
        pipeline
            .statuses()
            .iter()
            .filter(|s| s.status_type == 1)
            .count(),
        1
    );
    assert_eq!(pipeline.request_id.as_deref(), Some("0"));
    let renamed = client
        .update_pipeline(
            pipeline.id,
            &PipelineUpdate {
                name: Some("Wholesale 2".into()),
                ..PipelineUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Wholesale 2");
    assert!(
        client
            .pipelines()
            .await
            .unwrap()
            .iter()
            .any(|p| p.id == PipelineId(pipeline.id))
    );

    let stages = client
        .add_stages(pipeline.id, &[StageInput::new("Contract", 30)])
        .await
        .unwrap();
    let contract = stages[0].id;
    let changed = client
        .update_stage(
            pipeline.id,
            contract,
            &StageInput {
                color: Some("#fffeb2".into()),
                ..StageInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.color.as_deref(), Some("#fffeb2"));
    assert_eq!(client.stages(pipeline.id).await.unwrap().len(), 6);
    let won = client.stage(pipeline.id, 142).await.unwrap().unwrap();
    assert!(!won.is_editable);
    assert_eq!(
        client
            .delete_stage(pipeline.id, 142)
            .await
            .unwrap_err()
            .kind(),
        "validation"
    );

    let lead = client.add_leads(&[NewLead::default()]).await.unwrap()[0].id;
    client
        .update_leads(&[LeadUpdate {
            id: lead,
            pipeline_id: Some(PipelineId(pipeline.id)),
            status_id: Some(StatusId(contract)),
            ..LeadUpdate::default()
        }])
        .await
        .unwrap();
    assert_eq!(
        client
            .delete_stage(pipeline.id, contract)
            .await
            .unwrap_err()
            .kind(),
        "validation"
    );
    assert_eq!(
        client
            .delete_pipeline(pipeline.id)
            .await
            .unwrap_err()
            .kind(),
        "validation"
    );
    let main = client
        .pipelines()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.is_main)
        .unwrap();
    client
        .update_leads(&[LeadUpdate {
            id: lead,
            pipeline_id: Some(main.id),
            status_id: Some(main.statuses.iter().find(|s| !s.id.is_closed()).unwrap().id),
            ..LeadUpdate::default()
        }])
        .await
        .unwrap();
    client.delete_stage(pipeline.id, contract).await.unwrap();
    assert!(client.stage(pipeline.id, contract).await.unwrap().is_none());
    client.delete_pipeline(pipeline.id).await.unwrap();
    assert!(client.pipeline(pipeline.id).await.unwrap().is_none());
    assert_eq!(
        client.delete_pipeline(main.id.0).await.unwrap_err().kind(),
        "validation"
    );
    assert_eq!(
        client.delete_pipeline(1).await.unwrap_err().kind(),
        "not_found"
    );
}

#[tokio::test]
async fn custom_fields_and_groups_are_added_changed_and_deleted() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let groups = client
        .add_field_groups(
            EntityKind::Leads,
            &[GroupInput {
                name: Some("Delivery".into()),
                sort: Some(2),
                ..GroupInput::default()
            }],
        )
        .await
        .unwrap();
    let group = groups[0].id.clone();
    let fields = client
        .add_custom_fields(
            EntityKind::Leads,
            &[
                FieldInput {
                    enums: Some(vec![FieldEnum::new("Courier"), FieldEnum::new("Pickup")]),
                    group_id: Some(group.clone()),
                    ..FieldInput::new("Delivery method", "select")
                },
                FieldInput {
                    is_api_only: Some(true),
                    ..FieldInput::new("Tracking number", "text")
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(fields[0].enums.len(), 2);
    assert_eq!(fields[0].group_id.as_deref(), Some(group.as_str()));
    assert!(fields[1].is_api_only);
    let listed = client.custom_fields(EntityKind::Leads).await.unwrap();
    assert!(listed.iter().any(|f| f.id.0 == fields[1].id));
    let renamed = client
        .update_custom_field(
            EntityKind::Leads,
            &FieldInput {
                id: Some(fields[1].id),
                name: Some("Tracking".into()),
                ..FieldInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Tracking");
    let batch = client
        .update_custom_fields(
            EntityKind::Leads,
            &[FieldInput {
                id: Some(fields[0].id),
                sort: Some(5),
                ..FieldInput::default()
            }],
        )
        .await
        .unwrap();
    assert_eq!(batch[0].sort, 5);
    let regrouped = client
        .update_field_group(
            EntityKind::Leads,
            &group,
            &GroupInput {
                name: Some("Shipping".into()),
                fields: Some(vec![fields[1].id]),
                ..GroupInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(regrouped.name, "Shipping");
    assert_eq!(regrouped.fields.len(), 2);
    assert_eq!(
        client.field_groups(EntityKind::Leads).await.unwrap().len(),
        1
    );
    assert!(
        client
            .field_groups(EntityKind::Contacts)
            .await
            .unwrap()
            .is_empty()
    );
    client
        .delete_field_group(EntityKind::Leads, &group)
        .await
        .unwrap();
    assert!(
        client
            .field_group(EntityKind::Leads, &group)
            .await
            .unwrap()
            .is_none()
    );
    let ungrouped = client
        .custom_field(EntityKind::Leads, fields[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ungrouped.group_id, None);
    client
        .delete_custom_field(EntityKind::Leads, fields[1].id)
        .await
        .unwrap();
    assert!(
        client
            .custom_field(EntityKind::Leads, fields[1].id)
            .await
            .unwrap()
            .is_none()
    );
    let bad_type = client
        .add_custom_fields(EntityKind::Leads, &[FieldInput::new("X", "hologram")])
        .await
        .unwrap_err();
    assert_eq!(bad_type.kind(), "validation");
    let phone = client
        .custom_fields(EntityKind::Contacts)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.code.as_deref() == Some("PHONE"))
        .unwrap();
    assert_eq!(
        client
            .delete_custom_field(EntityKind::Contacts, phone.id.0)
            .await
            .unwrap_err()
            .kind(),
        "validation"
    );
}

#[tokio::test]
async fn roles_users_and_loss_reasons() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let before = client.roles().await.unwrap();
    assert_eq!(before.len(), 1);
    assert!(!before[0].users().is_empty());
    let added = client
        .add_roles(&[RoleInput {
            name: Some("Auditor".into()),
            rights: Some(json!({ "leads": { "view": "A", "edit": "D", "add": "D", "delete": "D", "export": "D" } })),
            ..RoleInput::default()
        }])
        .await
        .unwrap();
    let auditor = &added[0];
    assert_eq!(
        auditor.rights.leads.as_ref().unwrap().edit.as_deref(),
        Some("D")
    );
    let renamed = client
        .update_role(&RoleInput {
            id: Some(auditor.id),
            name: Some("Reviewer".into()),
            ..RoleInput::default()
        })
        .await
        .unwrap();
    assert_eq!(renamed.name, "Reviewer");
    let batch = client
        .update_roles(&[RoleInput {
            id: Some(auditor.id),
            name: Some("Inspector".into()),
            ..RoleInput::default()
        }])
        .await
        .unwrap();
    assert_eq!(batch[0].name, "Inspector");
    assert_eq!(client.roles().await.unwrap().len(), 2);
    client.delete_role(auditor.id).await.unwrap();
    assert!(client.role(auditor.id).await.unwrap().is_none());
    assert_eq!(
        client.delete_role(before[0].id).await.unwrap_err().kind(),
        "validation"
    );

    let users = client.users().await.unwrap();
    let one = client.user(users[0].id).await.unwrap().unwrap();
    assert_eq!(one.id, users[0].id);
    assert!(client.user(1).await.unwrap().is_none());
    let reasons = client.loss_reasons().await.unwrap();
    assert_eq!(reasons.len(), 3);
}
