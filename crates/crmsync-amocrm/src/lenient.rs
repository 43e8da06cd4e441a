//! `deserialize_with` functions over the forgiving readers of [`crate::flex`], for the typed structs of the entity
//! families: ids and counts that arrive as strings, `null` for empty text, PHP's `[]` for an empty object.

use serde::de::{Deserialize, Deserializer, Error};

use crate::flex::{FlexBool, FlexF64, FlexI64, FlexList, FlexString, Lenient};

/// A required id (a number or a numeric string).
pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    FlexI64::deserialize(d)?
        .0
        .ok_or_else(|| D::Error::custom("expected an id"))
}

/// An optional integer.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(FlexI64::deserialize(d)?.0)
}

/// An integer, `0` when absent or `null`.
pub(crate) fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(FlexI64::deserialize(d)?.0.unwrap_or(0))
}

/// An optional float.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(FlexF64::deserialize(d)?.0)
}

/// Text, empty when `null`.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(FlexString::deserialize(d)?.0.unwrap_or_default())
}

/// Optional text (`null` and absent read as `None`).
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(FlexString::deserialize(d)?.0)
}

/// A flag, `false` when absent or `null`.
pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(FlexBool::deserialize(d)?.0.unwrap_or(false))
}

/// A list that may be `null` or an object keyed by index.
pub(crate) fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(FlexList::deserialize(d)?.0)
}

/// An object that may be PHP's `[]` or `null`.
pub(crate) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Lenient::deserialize(d)?.0)
}
