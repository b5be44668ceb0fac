//! Why a `phase3` instance cannot read its accuracy history from the runs folder: the file is
//! damaged or from another format. The message tells the user how to recover.

/// A `history.json` in the runs folder that this nethical cannot read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The file does not parse as a history.
    #[error(
        "the history `{path}` is not valid ({reason}); delete it to start the history afresh, or restore it from an earlier run's `history.json`"
    )]
    Malformed {
        /// The file, as shown to the user.
        path: String,
        /// Why it does not parse; in the message's middle, so not a `source`.
        reason: serde_json::Error,
    },
    /// The file has another format version.
    #[error("the history `{path}` has format version {found}, this nethical reads {expected}")]
    Version {
        /// The file, as shown to the user.
        path: String,
        /// Its version.
        found: u32,
        /// The version this nethical reads.
        expected: u32,
    },
}
