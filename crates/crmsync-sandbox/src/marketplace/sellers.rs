//! Generated marketplace sellers: profiles with listings, the same for the same seed and index.

use chrono::{DateTime, TimeZone, Utc};
use crmsync_domain::seller::{
    ListingCondition, ListingFacts, ListingSource, ListingStatus, SellerId, SellerProfile,
};

use crate::rng::DetRng;

const CATEGORIES: [&str; 8] = [
    "Phones",
    "Laptops",
    "Cars",
    "Furniture",
    "Clothes",
    "Toys",
    "Books",
    "Garden",
];

/// The id of generated seller `i` (`s0000001`): ids sort in generation order.
pub fn seller_id(i: u64) -> String {
    format!("s{i:07}")
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Seller `i` of the generation `seed`: a phone for most (a few get a text that is no phone, a few none),
/// 1–5 listings in varied statuses, sources, conditions and categories.
pub fn seller(seed: u64, i: u64) -> (SellerProfile, Vec<ListingFacts>) {
    let mut rng = DetRng::new(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    #[allow(
        clippy::expect_used,
        reason = "`s` and digits are always a valid seller id"
    )]
    let id = SellerId::parse(&seller_id(i)).expect("generated seller ids are valid");
    let phone = match rng.below(20) {
        0 => None,
        1 => Some("ask in chat".to_owned()),
        _ => Some(format!("+7916{:07}", i % 10_000_000)),
    };
    let visit = base() + chrono::Duration::hours(i64::try_from(rng.below(10_000)).unwrap_or(0));
    let profile = SellerProfile {
        id,
        phone,
        email: Some(format!("{}@sellers.example", seller_id(i))),
        name: (rng.below(10) > 0).then(|| format!("Shop {i}")),
        sale_address: Some(format!("Kazan, street {}", i % 500)),
        first_visit_at: Some(visit),
    };
    let n = 1 + rng.below(5);
    let listings = (0..n)
        .map(|k| ListingFacts {
            status: ListingStatus::ALL[usize::try_from(rng.below(5)).unwrap_or(0)],
            source: if rng.below(3) == 0 {
                ListingSource::Autoload
            } else {
                ListingSource::Form
            },
            condition: if rng.below(2) == 0 {
                ListingCondition::New
            } else {
                ListingCondition::Used
            },
            category: CATEGORIES[usize::try_from(rng.below(8)).unwrap_or(0)].to_owned(),
            created_at: visit
                + chrono::Duration::days(i64::try_from(k + rng.below(30)).unwrap_or(0)),
        })
        .collect();
    (profile, listings)
}

/// `count` sellers of the generation `seed`, from index `from`.
pub fn sellers(seed: u64, from: u64, count: u64) -> Vec<(SellerProfile, Vec<ListingFacts>)> {
    (from..from + count).map(|i| seller(seed, i)).collect()
}
