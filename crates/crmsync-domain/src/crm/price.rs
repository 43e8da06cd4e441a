//! `Price`: a lead's budget, exact to hundredths of the account currency.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A lead's budget in the account currency, stored as hundredths (kopecks, cents).
///
/// amoCRM sends `price` as whole units and, in newer accounts, `price_with_minor_units` as a decimal; both fit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Price(i64);

impl Price {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// A price of whole units (`from_units(450)` is 450.00).
    pub const fn from_units(units: i64) -> Self {
        Self(units.saturating_mul(100))
    }

    /// A price given in hundredths (`from_hundredths(45050)` is 450.50).
    pub const fn from_hundredths(hundredths: i64) -> Self {
        Self(hundredths)
    }

    /// A decimal price rounded to hundredths; `None` for NaN, infinities and values out of range.
    pub fn from_decimal(value: f64) -> Option<Self> {
        let hundredths = (value * 100.0).round();
        if hundredths.is_finite() && hundredths.abs() < 9.0e18 {
            #[allow(clippy::cast_possible_truncation)]
            Some(Self(hundredths as i64))
        } else {
            None
        }
    }

    /// Whole units, fractions dropped toward zero.
    pub const fn units(self) -> i64 {
        self.0 / 100
    }

    /// The exact amount in hundredths.
    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// Whether the price has no fractional part.
    pub const fn is_whole(self) -> bool {
        self.0 % 100 == 0
    }

    /// The price as a decimal number.
    #[allow(clippy::cast_precision_loss)]
    pub fn as_decimal(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}
