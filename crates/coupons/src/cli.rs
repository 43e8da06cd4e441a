//! The command line of `coupons`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use crmsync_cli::args::CommonArgs;
use crmsync_domain::ProcessId;
use crmsync_domain::coupon::SettingsDraft;

use crate::i18n::Lang;

/// Generates unique discount coupons from templates as resumable runs.
#[derive(Debug, Parser)]
#[command(
    name = "coupons",
    version,
    about = "Template-driven unique discount coupons (# digit, $ Latin letter, @ Cyrillic letter, \\ escapes)"
)]
pub struct Cli {
    /// Flags every crmsync binary has.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Language of messages and reports: en or ru (default: from LC_ALL, LC_MESSAGES or LANG, else en).
    #[arg(long, value_name = "LANG", global = true)]
    pub lang: Option<Lang>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Shows sample codes of a template (drawn freely, nothing stored).
    Preview(PreviewArgs),
    /// Generates and stores coupons as a new run, with a progress bar.
    Generate(Box<GenerateArgs>),
    /// Continues a run that was interrupted or killed.
    Resume {
        /// The run's id, or `latest`.
        id: RunRef,
    },
    /// Stops a run for good (its coupons stay; see delete-unused).
    Abort {
        /// The run's id, or `latest`.
        id: RunRef,
    },
    /// Deletes a finished or aborted run's unused coupons.
    DeleteUnused {
        /// The run's id, or `latest`.
        id: RunRef,
    },
    /// Shows the audit: who changed what, when, with what outcome (newest first).
    Audit {
        /// Only this run's entries.
        #[arg(long, value_name = "ID")]
        run: Option<ProcessId>,
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Lists the latest runs.
    List {
        /// How many runs.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Shows one run.
    Show {
        /// The run's id, or `latest`.
        id: RunRef,
    },
    /// Writes a run's coupons.
    Export(ExportArgs),
    /// Serves the HTTP step API behind named tokens with roles (see docs/coupons.md).
    Serve(ServeArgs),
}

/// Which letters and placeholders a template uses.
#[derive(Debug, Clone, Default, Args)]
pub struct TemplateOptions {
    /// Letters of `$` and `@`: upper (default), lower or mixed.
    #[arg(long)]
    pub case: Option<String>,
    /// Leave out look-alike characters (0/O, 1/I/l, Cyrillic letters next to their Latin twins).
    #[arg(long)]
    pub exclude_lookalikes: bool,
    /// An extra placeholder, `SYMBOL=COLLECTION[,COLLECTION…]` with digits, latin, cyrillic, special
    /// (e.g. `*=digits,latin`); repeatable.
    #[arg(long = "placeholder", value_name = "SPEC")]
    pub placeholders: Vec<String>,
}

/// `coupons preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The template, e.g. `SALE-$$$-###`.
    pub template: String,
    /// How many sample codes.
    #[arg(short = 'n', long = "count", default_value_t = 20)]
    pub count: usize,
    /// Template options.
    #[command(flatten)]
    pub options: TemplateOptions,
}

impl PreviewArgs {
    /// The settings a preview reads.
    pub fn draft(&self) -> SettingsDraft {
        SettingsDraft {
            template: Some(self.template.clone()),
            case: self.options.case.clone(),
            exclude_lookalikes: Some(self.options.exclude_lookalikes),
            placeholders: self.options.placeholders.clone(),
            ..SettingsDraft::default()
        }
    }
}

/// `coupons generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The template, e.g. `SALE-$$$-###`.
    #[arg(long)]
    pub template: String,
    /// How many coupons.
    #[arg(long)]
    pub count: u64,
    /// The discount (cart rule) id the coupons apply.
    #[arg(long)]
    pub discount: u64,
    /// basket_row (1), one_order (2) or multi_order (4).
    #[arg(long = "type", default_value = "one_order")]
    pub coupon_type: String,
    /// How many orders a multi_order coupon may be used in (required for multi_order).
    #[arg(long)]
    pub max_uses: Option<u64>,
    /// Not usable before (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub active_from: Option<String>,
    /// Not usable after (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub active_to: Option<String>,
    /// Store the coupons inactive.
    #[arg(long)]
    pub inactive: bool,
    /// A note for administrators.
    #[arg(long)]
    pub description: Option<String>,
    /// The only user who may apply the coupons.
    #[arg(long)]
    pub user_id: Option<u64>,
    /// Template options.
    #[command(flatten)]
    pub options: TemplateOptions,
    /// Check the settings and show the plan; store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl GenerateArgs {
    /// The settings to check.
    pub fn draft(&self) -> SettingsDraft {
        SettingsDraft {
            template: Some(self.template.clone()),
            count: Some(self.count),
            discount_id: Some(self.discount),
            coupon_type: Some(self.coupon_type.clone()),
            active: Some(!self.inactive),
            active_from: self.active_from.clone(),
            active_to: self.active_to.clone(),
            max_uses: self.max_uses,
            user_id: self.user_id,
            description: self.description.clone(),
            case: self.options.case.clone(),
            exclude_lookalikes: Some(self.options.exclude_lookalikes),
            placeholders: self.options.placeholders.clone(),
        }
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One row per coupon with every field, after a header row.
    Csv,
    /// One code per line.
    Codes,
}

/// `coupons export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run's id, or `latest`.
    pub id: RunRef,
    /// The format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `coupons serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen here instead of `serve.address` of the config (default 127.0.0.1:8403; port 0 picks a free one).
    #[arg(long)]
    pub address: Option<SocketAddr>,
    /// Start, fetch the page once to show it is served, print its URL and stop (a health check; the demo).
    #[arg(long)]
    pub check: bool,
}

/// A run named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunRef {
    /// The newest generation run.
    Latest,
    /// This run.
    Id(ProcessId),
}

impl FromStr for RunRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Self::Latest);
        }
        s.parse::<ProcessId>()
            .ok()
            .filter(|id| id.0 > 0)
            .map(Self::Id)
            .ok_or_else(|| format!("`{s}` is not a process id (a positive number) or `latest`"))
    }
}

impl fmt::Display for RunRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Id(id) => id.fmt(f),
        }
    }
}
