//! `CompanyStore` on a SQL database: AMONITION's seller ↔ company links (`companies`) and create intents
//! (`amonition_intents`).
//!
//! A list of ids travels as one JSON array parameter that the backend unpacks into rows of one column `value`
//! (see `company_statements!`), so a whole batch is one statement on every backend.

use async_trait::async_trait;
use chrono::Utc;
use crmsync_domain::crm::CompanyId;
use crmsync_domain::seller::{CompanyLink, SellerId};
use crmsync_ports::{CompanyStore, PendingIntent, StoreError};
use serde_json::Value;
use sqlx::Pool;

use super::{Decodes, Dialect, Stmt, begin_write, commit, connection};
use crate::company_rows::{
    MAX_IDS_PER_QUERY, company_texts, intent, last_per_seller, link, seller_texts,
};
use crate::error::out_of_range;

/// The statements of the company store. `$1` is a JSON array: of ids, or (in [`CompanySql::SAVE_LINKS`]) of
/// `[seller_id, company_id]` pairs.
pub trait CompanySql: Dialect + Decodes<(String, String)> + Decodes<(String, i64)> {
    /// The links whose seller is in `$1`, by seller.
    const BY_SELLERS: &'static str;
    /// The links whose company is in `$1`, by seller.
    const BY_COMPANIES: &'static str;
    /// Inserts or overwrites the links of `$1`.
    const SAVE_LINKS: &'static str;
    /// Records the intents of the sellers of `$1` for run `$2` at `$3`.
    const JOURNAL_INTENTS: &'static str;
    /// Drops the intents of the sellers of `$1`.
    const DROP_INTENTS: &'static str;
    /// The oldest `$1` intents.
    const PENDING_INTENTS: &'static str = "SELECT seller_id, process_id FROM amonition_intents \
         ORDER BY created_at, seller_id LIMIT $1";
    /// The number of links.
    const COUNT: &'static str = "SELECT count(*) FROM companies";
}

/// [`CompanyStore`] on the `companies` and `amonition_intents` tables of `DB`.
#[derive(Debug, Clone)]
pub struct SqlCompanyStore<DB: sqlx::Database> {
    pool: Pool<DB>,
}

impl<DB: sqlx::Database> SqlCompanyStore<DB> {
    /// Links on `pool` (opened and migrated by this crate).
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

/// `items` as one JSON array text.
fn json_list<T: Into<Value> + Clone>(items: &[T]) -> String {
    Value::from(items.to_vec()).to_string()
}

impl<DB: CompanySql> SqlCompanyStore<DB> {
    async fn links_where(
        &self,
        sql: &'static str,
        keys: Vec<String>,
    ) -> Result<Vec<CompanyLink>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let mut out = Vec::new();
        for chunk in keys.chunks(MAX_IDS_PER_QUERY) {
            let rows: Vec<(String, String)> = Stmt::<DB>::new(sql)
                .bind(json_list(chunk))
                .fetch_all(&mut *conn)
                .await?;
            for (seller, company) in rows {
                out.push(link(&seller, &company)?);
            }
        }
        Ok(out)
    }

    async fn drop_of(&self, sellers: Vec<String>) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        Stmt::<DB>::new(DB::DROP_INTENTS)
            .bind(json_list(&sellers))
            .execute(&mut *tx)
            .await?;
        commit(tx).await
    }
}

#[async_trait]
impl<DB: CompanySql> CompanyStore for SqlCompanyStore<DB> {
    async fn by_sellers(&self, sellers: &[SellerId]) -> Result<Vec<CompanyLink>, StoreError> {
        self.links_where(DB::BY_SELLERS, seller_texts(sellers))
            .await
    }

    async fn by_companies(&self, companies: &[CompanyId]) -> Result<Vec<CompanyLink>, StoreError> {
        self.links_where(DB::BY_COMPANIES, company_texts(companies))
            .await
    }

