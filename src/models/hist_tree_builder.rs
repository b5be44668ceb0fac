//! Growing one depth-limited regression tree from gradient and hessian histograms
//! (`algorithm = "hist"`, the default), as LightGBM and scikit-learn's
//! `HistGradientBoostingClassifier` do. The objective is `tree_shape.rs`'s.
//!
//! The features are binned once per fit (`feature_bins.rs`, at most 255 bins), so a node's
//! split search reads one histogram per feature (per bin: gradient sum, hessian sum, rows)
//! instead of its sorted rows. Of two children only the smaller one's histogram is built from
//! its rows; the larger one's is the parent's minus it, so a level costs at most half the rows
//! of the level above. Children that cannot be split (the last level, or too few rows) are not
//! partitioned at all: their rows are told apart by the split when the outputs are read.
//!
//! The tree grows level by level, as the exact builder does, and lays its nodes out in the same
//! order. Determinism at any thread count: a histogram is summed over fixed groups of a node's
//! rows (one task each, rows in order) and the groups added in order; the features' best splits
//! are computed in parallel, then reduced in feature order, the strictly larger gain winning, so
//! ties go to the lowest feature, and within a feature (scanned from the lowest bin) to the
//! lowest bin; row partitions work on fixed blocks. A split at bin `b` is stored as the threshold `edges[b]` on raw values, which
//! routes every training row as its bin was counted.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::feature_bins::{FeatureBins, MAX_BINS};
use super::tree::{RegressionTree, TreeNode};
use super::tree_shape::{GradientPair, TreeShape};

/// Rows per task where rows are split into blocks: the blocks depend on the rows alone, so
/// the results never depend on the threads.
const ROWS_PER_TASK: usize = 16_384;

/// Rows per group of a histogram: each group's rows are summed by one task, then the groups
/// added in order.
const ROWS_PER_HISTOGRAM_GROUP: usize = 16_384;

/// Most histogram bins held at once across the groups of one histogram (24 bytes each): wide
/// data gets fewer, larger groups.
const MAX_GROUP_BINS: usize = 1 << 20;

/// The binned training rows and scratch space reused by every tree of one fit.
#[derive(Debug)]
pub(super) struct HistTreeBuilder {
    bins: FeatureBins,
    /// Per feature, every training row's bin (what a partition reads).
    columns: Vec<Vec<u8>>,
    /// The same bins row by row (what a histogram reads).
    row_bins: Vec<u8>,
    /// Feature `j`'s bins are `offsets[j]..offsets[j + 1]` of a histogram.
    offsets: Vec<usize>,
    /// Two buffers of row indices (32 bits: less memory traffic in the passes that dominate).
    /// Each node owns a range of one of them; splitting a node moves its rows into the same
    /// range of the other, left rows first, so nothing is copied back.
    rows: [Vec<u32>; 2],
    /// The leaves of the tree grown last, by the rows that reach them.
    leaves: Vec<LeafRows>,
}

/// Where a node's rows are: a range of one of [`HistTreeBuilder::rows`].
#[derive(Debug, Clone)]
struct RowRange {
    buffer: usize,
    range: Range<usize>,
}

/// Rows and the leaf values they get: one leaf, or the two leaves of a split whose rows were
/// not partitioned.
#[derive(Debug, Clone)]
struct LeafRows {
    rows: RowRange,
    /// The split's feature and last bin going left, if the rows still need it.
    split: Option<(usize, usize)>,
    /// The value of the rows (or of the rows going left), and of those going right.
    values: [f64; 2],
}

/// The sums of one histogram bin.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct BinStats {
    gradient: f64,
    hessian: f64,
    count: usize,
}

impl BinStats {
    #[inline]
    fn add_pair(&mut self, pair: GradientPair) {
        self.gradient += pair.gradient;
        self.hessian += pair.hessian;
        self.count += 1;
    }

