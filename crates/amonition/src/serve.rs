//! `amonition serve`: the webhook endpoint, the inbox workers and the scheduled upload in one process. Any
//! number of `serve` processes may run side by side on one PostgreSQL inbox.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crmsync_cli::exit::Failure;
use crmsync_jobs::amonition::events::EventPorts;
use crmsync_jobs::amonition::inbox::{PassReport, pass};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_ports::WebhookInbox;
use serde_json::json;
use tokio::sync::{Notify, watch};

use crate::app::{Services, upload_locked};
use crate::config::Config;
use crate::metrics as m;
#[cfg(feature = "sandbox")]
use crate::sandbox::Sandbox;
use crate::server::{ServerState, router};

/// What a build without the emulators passes for the sandbox: nothing can be one.
#[cfg(not(feature = "sandbox"))]
pub(crate) enum Sandbox {}

/// Serves until a signal (or, with `drain`, until the inbox is empty; under `--sandbox` after posting the
/// sandbox's sample deliveries).
pub(crate) async fn run(
    config: &Config,
    services: &Services,
    drain: bool,
    sandbox: Option<&Sandbox>,
    json: bool,
) -> Result<(), Failure> {
    let inbox = services.inbox.clone().ok_or_else(|| {
        Failure::usage(
            "config key `storage.url`: the webhook inbox needs PostgreSQL (or memory: in a sandbox)",
        )
    })?;
    let _ = m::handle();
    let stored = Arc::new(Notify::new());
    let state = ServerState {
        inbox: inbox.clone(),
        secret: Arc::new(config.server.webhook_secret.clone()),
        account_id: config.amonition.account_id,
        metrics_token: Arc::new(config.server.metrics_token.clone()),
        stored: stored.clone(),
    };
    let listener = tokio::net::TcpListener::bind(config.server.bind)
        .await
        .map_err(|e| Failure::job(format!("cannot listen on {}: {e}", config.server.bind)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::job(format!("cannot listen: {e}")))?;
    if !json {
        println!(
            "AMONITION listening on http://{addr} (POST /webhooks/amocrm/<secret>, GET /healthz, GET /metrics)"
        );
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        };
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown)
            .await
    });
    let mut workers = Vec::new();
    for worker in 0..config.server.workers {
        workers.push(tokio::spawn(work(
            worker,
            inbox.clone(),
            services.clone(),
            config.clone(),
            stored.clone(),
            stop_rx.clone(),
        )));
    }
    let schedule = (!config.upload.schedule.trim().is_empty() && !drain).then(|| {
        tokio::spawn(scheduled_uploads(
            config.clone(),
            services.clone(),
            stop_rx.clone(),
        ))
    });
    let outcome = if drain {
        let posted = match sandbox {
            #[cfg(feature = "sandbox")]
            Some(sandbox) => post_samples(&format!("http://{addr}"), services, sandbox, json).await,
            #[cfg(not(feature = "sandbox"))]
            Some(never) => match *never {},
            None => Ok(()),
        };
        match posted {
            Ok(()) => wait_until_drained(inbox.as_ref()).await,
            Err(failure) => Err(failure),
        }
    } else {
        let reason = Shutdown::on_signals().requested().await;
        tracing::info!(%reason, "stopping");
        Ok(())
    };
    let _ = stop_tx.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    if let Some(schedule) = schedule {
        schedule.abort();
    }
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(Failure::job(format!("server: {error}"))),
        Err(error) => return Err(Failure::job(format!("server task: {error}"))),
    }
    outcome?;
    let counts = inbox
        .counts()
        .await
        .map_err(|e| Failure::job(format!("inbox: {e}")))?;
    if json {
        println!("{}", json!({ "inbox": counts }));
    } else {
        println!(
            "AMONITION inbox: {} handled, {} dead-lettered, {} waiting",
            counts.done,
            counts.dead,
            counts.depth()
        );
    }
    Ok(())
}

