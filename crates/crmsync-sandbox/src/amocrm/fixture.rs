//! Seed data of an emulated amoCRM account: a JSON-loadable [`Fixture`] and a seeded generator.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::SandboxError;
use crate::rng::DetRng;

/// Status id of "Closed - won", the same in every pipeline.
pub const WON_STATUS_ID: i64 = 142;
/// Status id of "Closed - lost", the same in every pipeline.
pub const LOST_STATUS_ID: i64 = 143;

/// Everything an emulated account starts with. Entities (`leads`, `contacts`, ...) are written exactly like the
/// bodies of `POST /api/v4/...` items, optionally with an explicit `id`, `created_at`, `updated_at`; they are
/// loaded in the order companies, contacts, leads, tasks, notes so that `_embedded` links can point backwards.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Fixture {
    /// The account.
    pub account: AccountInfo,
    /// The account's users; the first is the one every token acts as.
    pub users: Vec<User>,
    /// Pipelines with their statuses; statuses 142 and 143 are added to any pipeline that lacks them.
    pub pipelines: Vec<Pipeline>,
    /// Custom field definitions per entity type.
    pub custom_fields: CustomFieldSets,
    /// Companies (`POST /api/v4/companies` items).
    pub companies: Vec<Value>,
    /// Contacts (`POST /api/v4/contacts` items; `_embedded.companies[{id}]` links a company).
    pub contacts: Vec<Value>,
    /// Leads (`POST /api/v4/leads` items; `_embedded.contacts[{id,is_main}]`, `_embedded.companies[{id}]`).
    pub leads: Vec<Value>,
    /// Tasks (`POST /api/v4/tasks` items).
    pub tasks: Vec<Value>,
    /// Notes (`POST /api/v4/{entity_type}/notes` items plus `"entity_type": "leads"|"contacts"|"companies"`).
    pub notes: Vec<Value>,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::standard()
    }
}

/// The account block (`GET /api/v4/account`, webhook `account[...]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountInfo {
    /// Account id.
    pub id: i64,
    /// Account name.
    pub name: String,
    /// Currency code.
    pub currency: String,
    /// Country code.
    pub country: String,
}

impl Default for AccountInfo {
    fn default() -> Self {
        Self {
            id: 31_000_001,
            name: "Sandbox account".to_owned(),
            currency: "RUB".to_owned(),
            country: "RU".to_owned(),
        }
    }
}

/// A user of the account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Login e-mail.
    #[serde(default)]
    pub email: String,
    /// Whether the user is an administrator.
    #[serde(default)]
    pub is_admin: bool,
}

/// A pipeline with its statuses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pipeline {
    /// Pipeline id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Sort order.
    #[serde(default)]
    pub sort: i64,
    /// Whether this is the main pipeline (new leads without a pipeline go here).
    #[serde(default)]
    pub is_main: bool,
    /// Whether incoming leads are on.
    #[serde(default = "yes")]
    pub is_unsorted_on: bool,
    /// Whether the pipeline is archived.
    #[serde(default)]
    pub is_archive: bool,
    /// Statuses, in sort order.
    #[serde(default)]
    pub statuses: Vec<Status>,
}

fn yes() -> bool {
    true
}

/// A status (stage) of a pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// Status id (142 and 143 are the closed statuses of every pipeline).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Sort order.
    #[serde(default)]
    pub sort: i64,
    /// Colour, `#rrggbb`.
    #[serde(default = "default_color")]
    pub color: String,
    /// 1 for the incoming-leads status, 0 otherwise.
    #[serde(default, rename = "type")]
    pub status_type: i64,
    /// Whether the status can be edited.
    #[serde(default = "yes")]
    pub is_editable: bool,
}

fn default_color() -> String {
    "#99ccff".to_owned()
}

/// Custom field definitions of leads, contacts and companies.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomFieldSets {
    /// Lead fields.
    pub leads: Vec<CustomFieldDef>,
    /// Contact fields (PHONE and EMAIL are multitext fields with those codes).
    pub contacts: Vec<CustomFieldDef>,
    /// Company fields.
    pub companies: Vec<CustomFieldDef>,
}

/// One custom field definition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomFieldDef {
    /// Field id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Field type: text, numeric, checkbox, select, multiselect, multitext, date, url, textarea, radiobutton,
    /// date_time, birthday, price, ... (unknown types are stored as given).
    #[serde(rename = "type")]
    pub field_type: String,
    /// Code (`PHONE`, `EMAIL`, ...), if any.
    #[serde(default)]
    pub code: Option<String>,
    /// Sort order.
    #[serde(default)]
    pub sort: i64,
    /// Choices of select/multiselect/radiobutton/multitext fields.
    #[serde(default)]
    pub enums: Option<Vec<EnumDef>>,
}

/// One choice of an enum-valued field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnumDef {
    /// Enum id.
    pub id: i64,
    /// Value (for multitext fields, the enum code such as `WORK`).
    pub value: String,
    /// Sort order.
    #[serde(default)]
    pub sort: i64,
}

