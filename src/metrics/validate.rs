//! Input checks shared by every metric, so the arithmetic after them can assume clean data.
//!
//! Each public metric validates once and then calls unchecked internals; `evaluate` validates
//! once for all of them.

use super::MetricsError;

/// Checks that `y_true` and `y_prob` are non-empty, equally long, binary and probabilities.
pub(crate) fn labels_and_probs(y_true: &[u8], y_prob: &[f64]) -> Result<(), MetricsError> {
    labels("y_true", y_true)?;
    same_length("y_prob", y_true.len(), y_prob.len())?;
    probabilities(y_prob)
}

/// Checks that `values` is non-empty and holds only 0 and 1.
pub(crate) fn labels(name: &'static str, values: &[u8]) -> Result<(), MetricsError> {
    if values.is_empty() {
        return Err(MetricsError::Empty);
    }
    match values.iter().position(|&v| v > 1) {
        Some(index) => Err(MetricsError::InvalidLabel { name, index, value: values[index] }),
        None => Ok(()),
    }
}

/// Checks that a companion column has as many rows as `y_true`.
pub(crate) fn same_length(name: &'static str, expected: usize, actual: usize) -> Result<(), MetricsError> {
    if expected == actual { Ok(()) } else { Err(MetricsError::LengthMismatch { name, expected, actual }) }
}

/// Rejects NaN, infinities and values outside [0, 1]; `-0.0` is accepted as 0.
pub(crate) fn probabilities(y_prob: &[f64]) -> Result<(), MetricsError> {
    match y_prob.iter().position(|p| !(0.0..=1.0).contains(p)) {
        Some(index) => Err(MetricsError::InvalidProbability { index, value: y_prob[index] }),
        None => Ok(()),
    }
}

/// A threshold outside [0, 1] would silently make every prediction the same class.
pub(crate) fn threshold(value: f64) -> Result<(), MetricsError> {
    if (0.0..=1.0).contains(&value) { Ok(()) } else { Err(MetricsError::InvalidThreshold { value }) }
}

pub(crate) fn bins(bins: usize) -> Result<(), MetricsError> {
    if bins == 0 { Err(MetricsError::ZeroBins) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_input() {
        assert_eq!(labels_and_probs(&[], &[]), Err(MetricsError::Empty));
    }

    #[test]
    fn rejects_length_mismatch() {
        assert_eq!(
            labels_and_probs(&[0, 1, 1], &[0.1, 0.2]),
            Err(MetricsError::LengthMismatch { name: "y_prob", expected: 3, actual: 2 })
        );
    }

    #[test]
    fn rejects_label_other_than_zero_or_one() {
        assert_eq!(
            labels_and_probs(&[0, 2], &[0.1, 0.2]),
            Err(MetricsError::InvalidLabel { name: "y_true", index: 1, value: 2 })
        );
    }

    #[test]
    fn rejects_probabilities_outside_unit_interval_or_not_finite() {
        for bad in [-1e-300, 1.0 + f64::EPSILON, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                labels_and_probs(&[0, 1], &[0.5, bad]),
                Err(MetricsError::InvalidProbability { index: 1, value: bad })
            );
        }
        let nan = labels_and_probs(&[0, 1], &[f64::NAN, 0.5]);
        assert!(matches!(nan, Err(MetricsError::InvalidProbability { index: 0, value }) if value.is_nan()));
    }

    #[test]
    fn accepts_unit_interval_ends_and_negative_zero() {
        assert_eq!(labels_and_probs(&[0, 1, 1], &[0.0, -0.0, 1.0]), Ok(()));
    }

    #[test]
    fn rejects_bad_threshold_and_zero_bins() {
        for bad in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
            assert!(matches!(threshold(bad), Err(MetricsError::InvalidThreshold { .. })));
        }
        assert_eq!(threshold(0.0), Ok(()));
        assert_eq!(threshold(1.0), Ok(()));
        assert_eq!(bins(0), Err(MetricsError::ZeroBins));
        assert_eq!(bins(1), Ok(()));
    }

    #[test]
    fn error_messages_name_the_offending_row() {
        let err = labels_and_probs(&[0, 1], &[0.5, 1.5]).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("y_prob[1] is 1.5, but probabilities must be finite and in [0, 1]")
        );
        assert_eq!(
            MetricsError::LengthMismatch { name: "groups", expected: 4, actual: 3 }.to_string(),
            "groups has 3 values but y_true has 4"
        );
    }
}