    async fn save(&self, links: &[CompanyLink]) -> Result<(), StoreError> {
        if links.is_empty() {
            return Ok(());
        }
        let links = last_per_seller(links);
        let pairs: Vec<Value> = links
            .iter()
            .map(|l| serde_json::json!([l.seller_id.as_str(), l.company_id.0.to_string()]))
            .collect();
        let sellers: Vec<String> = links
            .iter()
            .map(|l| l.seller_id.as_str().to_owned())
            .collect();
        let mut tx = begin_write(&self.pool).await?;
        Stmt::<DB>::new(DB::SAVE_LINKS)
            .bind(Value::from(pairs).to_string())
            .execute(&mut *tx)
            .await?;
        Stmt::<DB>::new(DB::DROP_INTENTS)
            .bind(json_list(&sellers))
            .execute(&mut *tx)
            .await?;
        commit(tx).await
    }

    async fn journal_intents(&self, process: i64, sellers: &[SellerId]) -> Result<(), StoreError> {
        if sellers.is_empty() {
            return Ok(());
        }
        let mut tx = begin_write(&self.pool).await?;
        Stmt::<DB>::new(DB::JOURNAL_INTENTS)
            .bind(json_list(&seller_texts(sellers)))
            .bind(process)
            .bind_time(Some(Utc::now()))
            .execute(&mut *tx)
            .await?;
        commit(tx).await
    }

    async fn pending_intents(&self, limit: u32) -> Result<Vec<PendingIntent>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let rows: Vec<(String, i64)> = Stmt::<DB>::new(DB::PENDING_INTENTS)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(|(s, p)| intent(s, *p)).collect()
    }

    async fn drop_intents(&self, sellers: &[SellerId]) -> Result<(), StoreError> {
        self.drop_of(seller_texts(sellers)).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let n: Option<(i64,)> = Stmt::<DB>::new(DB::COUNT)
            .fetch_optional(&mut *conn)
            .await?;
        let n = n.map_or(0, |(n,)| n);
        u64::try_from(n).map_err(|_| out_of_range("companies count", n))
    }
}

/// The [`CompanySql`] statements every backend writes the same way around three string literals: `$member`
/// completes `column …` into "the column is one of the strings of the JSON array `$1`" (PostgreSQL's
/// `= ANY (ARRAY(…))` keeps an index scan in a generic plan where `IN (SELECT …)` becomes a sequential scan), and
/// two table sources unpack `$1` into rows of one column `value`: `$texts` for an array of strings (`value` the
/// string), `$pairs` for an array of `[seller_id, company_id]` pairs (`value` the pair, read with `->>`).
macro_rules! company_statements {
    ($member:expr, $texts:expr, $pairs:expr) => {
        const BY_SELLERS: &'static str = concat!(
            "SELECT seller_id, company_id FROM companies WHERE seller_id ",
            $member,
            " ORDER BY seller_id"
        );
        const BY_COMPANIES: &'static str = concat!(
            "SELECT seller_id, company_id FROM companies WHERE company_id ",
            $member,
            " ORDER BY seller_id"
        );
        const SAVE_LINKS: &'static str = concat!(
            "INSERT INTO companies (seller_id, company_id) SELECT value ->> 0, value ->> 1 FROM ",
            $pairs,
            " WHERE true ON CONFLICT (seller_id) DO UPDATE SET company_id = excluded.company_id"
        );
        const JOURNAL_INTENTS: &'static str = concat!(
            "INSERT INTO amonition_intents (seller_id, process_id, created_at) SELECT value, $2, $3 FROM ",
            $texts,
            " WHERE true ON CONFLICT (seller_id) DO UPDATE SET process_id = excluded.process_id"
        );
        const DROP_INTENTS: &'static str = concat!(
            "DELETE FROM amonition_intents WHERE seller_id ",
            $member
        );
    };
}
pub(crate) use company_statements;
