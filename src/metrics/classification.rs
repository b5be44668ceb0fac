//! Threshold metrics from probabilities: accuracy, precision, recall, f1, specificity, fp_rate.
//!
//! Reference: scikit-learn `sklearn.metrics` (`accuracy_score`, `precision_score`, ...) on the
//! predictions `p >= threshold`. Where sklearn warns and returns 0 for a zero denominator, these
//! return `None`; [`ConfusionCounts`] gives the [`Undefined`](super::Undefined) reason.

use super::{ConfusionCounts, MetricsError};

/// Always defined on valid (non-empty) input.
pub fn accuracy(y_true: &[u8], y_prob: &[f64], threshold: f64) -> Result<f64, MetricsError> {
    let counts = ConfusionCounts::from_probabilities(y_true, y_prob, threshold)?;
    Ok((counts.tp + counts.tn) as f64 / counts.n() as f64)
}

/// `None` when nothing is predicted positive.
pub fn precision(y_true: &[u8], y_prob: &[f64], threshold: f64) -> Result<Option<f64>, MetricsError> {
    Ok(ConfusionCounts::from_probabilities(y_true, y_prob, threshold)?.precision().ok())
}

/// `None` when `y_true` has no positives.
pub fn recall(y_true: &[u8], y_prob: &[f64], threshold: f64) -> Result<Option<f64>, MetricsError> {
    Ok(ConfusionCounts::from_probabilities(y_true, y_prob, threshold)?.recall().ok())
}

/// `2TP / (2TP + FP + FN)`; `None` only when there are neither positives nor predicted positives.
pub fn f1(y_true: &[u8], y_prob: &[f64], threshold: f64) -> Result<Option<f64>, MetricsError> {
    Ok(ConfusionCounts::from_probabilities(y_true, y_prob, threshold)?.f1().ok())
}

/// `TN / (TN + FP)`; `None` when `y_true` has no negatives.
pub fn specificity(y_true: &[u8], y_prob: &[f64], threshold: f64) -> Result<Option<f64>, MetricsError> {
    Ok(ConfusionCounts::from_probabilities(y_true, y_prob, threshold)?.specificity().ok())
}

/// `FP / (FP + TN)`; `None` when `y_true` has no negatives.
pub fn fp_rate(y_true: &[u8], y_prob: &[f64], threshold: f64) -> Result<Option<f64>, MetricsError> {
    Ok(ConfusionCounts::from_probabilities(y_true, y_prob, threshold)?.fp_rate().ok())
}

#[cfg(test)]
mod tests {
    use super::super::Undefined;
    use super::super::tests_reference::*;
    use super::*;

    type ThresholdMetric = fn(&[u8], &[f64], f64) -> Result<Option<f64>, MetricsError>;

    struct Expected {
        counts: [u64; 4],
        accuracy: f64,
        precision: Option<f64>,
        recall: Option<f64>,
        f1: Option<f64>,
        specificity: Option<f64>,
        fp_rate: Option<f64>,
    }

