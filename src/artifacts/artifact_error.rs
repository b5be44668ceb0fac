//! Why an artifact cannot be read back.

/// An artifact that is not what this build writes.
///
/// The messages name the file and carry serde's reason in one line, as the stages' errors
/// always showed them; serde's error is kept, not chained as a source, so a renderer that
/// walks the sources does not repeat it.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// Not JSON, or a field missing, renamed or of the wrong type.
    #[error("{what} is not readable: {error}")]
    Unreadable {
        /// The file, e.g. "`metrics.json` of `train[model=logistic]`".
        what: String,
        /// serde's reason, naming the field.
        error: serde_json::Error,
    },
    /// Written by another version of nethical.
    #[error("{what} has format_version {found}; this nethical reads {reads}")]
    Format {
        /// The file.
        what: String,
        /// Its `format_version`.
        found: u32,
        /// The version this build reads.
        reads: u32,
    },
}
