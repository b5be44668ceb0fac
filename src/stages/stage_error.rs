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
    /// An upstream artifact is malformed or of another format (an input, so rendered as one;
    /// not a source, because its message already holds serde's reason).
    #[error("missing input: {0}")]
    Artifact(crate::artifacts::ArtifactError),
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
    /// A value could not be written as JSON (an artifact, a model, a candidate's digest).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A synthetic `anomaly` family's `noise` is out of range.
    #[error(transparent)]
    Noise(#[from] crate::data::synthetic_anomaly::InvalidNoise),
    /// A synthetic `correlation` or `coordination` family cannot be generated.
    #[error(transparent)]
    CorrelationFamily(#[from] crate::data::synthetic_correlation::CorrelationFamilyError),
    /// A CSV source's `filter` does not parse.
    #[error(transparent)]
    Filter(#[from] crate::data::row_filter::FilterSyntaxError),
    /// A comparison statistic of the report cannot be computed from the cohorts' figures.
    #[error(transparent)]
    Compare(#[from] crate::metrics::compare::CompareError),
    /// A drift statistic cannot be computed from the cohorts' figures.
    #[error(transparent)]
    Drift(#[from] crate::metrics::drift::DriftError),
    /// A fan-in stage's reference or baseline names no cohort or run.
    #[error(transparent)]
    Cohort(#[from] super::CohortError),
    /// An `optimize` instance's review labels, baseline or search failed.
    #[error(transparent)]
    Optimize(#[from] super::OptimizeError),
    /// A `phase3` instance's history in the runs folder cannot be read.
    #[error(transparent)]
    History(#[from] super::HistoryError),
    /// A `load` instance cannot produce its rows.
    #[error(transparent)]
    Load(#[from] super::LoadStageError),
    /// The drift figures do not deserialize into the report's types (a bug of the stage).
    #[error("the drift figures do not have the drift report's shape")]
    DriftShape(#[source] serde_json::Error),
    /// The report compared a pair of cohorts without preparing both (a bug of the report).
    #[error("the report compared `{a}` with `{b}` without preparing both")]
    Unprepared {
        /// The pair's cohorts.
        a: String,
        b: String,
    },
    /// An `audit` instance reached the stage runner, which never runs one (a bug of the runner).
    #[error("an audit instance is run by the runner, not as a stage")]
    AuditNotAStage,
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

impl From<crate::artifacts::ArtifactError> for StageError {
    fn from(e: crate::artifacts::ArtifactError) -> Self {
        Self::Artifact(e)
    }
}

impl StageError {
    /// The error as a diagnostic that shows where it is in a file, when it has one (a bad
    /// value of a CSV the `load` stage read), for a renderer that can draw it.
    pub fn diagnostic(&self) -> Option<&(dyn miette::Diagnostic + Send + Sync + 'static)> {
        match self {
            StageError::Load(super::LoadStageError::BadValue(located)) => Some(located.as_ref()),
            _ => None,
        }
    }

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
