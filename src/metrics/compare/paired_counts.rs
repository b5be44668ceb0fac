//! The joint table of two classifiers on the same rows: counts of (label, prediction of A,
//! prediction of B), eight cells.
//!
//! Every paired statistic of the confusion metrics is a function of this table: McNemar's test
//! reads its discordant cells, and a paired row bootstrap of any confusion-metric difference
//! resamples it exactly as Multinomial(N, cells / N).

use serde::{Deserialize, Serialize};

use super::confusion_metric::{ConfusionMetric, Counts};
use super::{CompareError, validate};

/// Rows counted by cell `label << 2 | pred_a << 1 | pred_b`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PairedCounts {
    pub cells: [u64; 8],
}

impl PairedCounts {
    /// Counts hard predictions of A and B against `y_true`.
    pub fn from_predictions(y_true: &[u8], pred_a: &[u8], pred_b: &[u8]) -> Result<Self, CompareError> {
        validate::labels("y_true", y_true)?;
        validate::predictions("pred_a", y_true.len(), pred_a)?;
        validate::predictions("pred_b", y_true.len(), pred_b)?;
        Ok(Self::count(y_true.iter().zip(pred_a).zip(pred_b).map(|((&y, &a), &b)| (y == 1, a == 1, b == 1))))
    }

    /// Counts the predictions `p >= threshold` of A and B against `y_true`.
    pub fn from_probabilities(
        y_true: &[u8],
        prob_a: &[f64],
        prob_b: &[f64],
        threshold: f64,
    ) -> Result<Self, CompareError> {
        validate::labels("y_true", y_true)?;
        validate::probabilities("y_prob_a", y_true.len(), prob_a)?;
        validate::probabilities("y_prob_b", y_true.len(), prob_b)?;
        validate::threshold(threshold)?;
        Ok(Self::unchecked(y_true, prob_a, prob_b, threshold))
    }

    /// Expects validated input.
    pub(crate) fn unchecked(y_true: &[u8], prob_a: &[f64], prob_b: &[f64], threshold: f64) -> Self {
        Self::unchecked_each(y_true, (prob_a, threshold), (prob_b, threshold))
    }

    /// Counts A's predictions `p >= threshold_a` and B's `p >= threshold_b`: an A/B test of
    /// two decision thresholds compares each cohort's own decisions.
    pub(crate) fn unchecked_each(
        y_true: &[u8],
        (prob_a, threshold_a): (&[f64], f64),
        (prob_b, threshold_b): (&[f64], f64),
    ) -> Self {
        let rows = y_true.iter().zip(prob_a).zip(prob_b);
        Self::count(rows.map(|((&y, &a), &b)| (y == 1, a >= threshold_a, b >= threshold_b)))
    }

    fn count(rows: impl Iterator<Item = (bool, bool, bool)>) -> Self {
        let mut cells = [0_u64; 8];
        for (y, a, b) in rows {
            cells[Self::index(y, a, b)] += 1;
        }
        Self { cells }
    }

    pub(crate) fn index(y: bool, a: bool, b: bool) -> usize {
        usize::from(y) << 2 | usize::from(a) << 1 | usize::from(b)
    }

    pub fn rows(&self) -> u64 {
        self.cells.iter().sum()
    }

    /// A's confusion counts `[tp, fp, tn, fn]`.
    pub fn counts_a(&self) -> Counts {
        Self::marginal(&self.cells, true)
    }

    /// B's confusion counts `[tp, fp, tn, fn]`.
    pub fn counts_b(&self) -> Counts {
        Self::marginal(&self.cells, false)
    }

    /// One classifier's confusion counts from any 8-cell table (also a resampled one).
    pub(crate) fn marginal(cells: &[u64; 8], of_a: bool) -> Counts {
        let mut counts = [0; 4];
        for (index, &n) in cells.iter().enumerate() {
            let y = index & 4 != 0;
            let predicted = if of_a { index & 2 != 0 } else { index & 1 != 0 };
            counts[ConfusionMetric::cell(y, predicted)] += n;
        }
        counts
    }

    /// The discordant pairs `(b, c)`: rows only A gets right, rows only B gets right.
    pub fn discordant(&self) -> (u64, u64) {
        let c = &self.cells;
        // A right and B wrong: (y=0, a=0, b=1) and (y=1, a=1, b=0); and the mirror for B.
        (c[0b001] + c[0b110], c[0b010] + c[0b101])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marginals_are_each_classifiers_confusion_counts() {
        let y = [1, 1, 0, 0, 1, 0];
        let a = [1, 0, 0, 1, 1, 0];
        let b = [0, 0, 1, 1, 1, 0];
        let table = PairedCounts::from_predictions(&y, &a, &b).expect("valid input");
        assert_eq!(table.rows(), 6);
        assert_eq!(table.counts_a(), [2, 1, 2, 1]);
        assert_eq!(table.counts_b(), [1, 2, 1, 2]);
        // Rows 0 (y=1, a right, b wrong) and 2 (y=0, a right, b wrong); none only B gets right.
        assert_eq!(table.discordant(), (2, 0));
        let from_prob = PairedCounts::from_probabilities(
            &y,
            &[0.9, 0.1, 0.2, 0.5, 0.7, 0.0],
            &[0.4, 0.3, 0.6, 0.8, 0.5, 0.49],
            0.5,
        );
        assert_eq!(from_prob, Ok(table));
    }
}
