//! Customers (repeat purchases), where the account has them: listed, read, added, updated; their statuses; and
//! the mode switch. An account with customers disabled answers `402` ([`CrmError::PaymentRequired`]).

use crmsync_domain::crm::CustomFieldValue;
use crmsync_ports::{CrmError, Page, PageCursor};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::call::Effect;
use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;
use crate::rest::IdOnly;

/// A customer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Customer {
    /// Customer id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Expected amount of the next purchase.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub next_price: i64,
    /// Expected date of the next purchase, in unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub next_date: Option<i64>,
    /// Responsible user.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub responsible_user_id: Option<i64>,
    /// Status (segment-mode stage).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status_id: Option<i64>,
    /// Days between purchases (periodicity mode).
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub periodicity: i64,
    /// Lifetime value.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub ltv: i64,
    /// Number of purchases.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub purchases_count: i64,
    /// Custom field values as sent (`null` when none).
    #[serde(default)]
    pub custom_fields_values: Value,
    /// When it was created, in unix seconds.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub created_at: i64,
    /// When it last changed.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub updated_at: i64,
}

/// A customer to add, or the new values of one (`id` set).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerInput {
    /// The customer to change (`None` to add).
    pub id: Option<i64>,
    /// Name (required to add).
    pub name: Option<String>,
    /// Expected amount of the next purchase.
    pub next_price: Option<i64>,
    /// Expected date of the next purchase, in unix seconds.
    pub next_date: Option<i64>,
    /// Responsible user.
    pub responsible_user_id: Option<i64>,
    /// Status.
    pub status_id: Option<i64>,
    /// Days between purchases.
    pub periodicity: Option<i64>,
    /// Custom field values.
    pub custom_fields: Vec<CustomFieldValue>,
    /// Correlation key echoed back on add; the client assigns the index when `None`.
    pub request_id: Option<String>,
}

impl CustomerInput {
    /// A new customer named `name`.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    fn body(&self, at: &str) -> Result<Map<String, Value>, CrmError> {
        let mut map = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(v) = value {
                map.insert(key.into(), v);
            }
        };
        put("id", self.id.map(|v| json!(v)));
        put("name", self.name.as_ref().map(|v| json!(v)));
        put("next_price", self.next_price.map(|v| json!(v)));
        put("next_date", self.next_date.map(|v| json!(v)));
        put(
            "responsible_user_id",
            self.responsible_user_id.map(|v| json!(v)),
        );
        put("status_id", self.status_id.map(|v| json!(v)));
        put("periodicity", self.periodicity.map(|v| json!(v)));
        put(
            "custom_fields_values",
            crate::encode::custom_fields(&self.custom_fields, at)?,
        );
        Ok(map)
    }
}

/// A customer status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CustomerStatus {
    /// Status id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Sort order.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub sort: i64,
    /// Whether new customers get it.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_default: bool,
    /// Colour.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub color: Option<String>,
    /// Type (0 regular, 1 recently bought, 2 purchase expected, 3 overdue).
    #[serde(rename = "type", default, deserialize_with = "lenient::i64_or_zero")]
    pub status_type: i64,
}

/// The customers mode as amoCRM answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CustomersMode {
    /// `segments` or `periodicity`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub mode: String,
    /// Whether customers are on.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_enabled: bool,
}

/// Which customers to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerFilter {
    /// Only these ids.
    pub ids: Vec<i64>,
    /// Customers whose name contains this text.
    pub query: Option<String>,
    /// Page size (at most 250).
    pub limit: Option<u32>,
}

impl CustomerFilter {
    fn query(&self) -> Query {
        let mut q = Query::default();
        q.list("filter[id]", &self.ids);
        q.query(self.query.as_ref());
        q
    }
}

