//! The checks every model makes on its training data before fitting.

use ndarray::ArrayView2;

use super::FitError;

/// Checks that `x` has columns, one name per column, one 0/1 label per row, at least one row
/// and only finite values; returns the counts of labels 0 and 1.
///
/// Features are checked column by column so the error names the offending feature.
pub(super) fn check_training_data(
    x: ArrayView2<'_, f64>,
    y: &[u8],
    feature_names: &[String],
) -> Result<[usize; 2], FitError> {
    let (rows, width) = x.dim();
    if width == 0 {
        return Err(FitError::NoFeatures);
    }
    if feature_names.len() != width {
        return Err(FitError::FeatureCountMismatch { names: feature_names.len(), columns: width });
    }
    if y.len() != rows {
        return Err(FitError::LabelCountMismatch { labels: y.len(), rows });
    }
    if rows == 0 {
        return Err(FitError::EmptyTrainingSet);
    }
    let mut label_counts = [0usize; 2];
    for (row, &label) in y.iter().enumerate() {
        match label {
            0 | 1 => label_counts[usize::from(label)] += 1,
            value => return Err(FitError::InvalidLabel { row, value }),
        }
    }
    // One pass in memory order (contiguous for the usual row-major input); only when it finds
    // a non-finite value are the columns searched, in order, for the first feature to name.
    if !x.iter().all(|value| value.is_finite()) {
        for (column, name) in x.columns().into_iter().zip(feature_names) {
            if !column.iter().all(|value| value.is_finite()) {
                return Err(FitError::NonFiniteFeature { feature: name.clone() });
            }
        }
    }
    Ok(label_counts)
}
