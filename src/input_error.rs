//! Inputs a command was given that cannot be used: flags, environment variables, the files it
//! names. Where a library error says why, it is kept as a source and the command line renders
//! the whole chain; each refusal is a variant a test can match, and every case is exit code 2
//! (invalid input), whatever layer found it.

use std::path::PathBuf;

/// Why an input given to a command (a flag, an environment variable, a file it names) cannot
/// be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// An environment variable is not UTF-8.
    #[error("environment variable `{var}` is not valid UTF-8")]
    VariableNotUtf8 {
        /// The variable.
        var: &'static str,
    },
    /// The log variable is not a `tracing` filter.
    #[error(
        "environment variable `{var}` = `{}` is not a log filter: {reason} (write a level such as `debug`, or `nethical::exec=trace`)",
        .spec.escape_debug()
    )]
    LogFilter {
        /// The variable.
        var: &'static str,
        /// Its value.
        spec: String,
        /// The filter parser's words; in the message's middle, so not a source.
        reason: tracing_subscriber::filter::ParseError,
    },
    /// `NETHICAL_FAILPOINTS` does not parse.
    #[error(transparent)]
    Failpoints(#[from] crate::exec::FailpointsError),
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
    /// A value in a file the command reads is not what its column holds; shown where it is.
    #[error(transparent)]
    Located(Box<crate::data::located_value::LocatedValueError>),
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
    /// `audit keygen` would overwrite a file.
    #[error("`{}` exists; not overwriting a key", .path.display())]
    KeyExists {
        /// The `--out` file.
        path: PathBuf,
    },
    /// A line of the audit log is damaged, so no proof is given from it.
    #[error("line {line} of `{}` {problem}", .path.display())]
    LogLine {
        /// The 1-based line.
        line: u64,
        /// The events file.
        path: PathBuf,
        /// What is wrong, as the scan words it.
        problem: String,
    },
    /// `audit prove` names an event the log does not have.
    #[error("no event {index}")]
    NoEvent {
        /// The 0-based event index.
        index: u64,
    },
    /// `--size` or `--to` is beyond the log.
    #[error("tree size {size} is larger than the log ({events} events)")]
    TreeTooLarge {
        /// The size asked for.
        size: u64,
        /// The events the log holds.
        events: usize,
    },
    /// `runs --pipeline` names a pipeline with no runs.
    #[error("no runs of pipeline `{pipeline}` in `{}`", .root.display())]
    NoRuns {
        /// The pipeline.
        pipeline: String,
        /// The runs folder.
        root: PathBuf,
    },
    /// A run given to `compare` is neither a folder nor a known run id.
    #[error("`{id}` is neither a run folder nor a run id under `{}` (see `nethical runs`)", .runs_dir.display())]
    UnknownRun {
        /// The argument.
        id: String,
        /// The runs folder searched.
        runs_dir: PathBuf,
    },
    /// A run id given to `compare` is a run of several pipelines.
    #[error(
        "run id `{id}` is in several pipelines: {}; give the folder",
        .folders.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousRun {
        /// The run id.
        id: String,
        /// The run folders it names.
        folders: Vec<PathBuf>,
    },
    /// An instance reads standard input but would run as a Slurm job.
    #[error(
        "instance `{id}` reads standard input (`path = \"-\"`), which a Slurm job does not have; run it with --executor local"
    )]
    StdinOnSlurm {
        /// The instance.
        id: String,
    },
    /// `-j` is over the limit for local threads.
    #[error(
        "-j {jobs} is over the limit for local threads, 4 × {cores} cores = {}; pass --jobs-unchecked to use more (on Slurm, -j caps jobs in flight and has no such limit)",
        4 * .cores
    )]
    TooManyJobs {
        /// The jobs asked for.
        jobs: usize,
        /// The machine's cores.
        cores: usize,
    },
    /// The manifest file is larger than the default limit, which it cannot raise for itself.
    #[error(
        "manifest `{}` is {size} bytes, which exceeds limit `max_manifest_bytes` = {max} (a manifest cannot raise it for itself)",
        .path.display()
    )]
    ManifestTooLarge {
        /// The manifest.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// `predict --model` is not UTF-8 text.
    #[error("`{}` is not UTF-8", .path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Where the first invalid byte is.
        #[source]
        source: std::string::FromUtf8Error,
    },
    /// `--delimiter` is not one ASCII character.
    #[error("delimiter `{0}` is not one ASCII character")]
    Delimiter(char),
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
            (InputError::File { path: "m.json".into(), source: Box::new(io()) }, "m.json: gone"),
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
        let refusals = [
            (InputError::KeyExists { path: "k".into() }, "`k` exists; not overwriting a key"),
            (
                InputError::LogLine { line: 3, path: "events.jsonl".into(), problem: "is torn".into() },
                "line 3 of `events.jsonl` is torn",
            ),
            (InputError::NoEvent { index: 9 }, "no event 9"),
            (InputError::TreeTooLarge { size: 5, events: 4 }, "tree size 5 is larger than the log (4 events)"),
            (InputError::NoRuns { pipeline: "p".into(), root: "runs".into() }, "no runs of pipeline `p` in `runs`"),
            (
                InputError::UnknownRun { id: "r1".into(), runs_dir: "runs".into() },
                "`r1` is neither a run folder nor a run id under `runs` (see `nethical runs`)",
            ),
            (
                InputError::AmbiguousRun { id: "r1".into(), folders: vec!["runs/a/r1".into(), "runs/b/r1".into()] },
                "run id `r1` is in several pipelines: `runs/a/r1`, `runs/b/r1`; give the folder",
            ),
            (
                InputError::StdinOnSlurm { id: "load".into() },
                "instance `load` reads standard input (`path = \"-\"`), which a Slurm job does not have; run it with --executor local",
            ),
            (
                InputError::TooManyJobs { jobs: 9, cores: 2 },
                "-j 9 is over the limit for local threads, 4 × 2 cores = 8; pass --jobs-unchecked to use more (on Slurm, -j caps jobs in flight and has no such limit)",
            ),
            (
                InputError::ManifestTooLarge { path: "m.toml".into(), size: 9, max: 8 },
                "manifest `m.toml` is 9 bytes, which exceeds limit `max_manifest_bytes` = 8 (a manifest cannot raise it for itself)",
            ),
            (InputError::Delimiter('é'), "delimiter `é` is not one ASCII character"),
        ];
        for (e, want) in cases.into_iter().chain(refusals) {
            assert_eq!(rendered(e), (want.to_owned(), crate::exit_code::INVALID_INPUT));
        }
    }
}
