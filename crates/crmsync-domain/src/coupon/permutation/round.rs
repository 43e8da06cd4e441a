//! The Feistel round function: SipHash-1-3 of one half, with the key schedule done once per round key.
//!
//! For a `u64` half this is SipHash-1-3 of its 8 little-endian bytes, written out so that no byte buffer is
//! built; `tests` checks it against the `siphasher` crate bit for bit.

use siphasher::sip::SipHasher13;

/// SipHash-1-3 keyed once, applied to many halves.
#[derive(Clone)]
pub(super) struct RoundFunction {
    initial: [u64; 4],
    hasher: SipHasher13,
}

#[inline(always)]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

impl RoundFunction {
    pub(super) fn new(k0: u64, k1: u64) -> Self {
        Self {
            initial: [
                k0 ^ 0x736f_6d65_7073_6575,
                k1 ^ 0x646f_7261_6e64_6f6d,
                k0 ^ 0x6c79_6765_6e65_7261,
                k1 ^ 0x7465_6462_7974_6573,
            ],
            hasher: SipHasher13::new_with_keys(k0, k1),
        }
    }

    /// SipHash-1-3 of `half.to_le_bytes()`.
    #[inline]
    pub(super) fn hash_u64(&self, half: u64) -> u64 {
        let mut v = self.initial;
        v[3] ^= half;
        sip_round(&mut v);
        v[0] ^= half;
        let length_block = 8u64 << 56;
        v[3] ^= length_block;
        sip_round(&mut v);
        v[0] ^= length_block;
        v[2] ^= 0xff;
        sip_round(&mut v);
        sip_round(&mut v);
        sip_round(&mut v);
        v[0] ^ v[1] ^ v[2] ^ v[3]
    }

    /// SipHash-1-3 of `half.to_le_bytes()` (16 bytes).
    pub(super) fn hash_u128(&self, half: u128) -> u64 {
        self.hasher.hash(&half.to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unrolled_hash_is_siphash_1_3() {
        for (k0, k1) in [(0, 0), (1, 2), (u64::MAX, 0x0123_4567_89ab_cdef)] {
            let round = RoundFunction::new(k0, k1);
            let reference = SipHasher13::new_with_keys(k0, k1);
            for half in [0u64, 1, 42, u64::MAX, 0xdead_beef_cafe_f00d] {
                assert_eq!(round.hash_u64(half), reference.hash(&half.to_le_bytes()));
            }
        }
    }
}
