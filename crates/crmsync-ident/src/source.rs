//! [`IdentDb`]: the IDENT schema on PostgreSQL or SQLite through sqlx, as a [`MisSource`].

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDateTime;
use crmsync_domain::{MisPatient, MisReception, PatientId, ReceptionId};
use crmsync_ports::{MAX_MIS_PAGE, MisCursor, MisError, MisInfo, MisSource};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, PgPool, Row, SqlitePool};

use crate::rows::{self, Columns};
use crate::{MAX_IN_LIST, schema, sql};

/// A query argument (texts and booleans are bound only by the `sandbox` fixture writer).
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "sandbox"), allow(dead_code))]
pub(crate) enum Arg {
    /// An integer (or NULL).
    Int(Option<i64>),
    /// A text (or NULL).
    Text(Option<String>),
    /// A timestamp (or NULL).
    Time(Option<NaiveDateTime>),
    /// A boolean.
    Bool(bool),
}

/// A query of `sql` with `args` bound in order (the same code for both engines' query types).
macro_rules! bind_all {
    ($sql:expr, $args:expr) => {{
        let mut query = sqlx::query(AssertSqlSafe($sql.to_owned()));
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
                Arg::Time(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
            };
        }
        query
    }};
}

/// The IDENT tables in a PostgreSQL or SQLite database.
#[derive(Debug, Clone)]
pub enum IdentDb {
    /// PostgreSQL.
    Postgres(PgPool),
    /// SQLite.
    Sqlite(SqlitePool),
}

