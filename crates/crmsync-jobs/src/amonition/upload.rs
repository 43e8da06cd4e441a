//! The scheduled upload of sellers as amoCRM companies.
//!
//! Sellers are streamed in batches (500 by default). Per batch: one feed-service lookup, one link lookup, then
//! companies created (250 per request) and updated. Before a create request the batch's sellers are journaled
//! as create intents; links are written as soon as amoCRM returns ids (matched by `request_id`, which is the
//! seller id) and drop their intents in the same transaction. A run that starts with intents left by a crash
//! looks those companies up by the seller-id field first, so no seller ever gets two companies. A create whose
//! answer was lost is resolved the same way before anything is sent again.

use std::collections::HashMap;

use crmsync_domain::crm::{Company, CompanyId, NewCompany};
use crmsync_domain::seller::{CompanyLink, SellerFields, SellerId};
use crmsync_ports::{
    CompanyFilter, CompanyStore, CrmClient, CrmError, FeedService, Progress, SellerSource,
    ServiceError, StoreError,
};
use serde::Serialize;

use super::plan::plan_batch;

/// Sellers per batch unless configured otherwise (the source document's figure).
pub const DEFAULT_BATCH_SIZE: usize = 500;

/// How many times a create whose answer was lost is looked up and, when absent, sent again within one run.
const CREATE_ROUNDS: usize = 3;

/// What the upload needs.
#[derive(Clone, Copy)]
pub struct UploadPorts<'a> {
    /// The marketplace's sellers.
    pub sellers: &'a dyn SellerSource,
    /// The feed service.
    pub feeds: &'a dyn FeedService,
    /// Links and intents.
    pub companies: &'a dyn CompanyStore,
    /// amoCRM.
    pub crm: &'a dyn CrmClient,
}

/// How the upload runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSettings {
    /// Sellers per batch.
    pub batch_size: usize,
    /// Which company field receives which value.
    pub fields: SellerFields,
    /// Whether feeds are looked up in the feed service.
    pub enrich_feeds: bool,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct UploadReport {
    /// Sellers read.
    pub sellers: u64,
    /// Batches processed.
    pub batches: u64,
    /// Companies created.
    pub created: u64,
    /// Companies updated.
    pub updated: u64,
    /// Companies found by the seller-id field after a crash or a lost answer, and linked.
    pub recovered: u64,
    /// Sellers without a usable phone.
    pub without_phone: u64,
    /// Sellers with a feed.
    pub with_feed: u64,
}

