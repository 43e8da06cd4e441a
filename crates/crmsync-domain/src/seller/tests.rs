//! Seller ids, the listing fold and the company a seller becomes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};

use super::*;
use crate::crm::{CompanyId, FieldData, FieldId};

fn at(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, day, 12, 0, 0).unwrap()
}

fn listing(
    status: ListingStatus,
    source: ListingSource,
    condition: ListingCondition,
    category: &str,
    day: u32,
) -> ListingFacts {
    ListingFacts {
        status,
        source,
        condition,
        category: category.to_owned(),
        created_at: at(day),
    }
}

fn profile(phone: Option<&str>) -> SellerProfile {
    SellerProfile {
        id: SellerId::parse("u42").unwrap(),
        phone: phone.map(str::to_owned),
        email: Some("  seller@example.org ".to_owned()),
        name: Some(String::new()),
        sale_address: Some("Kazan, Baumana 1".to_owned()),
        first_visit_at: Some(at(1)),
    }
}

fn fields() -> SellerFields {
    SellerFields {
        sale_address: Some(FieldId(2)),
        first_visit: Some(FieldId(3)),
        first_listing: Some(FieldId(4)),
        listings_total: Some(FieldId(5)),
        listings_active: Some(FieldId(6)),
        listings_blocked: Some(FieldId(7)),
        feed_url: Some(FieldId(8)),
        autoload: Some(FieldId(9)),
        used: Some(FieldId(10)),
        categories: Some(FieldId(11)),
        ..SellerFields::minimal(FieldId(1))
    }
}

#[test]
fn seller_ids_are_trimmed_and_checked() {
    assert_eq!(SellerId::parse(" u1 ").unwrap().as_str(), "u1");
    assert_eq!(SellerId::parse("  "), Err(SellerIdError::Empty));
    assert_eq!(
        SellerId::parse("a b"),
        Err(SellerIdError::InvalidCharacters)
    );
    assert_eq!(
        SellerId::parse(&"x".repeat(65)),
        Err(SellerIdError::TooLong { len: 65 })
    );
    let json: Result<SellerId, _> = serde_json::from_str("\"\"");
    assert!(json.is_err());
}

#[test]
fn listings_fold_into_counts_flags_first_listing_and_categories() {
    let listings = [
        listing(
            ListingStatus::Active,
            ListingSource::Form,
            ListingCondition::Used,
            "Phones",
            9,
        ),
        listing(
            ListingStatus::Active,
            ListingSource::Form,
            ListingCondition::Used,
            "Tablets",
            5,
        ),
        listing(
            ListingStatus::Blocked,
            ListingSource::Form,
            ListingCondition::Used,
            "Phones",
            7,
        ),
        listing(
            ListingStatus::Archived,
            ListingSource::Form,
            ListingCondition::Used,
            " ",
            8,
        ),
    ];
    let seller = Seller::aggregate(&profile(Some("8 (916) 123-45-67")), &listings);
    assert_eq!(seller.listings.total(), 4);
    assert_eq!(seller.listings.of(ListingStatus::Active), 2);
    assert_eq!(seller.listings.of(ListingStatus::Blocked), 1);
    assert_eq!(seller.listings.of(ListingStatus::Moderation), 0);
    assert_eq!(seller.first_listing_at, Some(at(5)));
    assert_eq!(
        seller.flags,
        SellerFlags {
            autoload: false,
            form: true,
            used: true,
            new: false
        }
    );
    assert_eq!(seller.categories, ["Phones", "Tablets"]);
    assert_eq!(seller.phone.as_ref().unwrap().as_e164(), "+79161234567");
    assert_eq!(seller.email.as_deref(), Some("seller@example.org"));
    assert_eq!(seller.name, None, "an empty name is no name");
    assert_eq!(seller.company_name(), "Seller u42");
}