async fn work(
    worker: u32,
    inbox: Arc<dyn WebhookInbox>,
    services: Services,
    config: Config,
    stored: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let routing = config.routing();
    let policy = config.retry_policy();
    let poll = Duration::from_millis(config.server.poll_ms.max(10));
    let ports = EventPorts {
        crm: services.crm.as_ref(),
        sellers: services.sellers.as_ref(),
        feeds: services.feeds.as_ref(),
        transfer: services.transfer.as_ref(),
        companies: services.companies.as_ref(),
    };
    loop {
        if *stop.borrow() {
            return;
        }
        let report = match pass(inbox.as_ref(), &routing, ports, &policy, Utc::now()).await {
            Ok(report) => report,
            Err(error) => {
                tracing::warn!(worker, %error, "inbox pass failed");
                PassReport::default()
            }
        };
        metrics::counter!(m::PROCESSED).increment(report.processed);
        metrics::counter!(m::RETRIED).increment(report.retried);
        metrics::counter!(m::DEAD).increment(report.dead);
        if report.claimed == 0 {
            tokio::select! {
                () = stored.notified() => {}
                () = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

async fn scheduled_uploads(config: Config, services: Services, mut stop: watch::Receiver<bool>) {
    let Ok(cron) = config.upload.schedule.trim().parse::<croner::Cron>() else {
        return;
    };
    loop {
        let now = Utc::now();
        let Ok(next) = cron.find_next_occurrence(&now, false) else {
            tracing::warn!("the upload schedule has no next occurrence");
            return;
        };
        let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        match upload_locked(&config, &services, true).await {
            Ok((process, report)) => tracing::info!(
                process,
                created = report.created,
                updated = report.updated,
                "scheduled upload finished"
            ),
            Err(failure) => {
                tracing::warn!(error = %failure.message, "scheduled upload did not run through");
            }
        }
    }
}

async fn wait_until_drained(inbox: &dyn WebhookInbox) -> Result<(), Failure> {
    for _ in 0..1200 {
        let counts = inbox
            .counts()
            .await
            .map_err(|e| Failure::job(format!("inbox: {e}")))?;
        if counts.depth() == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(Failure::job("the inbox did not drain within a minute"))
}

/// A form body as amoCRM sends it: `key=value` pairs, percent-encoded, joined by `&`.
pub fn form(pairs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Posts the sandbox's sample deliveries: a lead entering the transfer status (twice: a redelivery), a feed
/// upload for a known seller, one for an unknown user, one with a wrong secret and one of another account.
#[cfg(feature = "sandbox")]
async fn post_samples(
    base: &str,
    services: &Services,
    sandbox: &Sandbox,
    json: bool,
) -> Result<(), Failure> {
    use crate::sandbox::{
        FEED_FIELD, LEAD_PHONE_FIELD, LEAD_URL_FIELD, READY_STATUS, seller_fields,
    };
    use crmsync_domain::crm::{CustomFieldValue, NewCompany};
    use crmsync_ports::CrmClient;

    let fields = seller_fields();
    let seller = crmsync_sandbox::marketplace::sellers::seller_id(3);
    let created = services
        .crm
        .add_companies(&[NewCompany {
            name: Some(format!("Seller {seller}")),
            custom_fields: vec![CustomFieldValue::text(fields.seller_id, seller.clone())],
            ..NewCompany::default()
        }])
        .await
        .map_err(|e| Failure::job(format!("sandbox amoCRM: {e}")))?;
    let company = created.first().map_or(0, |c| c.id.0);
    let account = sandbox.account_id().to_string();
    let lead = form(&[
        ("leads[status][0][id]", "700001".into()),
        ("leads[status][0][status_id]", READY_STATUS.to_string()),
        ("leads[status][0][pipeline_id]", "8000001".into()),
        (
            "leads[status][0][custom_fields][0][id]",
            LEAD_URL_FIELD.to_string(),
        ),
        (
            "leads[status][0][custom_fields][0][values][0][value]",
            "https://other-classifieds.example/user/42".into(),
        ),
        (
            "leads[status][0][custom_fields][1][id]",
            LEAD_PHONE_FIELD.to_string(),
        ),
        (
            "leads[status][0][custom_fields][1][values][0][value]",
            "+7 916 555-01-02".into(),
        ),
        ("account[id]", account.clone()),
        ("account[subdomain]", "sandbox".into()),
    ]);
    let feed_field = fields.feed_url.map_or(0, |f| f.0);
    let feed = |seller: &str| {
        form(&[
            ("contacts[update][0][id]", company.to_string()),
            ("contacts[update][0][type]", "company".into()),
            (
                "contacts[update][0][custom_fields][0][id]",
                fields.seller_id.0.to_string(),
            ),
            (
                "contacts[update][0][custom_fields][0][values][0][value]",
                seller.to_owned(),
            ),
            (
                "contacts[update][0][custom_fields][1][id]",
                feed_field.to_string(),
            ),
            (
                "contacts[update][0][custom_fields][1][values][0][value]",
                format!("https://feeds.example/{seller}.xml"),
            ),
            (
                "contacts[update][0][custom_fields][2][id]",
                FEED_FIELD.to_string(),
            ),
            (
                "contacts[update][0][custom_fields][2][values][0][value]",
                "1".into(),
            ),
            ("account[id]", account.clone()),
        ])
    };
    let foreign = lead.replace(&format!("account%5Bid%5D={account}"), "account%5Bid%5D=999");
    let secret = crate::sandbox::SANDBOX_SECRET;
    let deliveries = [
        (
            "a lead entered \"ready to upload manually\"",
            secret,
            lead.clone(),
        ),
        ("the same delivery again", secret, lead),
        ("feed upload for a known seller", secret, feed(&seller)),
        (
            "feed upload for an unknown user",
            secret,
            feed("ghost-user"),
        ),
        ("a wrong secret", "wrong-secret-00000000000", feed(&seller)),
        ("another account", secret, foreign),
    ];
    let http = reqwest::Client::new();
    for (what, secret, body) in deliveries {
        let status = http
            .post(format!("{base}/webhooks/amocrm/{secret}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| Failure::job(format!("posting a sample delivery: {e}")))?
            .status();
        if !json {
            println!("  POST {what:<46} -> {}", status.as_u16());
        }
    }
    Ok(())
}
