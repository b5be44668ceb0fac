//! Why a calibrator could not be fitted.

use thiserror::Error;

use crate::models::PredictError;

/// Why calibration was refused before anything was fitted.
#[derive(Debug, PartialEq, Error)]
pub enum CalibrationError {
    #[error("calibration set has no rows")]
    Empty,

    #[error("{labels} labels were given for {values} calibration inputs")]
    LengthMismatch { labels: usize, values: usize },

    #[error("label of row {row} is {value}, but labels must be 0 or 1")]
    InvalidLabel { row: usize, value: u8 },

    #[error("calibration input of row {row} is {value}, but it must be finite")]
    NonFiniteInput { row: usize, value: f64 },

    #[error("probability of row {row} is {value}, but probabilities must be in [0, 1]")]
    InvalidProbability { row: usize, value: f64 },

    #[error("score the calibration set with the base model")]
    Predict {
        #[source]
        source: PredictError,
    },
}
