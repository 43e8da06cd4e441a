//! AMONITION's `SellerSource` on PostgreSQL: one aggregation query (`sql/amonition_sellers.sql`, replaceable)
//! read through a server-side cursor, so memory stays flat whatever the seller count.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::Phone;
use crmsync_domain::seller::{ListingCounts, ListingStatus, Seller, SellerFlags, SellerId};
use crmsync_ports::{SellerBatches, SellerSource, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row, Transaction};

use super::BACKEND;
use crate::error::sql_error;

/// The default aggregation query over `marketplace_sellers` and `marketplace_listings`.
pub const SELLERS_SQL: &str = include_str!("sql/amonition_sellers.sql");

/// The snapshot tables [`SELLERS_SQL`] reads, as the demo, the tests and the benchmarks create them.
pub const MARKETPLACE_SCHEMA_SQL: &str = include_str!("sql/marketplace_schema.sql");

const CURSOR: &str = "amonition_sellers";

/// [`SellerSource`] on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgSellerSource {
    pool: PgPool,
    query: String,
}

impl PgSellerSource {
    /// Sellers read from `pool` with the default [`SELLERS_SQL`].
    pub fn new(pool: PgPool) -> Self {
        Self::with_query(pool, SELLERS_SQL)
    }

    /// Sellers read with another aggregation query (same parameter, same columns, see [`SELLERS_SQL`]).
    pub fn with_query(pool: PgPool, query: &str) -> Self {
        Self {
            pool,
            query: query.trim().trim_end_matches(';').to_owned(),
        }
    }
}

fn column<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    name: &str,
) -> Result<T, StoreError> {
    row.try_get(name).map_err(|e| StoreError::Corrupt {
        what: "seller aggregate",
        reason: format!("column {name}: {e}"),
    })
}

fn count(row: &PgRow, name: &str) -> Result<u64, StoreError> {
    Ok(u64::try_from(column::<i64>(row, name)?).unwrap_or(0))
}

/// One aggregate row as a seller; a stored phone that is no phone number is dropped.
fn seller(row: &PgRow) -> Result<Seller, StoreError> {
    let id: String = column(row, "seller_id")?;
    let id = SellerId::parse(&id).map_err(|e| StoreError::Corrupt {
        what: "seller aggregate",
        reason: format!("seller_id: {e}"),
    })?;
    let text = |name: &str| -> Result<Option<String>, StoreError> {
        Ok(column::<Option<String>>(row, name)?
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty()))
    };
    let mut listings = ListingCounts::default();
    for status in ListingStatus::ALL {
        listings.add(status, count(row, status.as_str())?);
    }
    let mut seller = Seller::new(id);
    seller.phone = text("phone")?.and_then(|p| Phone::parse(&p).ok());
    seller.email = text("email")?;
    seller.name = text("name")?;
    seller.sale_address = text("sale_address")?;
    seller.first_visit_at = column::<Option<DateTime<Utc>>>(row, "first_visit_at")?;
    seller.first_listing_at = column::<Option<DateTime<Utc>>>(row, "first_listing_at")?;
    seller.listings = listings;
    seller.flags = SellerFlags {
        autoload: column(row, "autoload")?,
        form: column(row, "form")?,
        used: column(row, "used")?,
        new: column(row, "new")?,
    };
    seller.categories = column(row, "categories")?;
    Ok(seller)
}

/// A cursor open in its own transaction; dropping it rolls the transaction back and closes the cursor.
struct PgSellerCursor {
    tx: Option<Transaction<'static, Postgres>>,
}

#[async_trait]
impl SellerBatches for PgSellerCursor {
    async fn next_batch(&mut self, max: usize) -> Result<Vec<Seller>, StoreError> {
        let Some(tx) = self.tx.as_mut() else {
            return Ok(Vec::new());
        };
        let sql = format!("FETCH FORWARD {} FROM {CURSOR}", max.max(1));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut **tx)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        if rows.is_empty() {
            if let Some(tx) = self.tx.take() {
                tx.rollback().await.map_err(|e| sql_error(BACKEND, e))?;
            }
            return Ok(Vec::new());
        }
        rows.iter().map(seller).collect()
    }
}

