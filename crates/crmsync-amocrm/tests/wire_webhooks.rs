//! End to end: the client subscribes a destination, the emulator posts real webhook bodies to it, and the
//! parser turns each into the expected events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use crmsync_amocrm::CrmClient;
use crmsync_amocrm::webhook::{self, EventAction, EventEntity, WebhookEvent};
use crmsync_domain::crm::{
    CompanyUpdate, CustomFieldValue, FieldId, LeadUpdate, NewCompany, NewContact, NewLead,
    PipelineId, StatusId,
};
use crmsync_sandbox::amocrm::AmoCrmConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use common::*;

/// A loopback HTTP endpoint that answers 200 and hands every request body to the returned channel.
async fn capture() -> (String, mpsc::UnboundedReceiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/amocrm/hook?token=secret",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0_u8; 4096];
                let (head_end, length) = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = tx.send(buf[head_end..].to_vec());
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn emulator_webhooks_parse_into_typed_events() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let (url, mut bodies) = capture().await;
    let saved = client
        .subscribe_webhook(
            &url,
            &[
                "add_lead",
                "status_lead",
                "add_contact",
                "add_company",
                "update_company",
            ],
        )
        .await
        .unwrap();
    assert_eq!(saved.settings.len(), 5);
    assert!(!format!("{saved:?}").contains(&url));
    let listed = client.webhooks(Some(&url)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].destination, url);
    assert!(!listed[0].disabled);
    assert!(
        client
            .webhooks(Some("https://elsewhere.invalid/"))
            .await
            .unwrap()
            .is_empty()
    );
    let case_number = FieldId(9_000_201);
    let lead = client
        .add_leads(&[NewLead {
            name: Some("Hooked".into()),
            custom_fields: vec![CustomFieldValue::text(case_number, "А40-7/2024")],
            ..NewLead::default()
        }])
        .await
        .unwrap()[0]
        .id;
    client
        .update_leads(&[LeadUpdate {
            id: lead,
            pipeline_id: Some(PipelineId(8_000_001)),
            status_id: Some(StatusId::WON),
            ..LeadUpdate::default()
        }])
        .await
        .unwrap();
    client
        .add_contacts(&[NewContact {
            name: Some("Hook contact".into()),
            ..NewContact::default()
        }])
        .await
        .unwrap();
    let company = client
        .add_companies(&[NewCompany {
            name: Some("Hook company".into()),
            ..NewCompany::default()
        }])
        .await
        .unwrap()[0]
        .id;
    client
        .update_companies(&[CompanyUpdate {
            id: company,
            name: Some("Renamed".into()),
            ..CompanyUpdate::default()
        }])
        .await
        .unwrap();
    emulator.flush_webhooks().await;

    let mut events: Vec<WebhookEvent> = Vec::new();
    while let Ok(Some(body)) = tokio::time::timeout(Duration::from_millis(500), bodies.recv()).await
    {
        events.extend(webhook::parse(&body).unwrap());
    }
    let find = |entity, action| {
        events
            .iter()
            .find(|e| e.entity == entity && e.action == action)
            .unwrap_or_else(|| panic!("no {entity} {action} in {events:?}"))
    };
    let added = find(EventEntity::Lead, EventAction::Add);
    assert_eq!(added.id, Some(lead.0));
    assert_eq!(
        added.custom_fields.text(case_number).as_deref(),
        Some("А40-7/2024")
    );
    assert_eq!(added.account.subdomain.as_deref(), Some("sandbox"));
    let moved = find(EventEntity::Lead, EventAction::Status);
    assert_eq!(moved.status_id, Some(StatusId::WON));
    assert!(moved.old_status_id.is_some());
    assert_eq!(
        find(EventEntity::Contact, EventAction::Add).name.as_deref(),
        Some("Hook contact")
    );
    assert_eq!(
        find(EventEntity::Company, EventAction::Add).id,
        Some(company.0)
    );
    assert_eq!(
        find(EventEntity::Company, EventAction::Update)
            .name
            .as_deref(),
        Some("Renamed")
    );

    client.unsubscribe_webhook(&url).await.unwrap();
    assert_eq!(emulator.count("webhooks"), 0);
    assert!(client.webhooks(None).await.unwrap().is_empty());
}