/// Why an upload stopped.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Storage (sellers, links, intents) failed.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// amoCRM failed.
    #[error("amoCRM: {0}")]
    Crm(#[from] CrmError),
    /// The feed service failed.
    #[error("feed service: {0}")]
    Feeds(#[from] ServiceError),
    /// The settings cannot work.
    #[error("upload settings: {0}")]
    Settings(String),
}

/// Runs one upload as run `process` (the journal id that intents carry).
pub async fn run(
    ports: UploadPorts<'_>,
    settings: &UploadSettings,
    process: i64,
    progress: &dyn Progress,
) -> Result<UploadReport, UploadError> {
    if settings.batch_size == 0 || settings.batch_size > 10_000 {
        return Err(UploadError::Settings(
            "batch_size must be within 1..=10000".into(),
        ));
    }
    let mut report = UploadReport::default();
    report.recovered += resolve_pending(ports, &settings.fields, progress).await?;
    let mut cursor = ports.sellers.open().await?;
    loop {
        let batch = cursor.next_batch(settings.batch_size).await?;
        if batch.is_empty() {
            break;
        }
        let ids: Vec<SellerId> = batch.iter().map(|s| s.id.clone()).collect();
        let feeds = if settings.enrich_feeds {
            ports.feeds.feeds(&ids).await?
        } else {
            Default::default()
        };
        let links = ports.companies.by_sellers(&ids).await?;
        let plan = plan_batch(batch, &feeds, &links, &settings.fields);
        report.sellers += plan.counts.sellers;
        report.without_phone += plan.counts.without_phone;
        report.with_feed += plan.counts.with_feed;
        if !plan.creates.is_empty() {
            ports
                .companies
                .journal_intents(process, &plan.create_sellers)
                .await?;
            let outcome = create(ports, &settings.fields, plan.creates).await?;
            report.created += outcome.created;
            report.recovered += outcome.recovered;
        }
        if !plan.updates.is_empty() {
            report.updated += ports.crm.update_companies(&plan.updates).await?.len() as u64;
        }
        report.batches += 1;
        progress.advance(plan.counts.sellers);
        progress.message(&format!(
            "{} sellers: {} created, {} updated",
            report.sellers, report.created, report.updated
        ));
    }
    Ok(report)
}

#[derive(Default)]
struct CreateOutcome {
    created: u64,
    recovered: u64,
}

/// Creates `companies` (journaled already), writing links as ids come back; creates with an unknown outcome
/// are looked up and, when absent, sent again.
async fn create(
    ports: UploadPorts<'_>,
    fields: &SellerFields,
    mut companies: Vec<NewCompany>,
) -> Result<CreateOutcome, UploadError> {
    let mut outcome = CreateOutcome::default();
    for round in 0..CREATE_ROUNDS {
        let by_request: HashMap<String, SellerId> = companies
            .iter()
            .filter_map(|c| {
                let id = c.request_id.as_deref()?;
                SellerId::parse(id).ok().map(|s| (id.to_owned(), s))
            })
            .collect();
        let (written, undecided, failure) = match ports.crm.add_companies(&companies).await {
            Ok(created) => (
                created.into_iter().map(|c| (c.request_id, c.id)).collect(),
                Vec::new(),
                None,
            ),
            Err(error @ (CrmError::Ambiguous { .. } | CrmError::Partial { .. })) => {
                let written: Vec<(String, CompanyId)> = error
                    .written()
                    .iter()
                    .map(|w| (w.request_id.clone(), CompanyId(w.id)))
                    .collect();
                let undecided = error.undecided().to_vec();
                let root = error.root();
                let settled = matches!(root, CrmError::Ambiguous { .. }) || root.is_transient();
                (written, undecided, (!settled).then_some(error))
            }
            Err(error) => return Err(error.into()),
        };
        let written: HashMap<String, CompanyId> = written.into_iter().collect();
        let links: Vec<CompanyLink> = written
            .iter()
            .filter_map(|(request, id)| {
                by_request
                    .get(request)
                    .map(|s| CompanyLink::new(s.clone(), *id))
            })
            .collect();
        ports.companies.save(&links).await?;
        outcome.created += links.len() as u64;
        let mut missing = Vec::new();
        for (request, seller) in &by_request {
            if written.contains_key(request) {
                continue;
            }
            let found = if undecided.contains(request) {
                find_company(ports.crm, fields, seller).await?
            } else {
                None
            };
            match found {
                Some(company) => {
                    ports
                        .companies
                        .save(&[CompanyLink::new(seller.clone(), company)])
                        .await?;
                    outcome.recovered += 1;
                }
                None => missing.push(request.clone()),
            }
        }
        if let Some(error) = failure {
            return Err(error.into());
        }
        if missing.is_empty() {
            return Ok(outcome);
        }
        tracing::info!(
            round,
            count = missing.len(),
            "creates with a lost answer were not made; sending them again"
        );
        companies.retain(|c| c.request_id.as_ref().is_some_and(|r| missing.contains(r)));
    }
    tracing::warn!(
        count = companies.len(),
        "creates still undecided; the next run resolves their intents"
    );
    Ok(outcome)
}

/// Looks up the company whose seller-id field holds `seller` (the oldest if several do).
pub async fn find_company(
    crm: &dyn CrmClient,
    fields: &SellerFields,
    seller: &SellerId,
) -> Result<Option<CompanyId>, CrmError> {
    let filter = CompanyFilter {
        query: Some(seller.as_str().to_owned()),
        ..CompanyFilter::default()
    };
    let mut cursor = None;
    let mut best: Option<CompanyId> = None;
    for _ in 0..crmsync_ports::MAX_PAGES {
        let page = crm.list_companies(&filter, cursor).await?;
        for company in &page.items {
            if holds(company, fields, seller) && best.is_none_or(|b| company.id.0 < b.0) {
                best = Some(company.id);
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(best)
}

fn holds(company: &Company, fields: &SellerFields, seller: &SellerId) -> bool {
    !company.is_deleted
        && company.custom_fields.text(fields.seller_id).as_deref() == Some(seller.as_str())
}

/// Resolves the intents a crashed run left: each seller's company is looked up and linked, or the intent is
/// dropped so the seller is created again below.
async fn resolve_pending(
    ports: UploadPorts<'_>,
    fields: &SellerFields,
    progress: &dyn Progress,
) -> Result<u64, UploadError> {
    let mut recovered = 0;
    loop {
        let pending = ports.companies.pending_intents(250).await?;
        if pending.is_empty() {
            return Ok(recovered);
        }
        progress.message(&format!(
            "resolving {} create intents of an interrupted run",
            pending.len()
        ));
        let mut links = Vec::new();
        let mut absent = Vec::new();
        for intent in pending {
            match find_company(ports.crm, fields, &intent.seller_id).await? {
                Some(company) => links.push(CompanyLink::new(intent.seller_id, company)),
                None => absent.push(intent.seller_id),
            }
        }
        recovered += links.len() as u64;
        ports.companies.save(&links).await?;
        ports.companies.drop_intents(&absent).await?;
    }
}
