//! Composition: builds the adapters the configuration names and runs the subcommand.

use std::sync::Arc;

use chrono::Utc;
use crmsync_amocrm::settings::SettingsError;
use crmsync_amocrm::{AmoCrmClient, BatchPolicy};
use crmsync_cli::backends::{self, BackendError, Backends};
use crmsync_cli::config::{self, Validate};
use crmsync_cli::exit::Failure;
use crmsync_domain::{NewProcess, ProcessKind};
use crmsync_jobs::amonition::upload::{self, UploadPorts, UploadReport};
use crmsync_jobs::lock::{LockError, LockOptions, LockedError, run_locked};
use crmsync_jobs::tracking::Tracker;
use crmsync_marketplace::{FeedClient, TransferClient};
use crmsync_ports::{
    CompanyStore, FeedService, KeyValueStore, LockStore, ProcessStore, ProfileTransfer,
    SellerSource, WebhookInbox,
};
use crmsync_redis::{RedisConfig, RedisRequestBudget};
use crmsync_store::Database;
use crmsync_store::postgres::PgSellerSource;
use serde_json::json;

use crate::args::{Args, Command, InboxAction};
use crate::config::{Config, ENV_PREFIX, settings_error};
#[cfg(feature = "sandbox")]
use crate::sandbox::{SANDBOX_SELLERS, Sandbox};
use crate::serve;

/// Every adapter of a run.
#[derive(Clone)]
pub struct Services {
    /// amoCRM.
    pub crm: Arc<AmoCrmClient>,
    /// The marketplace's sellers.
    pub sellers: Arc<dyn SellerSource>,
    /// The feed service.
    pub feeds: Arc<dyn FeedService>,
    /// The profile-transfer service.
    pub transfer: Arc<dyn ProfileTransfer>,
    /// Links and intents.
    pub companies: Arc<dyn CompanyStore>,
    /// The webhook inbox (`None` on SQLite).
    pub inbox: Option<Arc<dyn WebhookInbox>>,
    /// The run journal.
    pub journal: Arc<dyn ProcessStore>,
    /// The upload lock.
    pub locks: Arc<dyn LockStore>,
}

/// Runs `amonition` with parsed `args`.
pub(crate) async fn run(args: Args) -> Result<(), Failure> {
    #[cfg(not(feature = "sandbox"))]
    crmsync_cli::args::refuse_sandbox(args.common.sandbox)?;
    let mut config: Config = match &args.common.config {
        Some(path) => config::load(Some(path), ENV_PREFIX).map_err(Failure::usage)?,
        None if args.common.sandbox => Config::default(),
        None => config::load(None, ENV_PREFIX).map_err(Failure::usage)?,
    };
    config.fill_defaults();
    if let Command::Authorize(authorize) = &args.command {
        if args.common.sandbox {
            return Err(Failure::usage(
                "authorize exchanges a code with the real amoCRM account: run it without --sandbox",
            ));
        }
        return authorize_app(&config, &authorize.code).await;
    }
    #[cfg(feature = "sandbox")]
    let sandbox = start_sandbox(&mut config, args.common.sandbox, args.common.json).await?;
    #[cfg(feature = "sandbox")]
    let sellers = sandbox
        .as_ref()
        .map(|s| Arc::new(s.sellers.clone()) as Arc<dyn SellerSource>);
    #[cfg(not(feature = "sandbox"))]
    let sellers = None;
    config.validate().map_err(Failure::usage)?;
    config.require_live().map_err(Failure::usage)?;
    let services = build(&config, sellers).await?;
    let result = match &args.command {
        Command::Upload => upload_command(&config, &services, args.common.json).await,
        Command::Serve { drain } => {
            config.require_server().map_err(Failure::usage)?;
            #[cfg(feature = "sandbox")]
            let samples = sandbox.as_ref();
            #[cfg(not(feature = "sandbox"))]
            let samples = None;
            serve::run(&config, &services, *drain, samples, args.common.json).await
        }
        Command::Inbox { action } => inbox_command(&services, action, args.common.json).await,
        Command::Authorize(_) => Err(Failure::usage("authorize runs on its own")),
    };
    #[cfg(feature = "sandbox")]
    if let Some(sandbox) = sandbox {
        if !args.common.json {
            println!(
                "sandbox: amoCRM holds {} companies; {} profile transfers and {} feed loads were requested",
                sandbox.amocrm.count("companies"),
                sandbox.marketplace.transfers().len(),
                sandbox.marketplace.loads().len()
            );
        }
        sandbox.shutdown().await;
    }
    result
}

/// Under `--sandbox`: starts the emulators with generated sellers and points `config` at them.
#[cfg(feature = "sandbox")]
async fn start_sandbox(
    config: &mut Config,
    sandboxed: bool,
    json: bool,
) -> Result<Option<Sandbox>, Failure> {
    if !sandboxed {
        return Ok(None);
    }
    let sandbox = Sandbox::start(SANDBOX_SELLERS)
        .await
        .map_err(|e| Failure::job(format!("cannot start the sandbox: {e}")))?;
    sandbox.configure(config);
    if !json {
        println!(
            "sandbox: amoCRM emulator at {}, marketplace services at {}, {} generated sellers",
            sandbox.amocrm.base_url(),
            sandbox.marketplace.base_url(),
            SANDBOX_SELLERS
        );
    }
    Ok(Some(sandbox))
}

