//! Growing one depth-limited regression tree on Newton boosting statistics (exact splits;
//! `algorithm = "exact"`). The objective is `tree_shape.rs`'s.
//!
//! The tree grows level by level. The rows are sorted once per feature when the builder is
//! made; each level then makes one pass per feature over that order, accumulating left-hand
//! sums for every open node at once, so every threshold between two distinct values of a
//! node's rows is tried (no histogram binning). Ties are broken by a fixed rule: the first
//! feature, then the lowest threshold, among candidates of equal gain; sums run in a fixed
//! order, so the same inputs give the same tree.

use ndarray::ArrayView2;

use super::tree::{RegressionTree, TreeNode};
use super::tree_shape::{GradientPair, TreeShape, midpoint};

/// Marks a row that is outside the tree's sample or already sits in a finished leaf.
const OUTSIDE: usize = usize::MAX;

/// The presorted training data and scratch space reused by every tree of one fit.
#[derive(Debug)]
pub(super) struct TreeBuilder {
    /// Feature columns, copied once so each pass reads contiguous memory.
    columns: Vec<Vec<f64>>,
    /// For each feature, the row indices in increasing order of its value (ties by index).
    sorted: Vec<Vec<usize>>,
    /// For each row, the open node it sits in while the tree grows, or [`OUTSIDE`].
    slot_of: Vec<usize>,
}

/// A node that may still be split.
#[derive(Debug, Clone, Copy)]
struct OpenNode {
    /// Its position in the tree's node list.
    index: usize,
    gradient: f64,
    hessian: f64,
    count: usize,
}

/// The running left-hand sums of one open node during a pass over one feature.
#[derive(Debug, Clone, Copy)]
struct Scan {
    gradient: f64,
    hessian: f64,
    count: usize,
    last_value: f64,
}

/// The best split found so far for one open node.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    gain: f64,
    feature: usize,
    threshold: f64,
}

impl TreeBuilder {
    /// Sorts the rows of `x` (rows × features, finite values) once per feature.
    pub fn new(x: ArrayView2<'_, f64>) -> Self {
        let columns: Vec<Vec<f64>> = x.columns().into_iter().map(|column| column.to_vec()).collect();
        let sorted = columns
            .iter()
            .map(|column| {
                let mut order: Vec<usize> = (0..column.len()).collect();
                // Stable, so equal values keep row order.
                order.sort_by(|&a, &b| column[a].total_cmp(&column[b]));
                order
            })
            .collect();
        Self { columns, sorted, slot_of: vec![OUTSIDE; x.nrows()] }
    }

    /// Grows one tree on the rows where `in_sample` is true, with one gradient pair per
    /// training row.
    pub fn grow(&mut self, pairs: &[GradientPair], in_sample: &[bool], shape: TreeShape) -> RegressionTree {
        let mut nodes = vec![TreeNode::Leaf { value: 0.0 }];
        let mut root = OpenNode { index: 0, gradient: 0.0, hessian: 0.0, count: 0 };
        for (row, slot) in self.slot_of.iter_mut().enumerate() {
            if in_sample[row] {
                *slot = 0;
                root.gradient += pairs[row].gradient;
                root.hessian += pairs[row].hessian;
                root.count += 1;
            } else {
                *slot = OUTSIDE;
            }
        }
        let mut open = vec![root];

        for _ in 0..shape.max_depth {
            let best = self.best_splits(&open, pairs, shape);
            // Lay out children of split nodes and close the others as leaves.
            let mut next = Vec::new();
            let mut child_slots = vec![None; open.len()];
            for (slot, (node, candidate)) in open.iter().zip(&best).enumerate() {
                match candidate {
                    Some(split) => {
                        let (left, right) = (nodes.len(), nodes.len() + 1);
                        nodes.push(TreeNode::Leaf { value: 0.0 });
                        nodes.push(TreeNode::Leaf { value: 0.0 });
                        nodes[node.index] =
                            TreeNode::Split { feature: split.feature, threshold: split.threshold, left, right };
                        child_slots[slot] = Some(next.len());
                        for index in [left, right] {
                            next.push(OpenNode { index, gradient: 0.0, hessian: 0.0, count: 0 });
                        }
                    }
                    None => nodes[node.index] = TreeNode::Leaf { value: leaf_value(node, shape) },
                }
            }
            if next.is_empty() {
                return RegressionTree::from_nodes(nodes);
            }
            // Route every open row to its child, summing the children's statistics in row order.
            for (row, slot) in self.slot_of.iter_mut().enumerate() {
                if *slot == OUTSIDE {
                    continue;
                }
                let (Some(first_child), Some(split)) = (child_slots[*slot], best[*slot]) else {
                    *slot = OUTSIDE;
                    continue;
                };
                let child = first_child + usize::from(self.columns[split.feature][row] > split.threshold);
                let stats = &mut next[child];
                stats.gradient += pairs[row].gradient;
                stats.hessian += pairs[row].hessian;
                stats.count += 1;
                *slot = child;
            }
            open = next;
        }
        for node in &open {
            nodes[node.index] = TreeNode::Leaf { value: leaf_value(node, shape) };
        }
        RegressionTree::from_nodes(nodes)
    }

