//! AMONITION's seller ↔ company links and create intents in memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crmsync_domain::crm::CompanyId;
use crmsync_domain::seller::{CompanyLink, SellerId};
use crmsync_ports::{CompanyStore, PendingIntent, StoreError};

use super::lock;

#[derive(Debug, Default)]
struct State {
    links: BTreeMap<SellerId, CompanyId>,
    intents: BTreeMap<SellerId, (u64, i64)>,
    next: u64,
}

/// [`CompanyStore`] in memory; clones share state.
#[derive(Debug, Clone, Default)]
pub struct MemoryCompanyStore {
    state: Arc<Mutex<State>>,
}

impl MemoryCompanyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl CompanyStore for MemoryCompanyStore {
    async fn by_sellers(&self, sellers: &[SellerId]) -> Result<Vec<CompanyLink>, StoreError> {
        let state = lock(&self.state);
        let mut out: Vec<CompanyLink> = sellers
            .iter()
            .filter_map(|s| state.links.get(s).map(|c| CompanyLink::new(s.clone(), *c)))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn by_companies(&self, companies: &[CompanyId]) -> Result<Vec<CompanyLink>, StoreError> {
        let state = lock(&self.state);
        Ok(state
            .links
            .iter()
            .filter(|(_, c)| companies.contains(c))
            .map(|(s, c)| CompanyLink::new(s.clone(), *c))
            .collect())
    }

    async fn save(&self, links: &[CompanyLink]) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        for l in links {
            state.links.insert(l.seller_id.clone(), l.company_id);
            state.intents.remove(&l.seller_id);
        }
        Ok(())
    }

    async fn journal_intents(&self, process: i64, sellers: &[SellerId]) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        for s in sellers {
            state.next += 1;
            let order = state.next;
            state.intents.insert(s.clone(), (order, process));
        }
        Ok(())
    }

    async fn pending_intents(&self, limit: u32) -> Result<Vec<PendingIntent>, StoreError> {
        let state = lock(&self.state);
        let mut all: Vec<(u64, PendingIntent)> = state
            .intents
            .iter()
            .map(|(s, (order, process))| {
                (
                    *order,
                    PendingIntent {
                        seller_id: s.clone(),
                        process: *process,
                    },
                )
            })
            .collect();
        all.sort_by_key(|(order, _)| *order);
        Ok(all
            .into_iter()
            .take(limit as usize)
            .map(|(_, i)| i)
            .collect())
    }

    async fn drop_intents(&self, sellers: &[SellerId]) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        for s in sellers {
            state.intents.remove(s);
        }
        Ok(())
    }

    async fn count(&self) -> Result<u64, StoreError> {
        Ok(lock(&self.state).links.len() as u64)
    }
}