/// How many entities [`Fixture::generated`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateCounts {
    /// Companies.
    pub companies: usize,
    /// Contacts (each linked to a company when there are any).
    pub contacts: usize,
    /// Leads (each linked to a contact when there are any).
    pub leads: usize,
    /// Tasks (each on a lead when there are any).
    pub tasks: usize,
}

/// First id of generated companies.
pub const GENERATED_COMPANY_BASE: i64 = 2_400_000_001;
/// First id of generated contacts.
pub const GENERATED_CONTACT_BASE: i64 = 2_300_000_001;
/// First id of generated leads.
pub const GENERATED_LEAD_BASE: i64 = 2_200_000_001;

impl Fixture {
    /// Reads a fixture from a JSON file.
    pub fn from_json_file(path: &std::path::Path) -> Result<Self, SandboxError> {
        let text = std::fs::read_to_string(path).map_err(|source| SandboxError::ReadFile {
            what: "fixture",
            file: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| SandboxError::ParseFile {
            what: "fixture",
            file: path.display().to_string(),
            source,
        })
    }

    /// The standard account: two users, two pipelines ("Sales" is main), contact PHONE/EMAIL/POSITION, company
    /// PHONE/EMAIL/WEB/ADDRESS, and lead fields of every common type; no entities.
    pub fn standard() -> Self {
        let status = |id, name: &str, sort, status_type, color: &str| Status {
            id,
            name: name.to_owned(),
            sort,
            color: color.to_owned(),
            status_type,
            is_editable: status_type == 0 && id != WON_STATUS_ID && id != LOST_STATUS_ID,
        };
        let closed = || {
            vec![
                status(WON_STATUS_ID, "Closed - won", 10_000, 0, "#CCFF66"),
                status(LOST_STATUS_ID, "Closed - lost", 11_000, 0, "#D5D8DB"),
            ]
        };
        let mut sales = vec![
            status(8_000_011, "Incoming leads", 10, 1, "#c1c1c1"),
            status(8_000_012, "First contact", 20, 0, "#99ccff"),
            status(8_000_013, "Negotiation", 30, 0, "#ffff99"),
            status(8_000_014, "Decision", 40, 0, "#ffcc66"),
        ];
        sales.extend(closed());
        let mut secondary = vec![
            status(8_000_021, "Incoming leads", 10, 1, "#c1c1c1"),
            status(8_000_022, "New", 20, 0, "#99ccff"),
            status(8_000_023, "In progress", 30, 0, "#ffff99"),
        ];
        secondary.extend(closed());
        let enums = |base: i64, values: &[&str]| {
            Some(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| EnumDef {
                        id: base + i64::try_from(i).unwrap_or(0),
                        value: (*v).to_owned(),
                        sort: i64::try_from(i).unwrap_or(0) * 2 + 2,
                    })
                    .collect(),
            )
        };
        let field = |id, name: &str, field_type: &str, code: Option<&str>, enums| CustomFieldDef {
            id,
            name: name.to_owned(),
            field_type: field_type.to_owned(),
            code: code.map(str::to_owned),
            sort: id % 1000,
            enums,
        };
        let phone_enums = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"];
        let email_enums = ["WORK", "PRIV", "OTHER"];
        Self {
            account: AccountInfo::default(),
            users: vec![
                User {
                    id: 7_000_001,
                    name: "Sandbox Admin".to_owned(),
                    email: "admin@sandbox.invalid".to_owned(),
                    is_admin: true,
                },
                User {
                    id: 7_000_002,
                    name: "Sandbox Manager".to_owned(),
                    email: "manager@sandbox.invalid".to_owned(),
                    is_admin: false,
                },
            ],
            pipelines: vec![
                Pipeline {
                    id: 8_000_001,
                    name: "Sales".to_owned(),
                    sort: 1,
                    is_main: true,
                    is_unsorted_on: true,
                    is_archive: false,
                    statuses: sales,
                },
                Pipeline {
                    id: 8_000_002,
                    name: "Secondary".to_owned(),
                    sort: 2,
                    is_main: false,
                    is_unsorted_on: true,
                    is_archive: false,
                    statuses: secondary,
                },
            ],
            custom_fields: CustomFieldSets {
                contacts: vec![
                    field(
                        9_000_001,
                        "Phone",
                        "multitext",
                        Some("PHONE"),
                        enums(9_100_001, &phone_enums),
                    ),
                    field(
                        9_000_002,
                        "Email",
                        "multitext",
                        Some("EMAIL"),
                        enums(9_100_011, &email_enums),
                    ),
                    field(9_000_003, "Position", "text", Some("POSITION"), None),
                ],
                companies: vec![
                    field(
                        9_000_101,
                        "Phone",
                        "multitext",
                        Some("PHONE"),
                        enums(9_100_101, &phone_enums),
                    ),
                    field(
                        9_000_102,
                        "Email",
                        "multitext",
                        Some("EMAIL"),
                        enums(9_100_111, &email_enums),
                    ),
                    field(9_000_103, "Web", "url", Some("WEB"), None),
                    field(9_000_104, "Address", "textarea", Some("ADDRESS"), None),
                    field(9_000_105, "Seller id", "text", None, None),
                ],
                leads: vec![
                    field(9_000_201, "Case number", "text", None, None),
                    field(9_000_202, "Amount paid", "numeric", None, None),
                    field(
                        9_000_203,
                        "Source",
                        "select",
                        None,
                        enums(9_100_201, &["Website", "Phone call", "Referral"]),
                    ),
                    field(9_000_204, "Visit date", "date", None, None),
                    field(9_000_205, "Confirmed", "checkbox", None, None),
                    field(
                        9_000_206,
                        "Services",
                        "multiselect",
                        None,
                        enums(9_100_211, &["Consultation", "Treatment", "Follow-up"]),
                    ),
                    field(9_000_207, "Visit at", "date_time", None, None),
                ],
            },
            companies: Vec::new(),
            contacts: Vec::new(),
            leads: Vec::new(),
            tasks: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The standard account filled with `counts` entities made deterministically from `seed` (synthetic names
    /// and `+7 900 ...` phone numbers; contact i belongs to company i mod companies, lead i to contact i mod
    /// contacts). Ids start at the `GENERATED_*_BASE` constants.
    pub fn generated(seed: u64, counts: GenerateCounts) -> Self {
        let mut fixture = Self::standard();
        let mut rng = DetRng::new(seed);
        let first = [
            "Ivan", "Petr", "Anna", "Olga", "Sergey", "Maria", "Pavel", "Elena", "Oleg", "Irina",
        ];
        let last = [
            "Ivanov",
            "Petrov",
            "Sidorov",
            "Smirnov",
            "Kuznetsov",
            "Popov",
            "Sokolov",
            "Orlov",
        ];
        let firms = ["Alfa", "Beta", "Gamma", "Delta", "Omega", "Sigma", "Vector"];
        let kinds = ["LLC", "JSC", "Trading", "Group", "Service"];
        let offset = |i: usize| i64::try_from(i).unwrap_or(i64::MAX);
        for i in 0..counts.companies {
            let name = format!(
                "{} {} {}",
                rng.pick(&firms).copied().unwrap_or("Alfa"),
                rng.pick(&kinds).copied().unwrap_or("LLC"),
                i + 1
            );
            fixture.companies.push(json!({
                "id": GENERATED_COMPANY_BASE + offset(i),
                "name": name,
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": fake_phone(&mut rng), "enum_code": "WORK"}]},
                    {"field_id": 9_000_105, "values": [{"value": format!("S{}", 100_000 + i)}]}
                ]
            }));
        }
        for i in 0..counts.contacts {
            let first_name = rng.pick(&first).copied().unwrap_or("Ivan");
            let last_name = rng.pick(&last).copied().unwrap_or("Ivanov");
            let mut contact = json!({
                "id": GENERATED_CONTACT_BASE + offset(i),
                "first_name": first_name,
                "last_name": last_name,
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": fake_phone(&mut rng), "enum_code": "MOB"}]}
                ]
            });
            if counts.companies > 0 {
                contact["_embedded"] = json!({"companies": [{"id": GENERATED_COMPANY_BASE + offset(i % counts.companies)}]});
            }
            fixture.contacts.push(contact);
        }
        let open_statuses = [
            8_000_012,
            8_000_013,
            8_000_014,
            WON_STATUS_ID,
            LOST_STATUS_ID,
        ];
        for i in 0..counts.leads {
            let status = rng.pick(&open_statuses).copied().unwrap_or(8_000_012);
            let price = i64::try_from(rng.below(100_000)).unwrap_or(0);
            let mut lead = json!({
                "id": GENERATED_LEAD_BASE + offset(i),
                "name": format!("Lead {}", i + 1),
                "price": price,
                "pipeline_id": 8_000_001,
                "status_id": status,
                "custom_fields_values": [
                    {"field_id": 9_000_201, "values": [{"value": format!("А40-{}/2026", 1000 + i)}]}
                ]
            });
            if counts.contacts > 0 {
                lead["_embedded"] = json!({"contacts": [{"id": GENERATED_CONTACT_BASE + offset(i % counts.contacts), "is_main": true}]});
            }
            fixture.leads.push(lead);
        }
        for i in 0..counts.tasks {
            let mut task = json!({
                "text": format!("Call back #{}", i + 1),
                "complete_till": 1_800_000_000 + offset(i) * 3600,
                "task_type_id": 1
            });
            if counts.leads > 0 {
                task["entity_type"] = json!("leads");
                task["entity_id"] = json!(GENERATED_LEAD_BASE + offset(i % counts.leads));
            }
            fixture.tasks.push(task);
        }
        fixture
    }
}

fn fake_phone(rng: &mut DetRng) -> String {
    let n = rng.below(10_000_000);
    format!(
        "+7 900 {:03}-{:02}-{:02}",
        n / 10_000,
        (n / 100) % 100,
        n % 100
    )
}
