//! [`MssqlIdent`]: IDENT on Microsoft SQL Server through tiberius (TDS 7.3+, TLS by rustls), read-only.
//!
//! The queries are the T-SQL of [`tsql`](crate::tsql); rows go through the shared [`rows`](crate::rows) mapping.
//! One connection, used by one call at a time (the sync reads sequentially).

use async_trait::async_trait;
use chrono::NaiveDateTime;
use crmsync_domain::{MisPatient, MisReception, PatientId, ReceptionId};
use crmsync_ports::{MAX_MIS_PAGE, MisCursor, MisError, MisInfo, MisSource};
use tiberius::{Client, Config, Row, ToSql};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::rows::{self, Columns};
use crate::{MAX_IN_LIST, tsql};

const ENGINE: &str = "SQL Server";

/// IDENT's own SQL Server database.
pub struct MssqlIdent {
    client: Mutex<Client<Compat<TcpStream>>>,
}

impl std::fmt::Debug for MssqlIdent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MssqlIdent").finish_non_exhaustive()
    }
}

impl MssqlIdent {
    /// Connects with an ADO.NET connection string
    /// (`server=tcp:HOST,1433;database=PZ;user=…;password=…;TrustServerCertificate=false`).
    pub async fn connect(ado: &str) -> Result<Self, MisError> {
        let config = Config::from_ado_string(ado).map_err(|e| MisError::Invalid {
            field: "mis.url",
            reason: format!("not an ADO.NET connection string: {e}"),
        })?;
        let tcp = TcpStream::connect(config.get_addr())
            .await
            .map_err(|e| MisError::unavailable(ENGINE, e))?;
        tcp.set_nodelay(true)
            .map_err(|e| MisError::unavailable(ENGINE, e))?;
        let client = Client::connect(config, tcp.compat_write())
            .await
            .map_err(|e| MisError::unavailable(ENGINE, e))?;
        Ok(Self {
            client: Mutex::new(client),
        })
    }

    async fn fetch<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        table: &'static str,
        map: fn(&dyn Columns) -> Result<T, MisError>,
    ) -> Result<Vec<T>, MisError> {
        let mut client = self.client.lock().await;
        let stream = client
            .query(sql, params)
            .await
            .map_err(|e| MisError::query(ENGINE, e))?;
        let rows = stream
            .into_first_result()
            .await
            .map_err(|e| MisError::query(ENGINE, e))?;
        rows.iter()
            .map(|row| map(&MssqlColumns { row, table }))
            .collect()
    }
}

fn page_limit(limit: u32) -> Result<i64, MisError> {
    if limit == 0 || limit > MAX_MIS_PAGE {
        return Err(MisError::Invalid {
            field: "limit",
            reason: format!("must be between 1 and {MAX_MIS_PAGE}"),
        });
    }
    Ok(i64::from(limit))
}

#[async_trait]
impl MisSource for MssqlIdent {
    async fn receptions_since(
        &self,
        after: Option<MisCursor>,
        limit: u32,
    ) -> Result<Vec<MisReception>, MisError> {
        let limit = page_limit(limit)?;
        match after {
            Some(cursor) => {
                self.fetch(
                    &tsql::receptions_since(),
                    &[&cursor.changed_at, &cursor.id, &limit],
                    "Receptions",
                    rows::reception,
                )
                .await
            }
            None => {
                self.fetch(
                    &tsql::receptions_first(),
                    &[&limit],
                    "Receptions",
                    rows::reception,
                )
                .await
            }
        }
    }

    async fn reception(&self, id: ReceptionId) -> Result<Option<MisReception>, MisError> {
        let mut rows = self
            .fetch(
                &tsql::reception_by_id(),
                &[&id.0],
                "Receptions",
                rows::reception,
            )
            .await?;
        Ok(rows.pop())
    }

    async fn patients_since(
        &self,
        after: Option<MisCursor>,
        limit: u32,
    ) -> Result<Vec<MisPatient>, MisError> {
        let limit = page_limit(limit)?;
        match after {
            Some(cursor) => {
                self.fetch(
                    &tsql::patients_since(),
                    &[&cursor.changed_at, &cursor.id, &limit],
                    "Patients",
                    rows::patient,
                )
                .await
            }
            None => {
                self.fetch(
                    &tsql::patients_first(),
                    &[&limit],
                    "Patients",
                    rows::patient,
                )
                .await
            }
        }
    }

    async fn patients(&self, ids: &[PatientId]) -> Result<Vec<MisPatient>, MisError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_IN_LIST) {
            let values: Vec<i64> = chunk.iter().map(|id| id.0).collect();
            let params: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
            out.extend(
                self.fetch(
                    &tsql::patients_by_ids(chunk.len()),
                    &params,
                    "Patients",
                    rows::patient,
                )
                .await?,
            );
        }
        Ok(out)
    }

    async fn completed_counts(&self, ids: &[PatientId]) -> Result<Vec<(PatientId, u32)>, MisError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(MAX_IN_LIST) {
            let values: Vec<i64> = chunk.iter().map(|id| id.0).collect();
            let params: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
            out.extend(
                self.fetch(
                    &tsql::completed_counts(chunk.len()),
                    &params,
                    "Receptions",
                    rows::completed,
                )
                .await?,
            );
        }
        Ok(out)
    }

    async fn info(&self) -> Result<MisInfo, MisError> {
        let counts = self
            .fetch(tsql::COUNTS, &[], "Receptions", |row| {
                Ok((
                    rows::count(row, "Receptions")?,
                    rows::count(row, "Patients")?,
                ))
            })
            .await?;
        let (receptions, patients) = counts.first().copied().unwrap_or((0, 0));
        Ok(MisInfo {
            engine: ENGINE.to_owned(),
            receptions,
            patients,
        })
    }
}

fn column_error(
    table: &'static str,
    column: &'static str,
    error: tiberius::error::Error,
) -> MisError {
    MisError::Column {
        table,
        column,
        reason: error.to_string(),
    }
}

struct MssqlColumns<'r> {
    row: &'r Row,
    table: &'static str,
}

impl Columns for MssqlColumns<'_> {
    fn table(&self) -> &'static str {
        self.table
    }
    fn int(&self, column: &'static str) -> Result<Option<i64>, MisError> {
        if let Ok(v) = self.row.try_get::<i32, _>(column) {
            return Ok(v.map(i64::from));
        }
        if let Ok(v) = self.row.try_get::<i16, _>(column) {
            return Ok(v.map(i64::from));
        }
        if let Ok(v) = self.row.try_get::<u8, _>(column) {
            return Ok(v.map(i64::from));
        }
        self.row
            .try_get::<i64, _>(column)
            .map_err(|e| column_error(self.table, column, e))
    }
    fn text(&self, column: &'static str) -> Result<Option<String>, MisError> {
        self.row
            .try_get::<&str, _>(column)
            .map(|v| v.map(str::to_owned))
            .map_err(|e| column_error(self.table, column, e))
    }
    fn time(&self, column: &'static str) -> Result<Option<NaiveDateTime>, MisError> {
        self.row
            .try_get::<NaiveDateTime, _>(column)
            .map_err(|e| column_error(self.table, column, e))
    }
}
