//! Tests of the keyed index permutation.

use std::collections::HashSet;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;

fn key(seed: u8) -> PermutationKey {
    PermutationKey::from_bytes([seed; 16])
}

fn image(permutation: &IndexPermutation) -> Vec<u128> {
    (0..permutation.domain())
        .map(|i| permutation.permute(i).unwrap())
        .collect()
}

#[test]
fn small_domains_are_permuted_exactly() {
    for domain in [1u128, 2, 3, 7, 10, 100, 676, 1000, 1024, 1025, 2704] {
        let permutation = IndexPermutation::new(&key(3), domain);
        let values = image(&permutation);
        let distinct: HashSet<u128> = values.iter().copied().collect();
        assert_eq!(distinct.len() as u128, domain, "domain {domain}");
        assert!(values.iter().all(|&v| v < domain));
        for (index, &value) in values.iter().enumerate() {
            assert_eq!(permutation.invert(value), Some(index as u128));
        }
    }
}

#[test]
fn the_order_depends_on_the_key_and_looks_shuffled() {
    let a = image(&IndexPermutation::new(&key(1), 1000));
    let b = image(&IndexPermutation::new(&key(2), 1000));
    assert_ne!(a, b);
    let fixed_points = a
        .iter()
        .enumerate()
        .filter(|(i, v)| *i as u128 == **v)
        .count();
    assert!(fixed_points < 20, "{fixed_points} fixed points");
    let ascending_steps = a.windows(2).filter(|w| w[1] == w[0] + 1).count();
    assert!(ascending_steps < 20, "{ascending_steps} consecutive pairs");
}

#[test]
fn outside_the_domain_nothing_maps() {
    let permutation = IndexPermutation::new(&key(1), 10);
    assert_eq!(permutation.permute(10), None);
    assert_eq!(permutation.invert(10), None);
    let empty = IndexPermutation::new(&key(1), 0);
    assert_eq!(empty.permute(0), None);
}

#[test]
fn the_full_u128_range_round_trips() {
    let permutation = IndexPermutation::new(&key(9), u128::MAX);
    for index in [0, 1, u128::from(u64::MAX), u128::MAX - 1] {
        let value = permutation.permute(index).unwrap();
        assert!(value < u128::MAX);
        assert_eq!(permutation.invert(value), Some(index));
    }
}

#[test]
fn keys_round_trip_through_hex_and_hide_in_debug() {
    let mut rng = StdRng::seed_from_u64(7);
    let key = PermutationKey::random(&mut rng).unwrap();
    let hex = key.to_hex();
    assert_eq!(hex.len(), 32);
    assert_eq!(PermutationKey::from_hex(&hex), Ok(key));
    assert_eq!(format!("{key:?}"), "PermutationKey(***)");
    assert_eq!(PermutationKey::from_hex("xyz"), Err(KeyError));
    assert_eq!(PermutationKey::from_hex(&"g".repeat(32)), Err(KeyError));
    assert_eq!(PermutationKey::from_hex(&"é".repeat(16)), Err(KeyError));
    let other = PermutationKey::random(&mut rng).unwrap();
    assert_ne!(key, other);
}

proptest! {
    #[test]
    fn permute_and_invert_are_inverse_on_any_domain(
        domain in 1u128..=u128::MAX,
        seed in any::<[u8; 16]>(),
        fraction in 0.0f64..1.0,
    ) {
        let permutation = IndexPermutation::new(&PermutationKey::from_bytes(seed), domain);
        let index = ((domain as f64) * fraction) as u128 % domain;
        let value = permutation.permute(index).unwrap();
        prop_assert!(value < domain);
        prop_assert_eq!(permutation.invert(value), Some(index));
    }

    #[test]
    fn every_small_domain_is_a_bijection(domain in 1u128..3000, seed in any::<[u8; 16]>()) {
        let permutation = IndexPermutation::new(&PermutationKey::from_bytes(seed), domain);
        let distinct: HashSet<u128> = image(&permutation).into_iter().collect();
        prop_assert_eq!(distinct.len() as u128, domain);
    }
}
