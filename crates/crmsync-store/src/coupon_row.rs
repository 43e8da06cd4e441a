//! The coupon row shared by the SQL backends, and its conversion to `StoredCoupon`.

use chrono::{DateTime, Utc};
use crmsync_domain::ProcessId;
use crmsync_domain::coupon::{CouponFields, CouponType};
use crmsync_ports::{StoreError, StoredCoupon};

use crate::error::{out_of_range, too_large};

/// One `coupons` row as both backends return it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CouponRow {
    pub(crate) id: i64,
    pub(crate) code: String,
    pub(crate) discount_id: i64,
    pub(crate) coupon_type: String,
    pub(crate) active: bool,
    pub(crate) active_from: Option<DateTime<Utc>>,
    pub(crate) active_to: Option<DateTime<Utc>>,
    pub(crate) max_uses: Option<i64>,
    pub(crate) user_id: Option<i64>,
    pub(crate) description: Option<String>,
    pub(crate) process_id: Option<i64>,
    pub(crate) created_at: DateTime<Utc>,
}

/// Columns listed in the order `CouponRow` expects.
pub(crate) const COUPON_COLUMNS: &str = "id, code, discount_id, coupon_type, active, active_from, active_to, \
     max_uses, user_id, description, process_id, created_at";

impl TryFrom<CouponRow> for StoredCoupon {
    type Error = StoreError;

    fn try_from(row: CouponRow) -> Result<Self, StoreError> {
        let coupon_type: CouponType =
            row.coupon_type
                .parse()
                .map_err(|reason| StoreError::Corrupt {
                    what: "coupon.coupon_type",
                    reason,
                })?;
        Ok(StoredCoupon {
            id: row.id,
            code: row.code,
            fields: CouponFields {
                discount_id: u64::try_from(row.discount_id)
                    .map_err(|_| out_of_range("coupon.discount_id", row.discount_id))?,
                coupon_type,
                active: row.active,
                active_from: row.active_from,
                active_to: row.active_to,
                max_uses: row
                    .max_uses
                    .map(|m| u32::try_from(m).map_err(|_| out_of_range("coupon.max_uses", m)))
                    .transpose()?,
                user_id: row
                    .user_id
                    .map(|u| u64::try_from(u).map_err(|_| out_of_range("coupon.user_id", u)))
                    .transpose()?,
                description: row.description,
            },
            process: row.process_id.map(ProcessId),
            created_at: row.created_at,
        })
    }
}

/// The shared fields of a chunk converted to the signed columns they are stored in.
pub(crate) struct StoredFields {
    pub(crate) discount_id: i64,
    pub(crate) max_uses: Option<i64>,
    pub(crate) user_id: Option<i64>,
}

impl StoredFields {
    pub(crate) fn of(fields: &CouponFields) -> Result<Self, StoreError> {
        Ok(Self {
            discount_id: i64::try_from(fields.discount_id)
                .map_err(|_| too_large("discount_id", fields.discount_id))?,
            max_uses: fields.max_uses.map(i64::from),
            user_id: fields
                .user_id
                .map(|u| i64::try_from(u).map_err(|_| too_large("user_id", u)))
                .transpose()?,
        })
    }
}

/// Converts a count read from SQL.
pub(crate) fn count(what: &'static str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| out_of_range(what, value))
}
