//! Why a model could not be trained.

use thiserror::Error;

use super::log_loss::DIVERGENCE_LOSS_FACTOR;

/// Why fitting failed: bad parameters or data, a cancellation, or a run that diverged.
#[derive(Debug, Error, PartialEq)]
pub enum FitError {
    #[error("epochs must be at least 1, got {value}")]
    InvalidEpochs { value: u32 },

    #[error("batch size must be at least 1, got {value}")]
    InvalidBatchSize { value: usize },

    #[error("learning rate must be positive and finite, got {value}")]
    InvalidLearningRate { value: f64 },

    #[error("l2 penalty must be non-negative and finite, got {value}")]
    InvalidL2 { value: f64 },

    #[error("training set has no rows")]
    EmptyTrainingSet,

    #[error("training set has no features")]
    NoFeatures,

    #[error("{names} feature names were given for {columns} feature columns")]
    FeatureCountMismatch { names: usize, columns: usize },

    #[error("{labels} labels were given for {rows} rows")]
    LabelCountMismatch { labels: usize, rows: usize },

    #[error("label of row {row} is {value}, but labels must be 0 or 1")]
    InvalidLabel { row: usize, value: u8 },

    #[error("feature `{feature}` has non-finite values")]
    NonFiniteFeature { feature: String },

    #[error("one-hot group of feature columns {start}..{end} overlaps another or lies outside the {width} columns")]
    InvalidOneHotGroup { start: usize, end: usize, width: usize },

    #[error("the tokens cover {covered} feature columns, but the data has {columns}")]
    TokenCoverage { covered: usize, columns: usize },

    #[error("training was cancelled")]
    Cancelled,

    #[error(
        "training diverged in epoch {epoch}: the loss or weights stopped being finite or the \
         loss exceeded {DIVERGENCE_LOSS_FACTOR} times its starting value; lower the learning rate"
    )]
    Diverged { epoch: u32 },
}
