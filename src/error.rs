//! The library's top-level error and its exit code.

use std::path::PathBuf;

use crate::exit_code;
pub use crate::input_error::InputError;
use crate::manifest::{ManifestErrors, OverrideSyntaxError};

/// Why a command failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The manifest is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] ManifestErrors),
    /// The manifest file could not be read.
    #[error("cannot read manifest `{path}`")]
    ReadManifest {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The manifest file is not UTF-8 text.
    #[error("manifest `{}` is not UTF-8 text: invalid byte at line {line}, column {column}", path.display())]
    ManifestNotUtf8 {
        /// The path given.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in bytes) of the first invalid byte.
        column: usize,
    },
    /// A `--set` argument is malformed.
    #[error(transparent)]
    Override(#[from] OverrideSyntaxError),

    #[error(transparent)]
    Environment(#[from] crate::manifest::BadVariable),
    /// `nethical train`'s flags make no pipeline (its manifest's own errors are `Manifest`).
    #[error(transparent)]
    TrainFlags(crate::manifest::from_train_flags::TrainFlagsError),
    /// `gc` was pointed at a runs folder or a run that is not there.
    #[error(transparent)]
    Gc(#[from] crate::exec::GcInputError),
    /// An input the command was given (a flag, an environment variable, a file it names)
    /// cannot be used.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A stage instance failed; the run summary says which.
    #[error("{0}")]
    StageFailed(String),
    /// The run was interrupted.
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// Another run of the pipeline holds its lock.
    #[error("{0}")]
    Busy(String),
    /// A file-system operation failed.
    #[error("cannot {action} `{path}`")]
    Io {
        /// What was being done ("write", "create folder", ...).
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The audit signing key (`NETHICAL_AUDIT_KEY`) cannot be used.
    #[error("cannot use the audit signing key `{}` (NETHICAL_AUDIT_KEY)", .path.display())]
    AuditKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::audit::KeyError,
    },
    /// The audit log's trust policy refuses the run (see [`crate::trail::Trust`]).
    #[error(transparent)]
    AuditPolicy(#[from] crate::trail::TrustError),
    /// A run or plan target names no stage or instance.
    #[error(transparent)]
    Target(#[from] crate::plan::UnknownTarget),
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The generated manifest's errors render as a file's do: with the offending line.
impl From<crate::manifest::from_train_flags::TrainFlagsError> for Error {
    fn from(e: crate::manifest::from_train_flags::TrainFlagsError) -> Self {
        match e {
            crate::manifest::from_train_flags::TrainFlagsError::Manifest(m) => Error::Manifest(m),
            other => Error::TrainFlags(other),
        }
    }
}

impl Error {
    /// The documented exit code for this error (see [`crate::exit_code`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Manifest(_)
            | Error::ReadManifest { .. }
            | Error::Override(_)
            | Error::Environment(_)
            | Error::ManifestNotUtf8 { .. }
            | Error::Input(_)
            | Error::TrainFlags(_)
            | Error::Gc(_)
            | Error::Target(_)
            | Error::AuditKey { .. } => exit_code::INVALID_INPUT,
            // The log folder could not be read: the file system, not the input.
            Error::AuditPolicy(crate::trail::TrustError::Io { .. }) => exit_code::INTERNAL,
            Error::AuditPolicy(_) => exit_code::INVALID_INPUT,
            Error::StageFailed(_) => exit_code::STAGE_FAILED,
            Error::Interrupted(_) => exit_code::INTERRUPTED,
            Error::Busy(_) => exit_code::BUSY,
            Error::Io { .. } | Error::Internal(_) => exit_code::INTERNAL,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }
}
