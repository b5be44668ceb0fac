//! Why a stage instance failed.

use crate::data::DataError;
use crate::metrics::MetricsError;
use crate::models::{FitError, PredictError};
use crate::store::RelPathError;

/// A stage instance's failure.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The data could not be loaded or split.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The model could not be fitted.
    #[error("training failed")]
    Fit(#[from] FitError),
    /// The correlation model could not be fitted.
    #[error("training failed")]
    Correlation(#[from] crate::models::CorrelationFitError),
    /// Post-hoc calibration failed.
    #[error("calibration failed")]
    Calibration(#[from] crate::models::calibration::CalibrationError),
    /// The model could not score the validation rows.
    #[error("prediction failed")]
    Predict(#[from] PredictError),
    /// Metrics could not be computed.
    #[error("cannot compute metrics")]
    Metrics(#[from] MetricsError),
    /// A data file could not be read.
    #[error(transparent)]
    DataFile(#[from] crate::data::data_file::DataFileError),
    /// A data guard found a problem and the load is `strict`.
    #[error("{0} (`strict = true` makes this an error)")]
    Guard(String),
    /// An input the stage needs is missing or malformed.
    #[error("missing input: {0}")]
    MissingInput(String),
    /// An output path is not allowed.
    #[error(transparent)]
    Path(RelPathError),
    /// A file could not be read or written.
    #[error("cannot {what}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A Kaggle dataset could not be fetched or read.
    #[error("Kaggle dataset `{dataset}`")]
    Kaggle {
        /// The dataset's slug.
        dataset: String,
        /// Why.
        #[source]
        source: crate::data::kaggle::KaggleError,
    },
    /// An optimize candidate's parameters could not be digested into its seed.
    #[error("cannot digest a candidate's parameters")]
    CandidateDigest {
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// Something else about the inputs is wrong.
    #[error("{0}")]
    Invalid(String),
    /// An instance reached the implementation of another kind (a bug of the runner).
    #[error("`{id}` has `{found}` parameters but was run as a `{kind}` stage")]
    WrongParams {
        /// The instance.
        id: String,
        /// The kind it was run as.
        kind: crate::manifest::StageKind,
        /// The kind of its parameters.
        found: crate::manifest::StageKind,
    },
    /// The run was interrupted.
    #[error("cancelled")]
    Cancelled,
}

impl StageError {
    /// Whether the stage stopped because the run was interrupted.
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            StageError::Cancelled
                | StageError::Fit(FitError::Cancelled)
                | StageError::Correlation(crate::models::CorrelationFitError::Fit(FitError::Cancelled))
                | StageError::DataFile(crate::data::data_file::DataFileError::Cancelled { .. })
        )
    }
}
