//! Quantile bins of each feature, computed once on the training rows: the candidate splits of
//! the histogram tree builder (`hist_tree_builder.rs`).
//!
//! As scikit-learn's `HistGradientBoostingClassifier` (`_BinMapper`) and LightGBM bin: a
//! feature with at most `max_bins` distinct values gets one bin per value, the midpoints
//! between consecutive values being the edges; any other feature gets the `max_bins − 1` inner
//! quantiles as edges (numpy's `percentile(..., method="midpoint")`), repeated edges merged,
//! so a heavily repeated value (a zero in most rows) is one bin of its own.
//!
//! The values are taken from at most [`QUANTILE_ROWS`] rows, as both libraries do (they draw
//! 200,000 rows at random); here they are every k-th row, which needs no generator. Only the
//! edges come from the sample: every training row is binned.
//!
//! A value's bin is the number of edges strictly below it, so `x <= edges[b]` exactly when the
//! bin of `x` is at most `b`. A split that sends bins `0..=b` left is therefore the real-valued
//! threshold `edges[b]` on raw features: the saved tree scores raw rows and puts every training
//! row on the side its bin was counted on.

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::tree_shape::midpoint;

/// Most bins per feature: a bin index fits in a byte.
pub(super) const MAX_BINS: usize = 255;

/// Rows binned per task.
const ROWS_PER_TASK: usize = 16_384;

/// Most rows whose values place the edges (scikit-learn's and LightGBM's default too).
const QUANTILE_ROWS: usize = 200_000;

/// The bin edges of every feature.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FeatureBins {
    /// Per feature, the increasing upper edges of its bins but the last (which has none).
    edges: Vec<Vec<f64>>,
}

impl FeatureBins {
    /// The edges of each column of `x` (finite values), at most `max_bins` bins per feature
    /// (2 to 256).
    pub fn fit(x: ArrayView2<'_, f64>, max_bins: usize) -> Self {
        debug_assert!((2..=256).contains(&max_bins));
        let step = x.nrows().div_ceil(QUANTILE_ROWS).max(1);
        let edges = (0..x.ncols())
            .into_par_iter()
            .map(|j| {
                let mut values: Vec<f64> = x.column(j).iter().step_by(step).copied().collect();
                // Equal under `total_cmp` means the same bits, so the order is unique.
                values.par_sort_unstable_by(f64::total_cmp);
                edges_of_sorted(&values, max_bins)
            })
            .collect();
        Self { edges }
    }

    /// The upper edges of feature `feature`'s bins (one fewer than its bins).
    pub fn edges(&self, feature: usize) -> &[f64] {
        &self.edges[feature]
    }

    /// Bins per feature.
    pub fn counts(&self) -> impl Iterator<Item = usize> + '_ {
        self.edges.iter().map(|e| e.len() + 1)
    }

    /// The bin of every value of `x`, one column per feature.
    pub fn bin_columns(&self, x: ArrayView2<'_, f64>) -> Vec<Vec<u8>> {
        self.edges
            .par_iter()
            .enumerate()
            .map(|(j, edges)| {
                let column = x.column(j);
                let lookup = Lookup::new(edges);
                (0..x.nrows()).into_par_iter().with_min_len(ROWS_PER_TASK).map(|i| lookup.bin(column[i])).collect()
            })
            .collect()
    }
}

/// Cells of a [`Lookup`]: a few per edge, so most cells hold no edge or one.
const CELLS: usize = 1024;

/// Finds a value's bin (how many edges lie strictly below it) from an equal-width grid over
/// the edges' range and a step or two, instead of a binary search over up to 254 edges (a
/// twelfth of a fit on 800,000 rows). The grid only gives a starting point; the steps make
/// the answer exact whatever the rounding of the grid.
struct Lookup<'a> {
    edges: &'a [f64],
    low: f64,
    /// Cells per unit of value.
    scale: f64,
    /// For each cell, the edges below its lower end.
    first: Vec<usize>,
}

impl<'a> Lookup<'a> {
    fn new(edges: &'a [f64]) -> Self {
        let (low, high) = match edges {
            [first, .., last] => (*first, *last),
            _ => (0.0, 0.0),
        };
        let scale = CELLS as f64 / (high - low);
        let first = if scale.is_finite() && scale > 0.0 {
            (0..=CELLS).map(|cell| edges.partition_point(|&edge| edge < low + cell as f64 / scale)).collect()
        } else {
            vec![0]
        };
        Self { edges, low, scale: if first.len() > 1 { scale } else { 0.0 }, first }
    }

    #[inline]
    fn bin(&self, value: f64) -> u8 {
        let cell = ((value - self.low) * self.scale).clamp(0.0, (self.first.len() - 1) as f64) as usize;
        let mut bin = self.first[cell];
        while bin < self.edges.len() && self.edges[bin] < value {
            bin += 1;
        }
        while bin > 0 && self.edges[bin - 1] >= value {
            bin -= 1;
        }
        debug_assert!(bin < 256);
        bin as u8
    }
}

