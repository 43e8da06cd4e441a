//! Real `amonition` processes for the process suites: a fresh PostgreSQL database with generated marketplace
//! sellers, the amoCRM and marketplace emulators in the test process, a configuration file pointing at them, and
//! `serve`/`upload` children that can be killed with SIGKILL.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use amonition::form;
use amonition::sandbox::{
    FEED_FIELD, LEAD_PHONE_FIELD, LEAD_URL_FIELD, READY_STATUS, REFRESH_FIELD,
};
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_sandbox::faults::FaultPlan;
use crmsync_sandbox::marketplace::{self, MarketplaceConfig, MarketplaceEmulator};
use crmsync_store::postgres;
use crmsync_testkit::services::{self, TestDatabase};
use sqlx::PgPool;

/// The amoCRM token the emulator accepts.
pub(crate) const TOKEN: &str = "amonition-process-token";
/// The webhook secret of every server.
pub(crate) const SECRET: &str = "process-suite-webhook-secret";

/// Emulators, a database with `sellers` generated sellers, and a scratch directory.
pub(crate) struct World {
    /// amoCRM.
    pub(crate) amocrm: AmoCrmEmulator,
    /// Snatcher and the feed service.
    pub(crate) market: MarketplaceEmulator,
    /// The database (`[storage]` and the marketplace snapshot).
    pub(crate) db: TestDatabase,
    /// Where configuration files and logs go.
    pub(crate) dir: PathBuf,
    /// How many sellers the snapshot holds.
    pub(crate) sellers: u64,
}

/// What a configuration file says beyond the world's addresses.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// `inbox.lease_s`.
    pub(crate) lease_s: u64,
    /// `upload.schedule` (empty: none).
    pub(crate) schedule: String,
    /// `snatcher.timeout_ms`.
    pub(crate) snatcher_timeout_ms: u64,
    /// `server.workers`.
    pub(crate) workers: u32,
    /// `upload.batch_size`.
    pub(crate) batch_size: usize,
    /// `inbox.max_attempts`.
    pub(crate) max_attempts: u32,
    /// `lock.ttl_s`.
    pub(crate) lock_ttl_s: u64,
    /// `lock.wait_s`.
    pub(crate) lock_wait_s: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lease_s: 30,
            schedule: String::new(),
            snatcher_timeout_ms: 5_000,
            workers: 2,
            batch_size: 500,
            max_attempts: 5,
            lock_ttl_s: 30,
            lock_wait_s: 0,
        }
    }
}

