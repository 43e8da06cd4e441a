//! The webhook figures: a real `amonition serve` (this binary as `amonition`, its inbox on a fresh PostgreSQL
//! database, two inbox workers handling what arrives) under a local load generator — `SENDERS` concurrent
//! senders posting distinct form-encoded amoCRM deliveries (a lead entering the "ready to upload manually"
//! status, as amoCRM sends it) — timing each acknowledgement. Each sender's first delivery opens its connection
//! and warms the server's pool; it is stored and checked but not timed, and the timed load starts once every
//! first delivery was answered.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ::amonition::sandbox::{LEAD_PHONE_FIELD, LEAD_URL_FIELD, READY_STATUS};
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_sandbox::marketplace::{self, MarketplaceConfig, MarketplaceEmulator};
use crmsync_store::postgres;
use crmsync_testkit::services;

use super::child::{CHILD_ENV, TOKEN};
use super::sellers;

/// Concurrent senders.
pub(super) const SENDERS: usize = 16;
/// The webhook secret of the server.
const SECRET: &str = "bench-webhook-secret-000000";

/// The measured acknowledgements.
#[derive(Debug)]
pub(super) struct Acks {
    /// Deliveries acknowledged per second, over the whole load.
    pub(super) per_s: f64,
    /// The 99th percentile of one acknowledgement, in milliseconds.
    pub(super) p99_ms: f64,
    /// The median, in milliseconds.
    pub(super) p50_ms: f64,
}

fn config(amocrm: &str, market: &str, storage: &str, account: i64) -> String {
    let seller_id = ::amonition::sandbox::seller_fields().seller_id.0;
    let token = marketplace::DEFAULT_TOKEN;
    format!(
        r#"
[amocrm]
base_url = "{amocrm}"
long_lived_token = "{TOKEN}"

[amonition]
account_id = {account}

[server]
bind = "127.0.0.1:0"
webhook_secret = "{SECRET}"
workers = 2
poll_ms = 50

[fields]
seller_id = {seller_id}

[routing]
transfer_status_ids = [{READY_STATUS}]
lead_url_field = {LEAD_URL_FIELD}
lead_phone_field = {LEAD_PHONE_FIELD}

[snatcher]
base_url = "{market}"
token = "{token}"

[feeds]
base_url = "{market}"
token = "{token}"

[storage]
url = "{storage}"
"#
    )
}

/// A delivery as amoCRM posts it: lead `lead` of `account` entered the transfer status, with the foreign
/// account URL and the phone among its custom fields.
fn delivery(account: i64, lead: u64) -> String {
    let phone = format!(
        "+7 916 {:03}-{:02}-{:02}",
        lead / 10_000 % 1_000,
        lead / 100 % 100,
        lead % 100
    );
    let pairs = [
        ("[id]", lead.to_string()),
        ("[status_id]", READY_STATUS.to_string()),
        ("[pipeline_id]", "8000001".to_owned()),
        ("[old_status_id]", "8000002".to_owned()),
        ("[custom_fields][0][id]", LEAD_URL_FIELD.to_string()),
        (
            "[custom_fields][0][values][0][value]",
            format!("https://other-classifieds.example/user/{lead}"),
        ),
        ("[custom_fields][1][id]", LEAD_PHONE_FIELD.to_string()),
        ("[custom_fields][1][values][0][value]", phone),
    ];
    let keys: Vec<String> = pairs
        .iter()
        .map(|(key, _)| format!("leads[status][0]{key}"))
        .collect();
    let mut form: Vec<(&str, String)> = keys
        .iter()
        .zip(pairs)
        .map(|(key, (_, value))| (key.as_str(), value))
        .collect();
    form.push(("account[id]", account.to_string()));
    form.push(("account[subdomain]", "sandbox".to_owned()));
    ::amonition::form(&form)
}

/// A `serve` child, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(config: &Path) -> anyhow::Result<Server> {
    let mut child = Command::new(std::env::current_exe()?)
        .env(CHILD_ENV, "amonition")
        .env("RUST_LOG", "error")
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout of `amonition serve`"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("listening on ").nth(1)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
    });
    let mut server = Server {
        child,
        base: String::new(),
    };
    server.base = rx
        .recv_timeout(Duration::from_secs(60))
        .map_err(|_| anyhow::anyhow!("`amonition serve` did not start listening"))?;
    Ok(server)
}

/// Posts `total` deliveries from [`SENDERS`] concurrent senders to a fresh `serve` and times each ack.
pub(super) async fn run(total: usize) -> anyhow::Result<Acks> {
    let db = services::fresh_postgres().await;
    postgres::migrate(&db.pool).await?;
    let amocrm = AmoCrmEmulator::start(AmoCrmConfig {
        long_lived_token: Some(TOKEN.to_owned()),
        fixture: ::amonition::sandbox::fixture(),
        ..AmoCrmConfig::default()
    })
    .await?;
    let market = MarketplaceEmulator::start(MarketplaceConfig::default()).await?;
    let account = ::amonition::sandbox::fixture().account.id;
    let dir = std::env::temp_dir().join(format!("amonition-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("serve.toml");
    std::fs::write(
        &file,
        config(&amocrm.base_url(), &market.base_url(), &db.url, account),
    )?;
    let server = serve(&file)?;
    let url = format!("{}/webhooks/amocrm/{SECRET}", server.base);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(SENDERS)
        .build()?;
    let per_sender = total.div_ceil(SENDERS);
    let post = move |lead: u64| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let sent = Instant::now();
            let response = http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(delivery(account, lead))
                .send()
                .await?;
            let status = response.status();
            response.bytes().await?;
            let took = sent.elapsed();
            anyhow::ensure!(status.is_success(), "delivery {lead} answered {status}");
            anyhow::Ok(took)
        }
    };
    let warm_up: Vec<_> = (0..SENDERS)
        .map(|sender| tokio::spawn(post(sender as u64)))
        .collect();
    for first in warm_up {
        first.await??;
    }
    let started = Instant::now();
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let post = post.clone();
        senders.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_sender);
            for k in 0..per_sender {
                latencies.push(post(1_000_000 + (sender * per_sender + k) as u64).await?);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(per_sender * SENDERS);
    for sender in senders {
        latencies.extend(sender.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_inbox")
        .fetch_one(&db.pool)
        .await?;
    anyhow::ensure!(
        usize::try_from(stored)? == latencies.len() + SENDERS,
        "{} deliveries acknowledged, {stored} in the inbox",
        latencies.len() + SENDERS
    );
    drop(server);
    latencies.sort_unstable();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1_000.0
    };
    let acks = Acks {
        per_s: latencies.len() as f64 / elapsed,
        p99_ms: at(0.99),
        p50_ms: at(0.50),
    };
    amocrm.shutdown().await;
    market.shutdown().await;
    sellers::drop_database(db).await?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(acks)
}