    fn add(&mut self, other: &Self) {
        self.gradient += other.gradient;
        self.hessian += other.hessian;
        self.count += other.count;
    }

    fn minus(&self, other: &Self) -> Self {
        Self {
            gradient: self.gradient - other.gradient,
            hessian: self.hessian - other.hessian,
            count: self.count - other.count,
        }
    }
}

/// A node that may still be split.
#[derive(Debug)]
struct OpenNode {
    /// Its position in the tree's node list.
    index: usize,
    /// Its statistics.
    stats: BinStats,
    rows: RowRange,
    /// Its histogram, when it may be split.
    histogram: Option<Vec<BinStats>>,
}

/// The best split of a node: bins `0..=bin` of `feature` go left.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    gain: f64,
    feature: usize,
    bin: usize,
    /// The left child's statistics.
    left: BinStats,
}

impl HistTreeBuilder {
    /// Bins the rows of `x` (rows × features, finite values; at most `u32::MAX` rows), at most
    /// 255 bins per feature.
    pub fn new(x: ArrayView2<'_, f64>) -> Self {
        debug_assert!(u32::try_from(x.nrows()).is_ok());
        let bins = FeatureBins::fit(x, MAX_BINS);
        let columns = bins.bin_columns(x);
        let mut offsets = vec![0];
        for count in bins.counts() {
            offsets.push(offsets[offsets.len() - 1] + count);
        }
        let width = columns.len();
        let mut row_bins = vec![0; x.nrows() * width];
        row_bins.par_chunks_mut(ROWS_PER_TASK * width).enumerate().for_each(|(task, block)| {
            for (offset, row_bins) in block.chunks_mut(width).enumerate() {
                for (bin, column) in row_bins.iter_mut().zip(&columns) {
                    *bin = column[task * ROWS_PER_TASK + offset];
                }
            }
        });
        let rows = [vec![0; x.nrows()], vec![0; x.nrows()]];
        Self { bins, columns, row_bins, offsets, rows, leaves: Vec::new() }
    }

