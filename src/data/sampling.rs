//! Random draws built directly on the generator's raw 64-bit output.
//!
//! Every random choice that reaches an artifact (synthetic features, split permutations,
//! epoch order) goes through these few functions instead of `rand`'s distributions and
//! `SliceRandom::shuffle`, whose algorithms may change between `rand` releases. ChaCha8's
//! output stream is fixed by its specification, so a seed keeps giving the same data for as
//! long as this file does not change.

use rand::Rng;

/// A uniform draw from [0, 1) with 53 random bits, the same resolution as CPython's
/// `random()`.
pub fn unit_f64<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (rng.next_u64() >> 11) as f64 * SCALE
}

/// A uniform draw from `0..n` without modulo bias (Lemire's multiply-and-reject).
///
/// `n <= 1` returns 0 without consuming the generator.
pub fn index_below<R: Rng + ?Sized>(rng: &mut R, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let n = n as u64;
    let mut product = u128::from(rng.next_u64()) * u128::from(n);
    if (product as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (product as u64) < threshold {
            product = u128::from(rng.next_u64()) * u128::from(n);
        }
    }
    (product >> 64) as usize
}

/// Fisher–Yates from the back, like CPython's `random.shuffle`, with [`index_below`] draws.
pub fn shuffle<T, R: Rng + ?Sized>(items: &mut [T], rng: &mut R) {
    for i in (1..items.len()).rev() {
        items.swap(i, index_below(rng, i + 1));
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn unit_draws_stay_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!((0..10_000).map(|_| unit_f64(&mut rng)).all(|u| (0.0..1.0).contains(&u)));
    }

    #[test]
    fn index_draws_cover_the_range_evenly() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[index_below(&mut rng, 6)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_000..11_000).contains(&c)), "{counts:?}");
        assert_eq!(index_below(&mut rng, 1), 0);
        assert_eq!(index_below(&mut rng, 0), 0);
    }

    #[test]
    fn shuffle_permutes_and_is_seeded() {
        let run = |seed| {
            let mut items: Vec<u32> = (0..100).collect();
            shuffle(&mut items, &mut ChaCha8Rng::seed_from_u64(seed));
            items
        };
        let mut sorted = run(3);
        assert_eq!(run(3), sorted);
        assert_ne!(run(4), sorted);
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }
}
