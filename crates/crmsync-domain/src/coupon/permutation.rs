//! A keyed pseudo-random permutation of `[0, n)`: a Feistel network with cycle walking.
//!
//! The network works on the smallest power of two `2^b ≥ n`, split into halves of `⌈b/2⌉` and `⌊b/2⌋` bits
//! that alternate (as in NIST FF1), so the power of two is less than `2n` and cycle walking — applying the
//! network again while the result is `≥ n` — takes fewer than two passes on average. Each of the
//! [`ROUNDS`] rounds adds SipHash-1-3 of the other half, keyed by a per-round key derived from the
//! [`PermutationKey`] with SipHash-2-4.
//!
//! It makes indices *distinct*, not secret: codes stay guessable in proportion to how much of the index space is
//! used, whatever the key.

use std::fmt;

use rand::TryCryptoRng;
use siphasher::sip::{SipHasher13, SipHasher24};

/// Feistel rounds per pass (FF3-1 uses 8, FF1 10).
pub const ROUNDS: usize = 8;

/// Domain separation labels for keys derived from a [`PermutationKey`].
const ROUND_LABEL: u64 = 0x636f_7570_6f6e_0001;
const FREE_LABEL: u64 = 0x636f_7570_6f6e_0002;

/// The secret 128-bit key of a permutation; shown as 32 hex digits, never in `Debug` output.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PermutationKey([u8; 16]);

impl fmt::Debug for PermutationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PermutationKey(***)")
    }
}

/// A key written in a form that is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a permutation key is 32 hexadecimal digits")]
pub struct KeyError;

impl PermutationKey {
    /// A key with these bytes (tests use a fixed key for reproducible codes).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// A fresh key from `rng`, which should be the operating system's CSPRNG (`rand::rngs::SysRng`).
    pub fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, R::Error> {
        let mut bytes = [0u8; 16];
        rng.try_fill_bytes(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The key as 32 lower-case hex digits, as stored in a checkpoint.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads [`PermutationKey::to_hex`] back.
    pub fn from_hex(hex: &str) -> Result<Self, KeyError> {
        if hex.len() != 32 || !hex.is_ascii() {
            return Err(KeyError);
        }
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or(KeyError)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| KeyError)?;
        }
        Ok(Self(bytes))
    }

    /// A SipHash-1-3 hasher keyed by a sub-key of this key for `(label, index)`.
    pub(crate) fn derive(&self, label: u64, index: u64) -> SipHasher13 {
        let master = SipHasher24::new_with_key(&self.0);
        let mut input = [0u8; 17];
        input[..8].copy_from_slice(&label.to_le_bytes());
        input[8..16].copy_from_slice(&index.to_le_bytes());
        let k0 = master.hash(&input);
        input[16] = 1;
        let k1 = master.hash(&input);
        SipHasher13::new_with_keys(k0, k1)
    }

    pub(crate) fn free_positions_hasher(&self) -> SipHasher13 {
        self.derive(FREE_LABEL, 0)
    }
}

/// A bijection of `[0, domain)` onto itself chosen by a key.
#[derive(Clone)]
pub struct IndexPermutation {
    domain: u128,
    left_bits: u32,
    right_bits: u32,
    rounds: [SipHasher13; ROUNDS],
}

impl fmt::Debug for IndexPermutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexPermutation")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

impl IndexPermutation {
    /// The permutation of `[0, domain)` for `key`. A domain of 0 is empty: nothing maps.
    pub fn new(key: &PermutationKey, domain: u128) -> Self {
        let bits = if domain <= 1 {
            0
        } else {
            128 - (domain - 1).leading_zeros()
        };
        Self {
            domain,
            left_bits: bits.div_ceil(2),
            right_bits: bits / 2,
            rounds: std::array::from_fn(|round| key.derive(ROUND_LABEL, round as u64)),
        }
    }

    /// The size of the permuted range.
    pub fn domain(&self) -> u128 {
        self.domain
    }

    /// Where `index` goes; `None` when it is outside the domain.
    pub fn permute(&self, index: u128) -> Option<u128> {
        self.walk(index, |x| self.encrypt(x))
    }

    /// The index that [`IndexPermutation::permute`] sends to `value`; `None` outside the domain.
    pub fn invert(&self, value: u128) -> Option<u128> {
        self.walk(value, |x| self.decrypt(x))
    }

    fn walk(&self, start: u128, pass: impl Fn(u128) -> u128) -> Option<u128> {
        if start >= self.domain {
            return None;
        }
        let mut x = start;
        loop {
            x = pass(x);
            if x < self.domain {
                return Some(x);
            }
        }
    }

    #[inline]
    fn round(&self, round: usize, half: u64) -> u64 {
        self.rounds[round].hash(&half.to_le_bytes())
    }

    fn encrypt(&self, x: u128) -> u128 {
        let (mut wa, mut wb) = (self.left_bits, self.right_bits);
        let mut a = (x >> wb) as u64;
        let mut b = (x as u64) & mask(wb);
        for round in 0..ROUNDS {
            let c = a.wrapping_add(self.round(round, b)) & mask(wa);
            a = b;
            b = c;
            std::mem::swap(&mut wa, &mut wb);
        }
        (u128::from(a) << wb) | u128::from(b)
    }

    fn decrypt(&self, x: u128) -> u128 {
        let (mut wa, mut wb) = (self.left_bits, self.right_bits);
        let mut a = (x >> wb) as u64;
        let mut b = (x as u64) & mask(wb);
        for round in (0..ROUNDS).rev() {
            let previous_a = b.wrapping_sub(self.round(round, a)) & mask(wb);
            b = a;
            a = previous_a;
            std::mem::swap(&mut wa, &mut wb);
        }
        (u128::from(a) << wb) | u128::from(b)
    }
}

#[cfg(test)]
mod tests;
