//! Why an instance did not end with its outputs, kept typed (with its sources) from the stage,
//! the cache or the Slurm executor up to the scheduler, which flattens it once with
//! [`error_chain`](crate::error_chain::error_chain) into `run.json`'s `error` or a Slurm status
//! file, both strings on the wire. A leaf, so the executors and failpoints share it without
//! importing the scheduler.

use std::path::PathBuf;

use crate::stages::StageError;

/// An instance's failure.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InstanceError {
    /// The run was interrupted before or while it computed.
    #[error("cancelled")]
    Cancelled,
    /// A failpoint injected an error (tests).
    #[error("failpoint: injected error")]
    Injected,
    /// The stage failed.
    #[error(transparent)]
    Stage(Box<StageError>),
    /// The cache could not make a staging area for its outputs.
    #[error("cannot stage outputs in `{}`", dir.display())]
    Staging {
        /// The cache's folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The cache could not take its outputs.
    #[error("cannot store outputs in the cache")]
    Store(#[source] std::io::Error),
    /// Its outputs could not be placed into the run folder.
    #[error(transparent)]
    Publish(Box<crate::error::Error>),
    /// It panicked, with this message.
    #[error("panicked: {0}")]
    Panicked(String),
    /// The Slurm executor found it failed: what a job's status file (a string on the wire)
    /// or the submission said, with where to look.
    #[error("{0}")]
    Job(String),
}

impl InstanceError {
    /// The failure as a diagnostic that shows where it is in a file, when the stage's error
    /// has one; the Slurm executor's failures are text and have none.
    pub(crate) fn diagnostic(&self) -> Option<&(dyn miette::Diagnostic + Send + Sync + 'static)> {
        match self {
            InstanceError::Stage(e) => e.diagnostic(),
            _ => None,
        }
    }
}
