//! Row mapping of the AMONITION tables for the company store of every SQL backend (`sql::company`).

use crmsync_domain::crm::CompanyId;
use crmsync_domain::seller::{CompanyLink, SellerId};
use crmsync_ports::{PendingIntent, StoreError};

/// Most ids bound in one query; larger lookups are split.
pub(crate) const MAX_IDS_PER_QUERY: usize = 10_000;

/// A `companies` row read back.
pub(crate) fn link(seller_id: &str, company_id: &str) -> Result<CompanyLink, StoreError> {
    let seller = SellerId::parse(seller_id).map_err(|e| StoreError::Corrupt {
        what: "companies.seller_id",
        reason: e.to_string(),
    })?;
    let company = company_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| StoreError::Corrupt {
            what: "companies.company_id",
            reason: "not a positive integer".into(),
        })?;
    Ok(CompanyLink::new(seller, CompanyId(company)))
}

/// An `amonition_intents` row read back.
pub(crate) fn intent(seller_id: &str, process: i64) -> Result<PendingIntent, StoreError> {
    let seller_id = SellerId::parse(seller_id).map_err(|e| StoreError::Corrupt {
        what: "amonition_intents.seller_id",
        reason: e.to_string(),
    })?;
    Ok(PendingIntent { seller_id, process })
}

/// Seller ids as bound text.
pub(crate) fn seller_texts(sellers: &[SellerId]) -> Vec<String> {
    sellers.iter().map(|s| s.as_str().to_owned()).collect()
}

/// Company ids as stored text.
pub(crate) fn company_texts(companies: &[CompanyId]) -> Vec<String> {
    companies.iter().map(|c| c.0.to_string()).collect()
}

/// `links` with one link per seller (the last wins), as one bulk statement requires.
pub(crate) fn last_per_seller(links: &[CompanyLink]) -> Vec<&CompanyLink> {
    let mut seen = std::collections::HashMap::with_capacity(links.len());
    for (i, l) in links.iter().enumerate() {
        seen.insert(&l.seller_id, i);
    }
    let mut keep: Vec<usize> = seen.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| &links[i]).collect()
}