impl World {
    /// Starts the emulators (amoCRM without its rate limit, so several processes may share it) and loads
    /// `sellers` generated sellers into a fresh database.
    pub(crate) async fn start(label: &str, sellers: u64, market_faults: FaultPlan) -> Self {
        let db = services::fresh_postgres().await;
        postgres::migrate(&db.pool).await.unwrap();
        let generated = marketplace::sellers::sellers(5, 0, sellers);
        for chunk in generated.chunks(5_000) {
            postgres::load_marketplace(&db.pool, chunk).await.unwrap();
        }
        let amocrm = AmoCrmEmulator::start(AmoCrmConfig {
            long_lived_token: Some(TOKEN.into()),
            rate_limit_per_s: None,
            fixture: amonition::sandbox::fixture(),
            ..AmoCrmConfig::default()
        })
        .await
        .unwrap();
        let market = MarketplaceEmulator::start(MarketplaceConfig {
            faults: market_faults,
            ..MarketplaceConfig::default()
        })
        .await
        .unwrap();
        let dir = std::env::temp_dir().join(format!(
            "amonition-{label}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            amocrm,
            market,
            db,
            dir,
            sellers,
        }
    }

    /// The emulated account's id.
    pub(crate) fn account_id(&self) -> i64 {
        amonition::sandbox::fixture().account.id
    }

    /// Writes a configuration file named `name` and returns its path.
    pub(crate) fn config(&self, name: &str, options: &Options) -> PathBuf {
        let f = amonition::sandbox::seller_fields();
        let id = |field: Option<crmsync_domain::crm::FieldId>| field.map_or(0, |f| f.0);
        let toml = format!(
            r#"
[amocrm]
base_url = "{amocrm}"
long_lived_token = "{TOKEN}"
rate_limit_per_s = 7
request_timeout_ms = 5000
retry_base_delay_ms = 20

[amonition]
account_id = {account}

[server]
bind = "127.0.0.1:0"
webhook_secret = "{SECRET}"
workers = {workers}
poll_ms = 50

[inbox]
max_attempts = {max_attempts}
base_delay_s = 1
max_delay_s = 2
lease_s = {lease}

[upload]
batch_size = {batch_size}
schedule = "{schedule}"

[fields]
seller_id = {seller_id}
sale_address = {sale_address}
first_visit = {first_visit}
first_listing = {first_listing}
listings_total = {listings_total}
listings_active = {listings_active}
feed_url = {feed_url}
feed_errors = {feed_errors}
autoload = {autoload}
form = {form_field}
used = {used}
new = {new}
categories = {categories}

[routing]
transfer_status_ids = [{READY_STATUS}]
lead_url_field = {LEAD_URL_FIELD}
lead_phone_field = {LEAD_PHONE_FIELD}
refresh_field = {REFRESH_FIELD}
feed_field = {FEED_FIELD}

[snatcher]
base_url = "{market}"
token = "{market_token}"
timeout_ms = {snatcher_timeout}
max_attempts = 1

[feeds]
base_url = "{market}"
token = "{market_token}"
backoff_ms = 10

[storage]
url = "{storage}"

[lock]
ttl_s = {lock_ttl}
wait_s = {lock_wait}
"#,
            amocrm = self.amocrm.base_url(),
            account = self.account_id(),
            workers = options.workers,
            lease = options.lease_s,
            max_attempts = options.max_attempts,
            batch_size = options.batch_size,
            schedule = options.schedule,
            seller_id = f.seller_id.0,
            sale_address = id(f.sale_address),
            first_visit = id(f.first_visit),
            first_listing = id(f.first_listing),
            listings_total = id(f.listings_total),
            listings_active = id(f.listings_active),
            feed_url = id(f.feed_url),
            feed_errors = id(f.feed_errors),
            autoload = id(f.autoload),
            form_field = id(f.form),
            used = id(f.used),
            new = id(f.new),
            categories = id(f.categories),
            market = self.market.base_url(),
            market_token = marketplace::DEFAULT_TOKEN,
            snatcher_timeout = options.snatcher_timeout_ms,
            storage = self.db.url,
            lock_ttl = options.lock_ttl_s,
            lock_wait = options.lock_wait_s,
        );
        let path = self.dir.join(format!("{name}.toml"));
        std::fs::write(&path, toml).unwrap();
        path
    }

    /// The database pool.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.db.pool
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An `amonition` child process; killed with SIGKILL when dropped.
pub(crate) struct Process {
    child: Option<Child>,
    stderr: PathBuf,
    /// The server's `http://127.0.0.1:PORT` (`serve` only).
    pub(crate) base: String,
}

impl Process {
    /// Starts `amonition --config CONFIG serve` and waits until it listens.
    pub(crate) fn serve(config: &Path, label: &str) -> Self {
        let stderr = config.with_file_name(format!("{label}.stderr"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_amonition"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on ").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let base = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(base.to_owned());
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`amonition serve` did not start listening:\n{}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            }
        };
        Self {
            child: Some(child),
            stderr,
            base,
        }
    }

    /// Starts `amonition --config CONFIG --json upload`.
    pub(crate) fn upload(config: &Path, label: &str) -> Self {
        let stderr = config.with_file_name(format!("{label}.stderr"));
        let child = Command::new(env!("CARGO_BIN_EXE_amonition"))
            .arg("--config")
            .arg(config)
            .arg("--json")
            .arg("upload")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        Self {
            child: Some(child),
            stderr,
            base: String::new(),
        }
    }

    fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("the process is running")
    }

    /// Whether the process is still running.
    pub(crate) fn running(&mut self) -> bool {
        matches!(self.child().try_wait(), Ok(None))
    }