#[test]
fn a_stored_phone_that_is_no_phone_is_dropped() {
    let seller = Seller::aggregate(&profile(Some("call me maybe")), &[]);
    assert_eq!(seller.phone, None);
    assert_eq!(seller.first_listing_at, None);
    assert_eq!(seller.listings.total(), 0);
}

fn value_of(fields: &[crate::crm::CustomFieldValue], id: i64) -> Option<Option<FieldData>> {
    fields
        .iter()
        .find(|f| f.field_id == Some(FieldId(id)))
        .map(|f| f.values.first().and_then(|v| v.value.clone()))
}

#[test]
fn a_new_company_carries_every_non_empty_value_and_the_seller_id_as_request_id() {
    let listings = [listing(
        ListingStatus::Active,
        ListingSource::Autoload,
        ListingCondition::New,
        "Phones",
        5,
    )];
    let mut seller = Seller::aggregate(&profile(Some("+7 916 123 45 67")), &listings);
    seller.feed.url = Some("https://feeds.example/u42.xml".to_owned());
    let company = seller.new_company(&fields());
    assert_eq!(company.request_id.as_deref(), Some("u42"));
    assert_eq!(company.name.as_deref(), Some("Seller u42"));
    let cf = &company.custom_fields;
    assert_eq!(value_of(cf, 1), Some(Some(FieldData::Text("u42".into()))));
    assert_eq!(
        value_of(cf, 4),
        Some(Some(FieldData::Integer(at(5).timestamp())))
    );
    assert_eq!(value_of(cf, 5), Some(Some(FieldData::Integer(1))));
    assert_eq!(value_of(cf, 7), Some(Some(FieldData::Integer(0))));
    assert_eq!(value_of(cf, 9), Some(Some(FieldData::Bool(true))));
    assert_eq!(value_of(cf, 10), Some(Some(FieldData::Bool(false))));
    assert_eq!(
        value_of(cf, 8),
        Some(Some(FieldData::Text(
            "https://feeds.example/u42.xml".into()
        )))
    );
    assert_eq!(cf.iter().filter(|f| f.has_code("PHONE")).count(), 1);
    assert_eq!(cf.iter().filter(|f| f.has_code("EMAIL")).count(), 1);
}

#[test]
fn an_update_clears_values_that_became_empty_and_a_create_leaves_them_out() {
    let seller = Seller::aggregate(&profile(None), &[]);
    let update = seller.company_update(CompanyId(77), &fields());
    assert_eq!(update.id, CompanyId(77));
    let cleared = update
        .custom_fields
        .iter()
        .find(|f| f.field_id == Some(FieldId(8)))
        .unwrap();
    assert!(cleared.values.is_empty(), "the feed url is cleared");
    assert!(!update.custom_fields.iter().any(|f| f.has_code("PHONE")));
    let create = seller.new_company(&fields());
    assert_eq!(value_of(&create.custom_fields, 8), None);
    assert_eq!(value_of(&create.custom_fields, 11), None);
}

#[test]
fn debug_output_carries_no_personal_data() {
    let seller = Seller::aggregate(&profile(Some("+79161234567")), &[]);
    let shown = format!("{seller:?} {:?}", profile(Some("+79161234567")));
    assert!(shown.contains("u42"), "{shown}");
    for secret in ["7916", "example.org", "Baumana"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn configured_field_ids_are_listed_seller_id_first() {
    let ids = fields().ids();
    assert_eq!(ids.first(), Some(&FieldId(1)));
    assert_eq!(ids.len(), 11);
}

#[test]
fn a_feeds_debug_shows_no_token_or_credentials() {
    let feed = FeedInfo {
        url: Some("https://user:pass@feeds.example/s1.xml?token=feed-secret#x".into()),
        errors_url: Some("https://feeds.example/s1/errors?key=err-secret".into()),
    };
    let shown = format!("{feed:?}");
    for secret in ["pass", "feed-secret", "err-secret", "user:"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("https://feeds.example/s1.xml"), "{shown}");
    assert!(shown.contains("https://feeds.example/s1/errors"), "{shown}");
}
