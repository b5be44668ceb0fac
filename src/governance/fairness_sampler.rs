//! Stratified sampling of validation predictions for fairness review.
//!
//! The original `FairnessSampler` computed each cohort's share over *all* population cohorts
//! rather than the job's, ignored its own strategy, and in training never sampled at all (its
//! `fairness_samples/` folder stayed empty). Here a job draws a fixed number of rows, without
//! replacement, stratified by cohort and (when the data has a group column) by group:
//!
//! - **Allocation** is proportional to each stratum's size by the largest-remainder method, so
//!   the sizes add up to exactly the target (or to the whole population when it is smaller).
//!   When the target allows, every non-empty stratum gets at least one row, so a small group is
//!   never left out of the review; those rows are taken from the largest strata's quotas.
//! - **Rows** are drawn with a seeded `ChaCha8Rng` (`rand::seq::index::sample`) and listed in
//!   row order, so a job is reproducible from the pipeline seed.
//!
//! Pure: sizes and an RNG in, row positions out; the `phase3` stage writes the job file.

use rand::Rng;
use serde::Serialize;

/// One stratum: a cohort, and a group of it when the data has a group column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stratum {
    /// The cohort.
    pub cohort: String,
    /// The group, when stratified by group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Rows in the stratum.
    pub population: u64,
    /// Rows drawn from it.
    pub sample_size: u64,
}

/// How many rows each stratum gives to a sample of `target`: proportional (largest
/// remainder, ties to the earlier stratum), each non-empty stratum at least one row when
/// `target` is at least the number of non-empty strata, never more than a stratum holds.
pub fn allocate(populations: &[u64], target: u64) -> Vec<u64> {
    let total: u64 = populations.iter().sum();
    if target >= total {
        return populations.to_vec();
    }
    // Exact integer quotas: target·n_i / total as quotient and remainder.
    let mut sizes: Vec<u64> = Vec::with_capacity(populations.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(populations.len());
    for (i, &n) in populations.iter().enumerate() {
        let scaled = u128::from(target) * u128::from(n);
        sizes.push(u64::try_from(scaled / u128::from(total)).unwrap_or(n));
        remainders.push((scaled % u128::from(total), i));
    }
    let mut left = target - sizes.iter().sum::<u64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in &remainders {
        if left == 0 {
            break;
        }
        if sizes[i] < populations[i] {
            sizes[i] += 1;
            left -= 1;
        }
    }
    let non_empty = populations.iter().filter(|&&n| n > 0).count() as u64;
    if target >= non_empty {
        // Give each empty-handed stratum one row, taken from the stratum with the most rows
        // beyond one (the earlier on a tie); the total stays `target`.
        for i in 0..populations.len() {
            if populations[i] == 0 || sizes[i] > 0 {
                continue;
            }
            let donor =
                (0..sizes.len()).filter(|&j| sizes[j] > 1).max_by(|&a, &b| sizes[a].cmp(&sizes[b]).then(b.cmp(&a)));
            if let Some(j) = donor {
                sizes[j] -= 1;
                sizes[i] = 1;
            }
        }
    }
    sizes
}

/// `k` distinct positions out of `n`, drawn uniformly, in increasing order.
pub fn draw(rng: &mut impl Rng, n: usize, k: usize) -> Vec<usize> {
    let mut picked = rand::seq::index::sample(rng, n, k.min(n)).into_vec();
    picked.sort_unstable();
    picked
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn allocation_is_proportional_and_exact() {
        // 30/10 with target 20 (the original's test population): 15 and 5.
        assert_eq!(allocate(&[30, 10], 20), vec![15, 5]);
        // 1/3 each of 10: quotas 3.33 → 3, 3, 3 and the remainder to the first.
        assert_eq!(allocate(&[5, 5, 5], 10), vec![4, 3, 3]);
        let sizes = allocate(&[700, 250, 49, 1], 100);
        assert_eq!(sizes.iter().sum::<u64>(), 100);
        assert_eq!(sizes, vec![69, 25, 5, 1], "the single-row stratum is kept, paid for by the largest");
    }

    #[test]
    fn allocation_takes_everything_when_the_target_is_larger() {
        assert_eq!(allocate(&[3, 0, 2], 10), vec![3, 0, 2]);
    }

    #[test]
    fn tiny_targets_do_not_promise_every_stratum_a_row() {
        let sizes = allocate(&[100, 1, 1, 1], 2);
        assert_eq!(sizes.iter().sum::<u64>(), 2);
        assert_eq!(sizes[0], 2);
    }

    #[test]
    fn never_more_than_a_stratum_holds() {
        for target in 0..=12 {
            let sizes = allocate(&[1, 1, 10], target);
            assert!(sizes.iter().zip([1, 1, 10]).all(|(s, n)| *s <= n), "{target}: {sizes:?}");
            assert_eq!(sizes.iter().sum::<u64>(), target, "{target}: {sizes:?}");
        }
    }

    #[test]
    fn draws_are_distinct_sorted_and_seeded() {
        let a = draw(&mut ChaCha8Rng::seed_from_u64(7), 1000, 50);
        let b = draw(&mut ChaCha8Rng::seed_from_u64(7), 1000, 50);
        assert_eq!(a, b);
        assert_eq!(a.len(), 50);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.iter().all(|&i| i < 1000));
        assert_ne!(a, draw(&mut ChaCha8Rng::seed_from_u64(8), 1000, 50));
    }
}
