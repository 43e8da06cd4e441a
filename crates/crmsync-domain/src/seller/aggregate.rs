//! The `Seller` aggregate and the listing facts it is folded from.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::id::SellerId;
use crate::phone::Phone;

/// Where a listing stands on the marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// Published and visible.
    Active,
    /// Waiting for moderation.
    Moderation,
    /// Refused by moderation.
    Rejected,
    /// Withdrawn by the seller or expired.
    Archived,
    /// Blocked by the marketplace.
    Blocked,
}

impl ListingStatus {
    /// Every status, in the order counts are reported.
    pub const ALL: [Self; 5] = [
        Self::Active,
        Self::Moderation,
        Self::Rejected,
        Self::Archived,
        Self::Blocked,
    ];

    /// The stored name (`active`, `moderation`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Moderation => "moderation",
            Self::Rejected => "rejected",
            Self::Archived => "archived",
            Self::Blocked => "blocked",
        }
    }

    /// The status stored as `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    const fn index(self) -> usize {
        match self {
            Self::Active => 0,
            Self::Moderation => 1,
            Self::Rejected => 2,
            Self::Archived => 3,
            Self::Blocked => 4,
        }
    }
}

/// How a listing was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingSource {
    /// Loaded from the seller's feed ("Автозагрузка").
    Autoload,
    /// Typed into the marketplace's form ("Форма").
    Form,
}

/// The condition of the item a listing offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingCondition {
    /// New.
    New,
    /// Used ("б/у").
    Used,
}

/// Listing counts of one seller, in total and per status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListingCounts {
    by_status: [u64; 5],
}

impl ListingCounts {
    /// Counts with `count` listings in `status` added.
    #[must_use]
    pub fn with(mut self, status: ListingStatus, count: u64) -> Self {
        self.add(status, count);
        self
    }

    /// Adds `count` listings in `status`.
    pub fn add(&mut self, status: ListingStatus, count: u64) {
        let slot = &mut self.by_status[status.index()];
        *slot = slot.saturating_add(count);
    }

    /// Listings in `status`.
    pub fn of(&self, status: ListingStatus) -> u64 {
        self.by_status[status.index()]
    }

    /// All listings.
    pub fn total(&self) -> u64 {
        self.by_status
            .iter()
            .fold(0u64, |a, b| a.saturating_add(*b))
    }
}

/// The seller's feed as the feed service knows it. Its `Debug` shows each address without user info, query or
/// fragment, where a feed's access token would be.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeedInfo {
    /// The feed's current address.
    pub url: Option<String>,
    /// Where the report of the feed's errors is.
    pub errors_url: Option<String>,
}

impl std::fmt::Debug for FeedInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedInfo")
            .field("url", &self.url.as_deref().map(without_secrets))
            .field(
                "errors_url",
                &self.errors_url.as_deref().map(without_secrets),
            )
            .finish()
    }
}

/// `url` without user info, query and fragment (`https://feeds.example/a.xml`).
fn without_secrets(url: &str) -> String {
    let path_end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..path_end];
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// The flags the source document exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SellerFlags {
    /// Has listings created by autoload.
    pub autoload: bool,
    /// Has listings created through the form.
    pub form: bool,
    /// Has listings of used items.
    pub used: bool,
    /// Has listings of new items.
    pub new: bool,
}

/// What the marketplace knows about a user, before listings are folded in.
#[derive(Clone, PartialEq, Eq)]
pub struct SellerProfile {
    /// The user id.
    pub id: SellerId,
    /// The phone as stored (it may not be a phone).
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Where the seller sells from.
    pub sale_address: Option<String>,
    /// First visit to the marketplace.
    pub first_visit_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for SellerProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SellerProfile")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// One listing as the aggregation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingFacts {
    /// Its status.
    pub status: ListingStatus,
    /// How it was created.
    pub source: ListingSource,
    /// The item's condition.
    pub condition: ListingCondition,
    /// Its category.
    pub category: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A marketplace seller as uploaded to amoCRM: one company per seller.
///
/// `Debug` shows the id and counts only; contacts and names are personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    /// The user id.
    pub id: SellerId,
    /// The phone, when the stored one is a phone number.
    pub phone: Option<Phone>,
    /// E-mail.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Sale address.
    pub sale_address: Option<String>,
    /// First visit to the marketplace.
    pub first_visit_at: Option<DateTime<Utc>>,
    /// When the first listing was created.
    pub first_listing_at: Option<DateTime<Utc>>,
    /// Listing counts.
    pub listings: ListingCounts,
    /// Autoload, form, used, new.
    pub flags: SellerFlags,
    /// Categories the seller has listings in, sorted and unique.
    pub categories: Vec<String>,
    /// The feed, filled in from the feed service.
    pub feed: FeedInfo,
}

impl fmt::Debug for Seller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seller")
            .field("id", &self.id)
            .field("listings", &self.listings.total())
            .field("flags", &self.flags)
            .field("categories", &self.categories.len())
            .finish_non_exhaustive()
    }
}

/// Trims a value and drops it when nothing is left.
fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl Seller {
    /// A seller with a profile and no listings yet.
    pub fn new(id: SellerId) -> Self {
        Self {
            id,
            phone: None,
            email: None,
            name: None,
            sale_address: None,
            first_visit_at: None,
            first_listing_at: None,
            listings: ListingCounts::default(),
            flags: SellerFlags::default(),
            categories: Vec::new(),
            feed: FeedInfo::default(),
        }
    }

    /// Folds `listings` into `profile`: counts per status, the first listing, the flags and the categories. A
    /// stored phone that is no phone number is dropped; empty texts become `None`.
    pub fn aggregate<'a>(
        profile: &SellerProfile,
        listings: impl IntoIterator<Item = &'a ListingFacts>,
    ) -> Self {
        let mut seller = Self::new(profile.id.clone());
        seller.phone = profile.phone.as_deref().and_then(|p| Phone::parse(p).ok());
        seller.email = non_empty(profile.email.as_deref());
        seller.name = non_empty(profile.name.as_deref());
        seller.sale_address = non_empty(profile.sale_address.as_deref());
        seller.first_visit_at = profile.first_visit_at;
        let mut categories = BTreeSet::new();
        for listing in listings {
            seller.listings.add(listing.status, 1);
            seller.first_listing_at = Some(
                seller
                    .first_listing_at
                    .map_or(listing.created_at, |first| first.min(listing.created_at)),
            );
            match listing.source {
                ListingSource::Autoload => seller.flags.autoload = true,
                ListingSource::Form => seller.flags.form = true,
            }
            match listing.condition {
                ListingCondition::Used => seller.flags.used = true,
                ListingCondition::New => seller.flags.new = true,
            }
            let category = listing.category.trim();
            if !category.is_empty() && !categories.contains(category) {
                categories.insert(category.to_owned());
            }
        }
        seller.categories = categories.into_iter().collect();
        seller
    }

    /// The company name: the seller's name, or `Seller {id}` when it has none.
    pub fn company_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("Seller {}", self.id))
    }
}
