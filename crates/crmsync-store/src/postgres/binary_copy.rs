//! PostgreSQL's binary `COPY … FROM STDIN (FORMAT binary)` stream: the `PGCOPY` signature, flags and header
//! extension, then per tuple an `i16` field count and per field an `i32` length (`-1` for NULL) followed by the
//! value in network byte order, and a `-1` field count as trailer.

use chrono::{DateTime, Utc};
use crmsync_ports::StoreError;

/// The 11-byte signature that opens every binary `COPY` stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in microseconds since the Unix epoch.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// The version byte that opens a `jsonb` value in binary form.
const JSONB_VERSION: u8 = 1;

/// One field of a tuple, typed as the column it goes into.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CopyValue<'a> {
    /// SQL NULL, whatever the column's type.
    Null,
    /// `text` / `varchar`: the UTF-8 bytes.
    Text(&'a str),
    /// `integer`.
    Int4(i32),
    /// `bigint`.
    Int8(i64),
    /// `boolean`.
    Bool(bool),
    /// `timestamptz`: microseconds since 2000-01-01 UTC.
    TimestampTz(DateTime<Utc>),
    /// `jsonb`: the version byte, then the JSON text.
    Jsonb(&'a str),
}

/// A binary `COPY` stream under construction; send [`BinaryCopy::finish`]'s bytes to `PgCopyIn::send`.
#[derive(Debug, Clone)]
pub struct BinaryCopy {
    data: Vec<u8>,
}

impl Default for BinaryCopy {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl BinaryCopy {
    /// An empty stream (header only) with room for `bytes` more bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut data = Vec::with_capacity(SIGNATURE.len() + 8 + bytes + 2);
        data.extend_from_slice(SIGNATURE);
        data.extend_from_slice(&0i32.to_be_bytes());
        data.extend_from_slice(&0i32.to_be_bytes());
        Self { data }
    }

    /// Appends one tuple; `values` must match the `COPY` statement's column list in number, order and type.
    pub fn tuple(&mut self, values: &[CopyValue<'_>]) -> Result<(), StoreError> {
        let fields = i16::try_from(values.len()).map_err(|_| StoreError::Invalid {
            field: "copy tuple",
            reason: format!(
                "{} fields exceed the format's limit of {}",
                values.len(),
                i16::MAX
            ),
        })?;
        self.data.extend_from_slice(&fields.to_be_bytes());
        for value in values {
            self.value(*value)?;
        }
        Ok(())
    }

    fn value(&mut self, value: CopyValue<'_>) -> Result<(), StoreError> {
        match value {
            CopyValue::Null => self.data.extend_from_slice(&(-1i32).to_be_bytes()),
            CopyValue::Text(text) => self.bytes(&[text.as_bytes()])?,
            CopyValue::Int4(n) => self.bytes(&[&n.to_be_bytes()])?,
            CopyValue::Int8(n) => self.bytes(&[&n.to_be_bytes()])?,
            CopyValue::Bool(b) => self.bytes(&[&[u8::from(b)]])?,
            CopyValue::TimestampTz(at) => {
                let micros = at
                    .timestamp_micros()
                    .checked_sub(POSTGRES_EPOCH_MICROS)
                    .ok_or_else(|| StoreError::Invalid {
                        field: "copy timestamptz",
                        reason: format!("{at} is outside PostgreSQL's range"),
                    })?;
                self.bytes(&[&micros.to_be_bytes()])?;
            }
            CopyValue::Jsonb(json) => self.bytes(&[&[JSONB_VERSION], json.as_bytes()])?,
        }
        Ok(())
    }

    fn bytes(&mut self, parts: &[&[u8]]) -> Result<(), StoreError> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let len = i32::try_from(len).map_err(|_| StoreError::Invalid {
            field: "copy value",
            reason: format!("{len} bytes exceed the format's limit of {}", i32::MAX),
        })?;
        self.data.extend_from_slice(&len.to_be_bytes());
        for part in parts {
            self.data.extend_from_slice(part);
        }
        Ok(())
    }

    /// The whole stream, trailer included.
    pub fn finish(mut self) -> Vec<u8> {
        self.data.extend_from_slice(&(-1i16).to_be_bytes());
        self.data
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_stream_is_header_tuples_and_trailer_in_network_order() {
        let mut copy = BinaryCopy::default();
        let at = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 1).unwrap();
        copy.tuple(&[
            CopyValue::Text("Ж1"),
            CopyValue::Null,
            CopyValue::Int4(-2),
            CopyValue::Int8(258),
            CopyValue::Bool(true),
            CopyValue::TimestampTz(at),
            CopyValue::Jsonb("{}"),
        ])
        .unwrap();
        let mut expected = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
        expected.extend_from_slice(&[0, 7]);
        expected.extend_from_slice(&[0, 0, 0, 3, 0xd0, 0x96, b'1']);
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        expected.extend_from_slice(&[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe]);
        expected.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2]);
        expected.extend_from_slice(&[0, 0, 0, 1, 1]);
        expected.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40]);
        expected.extend_from_slice(&[0, 0, 0, 3, 1, b'{', b'}']);
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(copy.finish(), expected);
    }

    #[test]
    fn times_before_the_postgres_epoch_are_negative() {
        let mut copy = BinaryCopy::default();
        let at = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap();
        copy.tuple(&[CopyValue::TimestampTz(at)]).unwrap();
        let data = copy.finish();
        assert_eq!(
            &data[21..33],
            &[0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0xbd, 0xc0]
        );
    }
}