    /// Grows one tree on the rows where `in_sample` is true, with one gradient pair per
    /// training row.
    pub fn grow(&mut self, pairs: &[GradientPair], in_sample: &[bool], shape: TreeShape) -> RegressionTree {
        self.leaves.clear();
        let sampled = self.take_sample(in_sample);
        let splittable = |stats: &BinStats| stats.count >= 2 * shape.min_samples_leaf;
        let root_rows = RowRange { buffer: 0, range: 0..sampled };
        let (root_stats, histogram) = if sampled >= 2 * shape.min_samples_leaf {
            let histogram = self.histogram(&root_rows, pairs);
            // Every row is in each feature's bins; the first feature's add up to the root.
            let mut stats = BinStats::default();
            for bin in &histogram[self.offsets[0]..self.offsets[1]] {
                stats.add(bin);
            }
            (stats, Some(histogram))
        } else {
            let mut stats = BinStats::default();
            for &row in &self.rows[0][..sampled] {
                stats.add_pair(pairs[row as usize]);
            }
            (stats, None)
        };
        let mut open = vec![OpenNode { index: 0, stats: root_stats, rows: root_rows, histogram }];
        let mut nodes = vec![TreeNode::Leaf { value: 0.0 }];

        for depth in 1..=shape.max_depth {
            let children_may_split = depth < shape.max_depth;
            let mut next = Vec::with_capacity(2 * open.len());
            for node in open {
                let Some(split) = node.histogram.as_deref().and_then(|h| self.best_split(h, &node.stats, shape)) else {
                    let value = shape.leaf_value(node.stats.gradient, node.stats.hessian);
                    nodes[node.index] = TreeNode::Leaf { value };
                    self.leaves.push(LeafRows { rows: node.rows, split: None, values: [value; 2] });
                    continue;
                };
                let (left_index, right_index) = (nodes.len(), nodes.len() + 1);
                nodes[node.index] = TreeNode::Split {
                    feature: split.feature,
                    threshold: self.bins.edges(split.feature)[split.bin],
                    left: left_index,
                    right: right_index,
                };
                let (left, right) = (split.left, node.stats.minus(&split.left));
                let parent = match node.histogram {
                    Some(parent) if children_may_split && (splittable(&left) || splittable(&right)) => parent,
                    _ => {
                        // Both children are leaves: their rows stay together, told apart by the
                        // split when the outputs are read.
                        let values = [left, right].map(|s| shape.leaf_value(s.gradient, s.hessian));
                        nodes.extend(values.map(|value| TreeNode::Leaf { value }));
                        self.leaves.push(LeafRows { rows: node.rows, split: Some((split.feature, split.bin)), values });
                        continue;
                    }
                };
                nodes.extend([TreeNode::Leaf { value: 0.0 }, TreeNode::Leaf { value: 0.0 }]);
                let (left_rows, right_rows) = self.partition(&node.rows, split.feature, split.bin);
                let mut left = OpenNode { index: left_index, stats: left, rows: left_rows, histogram: None };
                let mut right = OpenNode { index: right_index, stats: right, rows: right_rows, histogram: None };
                let (small, large) = if left.stats.count <= right.stats.count {
                    (&mut left, &mut right)
                } else {
                    (&mut right, &mut left)
                };
                let small_histogram = self.histogram(&small.rows, pairs);
                let large_histogram = subtract(parent, &small_histogram);
                small.histogram = splittable(&small.stats).then_some(small_histogram);
                large.histogram = splittable(&large.stats).then_some(large_histogram);
                next.push(left);
                next.push(right);
            }
            open = next;
            if open.is_empty() {
                break;
            }
        }
        for node in open {
            let value = shape.leaf_value(node.stats.gradient, node.stats.hessian);
            nodes[node.index] = TreeNode::Leaf { value };
            self.leaves.push(LeafRows { rows: node.rows, split: None, values: [value; 2] });
        }
        RegressionTree::from_nodes(nodes)
    }

    /// Puts the rows where `in_sample` is true, in increasing order, at the start of the first
    /// row buffer; returns how many there are.
    fn take_sample(&mut self, in_sample: &[bool]) -> usize {
        let rows = &mut self.rows[0];
        // `new` was given at most `u32::MAX` rows, so every index fits.
        if in_sample.iter().all(|&inside| inside) {
            rows.par_chunks_mut(ROWS_PER_TASK).enumerate().for_each(|(task, block)| {
                for (row, slot) in (task * ROWS_PER_TASK..).zip(block) {
                    *slot = row as u32;
                }
            });
            return rows.len();
        }
        let mut sampled = 0;
        for (row, &inside) in (0..in_sample.len() as u32).zip(in_sample) {
            rows[sampled] = row;
            sampled += usize::from(inside);
        }
        sampled
    }