/// `amonition authorize --code CODE`: stores the first OAuth token pair where the runs will read it (Redis when
/// configured, else the storage database).
pub async fn authorize_app(config: &Config, code: &str) -> Result<(), Failure> {
    config
        .amocrm
        .validate()
        .map_err(|e| Failure::usage(settings_error(e)))?;
    let backends = open_backends(config, false).await?;
    config
        .amocrm
        .authorize(code, backends.key_values.clone())
        .await
        .map_err(|e| match e {
            SettingsError::Invalid { .. } => Failure::usage(settings_error(e)),
            other => Failure::job(other),
        })?;
    println!("amoCRM authorized: tokens stored; AMONITION refreshes them from now on");
    Ok(())
}

async fn open_backends(config: &Config, sandbox: bool) -> Result<Backends, Failure> {
    backends::open(&config.storage, &config.redis, sandbox)
        .await
        .map_err(|e| match e {
            BackendError::Config(e) => Failure::usage(e),
            other => Failure::job(other),
        })
}

/// Builds the amoCRM client of `config` (OAuth tokens in `tokens`): 250 companies per write, the shared budget
/// of `amonition.shared_limit_rps` when configured.
pub async fn crm_client(
    config: &Config,
    tokens: Arc<dyn KeyValueStore>,
) -> Result<AmoCrmClient, Failure> {
    let mut builder = config
        .amocrm
        .builder(tokens, concat!("amonition/", env!("CARGO_PKG_VERSION")))
        .map_err(|e| Failure::usage(settings_error(e)))?
        .batch(BatchPolicy {
            write_chunk: 250,
            ..BatchPolicy::default()
        });
    if config.amonition.shared_limit_rps > 0.0 {
        let url = config.redis.url.as_ref().ok_or_else(|| {
            Failure::usage("config key `amonition.shared_limit_rps`: needs `redis.url`")
        })?;
        let redis =
            RedisConfig::new(url.expose_secret()).with_key_prefix(config.redis.key_prefix.clone());
        let account = config.amonition.account_id.to_string();
        let budget =
            RedisRequestBudget::connect(&redis, &account, config.amonition.shared_limit_rps, 1)
                .await
                .map_err(|e| {
                    Failure::job(format!(
                        "redis {} (shared amoCRM budget): {e}",
                        url.redacted()
                    ))
                })?;
        builder = builder.budget(Arc::new(budget));
    }
    builder
        .build()
        .map_err(|e| Failure::usage(format!("config section `amocrm`: {e}")))
}

/// Builds the adapters a live run of `config` uses (what `upload` and `serve` use without `--sandbox`).
pub async fn live_services(config: &Config) -> Result<Services, Failure> {
    build(config, None).await
}

/// `sandbox_sellers` are the generated sellers of a `--sandbox` run (which also opens the in-memory backends).
async fn build(
    config: &Config,
    sandbox_sellers: Option<Arc<dyn SellerSource>>,
) -> Result<Services, Failure> {
    let backends = open_backends(config, sandbox_sellers.is_some()).await?;
    tracing::info!(
        storage = backends.database.backend(),
        lock = %backends.lock_kind,
        "backends open"
    );
    let crm = Arc::new(crm_client(config, backends.key_values.clone()).await?);
    let database = &backends.database;
    let sellers = match sandbox_sellers {
        Some(sellers) => sellers,
        None => seller_source(config, database).await?,
    };
    let transfer = TransferClient::new(&config.snatcher)
        .map_err(|e| Failure::usage(format!("config key `snatcher.{e}`")))?;
    let feeds = FeedClient::new(&config.feeds)
        .map_err(|e| Failure::usage(format!("config key `feeds.{e}`")))?;
    Ok(Services {
        crm,
        sellers,
        feeds: Arc::new(feeds),
        transfer: Arc::new(transfer),
        companies: database.companies(),
        inbox: database.inbox(),
        journal: database.processes(),
        locks: backends.locks,
    })
}

async fn seller_source(
    config: &Config,
    database: &Database,
) -> Result<Arc<dyn SellerSource>, Failure> {
    let query = if config.sellers.query_file.trim().is_empty() {
        crmsync_store::postgres::SELLERS_SQL.to_owned()
    } else {
        std::fs::read_to_string(config.sellers.query_file.trim())
            .map_err(|e| Failure::usage(format!("config key `sellers.query_file`: {e}")))?
    };
    let pool = if config.sellers.url.expose_secret().trim().is_empty() {
        match database {
            Database::Postgres(pool) => pool.clone(),
            _ => {
                return Err(Failure::usage(
                    "config key `sellers.url`: the marketplace snapshot is on PostgreSQL; set it or use a postgres storage url",
                ));
            }
        }
    } else {
        crmsync_store::postgres::connect(config.sellers.url.expose_secret().trim(), 4)
            .await
            .map_err(|e| {
                Failure::job(format!(
                    "sellers database {}: {e}",
                    config.sellers.url.redacted()
                ))
            })?
    };
    Ok(Arc::new(PgSellerSource::with_query(pool, &query)))
}

