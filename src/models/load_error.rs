//! Why a saved model could not be loaded.

use thiserror::Error;

use super::FitError;

/// Why a saved model was rejected. Loading checks consistency up front so that a corrupted
/// or hand-edited file fails here instead of producing wrong probabilities later.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("parse saved model json")]
    Json {
        #[source]
        source: serde_json::Error,
    },

    #[error("saved model has no `{field}` field")]
    MissingField { field: &'static str },

    #[error("saved model has format version {found}; this build reads version {supported}")]
    UnsupportedFormatVersion { found: String, supported: u32 },

    #[error(
        "saved {model_type} model has format version {found}, which this build no longer reads (it reads version {supported}): {fix}"
    )]
    RetiredFormatVersion { model_type: &'static str, found: u64, supported: u32, fix: &'static str },

    #[error("saved model type {found} is not known; known types: {known}")]
    UnknownModelType { found: String, known: &'static str },

    #[error("saved model has {found} {what} for {expected} features")]
    LengthMismatch { what: &'static str, found: usize, expected: usize },

    #[error("saved model has a non-finite or non-positive {what}")]
    InvalidNumber { what: &'static str },

    #[error("saved model has invalid training parameters")]
    InvalidParams {
        #[source]
        source: FitError,
    },
}
