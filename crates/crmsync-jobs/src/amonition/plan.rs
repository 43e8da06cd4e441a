//! The pure part of an upload batch: sellers enriched with their feeds, split into companies to create (those
//! without a link) and companies to update (those with one).

use std::collections::{BTreeMap, HashMap, HashSet};

use crmsync_domain::crm::{CompanyUpdate, NewCompany};
use crmsync_domain::seller::{CompanyLink, FeedInfo, Seller, SellerFields, SellerId};
use serde::Serialize;

/// What one batch sends to amoCRM.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchPlan {
    /// Companies to create, each with the seller id as `request_id`.
    pub creates: Vec<NewCompany>,
    /// The sellers of `creates`, in the same order.
    pub create_sellers: Vec<SellerId>,
    /// Updates of linked companies.
    pub updates: Vec<CompanyUpdate>,
    /// Figures of the batch.
    pub counts: BatchCounts,
}

/// Figures of a planned batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BatchCounts {
    /// Sellers in the batch (after duplicates were dropped).
    pub sellers: u64,
    /// Of them, without a usable phone.
    pub without_phone: u64,
    /// Of them, with a feed from the feed service.
    pub with_feed: u64,
    /// Sellers that appeared twice in the batch (the last one counts).
    pub duplicates: u64,
}

/// Plans one batch: `sellers` get their `feeds`; those with a link in `links` become updates of their company,
/// the others new companies.
pub fn plan_batch(
    sellers: Vec<Seller>,
    feeds: &BTreeMap<SellerId, FeedInfo>,
    links: &[CompanyLink],
    fields: &SellerFields,
) -> BatchPlan {
    let linked: HashMap<&SellerId, _> =
        links.iter().map(|l| (&l.seller_id, l.company_id)).collect();
    let mut last: HashMap<SellerId, usize> = HashMap::with_capacity(sellers.len());
    for (i, seller) in sellers.iter().enumerate() {
        last.insert(seller.id.clone(), i);
    }
    let mut plan = BatchPlan::default();
    let mut seen = HashSet::with_capacity(sellers.len());
    for (i, mut seller) in sellers.into_iter().enumerate() {
        if last.get(&seller.id) != Some(&i) || !seen.insert(seller.id.clone()) {
            plan.counts.duplicates += 1;
            continue;
        }
        if let Some(feed) = feeds.get(&seller.id) {
            seller.feed = feed.clone();
            plan.counts.with_feed += 1;
        }
        plan.counts.sellers += 1;
        if seller.phone.is_none() {
            plan.counts.without_phone += 1;
        }
        match linked.get(&seller.id) {
            Some(company) => plan.updates.push(seller.company_update(*company, fields)),
            None => {
                plan.creates.push(seller.new_company(fields));
                plan.create_sellers.push(seller.id.clone());
            }
        }
    }
    plan
}