    /// The output of `tree`, the tree [`Self::grow`] returned last, for every training row of
    /// `x`: for the rows it was grown on, their leaf's value as the grown partition (and the
    /// bins of the unpartitioned last splits) says, which is where the tree's thresholds send
    /// them (see `feature_bins.rs`); the tree walked on the raw row for the others.
    ///
    /// `out` holds `f64` bits: a leaf's rows are scattered over the training rows, and atomic
    /// slots let the tasks that own them write in parallel (each row is written by exactly one
    /// task; relaxed stores are plain stores).
    pub fn outputs(&self, tree: &RegressionTree, x: ArrayView2<'_, f64>, in_sample: &[bool], out: &[AtomicU64]) {
        let tasks: Vec<(&LeafRows, &[u32])> = self
            .leaves
            .iter()
            .flat_map(|leaf| {
                let rows = &self.rows[leaf.rows.buffer][leaf.rows.range.clone()];
                rows.chunks(ROWS_PER_TASK).map(move |block| (leaf, block))
            })
            .collect();
        let reached: usize = tasks.iter().map(|(_, block)| block.len()).sum();
        tasks.into_par_iter().for_each(|(leaf, block)| match leaf.split {
            None => {
                let value = leaf.values[0].to_bits();
                for &row in block {
                    out[row as usize].store(value, Ordering::Relaxed);
                }
            }
            Some((feature, bin)) => {
                let column = &self.columns[feature];
                let values = leaf.values.map(f64::to_bits);
                for &row in block {
                    let row = row as usize;
                    out[row].store(values[usize::from(usize::from(column[row]) > bin)], Ordering::Relaxed);
                }
            }
        });
        if reached < out.len() {
            out.par_chunks(ROWS_PER_TASK).zip(in_sample.par_chunks(ROWS_PER_TASK)).enumerate().for_each(
                |(task, (out, in_sample))| {
                    for (offset, (out, _)) in out.iter().zip(in_sample).enumerate().filter(|(_, (_, inside))| !**inside)
                    {
                        let values = x.row(task * ROWS_PER_TASK + offset);
                        out.store(tree.value(|j| values[j]).to_bits(), Ordering::Relaxed);
                    }
                },
            );
        }
    }

    /// The histogram of some rows: per fixed group of rows (in parallel), every feature's bins
    /// summed over the group's rows in their order (row-wise: a row's bins are one read of
    /// [`Self::row_bins`], its gradient pair one read, wherever the row is); then the groups
    /// added in order.
    fn histogram(&self, rows: &RowRange, pairs: &[GradientPair]) -> Vec<BinStats> {
        let rows = &self.rows[rows.buffer][rows.range.clone()];
        let total_bins = self.offsets[self.offsets.len() - 1];
        let group_rows = ROWS_PER_HISTOGRAM_GROUP.max(rows.len().div_ceil((MAX_GROUP_BINS / total_bins).max(1)));
        let width = self.columns.len();
        let starts = &self.offsets[..width];
        let partials: Vec<Vec<BinStats>> = rows
            .par_chunks(group_rows)
            .map(|group| {
                let mut stats = vec![BinStats::default(); total_bins];
                for &row in group {
                    let row = row as usize;
                    let pair = pairs[row];
                    for (&start, &bin) in starts.iter().zip(&self.row_bins[row * width..(row + 1) * width]) {
                        stats[start + usize::from(bin)].add_pair(pair);
                    }
                }
                stats
            })
            .collect();
        let mut partials = partials.into_iter();
        let mut histogram = partials.next().unwrap_or_else(|| vec![BinStats::default(); total_bins]);
        for partial in partials {
            for (sum, part) in histogram.iter_mut().zip(&partial) {
                sum.add(part);
            }
        }
        histogram
    }

    /// The best split of a node with these statistics and histogram, or `None` where no split
    /// has positive gain with both children keeping `min_samples_leaf` rows.
    fn best_split(&self, histogram: &[BinStats], node: &BinStats, shape: TreeShape) -> Option<Candidate> {
        let parent_score = shape.score(node.gradient, node.hessian);
        let min_leaf = shape.min_samples_leaf;
        let per_feature: Vec<Option<Candidate>> = self
            .offsets
            .par_windows(2)
            .enumerate()
            .map(|(feature, bounds)| {
                let mut best: Option<Candidate> = None;
                let mut left = BinStats::default();
                for (bin, stats) in histogram[bounds[0]..bounds[1]].iter().enumerate() {
                    if stats.count == 0 {
                        // The same partition as the bin before: it cannot win a strict comparison.
                        continue;
                    }
                    left.add(stats);
                    if left.count < min_leaf {
                        continue;
                    }
                    if node.count - left.count < min_leaf {
                        break;
                    }
                    let gain = shape.score(left.gradient, left.hessian)
                        + shape.score(node.gradient - left.gradient, node.hessian - left.hessian)
                        - parent_score;
                    // NaN (from an empty hessian with λ = 0) fails both comparisons.
                    if gain > 0.0 && best.is_none_or(|current| gain > current.gain) {
                        best = Some(Candidate { gain, feature, bin, left });
                    }
                }
                best
            })
            .collect();
        per_feature.into_iter().flatten().fold(None, |best, candidate| {
            if best.is_none_or(|current: Candidate| candidate.gain > current.gain) { Some(candidate) } else { best }
        })
    }