/// The edges of one feature from its sorted sample.
fn edges_of_sorted(sorted: &[f64], max_bins: usize) -> Vec<f64> {
    let mut distinct = sorted.to_vec();
    // `==` merges −0 and +0, which sort apart under `total_cmp` but compare equal.
    distinct.dedup_by(|a, b| a == b);
    if distinct.len() <= max_bins {
        return distinct.windows(2).map(|pair| midpoint(pair[0], pair[1])).collect();
    }
    // numpy's "midpoint" percentile at q = k / max_bins: the mean of the values at the floor
    // and ceiling of the rank q·(n − 1), in integer arithmetic so no rounding picks the rank.
    let last = sorted.len() - 1;
    let mut edges: Vec<f64> = (1..max_bins)
        .map(|k| {
            let scaled = k * last;
            let (low, high) = (scaled / max_bins, scaled.div_ceil(max_bins));
            midpoint(sorted[low], sorted[high])
        })
        .collect();
    edges.dedup();
    edges
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, array};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::data::sampling::unit_f64;

    #[test]
    fn few_distinct_values_get_one_bin_each_split_at_midpoints() {
        let x = array![[3.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [-0.0, 1.0], [0.0, 1.0]];
        let bins = FeatureBins::fit(x.view(), MAX_BINS);
        assert_eq!(bins.edges(0), [0.5, 1.5, 2.5]);
        assert_eq!(bins.edges(1), [] as [f64; 0], "a constant feature has one bin");
        assert_eq!(bins.counts().collect::<Vec<_>>(), [4, 1]);
        assert_eq!(bins.bin_columns(x.view()), [vec![3, 1, 2, 3, 0, 0], vec![0; 6]]);
    }

    #[test]
    fn many_distinct_values_are_cut_at_quantiles() {
        // 0..1000: the k-th of 9 inner deciles sits between ranks ⌊k·999/10⌋ and ⌈k·999/10⌉.
        let x = Array2::from_shape_fn((1000, 1), |(i, _)| i as f64);
        let bins = FeatureBins::fit(x.view(), 10);
        assert_eq!(bins.edges(0), [99.5, 199.5, 299.5, 399.5, 499.5, 599.5, 699.5, 799.5, 899.5]);
        let counts = bins.bin_columns(x.view()).remove(0).iter().fold([0usize; 10], |mut c, &b| {
            c[usize::from(b)] += 1;
            c
        });
        assert_eq!(counts, [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]);
    }

    #[test]
    fn a_repeated_value_keeps_a_bin_of_its_own() {
        // Nine zeros in ten rows, then distinct values: the zero quantiles merge into one edge.
        let x = Array2::from_shape_fn((1000, 1), |(i, _)| if i % 10 == 0 { i as f64 } else { 0.0 });
        let bins = FeatureBins::fit(x.view(), 16);
        let edges = bins.edges(0);
        assert_eq!(edges[0], 0.0);
        assert!(edges.windows(2).all(|pair| pair[0] < pair[1]), "{edges:?}");
        let binned = bins.bin_columns(x.view()).remove(0);
        assert!(binned.iter().zip(x.column(0)).all(|(&b, &v)| (b == 0) == (v == 0.0)));
    }

    #[test]
    fn the_lookup_finds_the_binary_searchs_bin() -> Result<(), ndarray::ShapeError> {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        // Skewed values with extremes far outside the edges' range.
        let mut values: Vec<f64> = (0..20_000).map(|_| unit_f64(&mut rng).powi(6) * 1e3 - 3.0).collect();
        values.extend([f64::MAX, -f64::MAX, 0.0, -0.0, 1e-300]);
        let x = Array2::from_shape_vec((values.len(), 1), values.clone())?;
        for max_bins in [2, 7, 255] {
            let bins = FeatureBins::fit(x.view(), max_bins);
            let lookup = Lookup::new(bins.edges(0));
            for &value in &values {
                let expected = bins.edges(0).partition_point(|&edge| edge < value);
                assert_eq!(usize::from(lookup.bin(value)), expected, "{value} with {max_bins} bins");
            }
        }
        Ok(())
    }

    #[test]
    fn bins_and_thresholds_agree_on_every_value() {
        // The property the saved trees rely on: `value <= edges[b]` iff `bin <= b`.
        let x = Array2::from_shape_fn((5000, 1), |(i, _)| ((i * 7919) % 1013) as f64 / 7.0 - 30.0);
        let bins = FeatureBins::fit(x.view(), MAX_BINS);
        let binned = bins.bin_columns(x.view()).remove(0);
        let edges = bins.edges(0);
        for (&value, &bin) in x.column(0).iter().zip(&binned) {
            for (b, &edge) in edges.iter().enumerate() {
                assert_eq!(value <= edge, usize::from(bin) <= b, "value {value}, bin {bin}, edge {b} = {edge}");
            }
        }
    }
}
