//! Inputs a command was given that cannot be used, with the library error that says why kept
//! as a source: the command line renders the whole chain, and every case is exit code 2
//! (invalid input), whatever layer found it.

use std::path::PathBuf;

/// Why an input given to a command (a flag, an environment variable, a file it names) cannot
/// be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// `SOURCE_DATE_EPOCH` is not a Unix time.
    #[error(transparent)]
    Epoch(#[from] crate::clock::BadEpoch),
    /// The slurm executor was asked for where its tools are not.
    #[error(transparent)]
    SlurmTools(#[from] crate::exec::slurm::MissingSlurmTool),
    /// A Slurm job's spec cannot be read or its status written.
    #[error(transparent)]
    SlurmJob(#[from] crate::exec::slurm::JobError),
    /// A file the command names cannot be read.
    #[error("cannot read `{}`", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `nethical report`'s file is not a `comparison.json`.
    #[error("`{}` is not a comparison report", .path.display())]
    ComparisonReport {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A predictions file cannot be read (its error names the file).
    #[error(transparent)]
    Predictions(crate::data::DataError),
    /// A model or data file cannot be used; the source says why.
    #[error("{}", .path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why: a model's or a table's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A `runs --table` filter or sort names nothing.
    #[error(transparent)]
    Table(#[from] crate::report::TableError),
    /// A run given to `compare` cannot be read.
    #[error(transparent)]
    RunDiff(#[from] crate::report::RunDiffError),
    /// A drift report the run wrote cannot be read back.
    #[error(transparent)]
    DriftReport(Box<crate::stages::StageError>),
    /// `--kaggle-username`/`--kaggle-key` are not usable credentials.
    #[error("--kaggle-username/--kaggle-key")]
    KaggleFlags(#[source] crate::data::kaggle::KaggleError),
    /// The audit log cannot be read or does not verify.
    #[error(transparent)]
    Trail(#[from] crate::trail::TrailError),
    /// A proof was asked of tree sizes the log does not have.
    #[error(transparent)]
    Proof(#[from] crate::audit::ProofError),
    /// A verifier key file cannot be used.
    #[error("`{}`", .path.display())]
    VerifierKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::audit::KeyError,
    },
    /// `audit keygen`'s name cannot name a key.
    #[error(transparent)]
    KeyName(crate::audit::KeyError),
}

impl InputError {
    /// A model or data file's error, kept as the source under the file's name.
    pub fn file(path: impl Into<PathBuf>) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> InputError {
        let path = path.into();
        move |source| InputError::File { path, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::error_chain::error_chain;

    fn rendered(e: InputError) -> (String, i32) {
        let e = Error::from(e);
        (error_chain(&e), e.exit_code())
    }

    /// Each case renders as its message did when it was a string (now with the sources those
    /// strings dropped), and all are invalid input.
    #[test]
    fn messages_and_exit_codes() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let cases = [
            (
                InputError::from(crate::clock::BadEpoch("x".into())),
                "SOURCE_DATE_EPOCH must be a Unix time in whole seconds, found `x`",
            ),
            (InputError::Read { path: "p.csv".into(), source: io() }, "cannot read `p.csv`: gone"),
            (
                InputError::from(crate::exec::slurm::JobError::Status { path: "s.json".into(), source: io() }),
                "cannot write the job status `s.json`: gone",
            ),
            (InputError::file("m.json")(Box::new(io())), "m.json: gone"),
            (
                InputError::from(crate::exec::slurm::MissingSlurmTool { name: "sbatch" }),
                "the slurm executor needs `sbatch` on PATH, and it is not there: run on a Slurm login node, \
                 add Slurm's bin folder to PATH, or run locally with `--executor local`",
            ),
            (
                InputError::VerifierKey {
                    path: "k.pub".into(),
                    source: crate::audit::KeyError::Read { path: "k.pub".into(), source: io() },
                },
                "`k.pub`: read key file k.pub: gone",
            ),
            (
                InputError::from(crate::trail::TrailError::Io { what: "read", path: "log".into(), source: io() }),
                "cannot read `log`: gone",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(rendered(e), (want.to_owned(), crate::exit_code::INVALID_INPUT));
        }
    }
}
