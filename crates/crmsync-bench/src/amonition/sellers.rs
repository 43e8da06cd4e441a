//! A fresh PostgreSQL database per run with the marketplace snapshot of `n` generated sellers (1–5 listings
//! each), loaded with two `COPY … FROM STDIN` streams, and AMONITION's own tables migrated.

use chrono::{DateTime, Utc};
use crmsync_domain::seller::{ListingCondition, ListingSource};
use crmsync_store::postgres::{self, MARKETPLACE_SCHEMA_SQL};
use crmsync_testkit::services::{self, TestDatabase};
use sqlx::postgres::{PgConnectOptions, PgPoolCopyExt};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

/// The generation seed of every benchmark seller.
pub(super) const SEED: u64 = 2;
/// Sellers generated and sent per `COPY` chunk.
const CHUNK: u64 = 10_000;

/// A text-format `COPY` field: `\N` for none, tabs, newlines and backslashes escaped.
fn field(out: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        out.push_str("\\N");
        return;
    };
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn row(out: &mut String, fields: &[Option<&str>]) {
    for (i, value) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        field(out, *value);
    }
    out.push('\n');
}

fn time(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|t| t.to_rfc3339())
}

/// A fresh database holding `n` generated sellers (`SEED`, indexes `0..n`), migrated and analysed.
pub(super) async fn database_with_sellers(n: u64) -> anyhow::Result<TestDatabase> {
    let db = services::fresh_postgres().await;
    postgres::migrate(&db.pool).await?;
    sqlx::raw_sql(MARKETPLACE_SCHEMA_SQL)
        .execute(&db.pool)
        .await?;
    let mut sellers = db
        .pool
        .copy_in_raw(
            "COPY marketplace_sellers (id, phone, email, name, sale_address, first_visit_at) FROM STDIN",
        )
        .await?;
    let mut listings = db
        .pool
        .copy_in_raw(
            "COPY marketplace_listings (seller_id, status, source, condition, category, created_at) FROM STDIN",
        )
        .await?;
    let mut from = 0;
    while from < n {
        let count = CHUNK.min(n - from);
        let (mut seller_rows, mut listing_rows) = (String::new(), String::new());
        for (profile, facts) in crmsync_sandbox::marketplace::sellers::sellers(SEED, from, count) {
            let visit = time(profile.first_visit_at);
            row(
                &mut seller_rows,
                &[
                    Some(profile.id.as_str()),
                    profile.phone.as_deref(),
                    profile.email.as_deref(),
                    profile.name.as_deref(),
                    profile.sale_address.as_deref(),
                    visit.as_deref(),
                ],
            );
            for l in facts {
                let created = l.created_at.to_rfc3339();
                row(
                    &mut listing_rows,
                    &[
                        Some(profile.id.as_str()),
                        Some(l.status.as_str()),
                        Some(match l.source {
                            ListingSource::Autoload => "autoload",
                            ListingSource::Form => "form",
                        }),
                        Some(match l.condition {
                            ListingCondition::New => "new",
                            ListingCondition::Used => "used",
                        }),
                        Some(l.category.as_str()),
                        Some(&created),
                    ],
                );
            }
        }
        sellers.send(seller_rows.into_bytes()).await?;
        listings.send(listing_rows.into_bytes()).await?;
        from += count;
    }
    let loaded = sellers.finish().await?;
    listings.finish().await?;
    anyhow::ensure!(loaded == n, "COPY loaded {loaded} of {n} sellers");
    sqlx::raw_sql("ANALYZE marketplace_sellers; ANALYZE marketplace_listings")
        .execute(&db.pool)
        .await?;
    Ok(db)
}

/// Drops a benchmark database (a million sellers take a few hundred MB).
pub(super) async fn drop_database(db: TestDatabase) -> anyhow::Result<()> {
    db.pool.close().await;
    let options: PgConnectOptions = db.url.parse()?;
    let name = options
        .get_database()
        .ok_or_else(|| anyhow::anyhow!("the benchmark database has no name"))?
        .to_owned();
    let mut admin = options.database("postgres").connect().await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    admin.close().await?;
    Ok(())
}
