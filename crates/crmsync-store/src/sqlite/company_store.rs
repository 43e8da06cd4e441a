//! AMONITION's seller ↔ company links and create intents on SQLite (id lists bound as JSON arrays).

use async_trait::async_trait;
use chrono::Utc;
use crmsync_domain::crm::CompanyId;
use crmsync_domain::seller::{CompanyLink, SellerId};
use crmsync_ports::{CompanyStore, PendingIntent, StoreError};
use sqlx::SqlitePool;

use super::{BACKEND, begin_write, timestamp};
use crate::company_rows::{
    MAX_IDS_PER_QUERY, company_texts, intent, last_per_seller, link, seller_texts,
};
use crate::error::{out_of_range, sql_error};

/// [`CompanyStore`] on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteCompanyStore {
    pool: SqlitePool,
}

fn json_list(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

impl SqliteCompanyStore {
    /// Links on `pool` (migrated with [`super::migrate`]).
    pub fn new(pool: SqlitePool) -> Self {
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
                "SELECT seller_id, company_id FROM companies \
                 WHERE {column} IN (SELECT value FROM json_each(?1)) ORDER BY seller_id"
            );
            let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(json_list(chunk))
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
impl CompanyStore for SqliteCompanyStore {
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
        let pairs: Vec<serde_json::Value> = links
            .iter()
            .map(|l| serde_json::json!([l.seller_id.as_str(), l.company_id.0.to_string()]))
            .collect();
        let sellers: Vec<String> = links
            .iter()
            .map(|l| l.seller_id.as_str().to_owned())
            .collect();
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO companies (seller_id, company_id) \
             SELECT value ->> 0, value ->> 1 FROM json_each(?1) WHERE true \
             ON CONFLICT (seller_id) DO UPDATE SET company_id = excluded.company_id",
        )
        .bind(serde_json::Value::from(pairs).to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        sqlx::query(
            "DELETE FROM amonition_intents WHERE seller_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(json_list(&sellers))
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))
    }

    async fn journal_intents(&self, process: i64, sellers: &[SellerId]) -> Result<(), StoreError> {
        if sellers.is_empty() {
            return Ok(());
        }
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO amonition_intents (seller_id, process_id, created_at) \
             SELECT value, ?2, ?3 FROM json_each(?1) WHERE true \
             ON CONFLICT (seller_id) DO UPDATE SET process_id = excluded.process_id",
        )
        .bind(json_list(&seller_texts(sellers)))
        .bind(process)
        .bind(timestamp(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))
    }

    async fn pending_intents(&self, limit: u32) -> Result<Vec<PendingIntent>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT seller_id, process_id FROM amonition_intents ORDER BY created_at, seller_id LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        rows.iter().map(|(s, p)| intent(s, *p)).collect()
    }

    async fn drop_intents(&self, sellers: &[SellerId]) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "DELETE FROM amonition_intents WHERE seller_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(json_list(&seller_texts(sellers)))
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM companies")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        u64::try_from(n).map_err(|_| out_of_range("companies count", n))
    }
}
