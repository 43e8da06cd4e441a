//! End to end on a Bitrix shop's MariaDB: `coupons` writes straight into `b_sale_discount_coupon`, is killed
//! (SIGKILL) mid-run and resumed, skips the codes the shop already has, and refuses settings the shop's tables
//! cannot take — each error naming its setting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod coupons_support;

use std::process::Stdio;
use std::time::Duration;

use coupons_support::*;
use crmsync_testkit::mysql::{TestMySql, fresh_mysql};

const COUNT: u64 = 100_000;
const PREEXISTING: u64 = 20_000;
const TEMPLATE: &str = "BX-$-#####";

/// One runtime for the whole test: the pool's connections live on it.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Runtime::new().unwrap())
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    runtime().block_on(future)
}

/// Every coupon a run linked, as `r (coupon_id, process_id)`: per-coupon rows and ID ranges.
macro_rules! linked {
    () => {
        "(SELECT coupon_id, process_id FROM crmsync_coupon_runs UNION ALL SELECT c.ID, g.process_id \
         FROM crmsync_coupon_run_ranges g JOIN b_sale_discount_coupon c ON c.ID BETWEEN g.first_id AND g.last_id) r"
    };
}

fn scalar(db: &TestMySql, sql: &'static str) -> i64 {
    block_on(sqlx::query_scalar::<_, i64>(sql).fetch_one(&db.pool)).unwrap()
}

/// `PREEXISTING` codes of the template's space, inserted the way the shop's own admin page would.
fn seed_shop_codes(db: &TestMySql) {
    block_on(async {
        let mut values = Vec::new();
        for i in 0..PREEXISTING {
            let letter = char::from(b'A' + u8::try_from(i % 26).unwrap());
            values.push(format!(
                "(3, 'Y', 'BX-{letter}-{:05}', 2, NOW())",
                (i * 7919) % 100_000
            ));
        }
        for part in values.chunks(5000) {
            let sql = format!(
                "INSERT IGNORE INTO b_sale_discount_coupon (DISCOUNT_ID, ACTIVE, COUPON, TYPE, DATE_CREATE) VALUES {}",
                part.join(", ")
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&db.pool)
                .await
                .unwrap();
        }
    });
}

#[test]
fn bitrix_target_survives_kill_9_and_skips_the_shops_codes() {
    let db = block_on(fresh_mysql(true));
    seed_shop_codes(&db);
    let seeded = scalar(&db, "SELECT COUNT(*) FROM b_sale_discount_coupon");
    assert_eq!(seeded, i64::try_from(PREEXISTING).unwrap());
    let scratch = Scratch::new(Some(&db.url), "[generation]\nchunk_size = 2000\n");
    let count = COUNT.to_string();
    let mut child = scratch
        .command(&[
            "generate",
            "--template",
            TEMPLATE,
            "--count",
            &count,
            "--discount",
            "3",
            "--type",
            "multi_order",
            "--max-uses",
            "5",
            "--description",
            "Зимняя распродажа",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = wait_for_progress(&scratch, &mut child);
    std::thread::sleep(Duration::from_millis(random_millis(300)));
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = scratch.json(&["show", &id]);
    assert_eq!(killed["status"], "running", "killed mid-run: {killed}");
    assert!(killed["processed"].as_u64().unwrap() < COUNT, "{killed}");

    let resumed = scratch.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let done = scratch.json(&["show", &id]);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["processed"], COUNT);
    assert!(
        done["collisions"].as_u64().unwrap() > 0,
        "the shop's codes were met: {done}"
    );

    let linked = scalar(&db, concat!("SELECT COUNT(*) FROM ", linked!()));
    assert_eq!(linked, i64::try_from(COUNT).unwrap());
    let rows = scalar(&db, "SELECT COUNT(*) FROM b_sale_discount_coupon");
    assert_eq!(rows, i64::try_from(COUNT + PREEXISTING).unwrap());
    let distinct = scalar(
        &db,
        "SELECT COUNT(DISTINCT COUPON) FROM b_sale_discount_coupon",
    );
    assert_eq!(distinct, rows);
    let shop_rows_claimed = scalar(
        &db,
        concat!(
            "SELECT COUNT(*) FROM ",
            linked!(),
            " \
         JOIN b_sale_discount_coupon c ON c.ID = r.coupon_id \
         WHERE c.DISCOUNT_ID <> 3 OR c.TYPE <> 4 OR c.MAX_USE <> 5 OR c.USE_COUNT <> 0 OR c.ACTIVE <> 'Y' \
         OR c.DESCRIPTION <> 'Зимняя распродажа' OR c.DATE_CREATE IS NULL OR c.TIMESTAMP_X IS NULL"
        ),
    );
    assert_eq!(
        shop_rows_claimed, 0,
        "every linked row is one of the run's, as written"
    );
    let seeded_claimed = scalar(
        &db,
        concat!(
            "SELECT COUNT(*) FROM ",
            linked!(),
            " \
         WHERE r.coupon_id <= 20000"
        ),
    );
    assert_eq!(
        seeded_claimed, 0,
        "the shop's own coupons are never claimed by the run"
    );
    assert_distinct(&scratch.codes(&id), usize::try_from(COUNT).unwrap());
}

#[test]
fn start_up_checks_name_the_setting_the_shop_cannot_take() {
    let db = block_on(fresh_mysql(true));
    let scratch = Scratch::new(Some(&db.url), "");
    let unknown = scratch.run(&[
        "generate",
        "--template",
        "U-####",
        "--count",
        "10",
        "--discount",
        "77",
    ]);
    assert_eq!(code(&unknown), 2, "{}", stderr(&unknown));
    assert_eq!(
        error_line(&unknown),
        "error: discount_id: discount 77 does not exist in the shop (b_sale_discount)"
    );
    let long = "LONG-TEMPLATE-FOR-BITRIX-####-####";
    let too_long = scratch.run(&[
        "--lang",
        "ru",
        "generate",
        "--template",
        long,
        "--count",
        "10",
        "--discount",
        "1",
    ]);
    assert_eq!(code(&too_long), 2);
    assert_eq!(
        error_line(&too_long),
        "error: template: шаблон даёт коды длиной 34 символов; колонка COUPON в Битриксе вмещает не больше 32"
    );
    let runs = scratch.json(&["list"]);
    assert_eq!(runs.as_array().unwrap().len(), 0, "nothing half-written");
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM b_sale_discount_coupon"),
        0
    );

    block_on(async {
        sqlx::query("ALTER TABLE b_sale_discount_coupon MODIFY COUPON varchar(32) COLLATE utf8mb4_unicode_ci NOT NULL")
            .execute(&db.pool)
            .await
            .unwrap();
    });
    let mixed = scratch.run(&[
        "generate",
        "--template",
        "M-$$$$",
        "--count",
        "10",
        "--discount",
        "1",
        "--case",
        "mixed",
    ]);
    assert_eq!(code(&mixed), 2);
    assert!(
        error_line(&mixed).starts_with(
            "error: case: the shop's COUPON column ignores letter case (utf8mb4_unicode_ci)"
        ),
        "{}",
        error_line(&mixed)
    );
    let upper = scratch.run(&[
        "generate",
        "--template",
        "M-$$$$",
        "--count",
        "10",
        "--discount",
        "1",
    ]);
    assert!(upper.status.success(), "{}", stderr(&upper));
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM b_sale_discount_coupon"),
        10
    );
}