    /// Moves a node's rows into the same range of the other buffer, those whose `feature` bin
    /// is at most `bin` first, both sides keeping their order; returns the two sides.
    fn partition(&mut self, rows: &RowRange, feature: usize, bin: usize) -> (RowRange, RowRange) {
        let column = &self.columns[feature];
        let goes_left = |row: u32| usize::from(column[row as usize]) <= bin;
        let [first, second] = &mut self.rows;
        let (from, to) = if rows.buffer == 0 { (&*first, second) } else { (&*second, first) };
        let from = &from[rows.range.clone()];
        let to = &mut to[rows.range.clone()];
        // In fixed blocks of rows, so the result is the sequential one at any thread count:
        // count each block's left rows, then move each block's rows to its places on both
        // sides.
        let lefts: Vec<usize> = from
            .par_chunks(ROWS_PER_TASK)
            .map(|block| block.iter().map(|&row| usize::from(goes_left(row))).sum())
            .collect();
        let total_left: usize = lefts.iter().sum();
        let mut places = Vec::with_capacity(lefts.len());
        let (mut left_side, mut right_side) = to.split_at_mut(total_left);
        for (block, &left) in from.chunks(ROWS_PER_TASK).zip(&lefts) {
            let (left_places, rest) = std::mem::take(&mut left_side).split_at_mut(left);
            let (right_places, others) = std::mem::take(&mut right_side).split_at_mut(block.len() - left);
            places.push((left_places, right_places));
            (left_side, right_side) = (rest, others);
        }
        from.par_chunks(ROWS_PER_TASK).zip(places).for_each(|(block, (left_places, right_places))| {
            // Without a branch on the side (a coin flip for a good split): each row is written
            // to the next place on both sides and only its own side moves on, so a place taken
            // by a row of the other side is overwritten by the row it belongs to. The checks
            // fail only once a side is full, so they are predicted.
            let (mut next_left, mut next_right) = (0, 0);
            for &row in block {
                let side = goes_left(row);
                if let Some(place) = left_places.get_mut(next_left) {
                    *place = row;
                }
                if let Some(place) = right_places.get_mut(next_right) {
                    *place = row;
                }
                next_left += usize::from(side);
                next_right += usize::from(!side);
            }
        });
        let buffer = 1 - rows.buffer;
        let middle = rows.range.start + total_left;
        (RowRange { buffer, range: rows.range.start..middle }, RowRange { buffer, range: middle..rows.range.end })
    }
}

