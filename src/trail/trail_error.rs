//! Why the audit trail could not be read, appended to or proven.

use std::path::{Path, PathBuf};

/// Why the audit trail could not be read, appended to or proven.
#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    /// A file could not be read or written.
    #[error("cannot {what} `{}`", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The log already on disk does not verify, so nothing is appended to it.
    #[error("the audit log does not verify: {0}")]
    Broken(String),
    /// A checkpoint file could not be parsed.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// An event could not be written as canonical JSON.
    #[error("event is not canonical JSON")]
    Canonical(#[from] crate::audit::CanonicalJsonError),
    /// A proof could not be built.
    #[error(transparent)]
    Proof(#[from] crate::audit::ProofError),
    /// The signing key could not be used.
    #[error("audit signing key: {0}")]
    Key(String),
    /// The log's trust policy refuses the append.
    #[error(transparent)]
    Trust(#[from] super::TrustError),
    /// An artifact the events describe is missing or malformed.
    #[error("{0}")]
    Artifact(String),
}

impl TrailError {
    /// Names the file a checkpoint error is about.
    pub(crate) fn at(self, path: &Path) -> Self {
        match self {
            Self::Checkpoint(e) => Self::Checkpoint(format!("`{}`: {e}", path.display())),
            other => other,
        }
    }
}
