//! Why a correlation (gradient-boosted trees) model could not be trained.

use thiserror::Error;

use super::FitError;

/// Why fitting a [`super::Correlation`] failed: a parameter out of range, or any of the
/// data, cancellation and divergence failures every model shares ([`FitError`]).
#[derive(Debug, Error, PartialEq)]
pub enum CorrelationFitError {
    #[error("number of trees must be at least 1, got {value}")]
    InvalidTrees { value: u32 },

    #[error("max depth must be between 1 and {max}, got {value}", max = super::correlation_params::MAX_DEPTH)]
    InvalidMaxDepth { value: u32 },

    #[error("learning rate must be positive and finite, got {value}")]
    InvalidLearningRate { value: f64 },

    #[error("min samples per leaf must be at least 1, got {value}")]
    InvalidMinSamplesLeaf { value: usize },

    #[error("subsample must be in (0, 1], got {value}")]
    InvalidSubsample { value: f64 },

    #[error("l2 penalty must be non-negative and finite, got {value}")]
    InvalidL2 { value: f64 },

    #[error("algorithm `hist` takes at most {max} training rows, got {rows}; use `exact`", max = u32::MAX)]
    TooManyRowsForHist { rows: usize },

    #[error(transparent)]
    Fit(#[from] FitError),
}
