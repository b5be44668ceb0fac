//! `<run>/audit/seal.json`: where a run's events are in the log, which log, and whether the
//! run signed its checkpoint. Written by the audit stage, read back by `verify`, which checks
//! every field against the log (the file itself is not in the log: it describes the append).

use serde::{Deserialize, Serialize};

/// The seal record's name in a run folder's `audit/`.
pub const SEAL_FILE: &str = "seal.json";

/// `seal.json`. Fields are in alphabetical order so the file's bytes are those the earlier
/// `json!` writer produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealRecord {
    /// The audit instance that sealed the run.
    pub audit_instance: String,
    /// Lines the run appended (recovery and policy events included).
    pub events: u64,
    /// The seq of the first of them.
    pub first_event: u64,
    /// 1.
    pub format_version: u32,
    /// The log folder relative to the run folder (`../audit` unless `--audit-path` moved it).
    pub log: String,
    /// The log's origin.
    pub origin: String,
    /// How many of the lines were recovery events (`log_repaired`, `log_recovered`), first.
    pub recovery_events: u64,
    /// The run that appended the events. A later run that computed nothing reuses this record
    /// (its audit instance is cached), so it names the earlier run; absent in records written
    /// before runs were named here, where the run is the folder's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// Whether the run signed its checkpoint.
    pub signed: bool,
}