impl AmoCrmClient {
    /// One page of customers (`402` → `PaymentRequired` while the account has none).
    pub async fn list_customers(
        &self,
        filter: &CustomerFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Customer>, CrmError> {
        self.list_page(
            "/api/v4/customers",
            &filter.query(),
            "customers",
            filter.limit,
            250,
            cursor,
        )
        .await
    }

    /// Every customer matching `filter`.
    pub async fn all_customers(&self, filter: &CustomerFilter) -> Result<Vec<Customer>, CrmError> {
        self.list_all("/api/v4/customers", &filter.query(), "customers", 250)
            .await
    }

    /// One customer, `None` when there is none.
    pub async fn customer(&self, id: i64) -> Result<Option<Customer>, CrmError> {
        self.get_typed(&format!("/api/v4/customers/{id}")).await
    }

    /// Adds customers; returns their ids in input order. A create whose outcome is unknown is `Ambiguous`.
    pub async fn add_customers(&self, customers: &[CustomerInput]) -> Result<Vec<i64>, CrmError> {
        let bodies = customers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let at = format!("customers[{i}]");
                if c.id.is_some() || c.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    return Err(CrmError::InvalidInput {
                        field: at,
                        reason: "a new customer needs a name and no id".into(),
                    });
                }
                c.body(&at)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rids = customers.iter().map(|c| c.request_id.clone());
        let added: Vec<IdOnly> = self
            .create_bodies("/api/v4/customers", "customers", bodies, rids)
            .await?;
        Ok(added.into_iter().map(|a| a.id).collect())
    }

    /// Updates customers (each with its `id`); returns the ids.
    pub async fn update_customers(
        &self,
        customers: &[CustomerInput],
    ) -> Result<Vec<i64>, CrmError> {
        let items = customers
            .iter()
            .enumerate()
            .map(|(i, c)| match c.id {
                Some(_) => c.body(&format!("customers[{i}]")).map(Value::Object),
                None => Err(CrmError::InvalidInput {
                    field: format!("customers[{i}].id"),
                    reason: "an update needs the customer's id".into(),
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let done: Vec<IdOnly> = self
            .update_typed("/api/v4/customers", "customers", &items, |v| {
                v.get("id").map(Value::to_string).unwrap_or_default()
            })
            .await?;
        Ok(done.into_iter().map(|d| d.id).collect())
    }

    /// Updates one customer (`PATCH /api/v4/customers/{id}`).
    pub async fn update_customer(&self, customer: &CustomerInput) -> Result<Customer, CrmError> {
        let Some(id) = customer.id else {
            return Err(CrmError::InvalidInput {
                field: "customer.id".into(),
                reason: "an update needs the customer's id".into(),
            });
        };
        let mut body = customer.body("customer")?;
        body.remove("id");
        let path = format!("/api/v4/customers/{id}");
        self.send_typed(
            Method::PATCH,
            &path,
            Some(&Value::Object(body)),
            Effect::Update,
        )
        .await?
        .ok_or_else(|| CrmError::NotFound {
            detail: format!("PATCH {path}: no such customer"),
        })
    }

    /// The customer statuses.
    pub async fn customer_statuses(&self) -> Result<Vec<CustomerStatus>, CrmError> {
        self.list_all(
            "/api/v4/customers/statuses",
            &Query::default(),
            "statuses",
            250,
        )
        .await
    }

    /// Switches customers on (`segments` or `periodicity` mode) or off.
    pub async fn set_customers_mode(
        &self,
        mode: &str,
        enabled: bool,
    ) -> Result<CustomersMode, CrmError> {
        if !matches!(mode, "segments" | "periodicity") {
            return Err(CrmError::InvalidInput {
                field: "mode".into(),
                reason: "segments or periodicity".into(),
            });
        }
        let body = json!({ "mode": mode, "is_enabled": enabled });
        self.send_typed(
            Method::PATCH,
            "/api/v4/customers/mode",
            Some(&body),
            Effect::Update,
        )
        .await?
        .ok_or_else(|| CrmError::NotFound {
            detail: "PATCH /api/v4/customers/mode answered 204".into(),
        })
    }
}