    fn check(name: &str, y_true: &[u8], y_prob: &[f64], threshold: f64, want: Expected) {
        let counts = ConfusionCounts::from_probabilities(y_true, y_prob, threshold);
        let [tp, fp, tn, r#fn] = want.counts;
        assert_eq!(counts, Ok(ConfusionCounts { tp, fp, tn, r#fn }), "{name}");
        // Ratios of small counts are correctly rounded on both sides: compare exactly.
        let got = |f: ThresholdMetric| f(y_true, y_prob, threshold);
        assert_eq!(accuracy(y_true, y_prob, threshold), Ok(want.accuracy), "{name}");
        assert_eq!(got(precision), Ok(want.precision), "{name} precision");
        assert_eq!(got(recall), Ok(want.recall), "{name} recall");
        assert_eq!(got(f1), Ok(want.f1), "{name} f1");
        assert_eq!(got(specificity), Ok(want.specificity), "{name} specificity");
        assert_eq!(got(fp_rate), Ok(want.fp_rate), "{name} fp_rate");
    }

    // reference: scikit-learn 1.9.1 sklearn.metrics.{confusion_matrix, accuracy_score,
    // precision_score, recall_score, f1_score, recall_score(pos_label=0)} with
    // zero_division=np.nan (printed as None); fp_rate = fp / (fp + tn) from confusion_matrix.
    #[test]
    fn matches_sklearn_on_mixed_rows_at_default_threshold() {
        let want = Expected {
            counts: [19, 9, 13, 7],
            accuracy: 0.6666666666666666,
            precision: Some(0.6785714285714286),
            recall: Some(0.7307692307692307),
            f1: Some(0.7037037037037037),
            specificity: Some(0.5909090909090909),
            fp_rate: Some(0.4090909090909091),
        };
        check("A", &Y_A, &P_A, 0.5, want);
    }

    #[test]
    fn matches_sklearn_on_mixed_rows_at_threshold_0_3() {
        // 0.3 and 0.30000000000000004 are both predicted positive at threshold 0.3.
        let want = Expected {
            counts: [23, 15, 7, 3],
            accuracy: 0.625,
            precision: Some(0.6052631578947368),
            recall: Some(0.8846153846153846),
            f1: Some(0.71875),
            specificity: Some(0.3181818181818182),
            fp_rate: Some(0.6818181818181818),
        };
        check("A t=0.3", &Y_A, &P_A, 0.3, want);
    }

    #[test]
    fn matches_sklearn_with_one_class_or_no_predicted_positives() {
        let all_neg = Expected {
            counts: [0, 2, 3, 0],
            accuracy: 0.6,
            precision: Some(0.0),
            recall: None,
            f1: Some(0.0),
            specificity: Some(0.6),
            fp_rate: Some(0.4),
        };
        check("ALL_NEG", &Y_ALL_NEG, &P_ALL_NEG, 0.5, all_neg);
        let all_pos = Expected {
            counts: [3, 0, 0, 1],
            accuracy: 0.75,
            precision: Some(1.0),
            recall: Some(0.75),
            f1: Some(0.8571428571428571),
            specificity: None,
            fp_rate: None,
        };
        check("ALL_POS", &Y_ALL_POS, &P_ALL_POS, 0.5, all_pos);
        let no_pred_pos = Expected {
            counts: [0, 0, 2, 2],
            accuracy: 0.5,
            precision: None,
            recall: Some(0.0),
            f1: Some(0.0),
            specificity: Some(1.0),
            fp_rate: Some(0.0),
        };
        check("NO_PRED_POS", &Y_NO_PRED_POS, &P_NO_PRED_POS, 0.5, no_pred_pos);
        let all_neg_no_pred = Expected {
            counts: [0, 0, 3, 0],
            accuracy: 1.0,
            precision: None,
            recall: None,
            f1: None,
            specificity: Some(1.0),
            fp_rate: Some(0.0),
        };
        check("ALL_NEG_NO_PRED", &Y_ALL_NEG_NO_PRED, &P_ALL_NEG_NO_PRED, 0.5, all_neg_no_pred);
    }

    #[test]
    fn undefined_ratios_say_why() {
        let counts = ConfusionCounts::from_probabilities(&Y_ALL_NEG_NO_PRED, &P_ALL_NEG_NO_PRED, 0.5);
        let counts = counts.expect("valid input");
        assert_eq!(counts.precision(), Err(Undefined::NoPredictedPositives));
        assert_eq!(counts.recall(), Err(Undefined::NoPositiveLabels));
        assert_eq!(counts.f1(), Err(Undefined::NoPositivesAtAll));
        let counts = ConfusionCounts::from_probabilities(&Y_ALL_POS, &P_ALL_POS, 0.5);
        let counts = counts.expect("valid input");
        assert_eq!(counts.specificity(), Err(Undefined::NoNegativeLabels));
        assert_eq!(counts.fp_rate(), Err(Undefined::NoNegativeLabels));
    }

    #[test]
    fn rejects_invalid_input() {
        assert_eq!(accuracy(&[], &[], 0.5), Err(MetricsError::Empty));
        assert!(matches!(precision(&[0, 1], &[0.2], 0.5), Err(MetricsError::LengthMismatch { .. })));
        assert!(matches!(recall(&[0, 7], &[0.2, 0.3], 0.5), Err(MetricsError::InvalidLabel { index: 1, .. })));
        assert!(matches!(f1(&[0, 1], &[0.2, f64::NAN], 0.5), Err(MetricsError::InvalidProbability { index: 1, .. })));
        assert!(matches!(specificity(&[0, 1], &[0.2, 0.3], f64::NAN), Err(MetricsError::InvalidThreshold { .. })));
        assert!(matches!(fp_rate(&[0, 1], &[-0.5, 0.3], 0.5), Err(MetricsError::InvalidProbability { index: 0, .. })));
    }
}