    /// Kills the process with SIGKILL (`kill -9`) and reaps it.
    pub(crate) fn kill9(mut self) {
        let child = self.child();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Waits for the process to exit; its exit code, stdout and stderr.
    pub(crate) async fn finish(mut self) -> (i32, String, String) {
        let mut child = self.child.take().expect("the process is running");
        let stderr = self.stderr.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = String::new();
            if let Some(stdout) = child.stdout.as_mut() {
                std::io::Read::read_to_string(stdout, &mut out).unwrap();
            }
            let status = child.wait().unwrap();
            (
                status.code().unwrap_or(-1),
                out,
                std::fs::read_to_string(&stderr).unwrap_or_default(),
            )
        })
        .await
        .unwrap()
    }

    /// What the process wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Posts a form body to the webhook endpoint; the status code.
    pub(crate) async fn post(&self, body: String) -> u16 {
        reqwest::Client::new()
            .post(format!("{}/webhooks/amocrm/{SECRET}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The value of an unlabelled counter or gauge on `/metrics` (0 when absent).
    pub(crate) async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| {
                let (key, value) = line.split_once(' ')?;
                (key == name).then(|| value.trim().parse::<f64>().ok())?
            })
            .unwrap_or(0.0)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A delivery: lead `lead` of `account` entered the transfer status, with the account URL and phone in the body.
pub(crate) fn lead_ready(account: i64, lead: i64) -> String {
    let phone = format!("+7 916 555-{:02}-{:02}", (lead / 100) % 100, lead % 100);
    lead_event(
        account,
        lead,
        Some(&format!("https://other-classifieds.example/user/{lead}")),
        Some(&phone),
    )
}

/// A delivery: lead `lead` entered the transfer status, with the URL and phone fields that are given.
pub(crate) fn lead_event(
    account: i64,
    lead: i64,
    url: Option<&str>,
    phone: Option<&str>,
) -> String {
    let mut pairs = vec![
        ("leads[status][0][id]".to_owned(), lead.to_string()),
        (
            "leads[status][0][status_id]".to_owned(),
            READY_STATUS.to_string(),
        ),
        ("leads[status][0][pipeline_id]".to_owned(), "8000001".into()),
    ];
    let fields = [(LEAD_URL_FIELD, url), (LEAD_PHONE_FIELD, phone)];
    for (i, (field, value)) in fields
        .iter()
        .filter_map(|(f, v)| Some((f, (*v)?)))
        .enumerate()
    {
        let base = format!("leads[status][0][custom_fields][{i}]");
        pairs.push((format!("{base}[id]"), field.to_string()));
        pairs.push((format!("{base}[values][0][value]"), value.to_owned()));
    }
    pairs.push(("account[id]".to_owned(), account.to_string()));
    pairs.push(("account[subdomain]".to_owned(), "sandbox".into()));
    let borrowed: Vec<(&str, String)> =
        pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    form(&borrowed)
}

/// A delivery: company `company` of `seller` was updated with the checkbox `flag` set (and a feed URL, when
/// given).
pub(crate) fn company_event(
    account: i64,
    company: i64,
    seller: &str,
    flag: i64,
    feed: Option<&str>,
) -> String {
    let fields = amonition::sandbox::seller_fields();
    let mut pairs = vec![
        ("contacts[update][0][id]".to_owned(), company.to_string()),
        ("contacts[update][0][type]".to_owned(), "company".into()),
    ];
    let mut values = vec![
        (fields.seller_id.0, seller.to_owned()),
        (flag, "1".to_owned()),
    ];
    if let (Some(url), Some(field)) = (feed, fields.feed_url) {
        values.push((field.0, url.to_owned()));
    }
    for (i, (field, value)) in values.into_iter().enumerate() {
        let base = format!("contacts[update][0][custom_fields][{i}]");
        pairs.push((format!("{base}[id]"), field.to_string()));
        pairs.push((format!("{base}[values][0][value]"), value));
    }
    pairs.push(("account[id]".to_owned(), account.to_string()));
    let borrowed: Vec<(&str, String)> =
        pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    form(&borrowed)
}

/// Runs `amonition --config CONFIG ARGS…` to the end; its exit code, stdout and stderr.
pub(crate) async fn amonition(config: &Path, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_amonition"));
    command.arg("--config").arg(config).args(args);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Polls `check` every 50 ms until it holds; panics naming `what` after `limit`.
pub(crate) async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One inbox row's state and attempts, by the lead or company id in its key (`lead.status:ID:…`).
pub(crate) async fn inbox_row(pool: &PgPool, key_prefix: &str) -> Option<(String, i32, String)> {
    sqlx::query_as::<_, (String, i32, String)>(
        "SELECT state, attempts, dedupe_key FROM webhook_inbox WHERE dedupe_key LIKE $1 || '%' ORDER BY id LIMIT 1",
    )
    .bind(key_prefix)
    .fetch_optional(pool)
    .await
    .unwrap()
}

/// Inbox rows per state.
pub(crate) async fn inbox_states(pool: &PgPool) -> std::collections::BTreeMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>("SELECT state, count(*) FROM webhook_inbox GROUP BY state")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}
