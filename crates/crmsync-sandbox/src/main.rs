//! `crmsync-sandbox`: runs the emulators standalone so any code can be pointed at a fake account.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator, Fixture, GenerateCounts};
use crmsync_sandbox::{FaultPlan, SandboxError};

/// Loopback emulators of the systems crmsync talks to.
#[derive(Debug, Parser)]
#[command(name = "crmsync-sandbox", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve one or more emulators until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Serve the amoCRM (Kommo) API v4 emulator.
    #[arg(long)]
    amocrm: bool,
    #[command(flatten)]
    amocrm_options: AmoCrmArgs,
    /// Serve the Officeflow office-platform emulator (docs/officeflow-api.md).
    #[arg(long)]
    officeflow: bool,
    #[command(flatten)]
    officeflow_options: OfficeflowArgs,
    /// Serve the CyberJustice court-case monitoring emulator (docs/cyberjustice-api.md) with case monitoring's
    /// sample cases.
    #[arg(long)]
    cyberjustice: bool,
    #[command(flatten)]
    cyberjustice_options: CyberJusticeArgs,
}

#[derive(Debug, Args)]
struct CyberJusticeArgs {
    /// Address of the CyberJustice emulator.
    #[arg(long, default_value = "127.0.0.1:8703")]
    cyberjustice_addr: SocketAddr,
    /// Requests per second allowed per client (the real service allows 1).
    #[arg(long, default_value_t = 1)]
    cyberjustice_rate_limit: u32,
    /// Distinct valid cases of the sample world (the demo world when not given).
    #[arg(long)]
    cyberjustice_cases: Option<usize>,
}

#[derive(Debug, Args)]
struct OfficeflowArgs {
    /// Address of the Officeflow emulator.
    #[arg(long, default_value = "127.0.0.1:8702")]
    officeflow_addr: SocketAddr,
    /// Users of the generated organisation.
    #[arg(long, default_value_t = 1_000)]
    officeflow_users: usize,
    /// Seed of the generated organisation.
    #[arg(long, default_value_t = 4)]
    officeflow_seed: u64,
}

#[derive(Debug, Args)]
struct AmoCrmArgs {
    /// Address of the amoCRM emulator (loopback by default; port 0 picks a free port).
    #[arg(
        long = "addr",
        visible_alias = "amocrm-addr",
        default_value = "127.0.0.1:8701"
    )]
    addr: SocketAddr,
    /// Seed data: a JSON fixture (see docs/sandbox.md). Default: the standard account.
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Seed of generated entities and of the fault plan.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Generate this many leads (and as many contacts, a tenth as many companies) from --seed.
    #[arg(long, default_value_t = 0, conflicts_with = "fixture")]
    generate: usize,
    /// Serve without rate limits.
    #[arg(long)]
    no_rate_limit: bool,
    /// Requests per second allowed per client.
    #[arg(long, default_value_t = 7)]
    rate_limit: u32,
    /// Answer 429 with an HTML page instead of JSON.
    #[arg(long)]
    html_429: bool,
    /// A file holding the long-lived token to accept (it is never printed). Without it a demo token is made up.
    #[arg(long)]
    long_lived_token_file: Option<PathBuf>,
    /// A JSON fault plan (see docs/sandbox.md).
    #[arg(long)]
    faults: Option<PathBuf>,
    /// OAuth client id.
    #[arg(long, env = "SANDBOX_AMOCRM_CLIENT_ID")]
    client_id: Option<String>,
    /// OAuth client secret.
    #[arg(long, env = "SANDBOX_AMOCRM_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// OAuth redirect URI.
    #[arg(long)]
    redirect_uri: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    if !args.amocrm && !args.officeflow && !args.cyberjustice {
        anyhow::bail!("nothing to serve: pass --amocrm, --officeflow and/or --cyberjustice");
    }
    let emulator = if args.amocrm {
        Some(start_amocrm(&args.amocrm_options).await?)
    } else {
        None
    };
    let officeflow = if args.officeflow {
        Some(start_officeflow(&args.officeflow_options).await?)
    } else {
        None
    };
    let cyberjustice = if args.cyberjustice {
        Some(start_cyberjustice(&args.cyberjustice_options).await?)
    } else {
        None
    };
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    println!("stopping");
    drop(officeflow);
    if let Some(cyberjustice) = cyberjustice {
        cyberjustice.shutdown().await;
    }
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

async fn start_cyberjustice(
    args: &CyberJusticeArgs,
) -> anyhow::Result<crmsync_sandbox::cyberjustice::CyberJusticeEmulator> {
    use crmsync_sandbox::case_monitoring::{SampleSpec, SampleWorld, SandboxOptions};
    use crmsync_sandbox::cyberjustice::{CyberJusticeEmulator, DEFAULT_API_KEY};
    if args.cyberjustice_rate_limit == 0 {
        anyhow::bail!("--cyberjustice-rate-limit must be at least 1");
    }
    let spec = match args.cyberjustice_cases {
        Some(cases) => SampleSpec::plain(cases),
        None => SampleSpec::demo(),
    };
    let clock = crmsync_sandbox::SandboxClock::real();
    let world = SampleWorld::build(spec, clock.now_unix());
    let options = SandboxOptions {
        cyberjustice_rate_per_s: args.cyberjustice_rate_limit,
        ..SandboxOptions::default()
    };
    let config = crmsync_sandbox::cyberjustice::EmulatorConfig {
        addr: args.cyberjustice_addr,
        ..crmsync_sandbox::case_monitoring::cyberjustice_config(&world, &options, clock)
    };
    if !args.cyberjustice_addr.ip().is_loopback() {
        eprintln!(
            "warning: the CyberJustice emulator listens on a non-loopback address: {}",
            args.cyberjustice_addr
        );
    }
    let emulator = CyberJusticeEmulator::start(config).await?;
    println!("CyberJustice emulator: {}", emulator.base_url());
    println!(
        "  API key {DEFAULT_API_KEY} (header X-Api-Key) · limit {} · {} cases known, {} monitored",
        world.spec.limit,
        world.cyberjustice.cases.len(),
        world.cyberjustice.monitored.len()
    );
    println!(
        "  curl -H 'X-Api-Key: {DEFAULT_API_KEY}' {}/api/v1/monitoring/cases",
        emulator.base_url()
    );
    Ok(emulator)
}

