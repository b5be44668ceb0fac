//! What `nethical gc` leaves where it removed a run folder: `runs/<pipeline>/.gc/<run>.json`.
//! The audit log is never touched, so a removed run's events stay in it; `audit verify` reads
//! the tombstone to tell a folder gc removed from one that went missing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The tombstone format version.
pub const TOMBSTONE_FORMAT: u32 = 1;

/// A run folder removed by `gc`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Format version.
    pub format_version: u32,
    /// The run id.
    pub run_id: String,
    /// When it was removed (RFC 3339, UTC).
    pub removed_at: String,
    /// Why (`beyond --keep-last 3`, `older than 30d`).
    pub reason: String,
    /// Bytes its files took (apparent sizes; hard-linked files counted in full).
    pub bytes: u64,
}

impl Tombstone {
    /// Where the tombstone of `run_id` lives in its pipeline's folder.
    pub fn path(pipeline_dir: &Path, run_id: &str) -> PathBuf {
        pipeline_dir.join(".gc").join(format!("{run_id}.json"))
    }

    /// The tombstone of `run_id`, if gc removed it.
    pub fn read(pipeline_dir: &Path, run_id: &str) -> Option<Self> {
        let bytes = std::fs::read(Self::path(pipeline_dir, run_id)).ok()?;
        serde_json::from_slice::<Self>(&bytes).ok().filter(|t| t.format_version == TOMBSTONE_FORMAT)
    }
}
