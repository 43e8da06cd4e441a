//! The generator's page in a real headless Chromium (Debian's `chromium` and `chromium-driver`), driven over
//! WebDriver: the form filled by keyboard, the preview window, 10,000 codes generated through the step API with
//! the progress bar at 100 %, an unfinished run resumed from the run list, the 403 of a viewer token as the page shows it, and the Russian page.
//! Without a browser the test fails and says what to install; it never skips.

#![allow(clippy::expect_used, clippy::panic)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coupons::rights::{NamedToken, Role, Tokens};
use crmsync_domain::coupon::SettingsDraft;
use crmsync_jobs::coupons::{CouponGenerator, StepBudget, plan};
use crmsync_store::CouponStores;
use secrecy::SecretString;
use thirtyfour::prelude::*;

const OPERATOR: &str = "operator-token-for-the-page";
const VIEWER: &str = "viewer-token-for-the-page";
const INSTALL: &str =
    "install them with `apt-get install chromium chromium-driver` (.ci/run does it when missing)";

/// A chromedriver on a free loopback port, killed when dropped.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> Self {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| {
            if Path::new("/usr/bin/chromedriver").exists() {
                "/usr/bin/chromedriver".to_owned()
            } else {
                "chromedriver".to_owned()
            }
        });
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromedriver ({binary}: {e}); {INSTALL}"));
        let driver = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port}; {INSTALL}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A fresh SQLite directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "coupons-page-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `coupons serve`'s routes on SQLite in `dir`, with an operator and a viewer token, on a free port.
async fn serve(dir: &Path) -> (SocketAddr, CouponStores) {
    let url = format!("sqlite:{}", dir.join("coupons.sqlite").display());
    let stores = CouponStores::open(&url).await.expect("SQLite storage");
    let generator = CouponGenerator::new(stores.processes.clone(), stores.coupons.clone());
    let token = |name: &str, secret: &str, role| NamedToken {
        name: name.to_owned(),
        token: SecretString::from(secret),
        role,
    };
    let tokens = Tokens::new(vec![
        token("shop", OPERATOR, Role::Operator),
        token("reader", VIEWER, Role::Viewer),
    ]);
    let app = coupons::serve::router(generator, StepBudget::MODULE, tokens, stores.audit.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("the bound address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, stores)
}

async fn browser(driver: &ChromeDriver) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    if Path::new("/usr/bin/chromium").exists() {
        caps.set_binary("/usr/bin/chromium").expect("binary");
    }
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--lang=en-US",
        "--window-size=1280,2000",
    ] {
        caps.add_arg(arg).expect("argument");
    }
    WebDriver::new(format!("http://127.0.0.1:{}", driver.port), caps)
        .await
        .unwrap_or_else(|e| panic!("headless Chromium did not start ({e}); {INSTALL}"))
}

