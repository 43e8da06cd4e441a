//! AMONITION's marketplace sellers: the `Seller` aggregate uploaded to amoCRM as a company, the listing facts it
//! is folded from, and the `seller_id → company_id` link that remembers which company a seller became.
//!
//! A seller is a marketplace user with at least one listing. Its aggregate carries every exported value of the
//! source document: ids and contacts, the sale address, first visit and first listing, listing counts in total
//! and per status, the feed and its error report, the autoload/form/used/new flags and the categories.
//! [`SellerFields`] says which company custom field receives each value; [`Seller::new_company`] and
//! [`Seller::company_update`] build the amoCRM writes.

mod aggregate;
mod company;
mod id;

pub use aggregate::{
    FeedInfo, ListingCondition, ListingCounts, ListingFacts, ListingSource, ListingStatus, Seller,
    SellerFlags, SellerProfile,
};
pub use company::{CompanyLink, SellerFields};
pub use id::{MAX_SELLER_ID_LEN, SellerId, SellerIdError};

#[cfg(test)]
mod tests;