async fn start_officeflow(
    args: &OfficeflowArgs,
) -> anyhow::Result<crmsync_sandbox::officeflow::OfficeflowEmulator> {
    use crmsync_sandbox::officeflow::{EmulatorConfig, OfficeflowEmulator, Org, OrgSpec};
    let spec = OrgSpec {
        seed: args.officeflow_seed,
        ..OrgSpec::new(args.officeflow_users)
    };
    let emulator = OfficeflowEmulator::start_on(
        args.officeflow_addr,
        Org::generate(&spec),
        EmulatorConfig::default(),
    )
    .await?;
    println!("Officeflow emulator: {}", emulator.base_url());
    println!(
        "  app key {} · app secret {} · {} users on wecom and dingtalk (seed {})",
        emulator.app_key(),
        emulator.app_secret(),
        args.officeflow_users,
        args.officeflow_seed
    );
    println!(
        "  token: curl -X POST -d '{{\"app_key\":\"{}\",\"app_secret\":\"…\"}}' {}/token",
        emulator.app_key(),
        emulator.base_url()
    );
    Ok(emulator)
}

async fn start_amocrm(args: &AmoCrmArgs) -> anyhow::Result<AmoCrmEmulator> {
    let mut config = AmoCrmConfig {
        addr: args.addr,
        seed: args.seed,
        html_429: args.html_429,
        rate_limit_per_s: (!args.no_rate_limit).then_some(args.rate_limit),
        ..AmoCrmConfig::default()
    };
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: the amoCRM emulator listens on a non-loopback address: {}",
            args.addr
        );
    }
    config.fixture = match (&args.fixture, args.generate) {
        (Some(path), _) => Fixture::from_json_file(path)?,
        (None, 0) => Fixture::standard(),
        (None, n) => Fixture::generated(
            args.seed,
            GenerateCounts {
                companies: n.div_ceil(10),
                contacts: n,
                leads: n,
                tasks: 0,
            },
        ),
    };
    if let Some(path) = &args.faults {
        config.faults = read_faults(path)?;
    }
    let custom_secret = args.client_secret.is_some();
    if let Some(id) = &args.client_id {
        config.client_id.clone_from(id);
    }
    if let Some(secret) = &args.client_secret {
        config.client_secret.clone_from(secret);
    }
    if let Some(uri) = &args.redirect_uri {
        config.redirect_uri.clone_from(uri);
    }
    let (token, token_from_file) = match &args.long_lived_token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| SandboxError::ReadFile {
                what: "token",
                file: path.display().to_string(),
                source,
            })?;
            let token = text.trim().to_owned();
            if token.is_empty() {
                anyhow::bail!("the long-lived token file {} is empty", path.display());
            }
            (token, true)
        }
        None => (
            format!("sandbox-demo-{}", uuid::Uuid::new_v4().simple()),
            false,
        ),
    };
    config.long_lived_token = Some(token.clone());
    let client_secret_line = if custom_secret {
        "(the one you passed)".to_owned()
    } else {
        config.client_secret.clone()
    };
    let emulator = AmoCrmEmulator::start(config).await?;
    let base = emulator.base_url();
    println!("amoCRM emulator: {base}");
    println!(
        "  API:            {base}/api/v4/leads, /contacts, /companies, /tasks, /leads/pipelines, ..."
    );
    if token_from_file {
        println!(
            "  token:          the long-lived token from {}",
            args.long_lived_token_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    } else {
        println!("  demo token:     {token}");
        println!("                  curl -H 'Authorization: Bearer {token}' {base}/api/v4/account");
    }
    println!(
        "  OAuth:          client_id {} · client_secret {client_secret_line} · redirect_uri {}",
        emulator.client_id(),
        emulator.redirect_uri()
    );
    println!("                  code:  curl -X POST {base}/sandbox/amocrm/authorization_code");
    println!(
        "                  token: POST {base}/oauth2/access_token (grant_type authorization_code | refresh_token)"
    );
    println!("  introspection:  {base}/sandbox/amocrm/stats · {base}/sandbox/amocrm/dump");
    Ok(emulator)
}

fn read_faults(path: &std::path::Path) -> Result<FaultPlan, SandboxError> {
    let text = std::fs::read_to_string(path).map_err(|source| SandboxError::ReadFile {
        what: "faults",
        file: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| SandboxError::ParseFile {
        what: "faults",
        file: path.display().to_string(),
        source,
    })
}
