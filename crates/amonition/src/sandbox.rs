//! `--sandbox`: amoCRM and the marketplace services from in-process emulators, generated sellers in memory, an
//! in-memory inbox and link table — whatever the configuration file says.

use crmsync_domain::crm::FieldId;
use crmsync_domain::seller::SellerFields;
use crmsync_sandbox::SandboxError;
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator, CustomFieldDef, Fixture, Status};
use crmsync_sandbox::marketplace::{self, MarketplaceConfig, MarketplaceEmulator};
use crmsync_store::memory::MemorySellerSource;
use secrecy::SecretString;

use crate::config::Config;

/// The bearer token the sandbox amoCRM accepts.
pub const SANDBOX_TOKEN: &str = "amonition-sandbox-token";
/// The webhook secret of a sandbox server.
pub const SANDBOX_SECRET: &str = "sandbox-webhook-secret-0001";
/// Sellers generated for a sandbox run.
pub const SANDBOX_SELLERS: u64 = 1_200;
/// The "ready to upload manually" status of the sandbox account.
pub const READY_STATUS: i64 = 8_000_015;
/// The lead field with the foreign account URL.
pub const LEAD_URL_FIELD: i64 = 9_300_101;
/// The lead field with the phone.
pub const LEAD_PHONE_FIELD: i64 = 9_300_102;
/// The company "refresh" checkbox.
pub const REFRESH_FIELD: i64 = 9_300_030;
/// The company "upload feed" checkbox.
pub const FEED_FIELD: i64 = 9_300_031;

/// The company fields of the sandbox account.
pub fn seller_fields() -> SellerFields {
    let f = |id| Some(FieldId(id));
    SellerFields {
        sale_address: f(9_300_001),
        first_visit: f(9_300_002),
        first_listing: f(9_300_003),
        listings_total: f(9_300_004),
        listings_active: f(9_300_005),
        listings_moderation: f(9_300_006),
        listings_rejected: f(9_300_007),
        listings_archived: f(9_300_008),
        listings_blocked: f(9_300_009),
        feed_url: f(9_300_010),
        feed_errors: f(9_300_011),
        autoload: f(9_300_012),
        form: f(9_300_013),
        used: f(9_300_014),
        new: f(9_300_015),
        categories: f(9_300_016),
        ..SellerFields::minimal(FieldId(9_000_105))
    }
}

fn def(id: i64, name: &str, field_type: &str) -> CustomFieldDef {
    CustomFieldDef {
        id,
        name: name.to_owned(),
        field_type: field_type.to_owned(),
        code: None,
        sort: id % 1000,
        enums: None,
    }
}

/// The standard sandbox account plus AMONITION's company and lead fields and the "ready" status.
pub fn fixture() -> Fixture {
    let mut fixture = Fixture::standard();
    let companies = [
        (9_300_001, "Sale address", "textarea"),
        (9_300_002, "First visit", "date"),
        (9_300_003, "First listing", "date"),
        (9_300_004, "Listings", "numeric"),
        (9_300_005, "Active listings", "numeric"),
        (9_300_006, "Listings in moderation", "numeric"),
        (9_300_007, "Rejected listings", "numeric"),
        (9_300_008, "Archived listings", "numeric"),
        (9_300_009, "Blocked listings", "numeric"),
        (9_300_010, "Feed", "url"),
        (9_300_011, "Feed errors", "url"),
        (9_300_012, "Autoload", "checkbox"),
        (9_300_013, "Form", "checkbox"),
        (9_300_014, "Used", "checkbox"),
        (9_300_015, "New", "checkbox"),
        (9_300_016, "Categories", "textarea"),
        (REFRESH_FIELD, "Refresh from the marketplace", "checkbox"),
        (FEED_FIELD, "Upload the feed", "checkbox"),
    ];
    for (id, name, kind) in companies {
        fixture.custom_fields.companies.push(def(id, name, kind));
    }
    fixture
        .custom_fields
        .leads
        .push(def(LEAD_URL_FIELD, "Account on another site", "url"));
    fixture
        .custom_fields
        .leads
        .push(def(LEAD_PHONE_FIELD, "Seller phone", "text"));
    if let Some(pipeline) = fixture.pipelines.first_mut() {
        pipeline.statuses.push(Status {
            id: READY_STATUS,
            name: "Ready to upload manually".to_owned(),
            sort: 45,
            color: "#ffcc99".to_owned(),
            status_type: 0,
            is_editable: true,
        });
    }
    fixture
}

/// The running emulators and the generated marketplace.
pub struct Sandbox {
    /// amoCRM.
    pub amocrm: AmoCrmEmulator,
    /// Snatcher and the feed service.
    pub marketplace: MarketplaceEmulator,
    /// The generated sellers.
    pub sellers: MemorySellerSource,
}

impl Sandbox {
    /// Starts the emulators and generates `sellers` sellers (every tenth with a feed).
    pub async fn start(sellers: u64) -> Result<Self, SandboxError> {
        let amocrm = AmoCrmEmulator::start(AmoCrmConfig {
            long_lived_token: Some(SANDBOX_TOKEN.to_owned()),
            fixture: fixture(),
            ..AmoCrmConfig::default()
        })
        .await?;
        let marketplace = MarketplaceEmulator::start(MarketplaceConfig::default()).await?;
        let source = MemorySellerSource::new();
        source.insert(marketplace::sellers::sellers(2, 0, sellers));
        for i in (0..sellers).step_by(10) {
            let id = marketplace::sellers::seller_id(i);
            marketplace.set_feed(
                &id,
                &format!("https://feeds.example/{id}.xml"),
                Some(&format!("https://feeds.example/{id}/errors")),
            );
        }
        Ok(Self {
            amocrm,
            marketplace,
            sellers: source,
        })
    }

    /// Points `config` at the emulators, with sandbox routing and fields and in-memory storage.
    pub fn configure(&self, config: &mut Config) {
        config.amocrm.base_url = self.amocrm.base_url();
        config.amocrm.long_lived_token = SecretString::from(SANDBOX_TOKEN);
        config.amocrm.account_id = self.account_id();
        config.amonition.shared_limit_rps = 0.0;
        config.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        config.server.webhook_secret = SecretString::from(SANDBOX_SECRET);
        config.fields = seller_fields();
        config.routing.transfer_status_ids = vec![READY_STATUS];
        config.routing.lead_url_field = LEAD_URL_FIELD;
        config.routing.lead_phone_field = LEAD_PHONE_FIELD;
        config.routing.refresh_field = REFRESH_FIELD;
        config.routing.feed_field = FEED_FIELD;
        config.snatcher = crmsync_marketplace::ServiceConfig::new(
            self.marketplace.base_url(),
            marketplace::DEFAULT_TOKEN,
        );
        config.feeds = crmsync_marketplace::ServiceConfig::new(
            self.marketplace.base_url(),
            marketplace::DEFAULT_TOKEN,
        );
        config.storage.url = "memory:".to_owned();
        config.redis.url = String::new();
        config.inbox.base_delay_s = 0;
    }

    /// The emulated account's id.
    pub fn account_id(&self) -> i64 {
        Fixture::standard().account.id
    }

    /// Stops the emulators.
    pub async fn shutdown(self) {
        self.amocrm.shutdown().await;
        self.marketplace.shutdown().await;
    }
}
