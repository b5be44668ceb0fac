//! `<run>/audit/consistency.json`: the checkpoints before and after a run's append, and the
//! RFC 6962 consistency proof between them. Written by the audit stage; read back by `verify`,
//! which checks the proof, and by the report's run context, which shows the root.

use serde::{Deserialize, Serialize};

/// The record's name in a run folder's `audit/`.
pub const CONSISTENCY_FILE: &str = "consistency.json";

/// `consistency.json`. Fields are in alphabetical order so the file's bytes are those the
/// earlier `json!` writer produced; it had no `format_version`, and a version would change them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyRecord {
    /// The log's checkpoint before the append.
    pub from: TreeHead,
    /// The proof's hashes (hex), empty when the log was empty before.
    pub proof: Vec<String>,
    /// The log's checkpoint after the append.
    pub to: TreeHead,
}

/// A checkpoint's size and root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    /// The Merkle root (hex).
    pub root: String,
    /// The tree size.
    pub size: u64,
}
