//! Errors for inputs the metrics cannot be computed from.
//!
//! A metric that is merely undefined on valid input (a zero denominator) is not an error: it is
//! reported as `None` with an [`Undefined`](super::Undefined) reason.

/// Why a set of inputs was rejected; each variant carries the offending position and value so
/// the caller can point at the bad row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    #[error("no rows to evaluate")]
    Empty,

    #[error("{name} has {actual} values but y_true has {expected}")]
    LengthMismatch { name: &'static str, expected: usize, actual: usize },

    #[error("{name}[{index}] is {value}, but labels must be 0 or 1")]
    InvalidLabel { name: &'static str, index: usize, value: u8 },

    #[error("y_prob[{index}] is {value}, but probabilities must be finite and in [0, 1]")]
    InvalidProbability { index: usize, value: f64 },

    #[error("threshold is {value}, but it must be finite and in [0, 1]")]
    InvalidThreshold { value: f64 },

    #[error("bins is 0, but calibration needs at least one bin")]
    ZeroBins,

    #[error("min_group_size is 0, but a group needs at least one row to be compared")]
    ZeroMinGroupSize,

    #[error("resamples is 0, but an interval needs at least one bootstrap resample")]
    ZeroResamples,
}
