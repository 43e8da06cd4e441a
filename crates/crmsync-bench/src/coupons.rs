//! `coupons.*`: code generation speed in memory, persisting 1M codes on PostgreSQL (every insert strategy, and
//! the floor of one plain binary `COPY` of the same rows), SQLite and a Bitrix shop's MariaDB (with the floors of
//! plain multi-row inserts and `LOAD DATA INFILE` of the same rows), a template's full capacity, and the peak
//! memory of a 1M run.

use std::sync::Arc;
use std::time::Instant;

use crmsync_domain::coupon::{PermutationKey, SettingsDraft, UniqueCodes};
use crmsync_jobs::coupons::{CouponGenerator, GenerationOptions, plan};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_ports::{CouponStore, NoProgress, ProcessStore};
use crmsync_store::{mysql, postgres, sqlite};

use crate::report::Report;

mod floors;

/// A 10-position template (5 Latin letters, 5 digits).
const TEN_POSITIONS: &str = "SALE-$$$$$-#####";
const GENERATED: u128 = 5_000_000;
const PERSISTED: u64 = 1_000_000;

pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    generate_in_memory(report)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    report.input(format!(
        "{PERSISTED} codes of the template {TEN_POSITIONS}, committed in chunks with the journal"
    ));
    runtime.block_on(async {
        for (figure, strategy) in [
            (
                "coupons.persist_1m_postgres_s",
                postgres::PgInsertStrategy::default(),
            ),
            (
                "coupons.persist_1m_postgres_unnest_s",
                postgres::PgInsertStrategy::Unnest,
            ),
            (
                "coupons.persist_1m_postgres_copy_merge_s",
                postgres::PgInsertStrategy::CopyMerge,
            ),
        ] {
            let db = crmsync_testkit::services::fresh_postgres().await;
            postgres::migrate(&db.pool).await?;
            let processes: Arc<dyn ProcessStore> =
                Arc::new(postgres::PgProcessStore::new(db.pool.clone()));
            let coupons: Arc<dyn CouponStore> =
                Arc::new(postgres::PgCouponStore::new(db.pool.clone()).with_strategy(strategy));
            let seconds = persist(processes, coupons, TEN_POSITIONS, PERSISTED).await?;
            let persisted = report.record(figure, seconds);
            if strategy == postgres::PgInsertStrategy::default() {
                persisted.goal("≤ 10 s");
                report
                    .record("coupons.rss_mb_1m", crate::report::peak_rss_mb()?)
                    .goal("flat: independent of the number of codes");
                let floor = floors::postgres_copy(TEN_POSITIONS, PERSISTED).await?;
                report
                    .record("coupons.copy_floor_1m_postgres_s", floor)
                    .on(format!(
                        "the same {PERSISTED} rows as one plain binary COPY into a fresh identical table \
                         (unique index included), no journal"
                    ));
                report
                    .record("coupons.persist_1m_postgres_ratio", seconds / floor)
                    .goal("≤ 1.3")
                    .on("coupons.persist_1m_postgres_s / coupons.copy_floor_1m_postgres_s");
            }
        }

        let db = crmsync_testkit::services::fresh_postgres().await;
        postgres::migrate(&db.pool).await?;
        let processes: Arc<dyn ProcessStore> =
            Arc::new(postgres::PgProcessStore::new(db.pool.clone()));
        let coupons: Arc<dyn CouponStore> = Arc::new(postgres::PgCouponStore::new(db.pool.clone()));
        report
            .record(
                "coupons.full_capacity_10000_s",
                persist(processes, coupons, "####", 10_000).await?,
            )
            .on("all 10,000 codes of the template ####");

        let dir =
            std::env::temp_dir().join(format!("crmsync-bench-{}", uuid::Uuid::new_v4().simple()));
        let pool = sqlite::open(&dir.join("coupons.sqlite")).await?;
        let processes: Arc<dyn ProcessStore> =
            Arc::new(sqlite::SqliteProcessStore::new(pool.clone()));
        let coupons: Arc<dyn CouponStore> = Arc::new(sqlite::SqliteCouponStore::new(pool));
        report.record(
            "coupons.persist_1m_sqlite_s",
            persist(processes, coupons, TEN_POSITIONS, PERSISTED).await?,
        );
        let _ = std::fs::remove_dir_all(dir);

        let shop = crmsync_testkit::mysql::fresh_mysql(true).await;
        mysql::migrate(&shop.pool).await?;
        let processes: Arc<dyn ProcessStore> =
            Arc::new(mysql::MySqlProcessStore::new(shop.pool.clone()));
        let coupons: Arc<dyn CouponStore> = Arc::new(mysql::BitrixCouponStore::new(
            shop.pool.clone(),
            mysql::BitrixOptions::default(),
        ));
        let persisted = persist(processes, coupons, TEN_POSITIONS, PERSISTED).await?;
        report
            .record("coupons.persist_1m_mariadb_s", persisted)
            .goal("≤ 15 s");
        floors::mariadb(report, TEN_POSITIONS, PERSISTED, persisted).await?;
        anyhow::Ok(())
    })
}