    /// The best split of each open node, or `None` where no split has positive gain with
    /// both children keeping `min_samples_leaf` rows.
    fn best_splits(&self, open: &[OpenNode], pairs: &[GradientPair], shape: TreeShape) -> Vec<Option<Candidate>> {
        let min_leaf = shape.min_samples_leaf;
        let splittable: Vec<bool> = open.iter().map(|node| node.count >= 2 * min_leaf).collect();
        let parent_score: Vec<f64> = open.iter().map(|node| shape.score(node.gradient, node.hessian)).collect();
        let mut best: Vec<Option<Candidate>> = vec![None; open.len()];
        let empty = Scan { gradient: 0.0, hessian: 0.0, count: 0, last_value: f64::NEG_INFINITY };
        let mut scans = vec![empty; open.len()];

        for (feature, (order, column)) in self.sorted.iter().zip(&self.columns).enumerate() {
            scans.fill(empty);
            for &row in order {
                let slot = self.slot_of[row];
                if slot == OUTSIDE || !splittable[slot] {
                    continue;
                }
                let value = column[row];
                let scan = &mut scans[slot];
                let node = &open[slot];
                if scan.count >= min_leaf && node.count - scan.count >= min_leaf && value > scan.last_value {
                    let right_gradient = node.gradient - scan.gradient;
                    let right_hessian = node.hessian - scan.hessian;
                    let gain = shape.score(scan.gradient, scan.hessian) + shape.score(right_gradient, right_hessian)
                        - parent_score[slot];
                    // NaN (from an empty hessian with λ = 0) fails both comparisons.
                    if gain > 0.0 && best[slot].is_none_or(|current| gain > current.gain) {
                        best[slot] = Some(Candidate { gain, feature, threshold: midpoint(scan.last_value, value) });
                    }
                }
                scan.gradient += pairs[row].gradient;
                scan.hessian += pairs[row].hessian;
                scan.count += 1;
                scan.last_value = value;
            }
        }
        best
    }
}

/// The leaf value of an open node.
fn leaf_value(node: &OpenNode, shape: TreeShape) -> f64 {
    shape.leaf_value(node.gradient, node.hessian)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    const SHAPE: TreeShape = TreeShape { max_depth: 2, min_samples_leaf: 1, l2: 0.0, learning_rate: 1.0 };

    #[test]
    fn splits_where_the_gradients_change_sign() {
        let x = array![[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]];
        let gradients = [1.0, 1.0, -1.0, -1.0];
        let mut builder = TreeBuilder::new(x.view());
        let tree = builder.grow(&GradientPair::zip(&gradients, &[1.0; 4]), &[true; 4], SHAPE);
        // One split on feature 0 between 1 and 2 separates the signs; the children cannot
        // improve further, so they stay leaves with values −G/H.
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
    fn captures_an_interaction_at_depth_two() {
        // XOR of two features: no single split helps, but after any first split on one
        // feature, the children split on the other.
        let x = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
        let gradients = [1.0, -1.0, -1.0, 1.0];
        let shape = TreeShape { l2: 1.0, ..SHAPE };
        let mut builder = TreeBuilder::new(x.view());
        let tree = builder.grow(&GradientPair::zip(&gradients, &[1.0; 4]), &[true; 4], shape);
        // The root gain is 0 for every split (the sums stay balanced), so it is not split:
        // boosting with a strict gain test cannot start an XOR from zero gradients sums.
        assert_eq!(tree.nodes().len(), 1);
        // With an imbalance the interaction is found.
        let gradients = [1.0, -1.0, -1.0, 2.0];
        let tree = builder.grow(&GradientPair::zip(&gradients, &[1.0; 4]), &[true; 4], shape);
        assert_eq!(tree.nodes().len(), 7);
        let predict = |a: f64, b: f64| tree.value(|j| [a, b][j]);
        assert!(predict(0.0, 0.0) < 0.0 && predict(0.0, 1.0) > 0.0 && predict(1.0, 0.0) > 0.0);
        assert!(predict(1.0, 1.0) < predict(0.0, 0.0));
    }

    #[test]
    fn respects_min_samples_leaf_and_the_sample() {
        let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
        let gradients = [5.0, -1.0, -1.0, -1.0, -1.0, -1.0];
        let mut builder = TreeBuilder::new(x.view());
        let shape = TreeShape { min_samples_leaf: 2, max_depth: 1, ..SHAPE };
        let tree = builder.grow(&GradientPair::zip(&gradients, &[1.0; 6]), &[true; 6], shape);
        assert_eq!(tree.nodes()[0], TreeNode::Split { feature: 0, threshold: 1.5, left: 1, right: 2 });
        // Without the first two rows nothing is worth splitting.
        let sample = [false, false, true, true, true, true];
        let tree = builder.grow(&GradientPair::zip(&gradients, &[1.0; 6]), &sample, shape);
        assert_eq!(tree.nodes(), [TreeNode::Leaf { value: 1.0 }]);
    }

    #[test]
    fn ties_go_to_the_first_feature_and_lowest_threshold() {
        // Both features separate the rows identically.
        let x = array![[0.0, 10.0], [1.0, 11.0], [2.0, 12.0], [3.0, 13.0]];
        let mut builder = TreeBuilder::new(x.view());
        let shape = TreeShape { max_depth: 1, ..SHAPE };
        let tree = builder.grow(&GradientPair::zip(&[1.0, -1.0, -1.0, 1.0], &[1.0; 4]), &[true; 4], shape);
        // Thresholds 0.5 and 2.5 tie on feature 0 (and 10.5, 12.5 on feature 1).
        assert_eq!(tree.nodes()[0], TreeNode::Split { feature: 0, threshold: 0.5, left: 1, right: 2 });
    }
}
