//! A seller as an amoCRM company: which custom field receives which value, and the link that remembers the
//! company a seller became.

use serde::{Deserialize, Serialize};

use super::aggregate::{ListingStatus, Seller};
use super::id::SellerId;
use crate::crm::{
    CompanyId, CompanyUpdate, CustomFieldValue, FieldData, FieldId, FieldValue, NewCompany,
};

/// `seller_id → company_id`: the company amoCRM created for a seller.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CompanyLink {
    /// The seller.
    pub seller_id: SellerId,
    /// Its company.
    pub company_id: CompanyId,
}

impl CompanyLink {
    /// The link of `seller_id` to `company_id`.
    pub fn new(seller_id: SellerId, company_id: CompanyId) -> Self {
        Self {
            seller_id,
            company_id,
        }
    }
}

/// The company custom fields that receive a seller's values; `None` leaves a value out of the upload.
///
/// Phone and e-mail go to the predefined `PHONE` and `EMAIL` fields. `seller_id` is required: it is how a company
/// is found again when the answer to its creation was lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellerFields {
    /// The seller's user id (text).
    pub seller_id: FieldId,
    /// The sale address (text or textarea).
    #[serde(default)]
    pub sale_address: Option<FieldId>,
    /// The first visit (date).
    #[serde(default)]
    pub first_visit: Option<FieldId>,
    /// The first listing's creation (date).
    #[serde(default)]
    pub first_listing: Option<FieldId>,
    /// Listings in total (numeric).
    #[serde(default)]
    pub listings_total: Option<FieldId>,
    /// Active listings (numeric).
    #[serde(default)]
    pub listings_active: Option<FieldId>,
    /// Listings waiting for moderation (numeric).
    #[serde(default)]
    pub listings_moderation: Option<FieldId>,
    /// Rejected listings (numeric).
    #[serde(default)]
    pub listings_rejected: Option<FieldId>,
    /// Archived listings (numeric).
    #[serde(default)]
    pub listings_archived: Option<FieldId>,
    /// Blocked listings (numeric).
    #[serde(default)]
    pub listings_blocked: Option<FieldId>,
    /// The feed's address (url).
    #[serde(default)]
    pub feed_url: Option<FieldId>,
    /// The feed error report's address (url).
    #[serde(default)]
    pub feed_errors: Option<FieldId>,
    /// The "Autoload" flag (checkbox).
    #[serde(default)]
    pub autoload: Option<FieldId>,
    /// The "Form" flag (checkbox).
    #[serde(default)]
    pub form: Option<FieldId>,
    /// The "Used" flag (checkbox).
    #[serde(default)]
    pub used: Option<FieldId>,
    /// The "New" flag (checkbox).
    #[serde(default)]
    pub new: Option<FieldId>,
    /// The categories, joined by `; ` (textarea).
    #[serde(default)]
    pub categories: Option<FieldId>,
}

impl SellerFields {
    /// Only the seller id field.
    pub fn minimal(seller_id: FieldId) -> Self {
        Self {
            seller_id,
            sale_address: None,
            first_visit: None,
            first_listing: None,
            listings_total: None,
            listings_active: None,
            listings_moderation: None,
            listings_rejected: None,
            listings_archived: None,
            listings_blocked: None,
            feed_url: None,
            feed_errors: None,
            autoload: None,
            form: None,
            used: None,
            new: None,
            categories: None,
        }
    }

    /// Every configured field id, the seller id first.
    pub fn ids(&self) -> Vec<FieldId> {
        let optional = [
            self.sale_address,
            self.first_visit,
            self.first_listing,
            self.listings_total,
            self.listings_active,
            self.listings_moderation,
            self.listings_rejected,
            self.listings_archived,
            self.listings_blocked,
            self.feed_url,
            self.feed_errors,
            self.autoload,
            self.form,
            self.used,
            self.new,
            self.categories,
        ];
        std::iter::once(self.seller_id)
            .chain(optional.into_iter().flatten())
            .collect()
    }

