//! One merged pass over two sorted samples: the extremes of the difference of their empirical
//! CDFs (the KS statistic) and the area between them (Wasserstein-1).

use std::cmp::Ordering;

use super::error::DriftError;
use super::sorted::Sorted;

/// `scipy.stats.wasserstein_distance(reference, current)`: the area between the two empirical
/// CDFs.
pub fn wasserstein_1(reference: &[f64], current: &[f64]) -> Result<f64, DriftError> {
    let (r, c) = Sorted::pair(reference, current)?;
    Ok(Walk::new(&r.0, &c.0).wasserstein)
}

/// One merged pass over both sorted samples, visiting each distinct value once: the extremes
/// of `F_R − F_C` for KS and the area between the CDFs for W1.
pub(super) struct Walk {
    /// Largest `F_R(v) − F_C(v)` over the data values (at least 0, reached at the maximum).
    max_diff: f64,
    /// Smallest `F_R(v) − F_C(v)` over the data values (at most 0).
    min_diff: f64,
    pub(super) wasserstein: f64,
}

impl Walk {
    pub(super) fn new(r: &[f64], c: &[f64]) -> Self {
        let (n1, n2) = (r.len(), c.len());
        let (mut i, mut j) = (0, 0);
        let (mut max_diff, mut min_diff) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut area = NeumaierSum::default();
        let mut current = next_value(r, c, 0, 0);
        while let Some(v) = current {
            while i < n1 && r[i] <= v {
                i += 1;
            }
            while j < n2 && c[j] <= v {
                j += 1;
            }
            // The same divisions numpy makes (`searchsorted(...) / n`), so D matches bit for bit.
            let diff = i as f64 / n1 as f64 - j as f64 / n2 as f64;
            max_diff = max_diff.max(diff);
            min_diff = min_diff.min(diff);
            current = next_value(r, c, i, j);
            if let Some(next) = current {
                area.add((i as f64 / n1 as f64 - j as f64 / n2 as f64).abs() * (next - v));
            }
        }
        Self { max_diff, min_diff, wasserstein: area.total() }
    }

    /// The walk of a sorted sample against itself, known without walking: the two CDFs are
    /// one, so every difference is `i/n − i/n = +0.0` and every area term `0 · (next − v)`
    /// is `+0.0`, which is what [`Walk::new`] computes. `None` when the sample is empty or
    /// spans more than `f64::MAX` (an infinite step would make a term NaN).
    pub(super) fn of_itself(sorted: &[f64]) -> Option<Self> {
        Self::of_span(*sorted.first()?, *sorted.last()?)
    }

    /// [`Walk::of_itself`] of a sample whose smallest and largest values are `min` and `max`.
    pub(super) fn of_span(min: f64, max: f64) -> Option<Self> {
        (max - min).is_finite().then_some(Self { max_diff: 0.0, min_diff: 0.0, wasserstein: 0.0 })
    }

    /// scipy's two-sided D: `max(maxS, clip(−minS, 0, 1))`, preferring `maxS` on a tie.
    pub(super) fn ks_statistic(&self) -> f64 {
        let min_s = (-self.min_diff).clamp(0.0, 1.0);
        if min_s > self.max_diff { min_s } else { self.max_diff }
    }
}

fn next_value(r: &[f64], c: &[f64], i: usize, j: usize) -> Option<f64> {
    match (r.get(i), c.get(j)) {
        (Some(&a), Some(&b)) => Some(if a.total_cmp(&b) == Ordering::Greater { b } else { a }),
        (Some(&a), None) => Some(a),
        (None, Some(&b)) => Some(b),
        (None, None) => None,
    }
}

/// Compensated summation: W1 adds up to two million positive terms, and the error of a plain
/// running sum would grow with their number.
#[derive(Default)]
struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    fn add(&mut self, value: f64) {
        let t = self.sum + value;
        if self.sum.abs() >= value.abs() {
            self.compensation += (self.sum - t) + value;
        } else {
            self.compensation += (value - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn a_sample_against_itself_is_the_walk_without_walking() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let samples: Vec<Vec<f64>> = vec![
            vec![3.5],
            vec![-0.0, 0.0, 0.0, 1.0],
            (0..5_000).map(|_| f64::from(rng.random_range(-20..20_i32)) / 4.0).collect(),
            (0..5_000).map(|_| rng.random::<f64>() * 1e300 - 5e299).collect(),
        ];
        for mut sample in samples {
            sample.sort_by(f64::total_cmp);
            let (walked, known) = (Walk::new(&sample, &sample), Walk::of_itself(&sample).expect("finite span"));
            let bits = |w: &Walk| [w.max_diff, w.min_diff, w.wasserstein].map(f64::to_bits);
            assert_eq!(bits(&walked), bits(&known), "{} values", sample.len());
        }
        assert!(Walk::of_itself(&[]).is_none());
        assert!(Walk::of_itself(&[-f64::MAX, f64::MAX]).is_none());
    }
}
