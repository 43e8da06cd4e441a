//! A keyed pseudo-random permutation of `[0, n)`: a Feistel network with cycle walking.
//!
//! The network works on `[0, a·b)` with `a = ⌈√n⌉` and `b = ⌈n / a⌉` (Black and Rogaway's generalized Feistel,
//! the structure of NIST FF1 with arbitrary moduli): a value is split into `(x / b, x mod b)`, and the halves'
//! moduli alternate each round. Since `a·b − n < a ≤ √n + 1`, cycle walking — applying the network again while
//! the result is `≥ n` — almost never needs a second pass. Each of the [`ROUNDS`] rounds adds SipHash-1-3 of the
//! other half, keyed by a per-round key derived from the [`PermutationKey`] with SipHash-2-4, reduced to the
//! half's modulus by multiplication.
//!
//! It makes indices *distinct*, not secret: codes stay guessable in proportion to how much of the index space is
//! used, whatever the key.

use std::fmt;

use rand::TryCryptoRng;
use siphasher::sip::{SipHasher13, SipHasher24};

mod round;

use round::RoundFunction;

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

    /// A 128-bit sub-key of this key for `(label, index)`, derived with SipHash-2-4.
    fn subkey(&self, label: u64, index: u64) -> (u64, u64) {
        let master = SipHasher24::new_with_key(&self.0);
        let mut input = [0u8; 17];
        input[..8].copy_from_slice(&label.to_le_bytes());
        input[8..16].copy_from_slice(&index.to_le_bytes());
        let k0 = master.hash(&input);
        input[16] = 1;
        let k1 = master.hash(&input);
        (k0, k1)
    }

    pub(crate) fn free_positions_hasher(&self) -> SipHasher13 {
        let (k0, k1) = self.subkey(FREE_LABEL, 0);
        SipHasher13::new_with_keys(k0, k1)
    }
}

/// A bijection of `[0, domain)` onto itself chosen by a key.
#[derive(Clone)]
pub struct IndexPermutation {
    domain: u128,
    /// The modulus of the left half before the first round.
    a: u128,
    /// The modulus of the right half before the first round.
    b: u128,
    /// Whether `a·b` fits in a `u64`, so every pass runs in 64-bit arithmetic.
    narrow: bool,
    rounds: [RoundFunction; ROUNDS],
}

impl fmt::Debug for IndexPermutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexPermutation")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// `r · modulus / 2^64`: a 64-bit hash mapped onto `[0, modulus)` without division (`modulus ≤ 2^64`).
#[inline]
fn reduce(r: u64, modulus: u128) -> u128 {
    (u128::from(r) * modulus) >> 64
}

impl IndexPermutation {
    /// The permutation of `[0, domain)` for `key`. A domain of 0 is empty: nothing maps.
    pub fn new(key: &PermutationKey, domain: u128) -> Self {
        let root = domain.isqrt();
        let a = if root * root < domain { root + 1 } else { root }.max(1);
        let b = domain.div_ceil(a).max(1);
        let narrow = a
            .checked_mul(b)
            .is_some_and(|ab| ab <= u128::from(u64::MAX));
        Self {
            domain,
            a,
            b,
            narrow,
            rounds: std::array::from_fn(|round| {
                let (k0, k1) = key.subkey(ROUND_LABEL, round as u64);
                RoundFunction::new(k0, k1)
            }),
        }
    }

    /// The size of the permuted range.
    pub fn domain(&self) -> u128 {
        self.domain
    }

    /// Where `index` goes; `None` when it is outside the domain.
    pub fn permute(&self, index: u128) -> Option<u128> {
        if self.narrow {
            self.walk(index, |x| u128::from(self.encrypt_narrow(x as u64)))
        } else {
            self.walk(index, |x| self.encrypt_wide(x))
        }
    }

    /// The index that [`IndexPermutation::permute`] sends to `value`; `None` outside the domain.
    pub fn invert(&self, value: u128) -> Option<u128> {
        if self.narrow {
            self.walk(value, |x| u128::from(self.decrypt_narrow(x as u64)))
        } else {
            self.walk(value, |x| self.decrypt_wide(x))
        }
    }

    #[inline]
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

    /// One pass in 64-bit arithmetic (`a·b < 2^64`, so both moduli are below 2^32).
    #[inline]
    fn encrypt_narrow(&self, x: u64) -> u64 {
        let (a, b) = (self.a as u64, self.b as u64);
        let (mut left, mut right) = (x / b, x % b);
        let (mut m_left, mut m_right) = (a, b);
        for round in &self.rounds {
            let mut sum = left + (reduce(round.hash_u64(right), u128::from(m_left)) as u64);
            if sum >= m_left {
                sum -= m_left;
            }
            left = right;
            right = sum;
            std::mem::swap(&mut m_left, &mut m_right);
        }
        left * b + right
    }

    #[inline]
    fn decrypt_narrow(&self, x: u64) -> u64 {
        let (a, b) = (self.a as u64, self.b as u64);
        let (mut left, mut right) = (x / b, x % b);
        let (mut m_left, mut m_right) = (a, b);
        for round in self.rounds.iter().rev() {
            std::mem::swap(&mut m_left, &mut m_right);
            let r = reduce(round.hash_u64(left), u128::from(m_left)) as u64;
            let previous = if right >= r {
                right - r
            } else {
                right + m_left - r
            };
            right = left;
            left = previous;
        }
        left * b + right
    }

    /// One pass in 128-bit arithmetic, for domains beyond `2^64`.
    fn encrypt_wide(&self, x: u128) -> u128 {
        let (mut left, mut right) = (x / self.b, x % self.b);
        let (mut m_left, mut m_right) = (self.a, self.b);
        for round in &self.rounds {
            let r = reduce(round.hash_u128(right), m_left);
            let sum = if left >= m_left - r {
                left - (m_left - r)
            } else {
                left + r
            };
            left = right;
            right = sum;
            std::mem::swap(&mut m_left, &mut m_right);
        }
        left * self.b + right
    }

    fn decrypt_wide(&self, x: u128) -> u128 {
        let (mut left, mut right) = (x / self.b, x % self.b);
        let (mut m_left, mut m_right) = (self.a, self.b);
        for round in self.rounds.iter().rev() {
            std::mem::swap(&mut m_left, &mut m_right);
            let r = reduce(round.hash_u128(left), m_left);
            let previous = if right >= r {
                right - r
            } else {
                right + (m_left - r)
            };
            right = left;
            left = previous;
        }
        left * self.b + right
    }
}

#[cfg(test)]
mod tests;
