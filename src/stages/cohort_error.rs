//! Why a fan-in stage cannot line up the cohorts it compares: a reference or baseline that
//! names no cohort or run. Kept typed so the runner renders the message and a test can match
//! the case without parsing text.

use std::path::PathBuf;

/// A `reference`, `baseline_run` or `baseline_cohort` that names nothing comparable.
#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    /// `reference` names no cohort of this run.
    #[error("reference cohort `{name}` is not among the cohorts compared: {}", .known.join(", "))]
    UnknownReference {
        /// The name given.
        name: String,
        /// The cohorts compared, in order.
        known: Vec<String>,
    },
    /// `baseline_run` is set but the run was started without a runs folder (a library call).
    #[error("baseline run `{run}`: this run has no runs folder to find it in")]
    NoRunsFolder {
        /// The run named.
        run: String,
    },
    /// `baseline_run` names no complete run of the pipeline's folder.
    #[error("baseline run `{run}` is not in `{}`{}", .state.display(), runs_there(.runs))]
    UnknownBaselineRun {
        /// The run named.
        run: String,
        /// The pipeline's runs folder.
        state: PathBuf,
        /// The complete runs there, newest first.
        runs: Vec<String>,
    },
    /// `baseline_cohort` names no cohort of the baseline run.
    #[error("baseline cohort `{wanted}` is not in run `{}`: its cohorts are {}", .dir.display(), .known.join(", "))]
    UnknownBaselineCohort {
        /// The cohort named.
        wanted: String,
        /// The baseline run's folder.
        dir: PathBuf,
        /// Its cohorts.
        known: Vec<String>,
    },
    /// No cohort of this run has a namesake in the baseline run.
    #[error(
        "no cohort of this run is in baseline run `{}` (its cohorts are {}); name one with `baseline_cohort`",
        .dir.display(),
        if .known.is_empty() { "none".to_owned() } else { .known.join(", ") }
    )]
    NoCommonCohort {
        /// The baseline run's folder.
        dir: PathBuf,
        /// Its cohorts.
        known: Vec<String>,
    },
}

/// The tail of [`CohortError::UnknownBaselineRun`]: the runs to pick from, when there are any.
fn runs_there(runs: &[String]) -> String {
    if runs.is_empty() {
        String::new()
    } else {
        format!("; the runs there are {}", runs.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages the runner writes into `run.json`, pinned as they read before the type.
    #[test]
    fn messages() {
        let names = || vec!["a".to_owned(), "b".to_owned()];
        let e = CohortError::UnknownReference { name: "x".into(), known: names() };
        assert_eq!(e.to_string(), "reference cohort `x` is not among the cohorts compared: a, b");
        let e = CohortError::UnknownBaselineRun { run: "r".into(), state: "runs".into(), runs: names() };
        assert_eq!(e.to_string(), "baseline run `r` is not in `runs`; the runs there are `a`, `b`");
        let e = CohortError::UnknownBaselineRun { run: "r".into(), state: "runs".into(), runs: Vec::new() };
        assert_eq!(e.to_string(), "baseline run `r` is not in `runs`");
        let e = CohortError::UnknownBaselineCohort { wanted: "w".into(), dir: "d".into(), known: names() };
        assert_eq!(e.to_string(), "baseline cohort `w` is not in run `d`: its cohorts are a, b");
        let e = CohortError::NoCommonCohort { dir: "d".into(), known: Vec::new() };
        assert_eq!(
            e.to_string(),
            "no cohort of this run is in baseline run `d` (its cohorts are none); name one with `baseline_cohort`"
        );
    }
}
