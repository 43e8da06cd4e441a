//! Codes from a template: unique ones through a keyed permutation of the index space, and free draws.
//!
//! Unique mode: index `i` of a run is sent through an [`IndexPermutation`] of `[0, n)` and the result is written
//! as mixed-radix digits, one per position (the first position most significant). Distinct indices give distinct
//! codes, so a run needs no set of what it generated, reaches every one of the `n` codes, and resumes from the
//! next index alone.
//!
//! When the capacity exceeds `u128` (saturated), the permutation covers the longest run of trailing positions
//! whose product fits, and the leading positions are filled from a keyed hash of the index: codes stay distinct
//! and every count a run can ask for (`u64`) still fits.

use std::ops::Range;

use rand::{Rng, RngExt};
use siphasher::sip::SipHasher13;

use super::permutation::{IndexPermutation, PermutationKey};
use super::template::Template;

/// An index past the end of a [`UniqueCodes`] sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("index {index} is outside the {len} distinct codes of the template")]
pub struct IndexOutOfRange {
    /// The index asked for.
    pub index: u128,
    /// How many distinct codes there are.
    pub len: u128,
}

/// The distinct codes of a template in the order a key chooses.
#[derive(Debug, Clone)]
pub struct UniqueCodes<'t> {
    template: &'t Template,
    permutation: IndexPermutation,
    radices: Vec<u64>,
    free: usize,
    free_hasher: SipHasher13,
}

impl<'t> UniqueCodes<'t> {
    /// The sequence of `template`'s codes for `key`.
    pub fn new(template: &'t Template, key: &PermutationKey) -> Self {
        let radices: Vec<u64> = template
            .positions()
            .iter()
            .map(|p| p.collection.len() as u64)
            .collect();
        let mut len: u128 = 1;
        let mut free = radices.len();
        for radix in radices.iter().rev() {
            match len.checked_mul(u128::from(*radix)) {
                Some(product) => {
                    len = product;
                    free -= 1;
                }
                None => break,
            }
        }
        Self {
            template,
            permutation: IndexPermutation::new(key, len),
            radices,
            free,
            free_hasher: key.free_positions_hasher(),
        }
    }

    /// How many distinct codes the sequence holds: the exact capacity, or, when the capacity is saturated, the
    /// product of the permuted trailing positions (still more than `u64::MAX`).
    pub fn len(&self) -> u128 {
        self.permutation.domain()
    }

    /// Whether the sequence has no code (never: every template has at least one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Code number `index` of the sequence.
    pub fn code(&self, index: u128) -> Result<String, IndexOutOfRange> {
        let mut digits = vec![0usize; self.radices.len()];
        let mut code = String::new();
        self.write(index, &mut digits, &mut code)?;
        Ok(code)
    }

    /// Codes number `range.start` to `range.end - 1`, in that order.
    pub fn range(&self, range: Range<u128>) -> Result<Vec<String>, IndexOutOfRange> {
        if range.end > self.len() {
            return Err(IndexOutOfRange {
                index: range.end.saturating_sub(1),
                len: self.len(),
            });
        }
        let mut digits = vec![0usize; self.radices.len()];
        let capacity = usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(0);
        let mut codes = Vec::with_capacity(capacity);
        let length_hint = self.template.source().len();
        for index in range {
            let mut code = String::with_capacity(length_hint);
            self.write(index, &mut digits, &mut code)?;
            codes.push(code);
        }
        Ok(codes)
    }

    /// Appends code number `index` to `out`, using `digits` (one entry per position) as scratch space.
    pub fn write(
        &self,
        index: u128,
        digits: &mut [usize],
        out: &mut String,
    ) -> Result<(), IndexOutOfRange> {
        let out_of_range = IndexOutOfRange {
            index,
            len: self.len(),
        };
        let value = self.permutation.permute(index).ok_or(out_of_range)?;
        let digits = digits.get_mut(..self.radices.len()).ok_or(out_of_range)?;
        self.decode(value, digits);
        for (position, digit) in digits.iter_mut().enumerate().take(self.free) {
            *digit = self.free_digit(index, position);
        }
        self.template.write_digits(digits, out);
        Ok(())
    }

    /// Writes `value` as mixed-radix digits into the permuted (trailing) positions.
    fn decode(&self, value: u128, digits: &mut [usize]) {
        let permuted = self
            .radices
            .iter()
            .zip(digits.iter_mut())
            .skip(self.free)
            .rev();
        if let Ok(mut rest) = u64::try_from(value) {
            for (&radix, digit) in permuted {
                *digit = (rest % radix) as usize;
                rest /= radix;
            }
        } else {
            let mut rest = value;
            for (&radix, digit) in permuted {
                let radix = u128::from(radix);
                *digit = (rest % radix) as usize;
                rest /= radix;
            }
        }
    }

    /// The digit of leading position `position` for `index` (saturated templates only).
    fn free_digit(&self, index: u128, position: usize) -> usize {
        let mut input = [0u8; 24];
        input[..16].copy_from_slice(&index.to_le_bytes());
        input[16..].copy_from_slice(&(position as u64).to_le_bytes());
        let hash = u128::from(self.free_hasher.hash(&input));
        let radix = u128::from(self.radices[position]);
        ((hash * radix) >> 64) as usize
    }
}

/// A code drawn freely: every position independently and uniformly from its collection. Codes may repeat;
/// this is what a preview shows.
pub fn random_code<R: Rng + ?Sized>(template: &Template, rng: &mut R) -> String {
    let digits: Vec<usize> = template
        .positions()
        .iter()
        .map(|p| rng.random_range(0..p.collection.len()))
        .collect();
    let mut code = String::new();
    template.write_digits(&digits, &mut code);
    code
}

#[cfg(test)]
mod tests;
