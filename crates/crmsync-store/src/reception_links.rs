//! The reception sync's link tables ([`ReceptionLinkStore`]) on PostgreSQL and SQLite — one SQL text for both
//! (`$n` parameters, `ON CONFLICT` upserts) — and in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use crmsync_domain::crm::{ContactId, LeadId};
use crmsync_domain::{PatientId, ReceptionId};
use crmsync_ports::{Link, LinkChanges, ReceptionLinkStore, StoreError};
use sqlx::{AssertSqlSafe, PgPool, Row, SqlitePool};

use crate::error::sql_error;

/// Rows per multi-row statement.
const ROWS_PER_STATEMENT: usize = 200;

#[derive(Debug, Clone)]
enum Arg {
    Int(Option<i64>),
    Text(String),
}

/// A query of `sql` with `args` bound in order.
macro_rules! bound {
    ($sql:expr, $args:expr) => {{
        let mut query = sqlx::query(AssertSqlSafe($sql));
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
            };
        }
        query
    }};
}

/// The link tables in a PostgreSQL or SQLite database.
#[derive(Debug, Clone)]
pub enum SqlReceptionLinks {
    /// PostgreSQL.
    Postgres(PgPool),
    /// SQLite.
    Sqlite(SqlitePool),
}

impl SqlReceptionLinks {
    fn backend(&self) -> &'static str {
        match self {
            Self::Postgres(_) => crate::postgres::BACKEND,
            Self::Sqlite(_) => crate::sqlite::BACKEND,
        }
    }

    async fn select(
        &self,
        sql: String,
        args: Vec<Arg>,
    ) -> Result<Vec<(Key, Option<i64>, Option<i64>)>, StoreError> {
        let backend = self.backend();
        match self {
            Self::Postgres(pool) => {
                let rows = bound!(sql, args)
                    .fetch_all(pool)
                    .await
                    .map_err(|e| sql_error(backend, e))?;
                rows.iter()
                    .map(|r| {
                        read_row(
                            r.try_get::<i64, _>(0)
                                .map(Key::Int)
                                .or_else(|_| r.try_get::<String, _>(0).map(Key::Text)),
                            r.try_get(1),
                            r.try_get(2),
                            backend,
                        )
                    })
                    .collect()
            }
            Self::Sqlite(pool) => {
                let rows = bound!(sql, args)
                    .fetch_all(pool)
                    .await
                    .map_err(|e| sql_error(backend, e))?;
                rows.iter()
                    .map(|r| {
                        read_row(
                            r.try_get::<i64, _>(0)
                                .map(Key::Int)
                                .or_else(|_| r.try_get::<String, _>(0).map(Key::Text)),
                            r.try_get(1),
                            r.try_get(2),
                            backend,
                        )
                    })
                    .collect()
            }
        }
    }

    async fn in_transaction(&self, statements: Vec<(String, Vec<Arg>)>) -> Result<(), StoreError> {
        let backend = self.backend();
        match self {
            Self::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(|e| sql_error(backend, e))?;
                for (sql, args) in statements {
                    bound!(sql, args)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| sql_error(backend, e))?;
                }
                tx.commit().await.map_err(|e| sql_error(backend, e))
            }
            Self::Sqlite(pool) => {
                let mut tx = pool.begin().await.map_err(|e| sql_error(backend, e))?;
                for (sql, args) in statements {
                    bound!(sql, args)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| sql_error(backend, e))?;
                }
                tx.commit().await.map_err(|e| sql_error(backend, e))
            }
        }
    }

    async fn by_ids(
        &self,
        table: &str,
        key: &str,
        columns: &str,
        keys: Vec<Arg>,
    ) -> Result<Vec<(Key, Option<i64>, Option<i64>)>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(ROWS_PER_STATEMENT * 2) {
            let sql = format!(
                "SELECT {key}, {columns} FROM {table} WHERE {key} IN ({})",
                marks(1, chunk.len())
            );
            out.extend(self.select(sql, chunk.to_vec()).await?);
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Int(i64),
    Text(String),
}

