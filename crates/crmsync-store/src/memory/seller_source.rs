//! AMONITION's `SellerSource` in memory: marketplace users with their listings, folded on read (sandbox, tests).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crmsync_domain::seller::{ListingFacts, Seller, SellerId, SellerProfile};
use crmsync_ports::{SellerBatches, SellerSource, StoreError};

use super::lock;

type Users = BTreeMap<SellerId, (SellerProfile, Vec<ListingFacts>)>;

/// [`SellerSource`] over users kept in memory; clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemorySellerSource {
    users: Arc<Mutex<Users>>,
}

impl MemorySellerSource {
    /// An empty marketplace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) users with their listings.
    pub fn insert(&self, users: impl IntoIterator<Item = (SellerProfile, Vec<ListingFacts>)>) {
        let mut all = lock(&self.users);
        for (profile, listings) in users {
            all.insert(profile.id.clone(), (profile, listings));
        }
    }
}

struct Batches {
    users: Arc<Mutex<Users>>,
    after: Option<SellerId>,
}

#[async_trait]
impl SellerBatches for Batches {
    async fn next_batch(&mut self, max: usize) -> Result<Vec<Seller>, StoreError> {
        let users = lock(&self.users);
        let range: Box<dyn Iterator<Item = (&SellerId, &(SellerProfile, Vec<ListingFacts>))>> =
            match &self.after {
                Some(after) => Box::new(
                    users
                        .range(after.clone()..)
                        .filter(move |(id, _)| *id != after),
                ),
                None => Box::new(users.iter()),
            };
        let batch: Vec<Seller> = range
            .filter(|(_, (_, listings))| !listings.is_empty())
            .take(max.max(1))
            .map(|(_, (profile, listings))| Seller::aggregate(profile, listings))
            .collect();
        drop(users);
        if let Some(last) = batch.last() {
            self.after = Some(last.id.clone());
        }
        Ok(batch)
    }
}

#[async_trait]
impl SellerSource for MemorySellerSource {
    async fn open(&self) -> Result<Box<dyn SellerBatches>, StoreError> {
        Ok(Box::new(Batches {
            users: self.users.clone(),
            after: None,
        }))
    }

    async fn seller(&self, id: &SellerId) -> Result<Option<Seller>, StoreError> {
        Ok(lock(&self.users)
            .get(id)
            .map(|(profile, listings)| Seller::aggregate(profile, listings)))
    }

    async fn user_exists(&self, id: &SellerId) -> Result<bool, StoreError> {
        Ok(lock(&self.users).contains_key(id))
    }
}
