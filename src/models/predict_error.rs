//! Why a model could not score a dataset.

use thiserror::Error;

/// Why prediction was refused before any row was scored.
#[derive(Debug, Error, PartialEq)]
pub enum PredictError {
    #[error("model expects features {expected:?} but the data has {found:?}")]
    FeatureMismatch { expected: Vec<String>, found: Vec<String> },
}
