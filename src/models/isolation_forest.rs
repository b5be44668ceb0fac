//! An isolation forest (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008), the numeric half
//! of the anomaly model.
//!
//! Each tree is grown on a random subsample of ψ rows by splitting on a random feature at a
//! uniformly random point between the node's minimum and maximum, until a row is isolated or
//! the height limit `ceil(log2 ψ)` is reached. Rows that are easy to isolate (short paths)
//! are anomalous. The score of a row is `s(x) = 2^(-E[h(x)] / c(ψ))`, where `h` is the path
//! length (edges to the leaf, plus `c(size)` for a leaf that still holds `size` rows) and
//! `c(n)` the average path length of an unsuccessful binary-search-tree lookup, which
//! normalises `h` to the subsample size: `s` is near 1 for anomalies and at most about 0.5
//! for ordinary rows.
//!
//! Two details the paper leaves open: the split feature is drawn among the features that
//! are not constant within the node (as scikit-learn does), so a split always separates
//! rows, and a node whose rows are all identical becomes a leaf. All draws come from the
//! caller's ChaCha8 generator through [`crate::data::sampling`].

use ndarray::{ArrayView1, ArrayView2};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::FitError;
use super::portable_exp::exp_non_positive;
use crate::data::sampling::{index_below, unit_f64};

/// The Euler–Mascheroni constant, which Liu et al. use to approximate harmonic numbers.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// `c(n)`: the average path length of an unsuccessful search in a binary search tree of `n`
/// nodes, `2 H(n - 1) - 2 (n - 1) / n` with `H(i) ≈ ln i + γ` (Liu et al. 2008, eq. 1), and
/// `c(2) = 1`, `c(n) = 0` for `n <= 1` as in their 2012 journal version: a leaf of one row
/// needs no further splits.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let m = (n - 1) as f64;
            2.0 * (m.ln() + EULER_GAMMA) - 2.0 * m / n as f64
        }
    }
}

/// One node of a tree stored in pre-order: a split's left child is the next node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Node {
    /// Rows with `x[feature] <= threshold` go left (to the next node), the others to `right`.
    Split(usize, f64, usize),
    /// An external node that still held this many training rows.
    Leaf(usize),
}

/// One isolation tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct IsolationTree {
    nodes: Vec<Node>,
}

impl IsolationTree {
    /// Grows the subtree of `rows` (indices into `x`) at `depth`, appending its nodes.
    fn grow(&mut self, x: ArrayView2<'_, f64>, rows: &mut [usize], depth: usize, limit: usize, rng: &mut ChaCha8Rng) {
        if depth >= limit || rows.len() <= 1 {
            self.nodes.push(Node::Leaf(rows.len()));
            return;
        }
        let mut ranges = Vec::new();
        for (feature, column) in x.columns().into_iter().enumerate() {
            let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
            for &row in rows.iter() {
                low = low.min(column[row]);
                high = high.max(column[row]);
            }
            if low < high {
                ranges.push((feature, low, high));
            }
        }
        if ranges.is_empty() {
            self.nodes.push(Node::Leaf(rows.len()));
            return;
        }
        let (feature, low, high) = ranges[index_below(rng, ranges.len())];
        let mut threshold = low + unit_f64(rng) * (high - low);
        if threshold >= high {
            // Rounding can carry the point up to the maximum; the minimum still separates.
            threshold = low;
        }
        let mut boundary = 0;
        for i in 0..rows.len() {
            if x[[rows[i], feature]] <= threshold {
                rows.swap(i, boundary);
                boundary += 1;
            }
        }
        let split = self.nodes.len();
        self.nodes.push(Node::Split(feature, threshold, 0));
        let (left, right) = rows.split_at_mut(boundary);
        self.grow(x, left, depth + 1, limit, rng);
        let right_index = self.nodes.len();
        self.nodes[split] = Node::Split(feature, threshold, right_index);
        self.grow(x, right, depth + 1, limit, rng);
    }

    /// `h(x)`: edges from the root to the row's leaf plus `c(size)` of the leaf.
    fn path_length(&self, row: ArrayView1<'_, f64>) -> f64 {
        let mut index = 0;
        let mut depth = 0.0;
        loop {
            match self.nodes.get(index) {
                Some(&Node::Split(feature, threshold, right)) => {
                    index = if row[feature] <= threshold { index + 1 } else { right };
                    depth += 1.0;
                }
                Some(&Node::Leaf(size)) => return depth + average_path_length(size),
                // Only reachable with a tree that `check` would reject.
                None => return depth,
            }
        }
    }

    /// Whether the tree is well formed for `features` columns: every child index points
    /// forward and inside the tree (so every lookup ends), every feature exists.
    fn check(&self, features: usize) -> bool {
        let len = self.nodes.len();
        !self.nodes.is_empty()
            && self.nodes.iter().enumerate().all(|(index, node)| match *node {
                Node::Split(feature, threshold, right) => {
                    feature < features && !threshold.is_nan() && index + 1 < right && right < len
                }
                Node::Leaf(_) => true,
            })
    }
}