fn read_row(
    key: Result<Key, sqlx::Error>,
    id: Result<Option<i64>, sqlx::Error>,
    intent: Result<Option<i64>, sqlx::Error>,
    backend: &'static str,
) -> Result<(Key, Option<i64>, Option<i64>), StoreError> {
    Ok((
        key.map_err(|e| sql_error(backend, e))?,
        id.map_err(|e| sql_error(backend, e))?,
        intent.map_err(|e| sql_error(backend, e))?,
    ))
}

fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn link<T>(
    id: Option<i64>,
    intent: Option<i64>,
    wrap: fn(i64) -> T,
) -> Result<Link<T>, StoreError> {
    match (id, intent) {
        (Some(id), _) => Ok(Link::Linked(wrap(id))),
        (None, Some(ms)) => Utc
            .timestamp_millis_opt(ms)
            .single()
            .map(Link::Intent)
            .ok_or_else(|| StoreError::Corrupt {
                what: "link intent time",
                reason: format!("{ms} is not a time"),
            }),
        (None, None) => Err(StoreError::Corrupt {
            what: "link",
            reason: "neither an id nor an intent".into(),
        }),
    }
}

/// Multi-row upserts of `(key, value)` pairs into `table`, last value per key winning.
fn upserts(
    table: &str,
    key: &str,
    value_sql: &str,
    conflict: &str,
    rows: Vec<(Arg, Arg)>,
) -> Vec<(String, Vec<Arg>)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut unique: Vec<(Arg, Arg)> = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        let name = format!("{k:?}");
        match seen.get(&name) {
            Some(&i) => unique[i] = (k, v),
            None => {
                seen.insert(name, unique.len());
                unique.push((k, v));
            }
        }
    }
    unique
        .chunks(ROWS_PER_STATEMENT)
        .map(|chunk| {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({key}, {value_sql}) VALUES {} ON CONFLICT ({key}) {conflict}",
                values.join(", ")
            );
            let args = chunk
                .iter()
                .flat_map(|(k, v)| [k.clone(), v.clone()])
                .collect();
            (sql, args)
        })
        .collect()
}

fn statements(changes: &LinkChanges) -> Vec<(String, Vec<Arg>)> {
    let millis = |at: &DateTime<Utc>| Arg::Int(Some(at.timestamp_millis()));
    let mut out = Vec::new();
    out.extend(upserts(
        "ident_reception_leads",
        "reception_id",
        "intent_at",
        "DO UPDATE SET intent_at = excluded.intent_at WHERE ident_reception_leads.lead_id IS NULL",
        changes
            .reception_intents
            .iter()
            .map(|(r, at)| (Arg::Int(Some(r.0)), millis(at)))
            .collect(),
    ));
    out.extend(upserts(
        "ident_reception_leads",
        "reception_id",
        "lead_id",
        "DO UPDATE SET lead_id = excluded.lead_id, intent_at = NULL",
        changes
            .reception_leads
            .iter()
            .map(|(r, l)| (Arg::Int(Some(r.0)), Arg::Int(Some(l.0))))
            .collect(),
    ));
    out.extend(upserts(
        "ident_patient_contacts",
        "patient_id",
        "intent_at",
        "DO UPDATE SET intent_at = excluded.intent_at WHERE ident_patient_contacts.contact_id IS NULL",
        changes.patient_intents.iter().map(|(p, at)| (Arg::Int(Some(p.0)), millis(at))).collect(),
    ));
    out.extend(upserts(
        "ident_patient_contacts",
        "patient_id",
        "contact_id",
        "DO UPDATE SET contact_id = excluded.contact_id, intent_at = NULL",
        changes
            .patient_contacts
            .iter()
            .map(|(p, c)| (Arg::Int(Some(p.0)), Arg::Int(Some(c.0))))
            .collect(),
    ));
    out.extend(upserts(
        "ident_phone_contacts",
        "phone",
        "contact_id",
        "DO UPDATE SET contact_id = excluded.contact_id",
        changes
            .phone_contacts
            .iter()
            .map(|(p, c)| (Arg::Text(p.clone()), Arg::Int(Some(c.0))))
            .collect(),
    ));
    for (number, lead) in &changes.drop_number_leads {
        out.push((
            "DELETE FROM ident_number_leads WHERE patient_number = $1 AND lead_id = $2".to_owned(),
            vec![Arg::Text(number.clone()), Arg::Int(Some(lead.0))],
        ));
    }
    out.extend(upserts(
        "ident_number_leads",
        "patient_number",
        "lead_id",
        "DO UPDATE SET lead_id = excluded.lead_id",
        changes
            .number_leads
            .iter()
            .map(|(n, l)| (Arg::Text(n.clone()), Arg::Int(Some(l.0))))
            .collect(),
    ));
    out
}

