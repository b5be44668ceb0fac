//! The threshold metrics that are functions of the confusion counts alone, which is what lets
//! them be bootstrapped from resampled counts instead of resampled rows.
//!
//! Definitions as METRICS.md and `metrics::ConfusionCounts` (scikit-learn's, with `None` for a
//! zero denominator); repeated here on a plain count array so this module compiles on its own.

use serde::{Deserialize, Serialize};

/// Confusion counts `[tp, fp, tn, fn]`.
pub type Counts = [u64; 4];

/// A metric computed from confusion counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfusionMetric {
    Accuracy,
    Precision,
    Recall,
    F1,
    FpRate,
}

impl ConfusionMetric {
    /// Every confusion metric, in report order.
    pub const ALL: [Self; 5] = [Self::Accuracy, Self::Precision, Self::Recall, Self::F1, Self::FpRate];

    /// The metric's value, `None` where its denominator is zero.
    pub fn value(self, [tp, fp, tn, fn_]: Counts) -> Option<f64> {
        let (num, den) = match self {
            Self::Accuracy => (tp + tn, tp + fp + tn + fn_),
            Self::Precision => (tp, tp + fp),
            Self::Recall => (tp, tp + fn_),
            Self::F1 => (2 * tp, 2 * tp + fp + fn_),
            Self::FpRate => (fp, fp + tn),
        };
        (den > 0).then(|| num as f64 / den as f64)
    }

    /// Index of a row in `[tp, fp, tn, fn]` given its label and prediction.
    pub(crate) fn cell(positive: bool, predicted_positive: bool) -> usize {
        match (positive, predicted_positive) {
            (true, true) => 0,
            (false, true) => 1,
            (false, false) => 2,
            (true, false) => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // reference: scikit-learn 1.9.1 on the counts [19, 9, 13, 7] (metrics::classification's
    // fixed input A).
    #[test]
    fn matches_sklearn_on_counts() {
        let counts = [19, 9, 13, 7];
        let want = [0.6666666666666666, 0.6785714285714286, 0.7307692307692307, 0.7037037037037037, 0.4090909090909091];
        for (metric, want) in ConfusionMetric::ALL.into_iter().zip(want) {
            assert_eq!(metric.value(counts), Some(want), "{metric:?}");
        }
        assert_eq!(ConfusionMetric::Precision.value([0, 0, 3, 2]), None);
        assert_eq!(ConfusionMetric::FpRate.value([3, 0, 0, 1]), None);
        assert_eq!(ConfusionMetric::F1.value([0, 0, 3, 0]), None);
    }
}