#[async_trait]
impl SellerSource for PgSellerSource {
    async fn open(&self) -> Result<Box<dyn SellerBatches>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| sql_error(BACKEND, e))?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        let declare = format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR {}", self.query);
        sqlx::query(sqlx::AssertSqlSafe(declare))
            .bind(None::<String>)
            .execute(&mut *tx)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        Ok(Box::new(PgSellerCursor { tx: Some(tx) }))
    }

    async fn seller(&self, id: &SellerId) -> Result<Option<Seller>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(self.query.clone()))
            .bind(Some(id.as_str()))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        row.as_ref().map(seller).transpose()
    }

    async fn user_exists(&self, id: &SellerId) -> Result<bool, StoreError> {
        Ok(self.seller(id).await?.is_some())
    }
}

/// Creates the snapshot tables of [`MARKETPLACE_SCHEMA_SQL`] if missing and inserts `sellers` with their listings
/// (for the demo, tests and benchmarks).
pub async fn load_marketplace(
    pool: &PgPool,
    sellers: &[(
        crmsync_domain::seller::SellerProfile,
        Vec<crmsync_domain::seller::ListingFacts>,
    )],
) -> Result<(), StoreError> {
    sqlx::raw_sql(MARKETPLACE_SCHEMA_SQL)
        .execute(pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
    let mut tx = pool.begin().await.map_err(|e| sql_error(BACKEND, e))?;
    let ids: Vec<&str> = sellers.iter().map(|(p, _)| p.id.as_str()).collect();
    let phones: Vec<Option<&str>> = sellers.iter().map(|(p, _)| p.phone.as_deref()).collect();
    let emails: Vec<Option<&str>> = sellers.iter().map(|(p, _)| p.email.as_deref()).collect();
    let names: Vec<Option<&str>> = sellers.iter().map(|(p, _)| p.name.as_deref()).collect();
    let addresses: Vec<Option<&str>> = sellers
        .iter()
        .map(|(p, _)| p.sale_address.as_deref())
        .collect();
    let visits: Vec<Option<DateTime<Utc>>> =
        sellers.iter().map(|(p, _)| p.first_visit_at).collect();
    sqlx::query(
        "INSERT INTO marketplace_sellers (id, phone, email, name, sale_address, first_visit_at) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])",
    )
    .bind(&ids)
    .bind(&phones)
    .bind(&emails)
    .bind(&names)
    .bind(&addresses)
    .bind(&visits)
    .execute(&mut *tx)
    .await
    .map_err(|e| sql_error(BACKEND, e))?;
    let listings = sellers
        .iter()
        .flat_map(|(p, l)| l.iter().map(move |l| (p.id.as_str(), l)));
    let (mut owner, mut status, mut source, mut condition, mut category, mut created) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (id, l) in listings {
        owner.push(id);
        status.push(l.status.as_str());
        source.push(match l.source {
            crmsync_domain::seller::ListingSource::Autoload => "autoload",
            crmsync_domain::seller::ListingSource::Form => "form",
        });
        condition.push(match l.condition {
            crmsync_domain::seller::ListingCondition::New => "new",
            crmsync_domain::seller::ListingCondition::Used => "used",
        });
        category.push(l.category.as_str());
        created.push(l.created_at);
    }
    sqlx::query(
        "INSERT INTO marketplace_listings (seller_id, status, source, condition, category, created_at) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])",
    )
    .bind(&owner)
    .bind(&status)
    .bind(&source)
    .bind(&condition)
    .bind(&category)
    .bind(&created)
    .execute(&mut *tx)
    .await
    .map_err(|e| sql_error(BACKEND, e))?;
    tx.commit().await.map_err(|e| sql_error(BACKEND, e))
}
