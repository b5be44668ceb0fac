//! Why a search could not run.

use thiserror::Error;

use super::{GridError, SearchSpaceError};

/// A search failure. Evaluation failures are not errors: the callback reports a failed
/// candidate as NaN fitness, which ranks last.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SearchError {
    /// The baseline configuration does not fit the search space.
    #[error("baseline configuration does not fit the search space")]
    Baseline(#[source] SearchSpaceError),
    /// The space has no usable grid.
    #[error("grid search cannot build its grid")]
    Grid(#[source] GridError),
    /// A search setting out of its range.
    #[error("search setting `{name}` {reason}")]
    InvalidSetting {
        /// The setting's name.
        name: &'static str,
        /// What the setting must be, e.g. "must be at least 1, got 0".
        reason: String,
    },
    /// The evaluation callback returned a different number of fitness values than it was
    /// given configurations.
    #[error("evaluation returned {got} fitness values for {expected} configurations")]
    FitnessCount {
        /// The batch size.
        expected: usize,
        /// The number of values returned.
        got: usize,
    },
}
