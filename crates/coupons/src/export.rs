//! Writes a run's coupons as CSV or as plain codes, page by page.

use std::io::Write;

use crmsync_domain::ProcessId;
use crmsync_jobs::coupons::{CouponError, CouponGenerator};
use crmsync_ports::StoredCoupon;

use crate::cli::ExportFormat;

const PAGE: u32 = 10_000;

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    /// The run could not be read.
    #[error(transparent)]
    Job(#[from] CouponError),
    /// The output could not be written.
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
}

/// The CSV header.
pub(crate) const CSV_HEADER: &str = "code,discount_id,type,bitrix_type,active,active_from,active_to,max_uses,user_id,description,process_id,created_at";

/// One field, quoted when it holds a comma, a quote or a line break.
fn field(value: &str, out: &mut String) {
    if value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ') {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// One coupon as a CSV row (with its line break).
pub(crate) fn csv_row(coupon: &StoredCoupon) -> String {
    let f = &coupon.fields;
    let columns = [
        coupon.code.clone(),
        f.discount_id.to_string(),
        f.coupon_type.as_str().to_owned(),
        f.coupon_type.bitrix_code().to_string(),
        if f.active { "Y" } else { "N" }.to_owned(),
        f.active_from.map(|t| t.to_rfc3339()).unwrap_or_default(),
        f.active_to.map(|t| t.to_rfc3339()).unwrap_or_default(),
        f.max_uses.map(|m| m.to_string()).unwrap_or_default(),
        f.user_id.map(|u| u.to_string()).unwrap_or_default(),
        f.description.clone().unwrap_or_default(),
        coupon.process.map(|p| p.to_string()).unwrap_or_default(),
        coupon.created_at.to_rfc3339(),
    ];
    let mut row = String::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            row.push(',');
        }
        field(column, &mut row);
    }
    row.push('\n');
    row
}

/// Writes every coupon of run `id` to `out`; returns how many.
pub(crate) async fn export<W: Write + ?Sized>(
    generator: &CouponGenerator,
    id: ProcessId,
    format: ExportFormat,
    out: &mut W,
) -> Result<u64, ExportError> {
    if format == ExportFormat::Csv {
        writeln!(out, "{CSV_HEADER}")?;
    }
    let mut after = 0;
    let mut written = 0u64;
    loop {
        let page = generator.coupons_page(id, after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.id;
        let mut text = String::new();
        for coupon in &page {
            match format {
                ExportFormat::Csv => text.push_str(&csv_row(coupon)),
                ExportFormat::Codes => {
                    text.push_str(&coupon.code);
                    text.push('\n');
                }
            }
        }
        out.write_all(text.as_bytes())?;
        written += page.len() as u64;
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use crmsync_domain::coupon::{CouponFields, CouponType};

    use super::*;

    #[test]
    fn rows_quote_what_needs_quoting() {
        let coupon = StoredCoupon {
            id: 1,
            code: "A,1".into(),
            fields: CouponFields {
                discount_id: 5,
                coupon_type: CouponType::MultiOrder,
                active: false,
                active_from: None,
                active_to: Some(Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap()),
                max_uses: Some(3),
                user_id: None,
                description: Some("скидка \"10%\"\nна всё".into()),
            },
            process: Some(ProcessId(7)),
            created_at: Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap(),
        };
        assert_eq!(
            csv_row(&coupon),
            "\"A,1\",5,multi_order,4,N,,2026-12-31T00:00:00+00:00,3,,\"скидка \"\"10%\"\"\nна всё\",7,\
             2026-11-21T10:00:00+00:00\n"
        );
        assert_eq!(CSV_HEADER.split(',').count(), 12);
    }
}