/// `parent − child`, bin by bin, in the parent's storage.
fn subtract(mut parent: Vec<BinStats>, child: &[BinStats]) -> Vec<BinStats> {
    for (p, c) in parent.iter_mut().zip(child) {
        *p = p.minus(c);
    }
    parent
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, array};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::data::sampling::unit_f64;
    use crate::models::tree_builder::TreeBuilder;

    const SHAPE: TreeShape = TreeShape { max_depth: 2, min_samples_leaf: 1, l2: 0.0, learning_rate: 1.0 };

    #[test]
    fn splits_where_the_gradients_change_sign_at_a_bin_edge() {
        let x = array![[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]];
        let mut builder = HistTreeBuilder::new(x.view());
        let tree = builder.grow(&GradientPair::zip(&[1.0, 1.0, -1.0, -1.0], &[1.0; 4]), &[true; 4], SHAPE);
        assert_eq!(
            tree.nodes(),
            [
                TreeNode::Split { feature: 0, threshold: 1.5, left: 1, right: 2 },
                TreeNode::Leaf { value: -1.0 },
                TreeNode::Leaf { value: 1.0 },
            ]
        );
    }

    #[test]
    fn ties_go_to_the_first_feature_and_lowest_bin() {
        let x = array![[0.0, 10.0], [1.0, 11.0], [2.0, 12.0], [3.0, 13.0]];
        let mut builder = HistTreeBuilder::new(x.view());
        let shape = TreeShape { max_depth: 1, ..SHAPE };
        let tree = builder.grow(&GradientPair::zip(&[1.0, -1.0, -1.0, 1.0], &[1.0; 4]), &[true; 4], shape);
        assert_eq!(tree.nodes()[0], TreeNode::Split { feature: 0, threshold: 0.5, left: 1, right: 2 });
    }

    #[test]
    fn respects_min_samples_leaf_and_the_sample() {
        let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
        let gradients = [5.0, -1.0, -1.0, -1.0, -1.0, -1.0];
        let mut builder = HistTreeBuilder::new(x.view());
        let shape = TreeShape { min_samples_leaf: 2, max_depth: 1, ..SHAPE };
        let tree = builder.grow(&GradientPair::zip(&gradients, &[1.0; 6]), &[true; 6], shape);
        assert_eq!(tree.nodes()[0], TreeNode::Split { feature: 0, threshold: 1.5, left: 1, right: 2 });
        let sample = [false, false, true, true, true, true];
        let tree = builder.grow(&GradientPair::zip(&gradients, &[1.0; 6]), &sample, shape);
        assert_eq!(tree.nodes(), [TreeNode::Leaf { value: 1.0 }]);
    }

    /// Rows of a few distinct values per feature and integer gradients: every sum is exact, so
    /// both builders see the same gains and must grow the same partitions.
    fn small_integer_problem(rows: usize, seed: u64) -> (Array2<f64>, Vec<f64>, Vec<f64>, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((rows, 4), |(_, j)| (unit_f64(&mut rng) * (3 + 20 * j) as f64).floor());
        let gradients: Vec<f64> = x.rows().into_iter().map(|r| if r[1] + r[2] > 30.0 { -1.0 } else { 2.0 }).collect();
        let hessians: Vec<f64> = (0..rows).map(|i| (i % 3 + 1) as f64).collect();
        let in_sample: Vec<bool> = (0..rows).map(|i| i % 5 != 0).collect();
        (x, gradients, hessians, in_sample)
    }

    #[test]
    fn grows_the_exact_builders_partitions_when_every_value_has_a_bin() {
        let (x, gradients, hessians, in_sample) = small_integer_problem(3_000, 1);
        for max_depth in [1, 3, 5] {
            let shape = TreeShape { max_depth, min_samples_leaf: 7, l2: 1.0, learning_rate: 0.5 };
            let pairs = GradientPair::zip(&gradients, &hessians);
            let hist = HistTreeBuilder::new(x.view()).grow(&pairs, &in_sample, shape);
            let exact = TreeBuilder::new(x.view()).grow(&pairs, &in_sample, shape);
            // Thresholds differ (a bin edge is a midpoint between the feature's values over all
            // rows, the exact one between the node's); the trees agree on every row.
            assert_eq!(hist.nodes().len(), exact.nodes().len(), "depth {max_depth}");
            for row in x.rows() {
                assert_eq!(hist.value(|j| row[j]), exact.value(|j| row[j]), "depth {max_depth}");
            }
        }
    }

    #[test]
    fn any_number_of_threads_grows_the_same_tree() -> Result<(), rayon::ThreadPoolBuildError> {
        // Enough rows for several histogram groups and partition blocks.
        let rows = 150_000;
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let x = Array2::from_shape_fn((rows, 4), |_| unit_f64(&mut rng));
        let gradients: Vec<f64> = (0..rows).map(|_| unit_f64(&mut rng) - 0.4).collect();
        let hessians: Vec<f64> = (0..rows).map(|_| unit_f64(&mut rng) * 0.25).collect();
        let in_sample: Vec<bool> = (0..rows).map(|i| i % 11 != 4).collect();
        let shape = TreeShape { max_depth: 6, min_samples_leaf: 3, l2: 1.0, learning_rate: 0.1 };
        let grow = |threads: usize| -> Result<RegressionTree, rayon::ThreadPoolBuildError> {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
            let pairs = GradientPair::zip(&gradients, &hessians);
            Ok(pool.install(|| HistTreeBuilder::new(x.view()).grow(&pairs, &in_sample, shape)))
        };
        let one = grow(1)?;
        assert!(one.nodes().len() > 60, "{}", one.nodes().len());
        let bits = |tree: &RegressionTree| serde_json::to_string(tree).unwrap_or_default();
        for threads in [2, 3] {
            assert_eq!(bits(&grow(threads)?), bits(&one), "{threads} threads");
        }
        Ok(())
    }

    #[test]
    fn partition_outputs_are_what_the_tree_gives_the_raw_rows() {
        // Many distinct values (quantile edges, some equal to data values) and a sample.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let x = Array2::from_shape_fn((4_000, 3), |(_, j)| (unit_f64(&mut rng) * [1e6, 300.0, 2.0][j]).round());
        let gradients: Vec<f64> = x.rows().into_iter().map(|r| (r[0] / 1e6 - 0.5) * (r[1] / 300.0 - 0.3)).collect();
        let in_sample: Vec<bool> = (0..4_000).map(|i| i % 7 != 3).collect();
        let shape = TreeShape { max_depth: 5, min_samples_leaf: 4, l2: 0.1, learning_rate: 1.0 };
        let mut builder = HistTreeBuilder::new(x.view());
        let tree = builder.grow(&GradientPair::zip(&gradients, &[0.25; 4_000]), &in_sample, shape);
        assert!(tree.nodes().len() > 30, "{}", tree.nodes().len());
        let outputs: Vec<AtomicU64> = (0..4_000).map(|_| AtomicU64::new(f64::NAN.to_bits())).collect();
        builder.outputs(&tree, x.view(), &in_sample, &outputs);
        for (row, output) in x.rows().into_iter().zip(&outputs) {
            assert_eq!(output.load(Ordering::Relaxed), tree.value(|j| row[j]).to_bits());
        }
    }

    #[test]
    fn subtracted_histograms_match_built_ones_and_partitions_keep_row_order() {
        // More rows than one block and one histogram group: their parts must line up.
        let rows = 150_000;
        let (x, gradients, hessians, in_sample) = small_integer_problem(rows, 3);
        let pairs = GradientPair::zip(&gradients, &hessians);
        let mut builder = HistTreeBuilder::new(x.view());
        let sampled = builder.take_sample(&in_sample);
        let root = RowRange { buffer: 0, range: 0..sampled };
        let everything = builder.histogram(&root, &pairs);
        let (left, right) = builder.partition(&root, 1, 20);
        assert_eq!(
            (left.buffer, right.buffer, left.range.end, right.range.start),
            (1, 1, right.range.start, left.range.end)
        );
        let (left_histogram, right_histogram) = (builder.histogram(&left, &pairs), builder.histogram(&right, &pairs));
        assert_eq!(subtract(everything, &left_histogram), right_histogram);
        let (expected_left, expected_right): (Vec<u32>, Vec<u32>) =
            (0..rows as u32).filter(|&r| in_sample[r as usize]).partition(|&r| builder.columns[1][r as usize] <= 20);
        assert_eq!(builder.rows[1][left.range], expected_left);
        assert_eq!(builder.rows[1][right.range], expected_right);
    }
}