impl IdentDb {
    /// Opens `url` (`postgres://…` or `sqlite:PATH`, created if missing).
    pub async fn open(url: &str) -> Result<Self, MisError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(|e| MisError::unavailable("PostgreSQL", e))?;
            Ok(Self::Postgres(pool))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Self::open_sqlite(Path::new(path)).await
        } else {
            Err(MisError::Invalid {
                field: "mis.url",
                reason: "use postgres://…, sqlite:PATH or (with the mssql feature) mssql://…"
                    .into(),
            })
        }
    }

    /// Opens (creating if needed) the SQLite file at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Self, MisError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| MisError::unavailable("SQLite", e))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|e| MisError::unavailable("SQLite", e))?;
        Ok(Self::Sqlite(pool))
    }

    /// The engine's name.
    pub fn engine(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "PostgreSQL",
            Self::Sqlite(_) => "SQLite",
        }
    }

    /// Creates the IDENT tables the sync reads, when missing.
    pub async fn create_schema(&self) -> Result<(), MisError> {
        for statement in schema::DDL {
            self.execute(statement, Vec::new()).await?;
        }
        Ok(())
    }

    /// Runs a statement that returns no rows.
    pub(crate) async fn execute(&self, sql: &str, args: Vec<Arg>) -> Result<u64, MisError> {
        let engine = self.engine();
        match self {
            Self::Postgres(pool) => {
                let query = bind_all!(sql, args);
                Ok(query
                    .execute(pool)
                    .await
                    .map_err(|e| MisError::query(engine, e))?
                    .rows_affected())
            }
            Self::Sqlite(pool) => {
                let query = bind_all!(sql, args);
                Ok(query
                    .execute(pool)
                    .await
                    .map_err(|e| MisError::query(engine, e))?
                    .rows_affected())
            }
        }
    }

    /// Runs a query and maps every row with `map`.
    async fn fetch<T>(
        &self,
        sql: &str,
        args: Vec<Arg>,
        table: &'static str,
        map: fn(&dyn Columns) -> Result<T, MisError>,
    ) -> Result<Vec<T>, MisError> {
        let engine = self.engine();
        match self {
            Self::Postgres(pool) => {
                let query = bind_all!(sql, args);
                let rows = query
                    .fetch_all(pool)
                    .await
                    .map_err(|e| MisError::query(engine, e))?;
                rows.iter()
                    .map(|row| map(&PgColumns { row, table }))
                    .collect()
            }
            Self::Sqlite(pool) => {
                let query = bind_all!(sql, args);
                let rows = query
                    .fetch_all(pool)
                    .await
                    .map_err(|e| MisError::query(engine, e))?;
                rows.iter()
                    .map(|row| map(&SqliteColumns { row, table }))
                    .collect()
            }
        }
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

fn id_list(ids: &[PatientId]) -> Result<Vec<Arg>, MisError> {
    if ids.len() > MAX_MIS_PAGE as usize {
        return Err(MisError::Invalid {
            field: "ids",
            reason: format!("at most {MAX_MIS_PAGE} per call"),
        });
    }
    Ok(ids.iter().map(|id| Arg::Int(Some(id.0))).collect())
}

#[async_trait]
impl MisSource for IdentDb {
    async fn receptions_since(
        &self,
        after: Option<MisCursor>,
        limit: u32,
    ) -> Result<Vec<MisReception>, MisError> {
        let limit = page_limit(limit)?;
        match after {
            Some(cursor) => {
                let args = vec![
                    Arg::Time(Some(cursor.changed_at)),
                    Arg::Int(Some(cursor.id)),
                    Arg::Int(Some(limit)),
                ];
                self.fetch(
                    &sql::receptions_since(),
                    args,
                    "Receptions",
                    rows::reception,
                )
                .await
            }
            None => {
                let args = vec![Arg::Int(Some(limit))];
                self.fetch(
                    &sql::receptions_first(),
                    args,
                    "Receptions",
                    rows::reception,
                )
                .await
            }
        }
    }

    async fn reception(&self, id: ReceptionId) -> Result<Option<MisReception>, MisError> {
        let args = vec![Arg::Int(Some(id.0))];
        let mut rows = self
            .fetch(&sql::reception_by_id(), args, "Receptions", rows::reception)
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
                let args = vec![
                    Arg::Time(Some(cursor.changed_at)),
                    Arg::Int(Some(cursor.id)),
                    Arg::Int(Some(limit)),
                ];
                self.fetch(&sql::patients_since(), args, "Patients", rows::patient)
                    .await
            }
            None => {
                let args = vec![Arg::Int(Some(limit))];
                self.fetch(&sql::patients_first(), args, "Patients", rows::patient)
                    .await
            }
        }
    }

    async fn patients(&self, ids: &[PatientId]) -> Result<Vec<MisPatient>, MisError> {
        id_list(ids)?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_IN_LIST) {
            let args = id_list(chunk)?;
            out.extend(
                self.fetch(
                    &sql::patients_by_ids(chunk.len()),
                    args,
                    "Patients",
                    rows::patient,
                )
                .await?,
            );
        }
        Ok(out)
    }

    async fn completed_counts(&self, ids: &[PatientId]) -> Result<Vec<(PatientId, u32)>, MisError> {
        id_list(ids)?;
        let mut out = Vec::new();
        for chunk in ids.chunks(MAX_IN_LIST) {
            let args = id_list(chunk)?;
            out.extend(
                self.fetch(
                    &sql::completed_counts(chunk.len()),
                    args,
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
            .fetch(sql::COUNTS, Vec::new(), "Receptions", |row| {
                Ok((
                    rows::count(row, "Receptions")?,
                    rows::count(row, "Patients")?,
                ))
            })
            .await?;
        let (receptions, patients) = counts.first().copied().unwrap_or((0, 0));
        Ok(MisInfo {
            engine: self.engine().to_owned(),
            receptions,
            patients,
        })
    }
}

fn column_error(table: &'static str, column: &'static str, error: sqlx::Error) -> MisError {
    MisError::Column {
        table,
        column,
        reason: error.to_string(),
    }
}

struct PgColumns<'r> {
    row: &'r PgRow,
    table: &'static str,
}

impl Columns for PgColumns<'_> {
    fn table(&self) -> &'static str {
        self.table
    }
    fn int(&self, column: &'static str) -> Result<Option<i64>, MisError> {
        match self.row.try_get::<Option<i64>, _>(column) {
            Ok(v) => Ok(v),
            Err(_) => self
                .row
                .try_get::<Option<i32>, _>(column)
                .map(|v| v.map(i64::from))
                .map_err(|e| column_error(self.table, column, e)),
        }
    }
    fn text(&self, column: &'static str) -> Result<Option<String>, MisError> {
        self.row
            .try_get(column)
            .map_err(|e| column_error(self.table, column, e))
    }
    fn time(&self, column: &'static str) -> Result<Option<NaiveDateTime>, MisError> {
        self.row
            .try_get(column)
            .map_err(|e| column_error(self.table, column, e))
    }
}

struct SqliteColumns<'r> {
    row: &'r SqliteRow,
    table: &'static str,
}

impl Columns for SqliteColumns<'_> {
    fn table(&self) -> &'static str {
        self.table
    }
    fn int(&self, column: &'static str) -> Result<Option<i64>, MisError> {
        self.row
            .try_get(column)
            .map_err(|e| column_error(self.table, column, e))
    }
    fn text(&self, column: &'static str) -> Result<Option<String>, MisError> {
        self.row
            .try_get(column)
            .map_err(|e| column_error(self.table, column, e))
    }
    fn time(&self, column: &'static str) -> Result<Option<NaiveDateTime>, MisError> {
        self.row
            .try_get(column)
            .map_err(|e| column_error(self.table, column, e))
    }
}
