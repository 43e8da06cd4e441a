//! The number of distinct codes a template yields, exact up to `u128::MAX` and flagged as saturated beyond.

use std::fmt;

use serde::{Serialize, Serializer};

/// The product of a template's position sizes.
///
/// Exact while it fits in a `u128` (about 3.4 × 10^38, far beyond any count a run can ask for); a larger product
/// is *saturated*: [`Capacity::value`] is then `u128::MAX`, a lower bound, and [`Capacity::is_saturated`] says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capacity {
    value: u128,
    saturated: bool,
}

impl Capacity {
    /// The product of `radices` (1 for none). A zero radix yields 0.
    pub fn of(radices: impl IntoIterator<Item = usize>) -> Self {
        let mut value: u128 = 1;
        let mut saturated = false;
        for radix in radices {
            let radix = radix as u128;
            if radix == 0 {
                return Self::exact(0);
            }
            match value.checked_mul(radix) {
                Some(product) if !saturated => value = product,
                _ => {
                    value = u128::MAX;
                    saturated = true;
                }
            }
        }
        Self { value, saturated }
    }

    /// An exact capacity.
    pub fn exact(value: u128) -> Self {
        Self {
            value,
            saturated: false,
        }
    }

    /// The exact capacity, or `u128::MAX` (a lower bound) when saturated.
    pub fn value(self) -> u128 {
        self.value
    }

    /// Whether the true product exceeds `u128::MAX`.
    pub fn is_saturated(self) -> bool {
        self.saturated
    }

    /// Whether `count` distinct codes exist.
    pub fn admits(self, count: u64) -> bool {
        u128::from(count) <= self.value
    }

    /// `count` as a fraction of the capacity (0 when saturated: the fraction is below 10^-19).
    pub fn fill_ratio(self, count: u64) -> f64 {
        if self.saturated || self.value == 0 {
            return if self.value == 0 { f64::INFINITY } else { 0.0 };
        }
        count as f64 / self.value as f64
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.saturated {
            write!(f, "more than {}", u128::MAX)
        } else {
            write!(f, "{}", self.value)
        }
    }
}

impl Serialize for Capacity {
    /// As a decimal string (JSON numbers lose precision past 2^53), prefixed with `>` when saturated.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.saturated {
            serializer.serialize_str(&format!(">{}", u128::MAX))
        } else {
            serializer.serialize_str(&self.value.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_exact_until_u128_overflows() {
        assert_eq!(Capacity::of([]).value(), 1);
        assert_eq!(Capacity::of([10, 10, 10]).value(), 1000);
        assert_eq!(Capacity::of([26, 26]).value(), 676);
        assert_eq!(Capacity::of([52, 52]).value(), 2704);
        assert!(
            Capacity::of([1usize << 32; 4]).is_saturated(),
            "2^128 is one too many"
        );
        let largest = Capacity::of([1usize << 32, 1 << 32, 1 << 32, (1 << 32) - 1]);
        assert_eq!(largest.value(), u128::MAX - (1u128 << 96) + 1);
        assert!(!largest.is_saturated());
        let just_fits = Capacity::of(std::iter::repeat_n(2usize, 127));
        assert_eq!(just_fits.value(), 1u128 << 127);
        assert!(!just_fits.is_saturated());
        let over = Capacity::of(std::iter::repeat_n(2usize, 129));
        assert!(over.is_saturated());
        assert_eq!(over.value(), u128::MAX);
        assert!(over.to_string().starts_with("more than 3402823669"));
        let twenty_digits_more = Capacity::of(std::iter::repeat_n(10usize, 60));
        assert!(twenty_digits_more.is_saturated());
        assert!(twenty_digits_more.admits(u64::MAX));
    }

    #[test]
    fn admits_and_fill_ratio_are_exact_at_the_boundary() {
        let c = Capacity::exact(1000);
        assert!(c.admits(1000));
        assert!(!c.admits(1001));
        assert!((c.fill_ratio(250) - 0.25).abs() < 1e-12);
        assert_eq!(Capacity::of([0, 10]).value(), 0);
        assert!(!Capacity::of([0]).admits(1));
    }

    #[test]
    fn serialises_as_a_decimal_string() {
        assert_eq!(
            serde_json::to_string(&Capacity::exact(u128::MAX - 1)).unwrap(),
            format!("\"{}\"", u128::MAX - 1)
        );
        assert!(
            serde_json::to_string(&Capacity::of(std::iter::repeat_n(10usize, 40)))
                .unwrap()
                .starts_with("\">")
        );
    }
}