/// Runs one upload, locked and journaled (a progress bar unless `json`); used by `upload` and by the schedule
/// of `serve`. Returns the journaled process's id and the report.
pub async fn upload_locked(
    config: &Config,
    services: &Services,
    json: bool,
) -> Result<(i64, UploadReport), Failure> {
    let settings = config.upload();
    let mut tracker = Tracker::new(services.journal.clone());
    if !json {
        tracker =
            tracker.with_progress_sink(crmsync_cli::progress::for_terminal("amonition upload"));
    }
    let lock = LockOptions {
        wait: config.lock.wait(),
        ..LockOptions::new(config.lock.key.clone(), config.lock.ttl())
    };
    let new = NewProcess {
        kind: ProcessKind::new("amonition.upload").map_err(Failure::job)?,
        settings: json!({ "batch_size": settings.batch_size, "enrich_feeds": settings.enrich_feeds }),
        total: None,
    };
    let ports = UploadPorts {
        sellers: services.sellers.as_ref(),
        feeds: services.feeds.as_ref(),
        companies: services.companies.as_ref(),
        crm: services.crm.as_ref(),
    };
    let settings = &settings;
    let result = run_locked(services.locks.clone(), &lock, |_lease, _lost| {
        tracker.run(new, |context| async move {
            let process = context.id().0;
            upload::run(ports, settings, process, context.progress()).await
        })
    })
    .await;
    match result {
        Ok(tracked) => Ok((tracked.id.0, tracked.output)),
        Err(LockedError::Lock(error @ LockError::Busy { .. })) => Err(Failure::locked(error)),
        Err(LockedError::Lock(error)) => Err(Failure::job(error)),
        Err(LockedError::Job(error)) => Err(Failure::job(error)),
    }
}

async fn upload_command(config: &Config, services: &Services, json: bool) -> Result<(), Failure> {
    let (process, report) = upload_locked(config, services, json).await?;
    if json {
        println!("{}", json!({ "process": process, "report": report }));
    } else {
        println!(
            "AMONITION upload (process {process}): {} sellers in {} batches; {} companies created, {} updated, \
             {} recovered after an interruption; {} without a phone, {} with a feed; {} amoCRM requests",
            report.sellers,
            report.batches,
            report.created,
            report.updated,
            report.recovered,
            report.without_phone,
            report.with_feed,
            services.crm.stats().requests
        );
    }
    Ok(())
}

fn inbox_of(services: &Services) -> Result<&Arc<dyn WebhookInbox>, Failure> {
    services
        .inbox
        .as_ref()
        .ok_or_else(|| Failure::usage("config key `storage.url`: the webhook inbox needs PostgreSQL (or memory: in a sandbox)"))
}

async fn inbox_command(
    services: &Services,
    action: &InboxAction,
    json: bool,
) -> Result<(), Failure> {
    let inbox = inbox_of(services)?;
    let failed = |e: crmsync_ports::StoreError| Failure::job(format!("inbox: {e}"));
    match action {
        InboxAction::List { state, limit } => {
            let counts = inbox.counts().await.map_err(failed)?;
            let rows = inbox.list(*state, *limit).await.map_err(failed)?;
            if json {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|r| json!({"id": r.id, "kind": r.kind, "state": r.state, "attempts": r.attempts,
                        "last_error": r.last_error, "received_at": r.received_at, "available_at": r.available_at}))
                    .collect();
                println!("{}", json!({ "counts": counts, "rows": rows }));
            } else {
                println!(
                    "AMONITION inbox: {} pending, {} running, {} done, {} dead",
                    counts.pending, counts.running, counts.done, counts.dead
                );
                for r in rows {
                    println!(
                        "{:>8}  {:<8} {:<16} attempts {:<2} received {}  {}",
                        r.id,
                        r.state.as_str(),
                        r.kind,
                        r.attempts,
                        r.received_at.format("%Y-%m-%d %H:%M:%S"),
                        r.last_error.as_deref().unwrap_or("")
                    );
                }
            }
        }
        InboxAction::Retry { id } => {
            if !inbox.retry(*id, Utc::now()).await.map_err(failed)? {
                return Err(Failure::usage(format!(
                    "inbox row {id} does not exist or is not dead"
                )));
            }
            println!("inbox row {id} is pending again");
        }
        InboxAction::Purge {
            dead,
            older_than_days,
        } => {
            let before = Utc::now() - chrono::Duration::days(i64::from(*older_than_days));
            let n = inbox.purge(before, *dead).await.map_err(failed)?;
            println!("{n} inbox rows deleted");
        }
    }
    Ok(())
}
