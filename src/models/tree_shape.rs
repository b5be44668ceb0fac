//! What a boosted tree may look like, and the Newton objective both tree builders
//! (`tree_builder.rs`, exact; `hist_tree_builder.rs`, histograms) score splits and leaves with.
//!
//! Each row carries the gradient `g` and hessian `h` of the loss at the current prediction.
//! A leaf holding rows with sums `G`, `H` gets the penalised Newton step `−G / (H + λ)`, and a
//! split is scored by the loss reduction `G_L²/(H_L + λ) + G_R²/(H_R + λ) − G²/(H + λ)` (the
//! XGBoost objective; the constant ½ is dropped since only comparisons matter).

/// The gradient and hessian of one row's loss at the current prediction, side by side so a
/// row's pair is one memory access where rows are visited out of order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct GradientPair {
    pub gradient: f64,
    pub hessian: f64,
}

impl GradientPair {
    /// Pairs per row from separate lists (tests).
    #[cfg(test)]
    pub fn zip(gradients: &[f64], hessians: &[f64]) -> Vec<Self> {
        gradients.iter().zip(hessians).map(|(&gradient, &hessian)| Self { gradient, hessian }).collect()
    }
}

/// What a tree may look like.
#[derive(Debug, Clone, Copy)]
pub(super) struct TreeShape {
    pub max_depth: u32,
    pub min_samples_leaf: usize,
    /// λ, added to every hessian sum.
    pub l2: f64,
    /// Leaf values are the Newton step times this.
    pub learning_rate: f64,
}

impl TreeShape {
    /// `G² / (H + λ)`, the loss reduction of a leaf's Newton step (times two).
    #[inline]
    pub fn score(&self, gradient: f64, hessian: f64) -> f64 {
        gradient * gradient / (hessian + self.l2)
    }

    /// The shrunk Newton step `−η G / (H + λ)`; 0 when the denominator is not positive (every
    /// row of the leaf already predicted with certainty and no penalty).
    pub fn leaf_value(&self, gradient: f64, hessian: f64) -> f64 {
        let denominator = hessian + self.l2;
        if denominator > 0.0 { -self.learning_rate * gradient / denominator } else { 0.0 }
    }
}

/// A threshold in `[low, high)` for `low < high`, so `low` goes left and `high` right: their
/// midpoint (halved first, so it cannot overflow), or `low` itself when rounding puts the
/// midpoint outside (adjacent floats), as scikit-learn's tree splitter does. For `low == high`
/// it is `low`.
pub(super) fn midpoint(low: f64, high: f64) -> f64 {
    let middle = low / 2.0 + high / 2.0;
    if low <= middle && middle < high { middle } else { low }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midpoint_stays_strictly_below_the_upper_value() {
        assert_eq!(midpoint(1.0, 2.0), 1.5);
        let next = f64::from_bits(1.0f64.to_bits() + 1);
        assert_eq!(midpoint(1.0, next), 1.0);
        assert_eq!(midpoint(f64::MAX * 0.5, f64::MAX), f64::MAX * 0.75);
        assert_eq!(midpoint(-f64::MAX, f64::MAX), 0.0);
        assert_eq!(midpoint(3.0, 3.0), 3.0);
    }

    #[test]
    fn leaf_values_are_shrunk_newton_steps() {
        let shape = TreeShape { max_depth: 1, min_samples_leaf: 1, l2: 1.0, learning_rate: 0.5 };
        assert_eq!(shape.leaf_value(2.0, 3.0), -0.25);
        assert_eq!(shape.score(2.0, 3.0), 1.0);
        let unpenalised = TreeShape { l2: 0.0, ..shape };
        assert_eq!(unpenalised.leaf_value(0.0, 0.0), 0.0);
    }
}
