//! Errors for inputs the comparison statistics cannot be computed from.

/// Why a set of inputs was rejected; each variant carries the offending position and value so
/// the caller can point at the bad row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    #[error("no rows to evaluate")]
    Empty,

    #[error("{name} has {actual} values but y_true has {expected}")]
    LengthMismatch { name: &'static str, expected: usize, actual: usize },

    #[error("{name}[{index}] is {value}, but labels must be 0 or 1")]
    InvalidLabel { name: &'static str, index: usize, value: u8 },

    #[error("{name}[{index}] is {value}, but probabilities must be finite and in [0, 1]")]
    InvalidProbability { name: &'static str, index: usize, value: f64 },

    #[error("threshold is {value}, but it must be finite and in [0, 1]")]
    InvalidThreshold { value: f64 },

    #[error("bins is 0, but calibration needs at least one bin")]
    ZeroBins,

    #[error("resamples is 0, but a bootstrap interval needs at least one resample")]
    ZeroResamples,

    #[error("the two cohorts were not evaluated on the same validation rows (labels differ)")]
    DifferentRows,

    #[error(
        "DeLong's variance needs at least 2 positive and 2 negative rows, but there are {positives} and {negatives}"
    )]
    TooFewPerClass { positives: u64, negatives: u64 },
}
