//! Random draws built directly on the generator's raw 64-bit output.
//!
//! Every random choice that reaches an artifact (synthetic features, split permutations,
//! epoch order) goes through these few functions instead of `rand`'s distributions and
//! `SliceRandom::shuffle`, whose algorithms may change between `rand` releases. ChaCha8's
//! output stream is fixed by its specification, so a seed keeps giving the same data for as
//! long as this file does not change.

use std::ops::Range;

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

/// The steps of [`shuffle`] that settle the positions in `positions`, from the top down,
/// for large slices of indices.
///
/// Calling this for consecutive ranges, from the one ending at `items.len()` down to the one
/// starting at 1, draws the same numbers and gives the same order as one [`shuffle`]; a
/// caller can so spread a shuffle over other work. Positions outside `1..items.len()` are
/// ignored.
///
/// The draws do not depend on the items, so they are made a group at a time, and the
/// group's random partners are read before any is swapped: the reads of a slice too large
/// for the cache then wait for memory together instead of one after another. Items convert
/// to `u64` so those reads fold into one value the compiler cannot drop.
pub fn shuffle_steps<T: Copy + Into<u64>, R: Rng + ?Sized>(items: &mut [T], positions: Range<usize>, rng: &mut R) {
    const GROUP: usize = 64;
    let mut top = positions.end.min(items.len());
    let bottom = positions.start.max(1);
    let mut partners = [0usize; GROUP];
    while top > bottom {
        let count = GROUP.min(top - bottom);
        for (step, partner) in partners[..count].iter_mut().enumerate() {
            *partner = index_below(rng, top - step);
        }
        let touched = partners[..count].iter().fold(0u64, |touched, &partner| touched ^ items[partner].into());
        std::hint::black_box(touched);
        for (step, &partner) in partners[..count].iter().enumerate() {
            items.swap(top - 1 - step, partner);
        }
        top -= count;
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

    #[test]
    fn shuffle_in_steps_equals_one_shuffle() {
        let mut whole: Vec<u32> = (0..1000).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        shuffle(&mut whole, &mut rng);
        let after_whole = rng.next_u64();

        let mut pieces: Vec<u32> = (0..1000).collect();
        // Several groups per range, and ranges that end inside a group.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for positions in [999..2000, 700..999, 300..700, 300..300, 0..300] {
            shuffle_steps(&mut pieces, positions, &mut rng);
        }
        assert_eq!(pieces, whole);
        assert_eq!(rng.next_u64(), after_whole);
    }
}
