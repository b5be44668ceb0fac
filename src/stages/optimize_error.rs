//! Why an `optimize` instance failed past its parameters' checks: a review file it cannot
//! read, a baseline it cannot pick, a search that found nothing to promote. Typed so the
//! search's own error keeps its source until the runner renders it.

use crate::optimize::SearchError;

/// An `optimize` instance's failure.
#[derive(Debug, thiserror::Error)]
pub enum OptimizeError {
    /// The review labels file lacks a column.
    #[error("review labels `{file}` need columns `row` and `human_label`; the columns are {}", .columns.join(", "))]
    ReviewColumns {
        /// The file as the manifest names it.
        file: String,
        /// The columns it has.
        columns: Vec<String>,
    },
    /// A review row's `row` is not a row id.
    #[error("review labels `{file}` line {line}: `row` is not a row id")]
    ReviewRow {
        /// The file as the manifest names it.
        file: String,
        /// The 1-based line.
        line: u64,
    },
    /// A review row's `human_label` is not 0 or 1.
    #[error("review labels `{file}` line {line}: `human_label` must be 0 or 1, found `{found}`")]
    ReviewLabel {
        /// The file as the manifest names it.
        file: String,
        /// The 1-based line.
        line: u64,
        /// The value found.
        found: String,
    },
    /// The search space is not valid, or the best candidate's parameters no longer are (boxed:
    /// a stage's error stays small).
    #[error(transparent)]
    Params(Box<crate::manifest::params::CandidateParamsError>),
    /// The baseline could not be trained and measured.
    #[error(transparent)]
    Baseline(Box<super::CandidateError>),
    /// The search could not run.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// A candidate's training panicked, poisoning the outcomes.
    #[error("a candidate's training panicked")]
    Panicked,
    /// Both a `baseline` configuration and a `train` stage among `needs`.
    #[error("the baseline is either `baseline` (a configuration) or the `train` stage among `needs`, not both")]
    TwoBaselines,
    /// More than one `train` instance among the needs.
    #[error("the baseline must be one trained cohort, but `{id}` gets {}", .trained.join(", "))]
    ManyTrained {
        /// The optimize instance.
        id: String,
        /// The `train` instances it needs.
        trained: Vec<String>,
    },
    /// Every candidate failed; `why` is the first one's failure as `candidates.csv` records it.
    #[error("no candidate could be trained and measured: {why}")]
    NoCandidate {
        /// The first failure, as text: candidates' failures are a column of `candidates.csv`.
        why: String,
    },
    /// The best candidate has no measurements (a bug of the ranking).
    #[error("the best candidate has no measurements")]
    BestUnmeasured,
    /// `candidates.csv` could not be written.
    #[error("cannot write candidates.csv")]
    CandidatesCsv(#[source] csv::Error),
}

impl From<crate::manifest::params::CandidateParamsError> for OptimizeError {
    fn from(e: crate::manifest::params::CandidateParamsError) -> Self {
        OptimizeError::Params(Box::new(e))
    }
}

impl From<super::CandidateError> for OptimizeError {
    fn from(e: super::CandidateError) -> Self {
        OptimizeError::Baseline(Box::new(e))
    }
}
