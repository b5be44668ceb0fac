//! Input checks shared by every comparison statistic, so the arithmetic after them can assume
//! clean data.
//!
//! The same rules as `metrics::validate` (copied rather than imported so that this module also
//! compiles on its own): labels are 0/1, probabilities finite and in [0, 1] (`-0.0` is 0).

use super::CompareError;

/// Checks that `values` is non-empty and holds only 0 and 1.
pub(crate) fn labels(name: &'static str, values: &[u8]) -> Result<(), CompareError> {
    if values.is_empty() {
        return Err(CompareError::Empty);
    }
    match values.iter().position(|&v| v > 1) {
        Some(index) => Err(CompareError::InvalidLabel { name, index, value: values[index] }),
        None => Ok(()),
    }
}

/// Checks that a companion column has as many rows as `y_true`.
pub(crate) fn same_length(name: &'static str, expected: usize, actual: usize) -> Result<(), CompareError> {
    if expected == actual { Ok(()) } else { Err(CompareError::LengthMismatch { name, expected, actual }) }
}

/// Checks a probability column against `y_true`'s length and the unit interval.
pub(crate) fn probabilities(name: &'static str, rows: usize, y_prob: &[f64]) -> Result<(), CompareError> {
    same_length(name, rows, y_prob.len())?;
    match y_prob.iter().position(|p| !(0.0..=1.0).contains(p)) {
        Some(index) => Err(CompareError::InvalidProbability { name, index, value: y_prob[index] }),
        None => Ok(()),
    }
}

/// Checks a prediction column against `y_true`'s length and the labels 0/1.
pub(crate) fn predictions(name: &'static str, rows: usize, y_pred: &[u8]) -> Result<(), CompareError> {
    same_length(name, rows, y_pred.len())?;
    labels(name, y_pred)
}

/// A threshold outside [0, 1] would silently make every prediction the same class.
pub(crate) fn threshold(value: f64) -> Result<(), CompareError> {
    if (0.0..=1.0).contains(&value) { Ok(()) } else { Err(CompareError::InvalidThreshold { value }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_columns_with_their_position() {
        assert_eq!(labels("y_true", &[]), Err(CompareError::Empty));
        assert_eq!(labels("y_true", &[0, 2]), Err(CompareError::InvalidLabel { name: "y_true", index: 1, value: 2 }));
        assert_eq!(
            probabilities("y_prob_b", 2, &[0.5]),
            Err(CompareError::LengthMismatch { name: "y_prob_b", expected: 2, actual: 1 })
        );
        assert!(matches!(
            probabilities("y_prob", 2, &[0.5, f64::NAN]),
            Err(CompareError::InvalidProbability { index: 1, .. })
        ));
        assert_eq!(probabilities("y_prob", 3, &[0.0, -0.0, 1.0]), Ok(()));
        assert_eq!(
            predictions("pred_a", 2, &[1, 3]),
            Err(CompareError::InvalidLabel { name: "pred_a", index: 1, value: 3 })
        );
        assert!(matches!(threshold(f64::NAN), Err(CompareError::InvalidThreshold { .. })));
    }

    #[test]
    fn error_messages_read_after_failed_to() {
        let err = CompareError::InvalidProbability { name: "y_prob_a", index: 3, value: 1.5 };
        assert_eq!(err.to_string(), "y_prob_a[3] is 1.5, but probabilities must be finite and in [0, 1]");
        let err = CompareError::TooFewPerClass { positives: 1, negatives: 9 };
        assert_eq!(
            err.to_string(),
            "DeLong's variance needs at least 2 positive and 2 negative rows, but there are 1 and 9"
        );
    }
}