fn count(value: Option<i64>) -> u64 {
    value.and_then(|v| u64::try_from(v).ok()).unwrap_or(0)
}

#[async_trait]
impl ReceptionLinkStore for SqlReceptionLinks {
    async fn reception_leads(
        &self,
        ids: &[ReceptionId],
    ) -> Result<Vec<(ReceptionId, Link<LeadId>)>, StoreError> {
        let keys = ids.iter().map(|r| Arg::Int(Some(r.0))).collect();
        self.by_ids(
            "ident_reception_leads",
            "reception_id",
            "lead_id, intent_at",
            keys,
        )
        .await?
        .into_iter()
        .filter_map(|(k, id, intent)| match k {
            Key::Int(r) => Some(link(id, intent, LeadId).map(|l| (ReceptionId(r), l))),
            Key::Text(_) => None,
        })
        .collect()
    }

    async fn patient_contacts(
        &self,
        ids: &[PatientId],
    ) -> Result<Vec<(PatientId, Link<ContactId>)>, StoreError> {
        let keys = ids.iter().map(|p| Arg::Int(Some(p.0))).collect();
        self.by_ids(
            "ident_patient_contacts",
            "patient_id",
            "contact_id, intent_at",
            keys,
        )
        .await?
        .into_iter()
        .filter_map(|(k, id, intent)| match k {
            Key::Int(p) => Some(link(id, intent, ContactId).map(|l| (PatientId(p), l))),
            Key::Text(_) => None,
        })
        .collect()
    }

    async fn phone_contacts(
        &self,
        phones: &[String],
    ) -> Result<Vec<(String, ContactId)>, StoreError> {
        let keys = phones.iter().map(|p| Arg::Text(p.clone())).collect();
        Ok(self
            .by_ids("ident_phone_contacts", "phone", "contact_id, NULL", keys)
            .await?
            .into_iter()
            .filter_map(|(k, id, _)| match (k, id) {
                (Key::Text(p), Some(c)) => Some((p, ContactId(c))),
                _ => None,
            })
            .collect())
    }

    async fn number_leads(&self, numbers: &[String]) -> Result<Vec<(String, LeadId)>, StoreError> {
        let keys = numbers.iter().map(|n| Arg::Text(n.clone())).collect();
        Ok(self
            .by_ids(
                "ident_number_leads",
                "patient_number",
                "lead_id, NULL",
                keys,
            )
            .await?
            .into_iter()
            .filter_map(|(k, id, _)| match (k, id) {
                (Key::Text(n), Some(l)) => Some((n, LeadId(l))),
                _ => None,
            })
            .collect())
    }

    async fn write(&self, changes: &LinkChanges) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.in_transaction(statements(changes)).await
    }

    async fn open_intents(&self) -> Result<(u64, u64), StoreError> {
        let rows = self
            .select(
                "SELECT CAST(0 AS BIGINT), (SELECT COUNT(*) FROM ident_reception_leads WHERE lead_id IS NULL), \
                 (SELECT COUNT(*) FROM ident_patient_contacts WHERE contact_id IS NULL)"
                    .to_owned(),
                Vec::new(),
            )
            .await?;
        Ok(rows
            .first()
            .map_or((0, 0), |(_, a, b)| (count(*a), count(*b))))
    }

    async fn counts(&self) -> Result<(u64, u64, u64, u64), StoreError> {
        let first = self
            .select(
                "SELECT CAST(0 AS BIGINT), (SELECT COUNT(*) FROM ident_reception_leads WHERE lead_id IS NOT NULL), \
                 (SELECT COUNT(*) FROM ident_patient_contacts WHERE contact_id IS NOT NULL)"
                    .to_owned(),
                Vec::new(),
            )
            .await?;
        let second = self
            .select(
                "SELECT CAST(0 AS BIGINT), (SELECT COUNT(*) FROM ident_phone_contacts), (SELECT COUNT(*) FROM ident_number_leads)"
                    .to_owned(),
                Vec::new(),
            )
            .await?;
        let (a, b) = first
            .first()
            .map_or((0, 0), |(_, a, b)| (count(*a), count(*b)));
        let (c, d) = second
            .first()
            .map_or((0, 0), |(_, c, d)| (count(*c), count(*d)));
        Ok((a, b, c, d))
    }
}

