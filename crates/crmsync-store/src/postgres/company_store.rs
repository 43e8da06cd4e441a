//! AMONITION's seller ↔ company links and create intents on PostgreSQL.

use async_trait::async_trait;
use crmsync_domain::crm::CompanyId;
use crmsync_domain::seller::{CompanyLink, SellerId};
use crmsync_ports::{CompanyStore, PendingIntent, StoreError};
use sqlx::PgPool;

use super::BACKEND;
use crate::company_rows::{
    MAX_IDS_PER_QUERY, company_texts, intent, last_per_seller, link, seller_texts,
};
use crate::error::{out_of_range, sql_error};

/// [`CompanyStore`] on PostgreSQL (tables `companies` and `amonition_intents`).
#[derive(Debug, Clone)]
pub struct PgCompanyStore {
    pool: PgPool,
}

impl PgCompanyStore {
    /// Links on `pool` (migrated with [`super::migrate`]).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn links_where(
        &self,
        column: &str,
        keys: Vec<String>,
    ) -> Result<Vec<CompanyLink>, StoreError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(MAX_IDS_PER_QUERY) {
            let sql = format!(
                "SELECT seller_id, company_id FROM companies WHERE {column} = ANY($1) ORDER BY seller_id"
            );
            let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(chunk)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| sql_error(BACKEND, e))?;
            for (seller, company) in rows {
                out.push(link(&seller, &company)?);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl CompanyStore for PgCompanyStore {
    async fn by_sellers(&self, sellers: &[SellerId]) -> Result<Vec<CompanyLink>, StoreError> {
        self.links_where("seller_id", seller_texts(sellers)).await
    }

    async fn by_companies(&self, companies: &[CompanyId]) -> Result<Vec<CompanyLink>, StoreError> {
        self.links_where("company_id", company_texts(companies))
            .await
    }

    async fn save(&self, links: &[CompanyLink]) -> Result<(), StoreError> {
        if links.is_empty() {
            return Ok(());
        }
        let links = last_per_seller(links);
        let sellers: Vec<String> = links
            .iter()
            .map(|l| l.seller_id.as_str().to_owned())
            .collect();
        let companies: Vec<String> = links.iter().map(|l| l.company_id.0.to_string()).collect();
        let mut tx = self.pool.begin().await.map_err(|e| sql_error(BACKEND, e))?;
        sqlx::query(
            "INSERT INTO companies (seller_id, company_id) SELECT * FROM UNNEST($1::text[], $2::text[]) \
             ON CONFLICT (seller_id) DO UPDATE SET company_id = EXCLUDED.company_id",
        )
        .bind(&sellers)
        .bind(&companies)
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        sqlx::query("DELETE FROM amonition_intents WHERE seller_id = ANY($1)")
            .bind(&sellers)
            .execute(&mut *tx)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))
    }

    async fn journal_intents(&self, process: i64, sellers: &[SellerId]) -> Result<(), StoreError> {
        if sellers.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO amonition_intents (seller_id, process_id) SELECT s, $2 FROM UNNEST($1::text[]) AS t(s) \
             ON CONFLICT (seller_id) DO UPDATE SET process_id = EXCLUDED.process_id",
        )
        .bind(seller_texts(sellers))
        .bind(process)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(())
    }

    async fn pending_intents(&self, limit: u32) -> Result<Vec<PendingIntent>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT seller_id, process_id FROM amonition_intents ORDER BY created_at, seller_id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        rows.iter().map(|(s, p)| intent(s, *p)).collect()
    }

    async fn drop_intents(&self, sellers: &[SellerId]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM amonition_intents WHERE seller_id = ANY($1)")
            .bind(seller_texts(sellers))
            .execute(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        Ok(())
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM companies")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        u64::try_from(n).map_err(|_| out_of_range("companies count", n))
    }
}
