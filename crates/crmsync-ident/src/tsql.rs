//! The queries of the SQL Server adapter, in T-SQL: `[bracketed]` names, `@Pn` parameters, `TOP (@Pn)`. They
//! select the same columns under the same names as [`sql`](crate::sql), so [`rows`](crate::rows) maps both.
//! Always compiled, so their text is tested without the `mssql` feature.

const RECEPTION_COLUMNS: &str = "r.[ID], r.[ID_Patients], r.[PlanStart], r.[PlanEnd], r.[DateTimeChanged],
    r.[PatientAppeared], r.[ReceptionStarted], r.[ReceptionEnded], r.[CheckIssued], r.[ReceptionCanceled],
    r.[ID_ReceptionCancelReasons], r.[ServiceName], CAST(r.[Cost] AS nvarchar(64)) AS [Cost],
    d.[Surname] AS [DoctorSurname], d.[Name] AS [DoctorName], d.[Patronymic] AS [DoctorPatronymic]
    FROM [Receptions] r WITH (NOLOCK) LEFT JOIN [Persons] d WITH (NOLOCK) ON d.[ID] = r.[ID_Staffs]";

/// Receptions after the cursor `(@P1, @P2)`, at most `@P3`.
pub fn receptions_since() -> String {
    format!(
        "SELECT TOP (@P3) {RECEPTION_COLUMNS}
    WHERE r.[DateTimeChanged] > @P1 OR (r.[DateTimeChanged] = @P1 AND r.[ID] > @P2)
    ORDER BY r.[DateTimeChanged], r.[ID]"
    )
}

/// The first `@P1` receptions.
pub fn receptions_first() -> String {
    format!("SELECT TOP (@P1) {RECEPTION_COLUMNS} ORDER BY r.[DateTimeChanged], r.[ID]")
}

/// One reception by id `@P1`.
pub fn reception_by_id() -> String {
    format!("SELECT {RECEPTION_COLUMNS} WHERE r.[ID] = @P1")
}

const PATIENT_SELECT: &str = "(SELECT p.[ID], pa.[CardNumber], CAST(pa.[PatientNumber] AS nvarchar(64)) AS [PatientNumber],
    p.[Surname], p.[Name], p.[Patronymic], CAST(p.[Birthday] AS nvarchar(32)) AS [Birthday], p.[Phone], p.[MobilePhone],
    CASE WHEN pa.[DateTimeChanged] > p.[DateTimeChanged] THEN pa.[DateTimeChanged]
         ELSE p.[DateTimeChanged] END AS [ChangedAt]
    FROM [Patients] pa WITH (NOLOCK) JOIN [Persons] p WITH (NOLOCK) ON p.[ID] = pa.[ID_Persons]) x";

/// Patients after the cursor `(@P1, @P2)`, at most `@P3`.
pub fn patients_since() -> String {
    format!(
        "SELECT TOP (@P3) * FROM {PATIENT_SELECT}
    WHERE x.[ChangedAt] > @P1 OR (x.[ChangedAt] = @P1 AND x.[ID] > @P2)
    ORDER BY x.[ChangedAt], x.[ID]"
    )
}

/// The first `@P1` patients.
pub fn patients_first() -> String {
    format!("SELECT TOP (@P1) * FROM {PATIENT_SELECT} ORDER BY x.[ChangedAt], x.[ID]")
}

/// Patients whose id is one of `@P1 … @Pn`.
pub fn patients_by_ids(n: usize) -> String {
    format!(
        "SELECT * FROM {PATIENT_SELECT} WHERE x.[ID] IN ({})",
        placeholders(n)
    )
}

/// Completed-reception counts of the patients `@P1 … @Pn`.
pub fn completed_counts(n: usize) -> String {
    format!(
        "SELECT r.[ID_Patients] AS [ID], COUNT(*) AS [Completed] FROM [Receptions] r WITH (NOLOCK)
    WHERE r.[ID_Patients] IN ({}) AND r.[ReceptionCanceled] IS NULL AND r.[ID_ReceptionCancelReasons] IS NULL
    AND (r.[ReceptionEnded] IS NOT NULL OR r.[CheckIssued] IS NOT NULL) GROUP BY r.[ID_Patients]",
        placeholders(n)
    )
}

/// Row counts for `info`.
pub const COUNTS: &str = "SELECT (SELECT COUNT_BIG(*) FROM [Receptions]) AS [Receptions],
    (SELECT COUNT_BIG(*) FROM [Patients]) AS [Patients]";

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("@P{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_use_top_and_the_cursor_tie_breaker() {
        let sql = receptions_since();
        assert!(sql.starts_with("SELECT TOP (@P3) r.[ID], r.[ID_Patients]"));
        assert!(
            sql.contains(
                "r.[DateTimeChanged] > @P1 OR (r.[DateTimeChanged] = @P1 AND r.[ID] > @P2)"
            )
        );
        assert!(sql.ends_with("ORDER BY r.[DateTimeChanged], r.[ID]"));
        assert!(!sql.contains("LIMIT") && !sql.contains('"') && !sql.contains('$'));
        let patients = patients_since();
        assert!(patients.starts_with("SELECT TOP (@P3) * FROM (SELECT p.[ID]"));
        assert!(patients.ends_with("ORDER BY x.[ChangedAt], x.[ID]"));
    }

    #[test]
    fn in_lists_have_one_parameter_per_id() {
        assert!(completed_counts(3).contains("IN (@P1, @P2, @P3)"));
        assert!(patients_by_ids(2).ends_with("IN (@P1, @P2)"));
    }

    #[test]
    fn both_dialects_select_the_same_column_names() {
        fn names(sql: &str, open: char, close: char) -> Vec<String> {
            let head = sql.split(" FROM ").next().unwrap_or_default();
            head.split(',')
                .map(|part| {
                    let part = part.trim();
                    let alias = part.rsplit(" AS ").next().unwrap_or(part);
                    let last = alias.rsplit('.').next().unwrap_or(alias);
                    last.trim_matches(|c| c == open || c == close || c == ' ' || c == '\n')
                        .trim_start_matches("SELECT TOP (@P1) ")
                        .trim_start_matches("SELECT ")
                        .trim_matches(|c| c == open || c == close)
                        .to_owned()
                })
                .collect()
        }
        assert_eq!(
            names(&reception_by_id(), '[', ']'),
            names(&crate::sql::reception_by_id(), '"', '"')
        );
        assert_eq!(names(&reception_by_id(), '[', ']').len(), 16);
    }
}