/// Polls `check` until it yields a value, failing with `what` after a minute and a half.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text_of(driver: &WebDriver, id: &str) -> String {
    match driver.find(By::Id(id)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn focused_id(driver: &WebDriver) -> String {
    let active = driver.active_element().await.expect("a focused element");
    active.id().await.ok().flatten().unwrap_or_default()
}

/// Presses Tab on the focused element and checks that focus lands on `next`.
async fn tab_to(driver: &WebDriver, next: &str) -> WebElement {
    driver
        .active_element()
        .await
        .expect("a focused element")
        .send_keys(Key::Tab)
        .await
        .expect("Tab");
    assert_eq!(focused_id(driver).await, next, "the tab order");
    driver.active_element().await.expect("a focused element")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_previews_generates_and_shows_role_errors_in_a_real_browser() {
    let dir = TempDir::new();
    let (address, stores) = serve(&dir.0).await;
    let chromedriver = ChromeDriver::start();
    let driver = browser(&chromedriver).await;
    let outcome = exercise(&driver, address, &stores).await;
    let _ = driver.quit().await;
    if let Err(error) = outcome {
        panic!("WebDriver: {error}");
    }
}

async fn exercise(
    driver: &WebDriver,
    address: SocketAddr,
    stores: &CouponStores,
) -> WebDriverResult<()> {
    let base = format!("http://{address}");
    driver.goto(format!("{base}/")).await?;
    assert_eq!(
        driver
            .find(By::Css("label[for=template]"))
            .await?
            .text()
            .await?,
        "Template"
    );

    // The form, by keyboard: the token, then Tab from field to field.
    driver.find(By::Id("token")).await?.click().await?;
    driver.active_element().await?.send_keys(OPERATOR).await?;
    tab_to(driver, "template")
        .await
        .send_keys("SALE-$$$$-####")
        .await?;
    tab_to(driver, "count").await.send_keys("10000").await?;
    tab_to(driver, "discount_id").await.send_keys("7").await?;
    let capacity = eventually("the live capacity", || async {
        let text = text_of(driver, "capacity-text").await;
        text.contains("4569760000").then_some(text)
    })
    .await;
    assert_eq!(capacity, "Capacity: 4569760000 distinct codes");

    // Preview: the button by keyboard, a window of 20 sample codes, closed with Escape.
    driver
        .find(By::Id("preview-button"))
        .await?
        .send_keys(Key::Enter)
        .await?;
    let samples = eventually("20 preview codes", || async {
        let items = driver.find_all(By::Css("#preview-codes li")).await.ok()?;
        let mut codes = Vec::new();
        for item in items {
            codes.push(item.text().await.ok()?);
        }
        (codes.len() == 20).then_some(codes)
    })
    .await;
    assert!(
        driver
            .find(By::Id("preview-dialog"))
            .await?
            .is_displayed()
            .await?
    );
    for code in &samples {
        assert!(
            code.len() == 14 && code.starts_with("SALE-") && code.as_bytes()[9] == b'-',
            "a sample code of SALE-$$$$-####: {code}"
        );
    }
    driver
        .active_element()
        .await?
        .send_keys(Key::Escape)
        .await?;
    eventually("the preview window to close", || async {
        let dialog = driver.find(By::Id("preview-dialog")).await.ok()?;
        (!dialog.is_displayed().await.ok()?).then_some(())
    })
    .await;

    // Generate: Enter in a field submits; the step API drives the bar to 100 %, then the report takes focus.
    driver
        .find(By::Id("discount_id"))
        .await?
        .send_keys(Key::Enter)
        .await?;
    eventually("the report of the finished run", || async {
        let report = driver.find(By::Id("report")).await.ok()?;
        report.is_displayed().await.ok()?.then_some(())
    })
    .await;
    let progress = driver.find(By::Id("progress")).await?;
    assert_eq!(progress.prop("value").await?.as_deref(), Some("100"));
    assert_eq!(text_of(driver, "percent").await, "100 %");
    assert_eq!(
        text_of(driver, "report-summary").await,
        "Finished: 10000 codes"
    );
    assert_eq!(focused_id(driver).await, "report");
    let export = driver.find(By::Id("export-link")).await?;
    let href = export.attr("href").await?.unwrap_or_default();
    assert!(href.ends_with("/export"), "{href}");

    let latest = CouponGenerator::new(stores.processes.clone(), stores.coupons.clone())
        .latest()
        .await
        .expect("the journal")
        .expect("a run");
    let stored = stores
        .coupons
        .count_by_process(latest)
        .await
        .expect("the coupon count");
    assert_eq!(stored, 10_000, "codes of run {latest} in the database");
    let row = eventually("the run in the run list", || async {
        let text = text_of(driver, "run-rows").await;
        text.contains("SALE-$$$$-####").then_some(text)
    })
    .await;
    assert!(row.contains("10000 of 10000 generated (100%)"), "{row}");

    // An unfinished run in the list: Resume drives it to the end the same way.
    let generator = CouponGenerator::new(stores.processes.clone(), stores.coupons.clone());
    let draft = SettingsDraft {
        template: Some("RES-####".to_owned()),
        count: Some(2500),
        discount_id: Some(7),
        coupon_type: Some("one_order".to_owned()),
        ..SettingsDraft::default()
    };
    let pending = generator
        .start(&plan(draft).expect("valid settings"))
        .await
        .expect("a started run");
    driver
        .find(By::Id("refresh-button"))
        .await?
        .send_keys(Key::Enter)
        .await?;
    let resume = eventually("the Resume button of the unfinished run", || async {
        let label = format!("button[aria-label='Resume {}']", pending.id);
        driver.find(By::Css(label)).await.ok()
    })
    .await;
    resume.send_keys(Key::Enter).await?;
    eventually("the resumed run's report", || async {
        let summary = text_of(driver, "report-summary").await;
        (summary == "Finished: 2500 codes").then_some(())
    })
    .await;
    let stored = stores.coupons.count_by_process(pending.id).await;
    assert_eq!(stored.expect("the coupon count"), 2500);

    // A viewer token: Generate is refused, and the page says which role is missing.
    let token = driver.find(By::Id("token")).await?;
    token.clear().await?;
    token.send_keys(VIEWER).await?;
    driver
        .find(By::Id("discount_id"))
        .await?
        .send_keys(Key::Enter)
        .await?;
    let error = eventually("the 403 in the error area", || async {
        let area = driver.find(By::Id("errors")).await.ok()?;
        if !area.is_displayed().await.ok()? {
            return None;
        }
        area.text().await.ok()
    })
    .await;
    assert!(
        error.contains("this needs the operator role; token `reader` has the viewer role"),
        "{error}"
    );
    assert_eq!(focused_id(driver).await, "errors");

    // The Russian page.
    driver.goto(format!("{base}/?lang=ru")).await?;
    assert_eq!(
        driver
            .find(By::Css("label[for=template]"))
            .await?
            .text()
            .await?,
        "Шаблон"
    );
    assert_eq!(
        driver.find(By::Id("generate-button")).await?.text().await?,
        "Сгенерировать"
    );
    Ok(())
}
