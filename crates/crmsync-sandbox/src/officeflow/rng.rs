//! The organisation generator's view of the shared deterministic generator ([`crate::rng::DetRng`]): the same
//! seed gives the same organisation on every machine and every version of the dependencies.

use crate::rng::DetRng;

/// Keeps organisation seeds apart from fault-plan seeds that happen to be equal.
const SALT: u64 = 0x005e_ed0f_f1ce_f10e;

/// Draws for the organisation generator.
#[derive(Debug, Clone)]
pub(crate) struct Rng(DetRng);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(DetRng::new(seed ^ SALT))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.0.below(n)).unwrap_or(0)
    }

    /// `true` with probability `percent / 100`.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.0.below(100) < percent
    }
}
