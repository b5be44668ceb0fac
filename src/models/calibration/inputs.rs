//! Validation of the labels and model outputs a calibrator is fitted on.

use super::CalibrationError;

/// Checks labels and inputs shared by every calibrator: same length, not empty, labels 0/1,
/// finite inputs. Returns the number of positive labels.
pub(super) fn check_inputs(values: &[f64], labels: &[u8]) -> Result<usize, CalibrationError> {
    if labels.len() != values.len() {
        return Err(CalibrationError::LengthMismatch { labels: labels.len(), values: values.len() });
    }
    if labels.is_empty() {
        return Err(CalibrationError::Empty);
    }
    let mut positives = 0;
    for (row, &value) in labels.iter().enumerate() {
        match value {
            0 => {}
            1 => positives += 1,
            value => return Err(CalibrationError::InvalidLabel { row, value }),
        }
    }
    if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CalibrationError::NonFiniteInput { row, value });
    }
    Ok(positives)
}

/// [`check_inputs`] for inputs that must be probabilities.
pub(super) fn check_probabilities(probabilities: &[f64], labels: &[u8]) -> Result<usize, CalibrationError> {
    let positives = check_inputs(probabilities, labels)?;
    if let Some((row, &value)) = probabilities.iter().enumerate().find(|(_, p)| !(0.0..=1.0).contains(*p)) {
        return Err(CalibrationError::InvalidProbability { row, value });
    }
    Ok(positives)
}
