//! Why one configuration of an `optimize` search could not be trained and measured. A
//! candidate's failure is a text column of `candidates.csv`, written with
//! [`error_chain`](crate::error_chain::error_chain); the baseline's is the stage's error, so it
//! keeps its sources until the runner renders it.

use crate::manifest::params::CandidateParamsError;
use crate::metrics::MetricsError;
use crate::models::PredictError;
use crate::trained::TrainedModelError;

use super::StageError;

/// A configuration (or the needed `train` instance's model) that could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum CandidateError {
    /// Its `train` parameters are not valid.
    #[error(transparent)]
    Params(#[from] CandidateParamsError),
    /// Training it failed, or the trained model could not be read.
    #[error(transparent)]
    Stage(Box<StageError>),
    /// The trained model could not score the validation rows.
    #[error(transparent)]
    Predict(#[from] PredictError),
    /// Its metrics could not be computed.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The needed `train` instance's `model.json` is not UTF-8.
    #[error("`model.json` of `{id}`")]
    ModelText {
        /// The `train` instance.
        id: String,
        /// Why.
        #[source]
        source: std::string::FromUtf8Error,
    },
    /// The needed `train` instance's `model.json` cannot be loaded.
    #[error("`model.json` of `{id}`")]
    ModelJson {
        /// The `train` instance.
        id: String,
        /// Why (boxed: the error stays small).
        #[source]
        source: Box<TrainedModelError>,
    },
    /// The needed `train` instance's model cannot score this stage's validation rows.
    #[error("`{id}` cannot score this stage's validation rows")]
    Score {
        /// The `train` instance.
        id: String,
        /// Why (boxed: the error stays small).
        #[source]
        source: Box<TrainedModelError>,
    },
}

impl From<StageError> for CandidateError {
    fn from(e: StageError) -> Self {
        CandidateError::Stage(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_chain::error_chain;

    /// The words `candidates.csv` and `run.json` show, pinned as they read before the type
    /// (a model that cannot be loaded now also says why, from its source).
    #[test]
    fn messages() {
        let e = CandidateError::from(CandidateParamsError::EpochsForCorrelation);
        assert_eq!(error_chain(&e), "`epochs` does not apply to model `correlation`: did you mean `rounds`?");
        let e = CandidateError::from(StageError::Cancelled);
        assert_eq!(error_chain(&e), "cancelled");
        let source = String::from_utf8(vec![0xff]).unwrap_err();
        let e = CandidateError::ModelText { id: "train".into(), source };
        assert_eq!(error_chain(&e), "`model.json` of `train`: invalid utf-8 sequence of 1 bytes from index 0");
        let source = TrainedModelError::from(crate::data::DataError::NoFeatures);
        let e = CandidateError::Score { id: "train".into(), source: Box::new(source) };
        assert!(error_chain(&e).starts_with("`train` cannot score this stage's validation rows: "));
    }
}