/// A fitted isolation forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IsolationForest {
    /// ψ: the rows each tree was grown on (the requested subsample, or fewer when the
    /// training set was smaller).
    subsample: usize,
    trees: Vec<IsolationTree>,
}

/// A fitted forest and, for each tree, the sorted training rows it was grown on, so that
/// training rows can be scored by the trees that never saw them.
#[derive(Debug)]
pub struct ForestFit {
    pub forest: IsolationForest,
    pub samples: Vec<Vec<usize>>,
}

impl IsolationForest {
    /// Grows `trees` trees on subsamples of `rows` (indices into `x`) of size
    /// `min(subsample, rows.len())`, each drawn without replacement. `cancel` is polled
    /// before every tree.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        rows: &[usize],
        trees: usize,
        subsample: usize,
        rng: &mut ChaCha8Rng,
        cancel: &dyn Fn() -> bool,
    ) -> Result<ForestFit, FitError> {
        let size = subsample.min(rows.len());
        // ceil(log2 ψ), the paper's height limit: about the average height of a random tree.
        let limit = (usize::BITS - size.saturating_sub(1).leading_zeros()) as usize;
        let mut pool = rows.to_vec();
        let mut forest = Self { subsample: size, trees: Vec::with_capacity(trees) };
        let mut samples = Vec::with_capacity(trees);
        for _ in 0..trees {
            if cancel() {
                return Err(FitError::Cancelled);
            }
            // A partial Fisher–Yates shuffle: the first `size` entries are the sample.
            for i in 0..size {
                let j = i + index_below(rng, pool.len() - i);
                pool.swap(i, j);
            }
            let mut sample = pool[..size].to_vec();
            let mut tree = IsolationTree { nodes: Vec::new() };
            tree.grow(x, &mut sample, 0, limit, rng);
            sample.sort_unstable();
            forest.trees.push(tree);
            samples.push(sample);
        }
        Ok(ForestFit { forest, samples })
    }

    /// `s(x)` over every tree.
    pub fn score(&self, row: ArrayView1<'_, f64>) -> f64 {
        self.score_over(row, |_| true)
    }

    /// `s(x)` for training row `index`, over the trees whose subsample did not contain it;
    /// over every tree if all of them did.
    pub fn out_of_bag_score(&self, row: ArrayView1<'_, f64>, index: usize, samples: &[Vec<usize>]) -> f64 {
        let out_of_bag = |tree: usize| samples.get(tree).is_none_or(|sample| sample.binary_search(&index).is_err());
        if (0..self.trees.len()).any(out_of_bag) { self.score_over(row, out_of_bag) } else { self.score(row) }
    }

    fn score_over(&self, row: ArrayView1<'_, f64>, include: impl Fn(usize) -> bool) -> f64 {
        let mut total = 0.0;
        let mut count = 0usize;
        for (index, tree) in self.trees.iter().enumerate() {
            if include(index) {
                total += tree.path_length(row);
                count += 1;
            }
        }
        let mean = total / count.max(1) as f64;
        // With ψ = 1 every path is empty and c(ψ) = 0; all rows then score 2^0 = 1.
        let normaliser = average_path_length(self.subsample);
        let exponent = if normaliser > 0.0 { mean / normaliser } else { 0.0 };
        exp_non_positive(-exponent * std::f64::consts::LN_2)
    }

    /// Whether a loaded forest can score rows of `features` columns without panicking or
    /// looping.
    pub fn check(&self, features: usize) -> bool {
        !self.trees.is_empty() && self.trees.iter().all(|tree| tree.check(features))
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, array};
    use rand::SeedableRng;

    use super::*;

    fn never() -> bool {
        false
    }

    #[test]
    fn average_path_length_follows_the_formula() {
        assert_eq!(average_path_length(0), 0.0);
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        // Reference values: 2 (ln(n - 1) + 0.5772156649015329) - 2 (n - 1) / n, evaluated
        // independently (Python 3.11, math.log).
        let cases = [(3, 1.207392357589623), (10, 3.748880484475505), (256, 10.244770920119917)];
        for (n, expected) in cases {
            let relative = (average_path_length(n) - expected).abs() / expected;
            assert!(relative < 1e-15, "c({n}) = {} vs {expected}", average_path_length(n));
        }
        // The approximation tracks the exact harmonic number ever more closely.
        let exact = |n: usize| 2.0 * (1..n).map(|i| 1.0 / i as f64).sum::<f64>() - 2.0 * (n - 1) as f64 / n as f64;
        assert!((average_path_length(10_000) - exact(10_000)).abs() < 1e-3);
    }

    /// 500 points of a tight 2-D blob plus 10 far outliers (the last rows).
    fn blob_with_outliers(rng: &mut ChaCha8Rng) -> Array2<f64> {
        let mut x = Array2::zeros((510, 2));
        for (i, mut row) in x.outer_iter_mut().enumerate() {
            let spread = if i < 500 { 1.0 } else { 0.5 };
            let centre = if i < 500 { 0.0 } else { 8.0 + (i - 500) as f64 };
            // Sum of uniforms: roughly Gaussian, without a libm call.
            for value in row.iter_mut() {
                let noise: f64 = (0..4).map(|_| unit_f64(rng) - 0.5).sum();
                *value = centre * if i % 2 == 0 { 1.0 } else { -1.0 } + spread * noise;
            }
        }
        x
    }

    #[test]
    fn planted_outliers_score_higher_than_inliers() -> Result<(), FitError> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let x = blob_with_outliers(&mut rng);
        let rows: Vec<usize> = (0..500).collect();
        let fit = IsolationForest::fit(x.view(), &rows, 100, 256, &mut rng, &never)?;
        let scores: Vec<f64> = x.outer_iter().map(|row| fit.forest.score(row)).collect();
        let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
        let (inliers, outliers) = scores.split_at(500);
        assert!(mean(outliers) > 0.7, "outliers {}", mean(outliers));
        assert!(mean(inliers) < 0.5, "inliers {}", mean(inliers));
        let lowest_outlier = outliers.iter().copied().fold(f64::INFINITY, f64::min);
        let above = inliers.iter().filter(|&&s| s >= lowest_outlier).count();
        assert!(above <= 5, "{above} inliers score at least as high as an outlier");
        Ok(())
    }

    #[test]
    fn trees_respect_the_subsample_and_height_limit() -> Result<(), FitError> {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let x = blob_with_outliers(&mut rng);
        let rows: Vec<usize> = (0..510).collect();
        let fit = IsolationForest::fit(x.view(), &rows, 5, 64, &mut rng, &never)?;
        assert_eq!(fit.forest.subsample, 64);
        for (tree, sample) in fit.forest.trees.iter().zip(&fit.samples) {
            assert_eq!(sample.len(), 64);
            assert!(sample.windows(2).all(|pair| pair[0] < pair[1]));
            let leaf_rows: usize =
                tree.nodes.iter().map(|node| if let Node::Leaf(size) = node { *size } else { 0 }).sum();
            assert_eq!(leaf_rows, 64);
            // Height limit 6: a path never has more than 6 edges.
            assert!(x.outer_iter().all(|row| tree.path_length(row) <= 6.0 + average_path_length(64)));
            assert!(tree.check(2));
        }
        Ok(())
    }

    #[test]
    fn out_of_bag_scores_skip_the_trees_that_saw_the_row() -> Result<(), FitError> {
        let x = array![[0.0], [1.0], [2.0], [3.0], [10.0]];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let fit = IsolationForest::fit(x.view(), &[0, 1, 2, 3, 4], 20, 3, &mut rng, &never)?;
        let row = x.row(4);
        let out_of_bag = fit.forest.out_of_bag_score(row, 4, &fit.samples);
        let included: Vec<bool> = fit.samples.iter().map(|sample| sample.binary_search(&4).is_err()).collect();
        assert_eq!(out_of_bag, fit.forest.score_over(row, |tree| included[tree]));
        assert_ne!(out_of_bag, fit.forest.score(row));
        Ok(())
    }

    #[test]
    fn identical_rows_and_single_rows_do_not_break_scoring() -> Result<(), FitError> {
        let x = array![[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let same = IsolationForest::fit(x.view(), &[0, 1, 2], 3, 256, &mut rng, &never)?.forest;
        assert!(same.trees.iter().all(|tree| tree.nodes == [Node::Leaf(3)]));
        assert!(same.score(x.row(0)).is_finite());
        let single = IsolationForest::fit(x.view(), &[0], 3, 256, &mut rng, &never)?.forest;
        assert_eq!(single.score(x.row(0)), 1.0);
        Ok(())
    }

    #[test]
    fn same_seed_grows_the_same_forest() -> Result<(), FitError> {
        let x = blob_with_outliers(&mut ChaCha8Rng::seed_from_u64(2));
        let rows: Vec<usize> = (0..510).collect();
        let grow = |seed| IsolationForest::fit(x.view(), &rows, 10, 128, &mut ChaCha8Rng::seed_from_u64(seed), &never);
        assert_eq!(grow(5)?.forest, grow(5)?.forest);
        assert_ne!(grow(5)?.forest, grow(6)?.forest);
        Ok(())
    }

    #[test]
    fn malformed_trees_are_detected() {
        let forest = |nodes: Vec<Node>| IsolationForest { subsample: 4, trees: vec![IsolationTree { nodes }] };
        assert!(forest(vec![Node::Split(0, 0.5, 2), Node::Leaf(1), Node::Leaf(1)]).check(1));
        assert!(!forest(vec![Node::Split(1, 0.5, 2), Node::Leaf(1), Node::Leaf(1)]).check(1));
        assert!(!forest(vec![Node::Split(0, 0.5, 0), Node::Leaf(1), Node::Leaf(1)]).check(1));
        assert!(!forest(vec![Node::Split(0, 0.5, 5), Node::Leaf(1), Node::Leaf(1)]).check(1));
        assert!(!forest(vec![Node::Split(0, f64::NAN, 2), Node::Leaf(1), Node::Leaf(1)]).check(1));
        assert!(!forest(vec![]).check(1));
        assert!(!IsolationForest { subsample: 4, trees: vec![] }.check(1));
    }
}
