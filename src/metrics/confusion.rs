//! The confusion counts at a decision threshold, and the ratios defined from them.
//!
//! METRICS.md: class 1 iff `p >= threshold` (default 0.5), the same rule everywhere metrics,
//! fairness and drift look at hard predictions. The ratios follow scikit-learn's definitions
//! except that a zero denominator is an [`Undefined`] reason instead of sklearn's warning-and-0.

use serde::{Deserialize, Serialize};

use super::undefined::{Undefined, ratio};
use super::{MetricsError, validate};

/// The decision threshold METRICS.md fixes unless configured otherwise.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// True/false positives/negatives; `fn` is a keyword, hence `r#fn` (serialised as `"fn"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfusionCounts {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    pub r#fn: u64,
}

impl ConfusionCounts {
    /// Counts hard predictions `y_pred` against `y_true`.
    pub fn from_predictions(y_true: &[u8], y_pred: &[u8]) -> Result<Self, MetricsError> {
        validate::labels("y_true", y_true)?;
        validate::same_length("y_pred", y_true.len(), y_pred.len())?;
        validate::labels("y_pred", y_pred)?;
        let mut counts = Self::default();
        for (&y, &y_hat) in y_true.iter().zip(y_pred) {
            counts.add(y == 1, y_hat == 1);
        }
        Ok(counts)
    }

    /// Counts the predictions `p >= threshold` against `y_true`.
    pub fn from_probabilities(y_true: &[u8], y_prob: &[f64], threshold: f64) -> Result<Self, MetricsError> {
        validate::labels_and_probs(y_true, y_prob)?;
        validate::threshold(threshold)?;
        let mut counts = Self::default();
        for (&y, &p) in y_true.iter().zip(y_prob) {
            counts.add(y == 1, p >= threshold);
        }
        Ok(counts)
    }

    /// Branch-free: on real data the four cases come in no predictable order.
    pub(crate) fn add(&mut self, positive: bool, predicted_positive: bool) {
        self.tp += u64::from(positive & predicted_positive);
        self.fp += u64::from(!positive & predicted_positive);
        self.tn += u64::from(!positive & !predicted_positive);
        self.r#fn += u64::from(positive & !predicted_positive);
    }

    pub fn n(&self) -> u64 {
        self.tp + self.fp + self.tn + self.r#fn
    }

    /// Undefined only for zero rows, which validated inputs never have.
    pub fn accuracy(&self) -> Result<f64, Undefined> {
        ratio(self.tp + self.tn, self.n(), Undefined::NoRows)
    }

    pub fn precision(&self) -> Result<f64, Undefined> {
        ratio(self.tp, self.tp + self.fp, Undefined::NoPredictedPositives)
    }

    pub fn recall(&self) -> Result<f64, Undefined> {
        ratio(self.tp, self.tp + self.r#fn, Undefined::NoPositiveLabels)
    }

    /// From counts, `2TP / (2TP + FP + FN)`, as sklearn does: defined (as 0) when precision or
    /// recall alone is undefined but the other side has errors.
    pub fn f1(&self) -> Result<f64, Undefined> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.r#fn, Undefined::NoPositivesAtAll)
    }

    pub fn specificity(&self) -> Result<f64, Undefined> {
        ratio(self.tn, self.tn + self.fp, Undefined::NoNegativeLabels)
    }

    pub fn fp_rate(&self) -> Result<f64, Undefined> {
        ratio(self.fp, self.fp + self.tn, Undefined::NoNegativeLabels)
    }
}

/// Hard predictions under the METRICS.md rule `p >= threshold`, for callers (fairness, drift)
/// that need labels rather than probabilities.
pub fn predict(y_prob: &[f64], threshold: f64) -> Result<Vec<u8>, MetricsError> {
    if y_prob.is_empty() {
        return Err(MetricsError::Empty);
    }
    validate::probabilities(y_prob)?;
    validate::threshold(threshold)?;
    Ok(y_prob.iter().map(|&p| u8::from(p >= threshold)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_is_inclusive() {
        let counts = ConfusionCounts::from_probabilities(&[1, 0, 1], &[0.5, 0.5, 0.4999], 0.5);
        assert_eq!(counts, Ok(ConfusionCounts { tp: 1, fp: 1, tn: 0, r#fn: 1 }));
        assert_eq!(predict(&[0.5, 0.4999, 1.0, 0.0], 0.5), Ok(vec![1, 0, 1, 0]));
    }

    #[test]
    fn predictions_and_probabilities_agree() {
        let y_true = [0, 1, 1, 0, 1];
        let y_prob = [0.2, 0.7, 0.3, 0.9, 0.5];
        let from_prob = ConfusionCounts::from_probabilities(&y_true, &y_prob, 0.5);
        let from_pred = predict(&y_prob, 0.5).and_then(|y_pred| ConfusionCounts::from_predictions(&y_true, &y_pred));
        assert_eq!(from_prob, from_pred);
    }

    #[test]
    fn serialises_false_negatives_as_fn() {
        let counts = ConfusionCounts { tp: 1, fp: 2, tn: 3, r#fn: 4 };
        let json = serde_json::to_string(&counts).ok();
        assert_eq!(json.as_deref(), Some(r#"{"tp":1,"fp":2,"tn":3,"fn":4}"#));
    }

    #[test]
    fn rejects_bad_predictions() {
        assert_eq!(
            ConfusionCounts::from_predictions(&[0, 1], &[0, 3]),
            Err(MetricsError::InvalidLabel { name: "y_pred", index: 1, value: 3 })
        );
        assert_eq!(
            ConfusionCounts::from_predictions(&[0, 1], &[0]),
            Err(MetricsError::LengthMismatch { name: "y_pred", expected: 2, actual: 1 })
        );
        assert_eq!(predict(&[], 0.5), Err(MetricsError::Empty));
        assert_eq!(predict(&[0.2], 2.0), Err(MetricsError::InvalidThreshold { value: 2.0 }));
    }
}
