//! Why an `optimize` stage's search space, or one of its candidates' configurations, does not
//! give valid `train` parameters. The manifest check quotes these in its issues and the stage
//! returns them, so both read the same words; typed so the stage keeps the search space's own
//! error as a source.

use crate::optimize::{ParamValue, SearchSpaceError};

/// A value that cannot be set on a candidate's [`super::TrainParams`].
#[derive(Debug, thiserror::Error)]
pub enum SetParamError {
    /// `model` is the stage's own.
    #[error("`model` is the stage's own `model`, not a searched parameter")]
    Model,
    /// A whole number outside `u32`.
    #[error("`{key}` must be a whole number from 0 to {}, found {found}", u32::MAX)]
    WholeRange {
        /// The key.
        key: String,
        /// The value given.
        found: i64,
    },
    /// Not a whole number.
    #[error("`{key}` must be a whole number, found {found}")]
    Whole {
        /// The key.
        key: String,
        /// The value given.
        found: ParamValue,
    },
    /// Not a number.
    #[error("`{key}` must be a number, found {found}")]
    Number {
        /// The key.
        key: String,
        /// The value given.
        found: ParamValue,
    },
    /// A name that is not one of the choice's.
    #[error("`{key}`: {reason}")]
    UnknownName {
        /// The key.
        key: String,
        /// serde's words for it (the names it expects); in the message, as it is the message.
        reason: serde::de::value::Error,
    },
    /// Not a name.
    #[error("`{key}` must be a name, found {found}")]
    NotName {
        /// The key.
        key: String,
        /// The value given.
        found: ParamValue,
    },
    /// A key `train` does not have.
    #[error("unknown field `{key}`, expected one of {}", super::train::expected_keys())]
    UnknownKey {
        /// The key.
        key: String,
    },
}

/// Why a search space or a candidate's configuration gives no valid `train` parameters.
#[derive(Debug, thiserror::Error)]
pub enum CandidateParamsError {
    /// A space entry cannot be written as JSON (not expected: they are plain values).
    #[error(transparent)]
    SpaceJson(serde_json::Error),
    /// A space entry is not a search parameter.
    #[error("`{name}`: {reason}")]
    SpaceParam {
        /// The entry's name.
        name: String,
        /// serde's words for it; in the message, as it is the message.
        reason: serde_json::Error,
    },
    /// The space's parameters do not make a search space.
    #[error(transparent)]
    Space(#[from] SearchSpaceError),
    /// A value cannot be set.
    #[error(transparent)]
    Set(#[from] SetParamError),
    /// The parameters are out of a `train` stage's ranges.
    #[error("`{key}` must be {expected}")]
    Range {
        /// The dotted key.
        key: String,
        /// What it must be.
        expected: String,
    },
    /// `epochs` was given for a `correlation` model.
    #[error("`epochs` does not apply to model `correlation`: did you mean `rounds`?")]
    EpochsForCorrelation,
}