/// The link tables in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryReceptionLinks {
    state: Arc<Mutex<MemoryLinks>>,
}

#[derive(Debug, Default)]
struct MemoryLinks {
    receptions: HashMap<ReceptionId, Link<LeadId>>,
    patients: HashMap<PatientId, Link<ContactId>>,
    phones: HashMap<String, ContactId>,
    numbers: HashMap<String, LeadId>,
}

impl MemoryReceptionLinks {
    fn with<T>(&self, f: impl FnOnce(&mut MemoryLinks) -> T) -> Result<T, StoreError> {
        let mut state = self.state.lock().map_err(|_| StoreError::Corrupt {
            what: "in-memory link tables",
            reason: "a writer panicked".into(),
        })?;
        Ok(f(&mut state))
    }
}

#[async_trait]
impl ReceptionLinkStore for MemoryReceptionLinks {
    async fn reception_leads(
        &self,
        ids: &[ReceptionId],
    ) -> Result<Vec<(ReceptionId, Link<LeadId>)>, StoreError> {
        self.with(|s| {
            ids.iter()
                .filter_map(|r| s.receptions.get(r).map(|l| (*r, *l)))
                .collect()
        })
    }

    async fn patient_contacts(
        &self,
        ids: &[PatientId],
    ) -> Result<Vec<(PatientId, Link<ContactId>)>, StoreError> {
        self.with(|s| {
            ids.iter()
                .filter_map(|p| s.patients.get(p).map(|l| (*p, *l)))
                .collect()
        })
    }

    async fn phone_contacts(
        &self,
        phones: &[String],
    ) -> Result<Vec<(String, ContactId)>, StoreError> {
        self.with(|s| {
            phones
                .iter()
                .filter_map(|p| s.phones.get(p).map(|c| (p.clone(), *c)))
                .collect()
        })
    }

    async fn number_leads(&self, numbers: &[String]) -> Result<Vec<(String, LeadId)>, StoreError> {
        self.with(|s| {
            numbers
                .iter()
                .filter_map(|n| s.numbers.get(n).map(|l| (n.clone(), *l)))
                .collect()
        })
    }

    async fn write(&self, changes: &LinkChanges) -> Result<(), StoreError> {
        self.with(|s| {
            for (r, at) in &changes.reception_intents {
                if s.receptions.get(r).is_none_or(|l| l.linked().is_none()) {
                    s.receptions.insert(*r, Link::Intent(*at));
                }
            }
            for (r, l) in &changes.reception_leads {
                s.receptions.insert(*r, Link::Linked(*l));
            }
            for (p, at) in &changes.patient_intents {
                if s.patients.get(p).is_none_or(|l| l.linked().is_none()) {
                    s.patients.insert(*p, Link::Intent(*at));
                }
            }
            for (p, c) in &changes.patient_contacts {
                s.patients.insert(*p, Link::Linked(*c));
            }
            for (phone, c) in &changes.phone_contacts {
                s.phones.insert(phone.clone(), *c);
            }
            for (n, l) in &changes.drop_number_leads {
                if s.numbers.get(n) == Some(l) {
                    s.numbers.remove(n);
                }
            }
            for (n, l) in &changes.number_leads {
                s.numbers.insert(n.clone(), *l);
            }
        })
    }

    async fn open_intents(&self) -> Result<(u64, u64), StoreError> {
        self.with(|s| {
            (
                s.receptions
                    .values()
                    .filter(|l| l.linked().is_none())
                    .count() as u64,
                s.patients.values().filter(|l| l.linked().is_none()).count() as u64,
            )
        })
    }

    async fn counts(&self) -> Result<(u64, u64, u64, u64), StoreError> {
        self.with(|s| {
            (
                s.receptions
                    .values()
                    .filter(|l| l.linked().is_some())
                    .count() as u64,
                s.patients.values().filter(|l| l.linked().is_some()).count() as u64,
                s.phones.len() as u64,
                s.numbers.len() as u64,
            )
        })
    }
}