    fn listing_field(&self, status: ListingStatus) -> Option<FieldId> {
        match status {
            ListingStatus::Active => self.listings_active,
            ListingStatus::Moderation => self.listings_moderation,
            ListingStatus::Rejected => self.listings_rejected,
            ListingStatus::Archived => self.listings_archived,
            ListingStatus::Blocked => self.listings_blocked,
        }
    }
}

/// One field's values, or no values (cleared on update, left out on create).
struct Slot {
    field: FieldId,
    value: Option<FieldData>,
}

impl Seller {
    fn slots(&self, fields: &SellerFields) -> Vec<Slot> {
        let text = |v: &Option<String>| v.clone().map(FieldData::Text);
        let date = |v: Option<chrono::DateTime<chrono::Utc>>| {
            v.map(|at| FieldData::Integer(at.timestamp()))
        };
        let count = |n: u64| Some(FieldData::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
        let flag = |b: bool| Some(FieldData::Bool(b));
        let categories =
            (!self.categories.is_empty()).then(|| FieldData::Text(self.categories.join("; ")));
        let mut slots = vec![Slot {
            field: fields.seller_id,
            value: Some(FieldData::Text(self.id.to_string())),
        }];
        let optional = [
            (fields.sale_address, text(&self.sale_address)),
            (fields.first_visit, date(self.first_visit_at)),
            (fields.first_listing, date(self.first_listing_at)),
            (fields.listings_total, count(self.listings.total())),
            (fields.feed_url, text(&self.feed.url)),
            (fields.feed_errors, text(&self.feed.errors_url)),
            (fields.autoload, flag(self.flags.autoload)),
            (fields.form, flag(self.flags.form)),
            (fields.used, flag(self.flags.used)),
            (fields.new, flag(self.flags.new)),
            (fields.categories, categories),
        ];
        for (field, value) in optional {
            if let Some(field) = field {
                slots.push(Slot { field, value });
            }
        }
        for status in ListingStatus::ALL {
            if let Some(field) = fields.listing_field(status) {
                slots.push(Slot {
                    field,
                    value: count(self.listings.of(status)),
                });
            }
        }
        slots
    }

    fn contact_fields(&self) -> Vec<CustomFieldValue> {
        let mut out = Vec::with_capacity(2);
        if let Some(phone) = &self.phone {
            out.push(CustomFieldValue::phone(phone.as_e164()));
        }
        if let Some(email) = &self.email {
            out.push(CustomFieldValue::email(email.clone()));
        }
        out
    }

    /// The company to create for this seller; its `request_id` is the seller id, so the created id can be
    /// matched to the seller. Empty values are left out.
    pub fn new_company(&self, fields: &SellerFields) -> NewCompany {
        let mut custom_fields = self.contact_fields();
        custom_fields.extend(self.slots(fields).into_iter().filter_map(|slot| {
            slot.value.map(|value| {
                CustomFieldValue::by_id(
                    slot.field,
                    vec![FieldValue {
                        value: Some(value),
                        ..FieldValue::default()
                    }],
                )
            })
        }));
        NewCompany {
            name: Some(self.company_name()),
            custom_fields,
            request_id: Some(self.id.to_string()),
            ..NewCompany::default()
        }
    }

    /// The update that makes company `id` show this seller's current values; values that became empty are
    /// cleared.
    pub fn company_update(&self, id: CompanyId, fields: &SellerFields) -> CompanyUpdate {
        let mut custom_fields = self.contact_fields();
        custom_fields.extend(self.slots(fields).into_iter().map(|slot| match slot.value {
            Some(value) => CustomFieldValue::by_id(
                slot.field,
                vec![FieldValue {
                    value: Some(value),
                    ..FieldValue::default()
                }],
            ),
            None => CustomFieldValue::clear(slot.field),
        }));
        CompanyUpdate {
            id,
            name: Some(self.company_name()),
            custom_fields,
            ..CompanyUpdate::default()
        }
    }
}
