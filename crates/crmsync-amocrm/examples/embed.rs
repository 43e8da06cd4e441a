//! Embedding the amoCRM client in a service: OAuth set-up with a token store, reads, batch writes with request
//! ids, error handling, and a webhook. Runs against the in-process emulator:
//! `cargo run -p crmsync-amocrm --example embed`.

use std::sync::Arc;

use chrono::{Duration, Utc};
use crmsync_amocrm::webhook;
use crmsync_amocrm::{
    AmoCrmClient, BatchPolicy, Credentials, CrmClient, CrmClientExt, CrmError, OAuthApp, RateLimit,
};
use crmsync_domain::crm::{
    CustomFieldValue, EntityRef, FieldId, NewContact, NewLead, NewTask, StatusRef,
};
use crmsync_ports::{ContactFilter, KeyValueStore, LeadFilter};
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_store::memory::MemoryKeyValueStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fake account; in production this is https://SUBDOMAIN.amocrm.ru and the code comes from the
    // integration's settings or its redirect URI.
    let emulator = AmoCrmEmulator::start(AmoCrmConfig::default()).await?;
    let config = AmoCrmConfig::default();

    // 1. Tokens live in a KeyValueStore shared by every process of the service (Redis or PostgreSQL in
    //    production). The client writes each rotated pair there before it uses it.
    let store: Arc<dyn KeyValueStore> = Arc::new(MemoryKeyValueStore::new());
    let client = AmoCrmClient::builder(
        emulator.base_url(),
        Credentials::OAuth {
            app: OAuthApp {
                client_id: config.client_id.clone(),
                client_secret: config.client_secret.clone().into(),
                redirect_uri: config.redirect_uri.clone(),
            },
            store: Arc::clone(&store),
            key: "amocrm:sandbox:tokens".into(),
        },
    )
    .rate_limit(RateLimit::default())
    .batch(BatchPolicy::default())
    .build()?;

    // 2. Once, at installation: exchange the authorization code (valid 20 minutes).
    let expires = client
        .authorize_with_code(&emulator.issue_authorization_code())
        .await?;
    println!("authorised; access token valid until {expires}");

    // 3. Reads: pipelines, then leads in one stage with their contacts, every page followed.
    let pipelines = client.pipelines().await?;
    let main = pipelines
        .iter()
        .find(|p| p.is_main)
        .ok_or("no main pipeline")?;
    let first_open = main.open_statuses().nth(1).ok_or("no open stage")?;
    let stage = StatusRef::new(main.id, first_open.id);

    // 4. Writes: request ids tie each result to its input.
    let case_number = FieldId(9_000_201);
    let created = client
        .add_leads(&[NewLead {
            name: Some("Case A40-1/2024".into()),
            pipeline_id: Some(stage.pipeline_id),
            status_id: Some(stage.status_id),
            custom_fields: vec![CustomFieldValue::text(case_number, "А40-1/2024")],
            request_id: Some("intent-17".into()),
            ..NewLead::default()
        }])
        .await?;
    println!("lead {} answers {}", created[0].id, created[0].request_id);
    client
        .add_tasks(&[NewTask::about(
            EntityRef::lead(created[0].id),
            "Check the case number",
            Utc::now() + Duration::days(1),
        )])
        .await?;
    let in_stage = client
        .all_leads(&LeadFilter::in_statuses([stage]).with_contacts())
        .await?;
    println!("{} lead(s) in the stage", in_stage.len());

    // 5. Errors are typed: decide per kind what the job does.
    let contacts = vec![NewContact {
        name: Some("Patient".into()),
        custom_fields: vec![CustomFieldValue::phone("+79161234567")],
        request_id: Some("patient-42".into()),
        ..NewContact::default()
    }];
    match client.add_contacts(&contacts).await {
        Ok(created) => println!("{} contact(s) created", created.len()),
        Err(CrmError::Ambiguous {
            request_ids,
            written,
        }) => {
            println!(
                "reconcile {request_ids:?} before retrying; {} written",
                written.len()
            );
        }
        Err(error @ (CrmError::Unauthorized { .. } | CrmError::Blocked { .. })) => {
            return Err(format!("needs a person: {error}").into());
        }
        Err(error) if error.is_transient() => println!("try again later: {error}"),
        Err(error) => return Err(error.into()),
    }
    let found = client
        .all_contacts(&ContactFilter::query("79161234567"))
        .await?;
    println!("{} contact(s) found by phone", found.len());

    // 6. Webhooks: hand the raw POST body to the parser.
    let body = b"leads[status][0][id]=1&leads[status][0][status_id]=142&leads[status][0][pipeline_id]=8000001\
                 &account[id]=1&account[subdomain]=sandbox";
    for event in webhook::parse(body)? {
        match event.id {
            Some(id) => println!("{} {} {id}", event.entity, event.action),
            None => println!("{} {}", event.entity, event.action),
        }
    }

    let stats = client.stats();
    println!(
        "client stats: {} requests, {} answered 429, {} retries, {} token requests, {} without a response",
        stats.requests,
        stats.rate_limited,
        stats.retries,
        stats.token_requests,
        stats.transport_failures
    );
    emulator.shutdown().await;
    Ok(())
}