/// Codes per second of one thread: permutation, mixed-radix decoding and the code strings, in chunks of 10,000
/// (as a run allocates them) and into one reused buffer.
fn generate_in_memory(report: &mut Report) -> anyhow::Result<()> {
    let draft = SettingsDraft {
        template: Some(TEN_POSITIONS.into()),
        ..SettingsDraft::default()
    };
    let template = draft.parse_template()?;
    let codes = UniqueCodes::new(&template, &PermutationKey::from_bytes([7; 16]));
    let started = Instant::now();
    let mut total_len = 0usize;
    let mut start = 0u128;
    while start < GENERATED {
        let chunk = codes.range(start..start + 10_000)?;
        total_len += chunk.iter().map(String::len).sum::<usize>();
        start += 10_000;
    }
    let per_s = GENERATED as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(total_len > 0, "nothing generated");
    report.input(format!(
        "{GENERATED} codes of the template {TEN_POSITIONS} in memory, one core"
    ));
    report
        .record("coupons.generate_per_s", per_s)
        .goal("≥ 5,000,000");

    let mut digits = vec![0usize; template.positions().len()];
    let mut buffer = String::new();
    let started = Instant::now();
    let mut checksum = 0usize;
    for index in 0..GENERATED {
        buffer.clear();
        codes.write(index, &mut digits, &mut buffer)?;
        checksum = checksum.wrapping_add(buffer.len());
    }
    let per_s = GENERATED as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(checksum > 0, "nothing generated");
    report.record("coupons.generate_reused_buffer_per_s", per_s);
    Ok(())
}

/// Seconds to generate and store `count` codes of `template` as one run (chunks of 10,000), start to finish.
async fn persist(
    processes: Arc<dyn ProcessStore>,
    coupons: Arc<dyn CouponStore>,
    template: &str,
    count: u64,
) -> anyhow::Result<f64> {
    let generator = CouponGenerator::new(processes, coupons.clone())
        .with_options(GenerationOptions { chunk_size: 10_000 });
    let plan = plan(SettingsDraft {
        template: Some(template.into()),
        count: Some(count),
        discount_id: Some(1),
        coupon_type: Some("one_order".into()),
        ..SettingsDraft::default()
    })?;
    let started = Instant::now();
    let id = generator.start_with_key(&plan, floors::key()).await?.id;
    let report = generator
        .run_to_end(id, &NoProgress, &Shutdown::never())
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.processed == count,
        "{} of {count} stored",
        report.processed
    );
    anyhow::ensure!(
        coupons.count_by_process(id).await? == count,
        "the table does not hold {count} codes"
    );
    Ok(seconds)
}
