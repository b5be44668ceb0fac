//! What a run did, instance by instance: `run.json`, the summary table and `--json`.
//!
//! Written by the runner (`exec`); read back by `gc`, `nethical runs` and the report's run
//! context, which is why it lives here and not beside the runner.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ArtifactFile;

/// The summary's name in a run folder.
pub const RUN_FILE: &str = "run.json";

/// How an instance ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    /// Computed in this run.
    Ran,
    /// Restored from the cache.
    Cached,
    /// Failed (error, panic, or a gate that fails the run).
    Failed,
    /// Not run because something it needs failed, or the run stopped.
    Skipped,
    /// Stopped by an interruption.
    Interrupted,
}

impl InstanceStatus {
    /// Whether its outputs exist.
    pub fn completed(self) -> bool {
        matches!(self, InstanceStatus::Ran | InstanceStatus::Cached)
    }

    /// The word shown in tables.
    pub fn word(self) -> &'static str {
        match self {
            InstanceStatus::Ran => "ran",
            InstanceStatus::Cached => "cached",
            InstanceStatus::Failed => "failed",
            InstanceStatus::Skipped => "skipped",
            InstanceStatus::Interrupted => "interrupted",
        }
    }
}

/// One instance's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceReport {
    /// Instance id.
    pub id: String,
    /// Stage kind.
    pub kind: String,
    /// Cohort.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohort: Option<String>,
    /// Outcome.
    pub status: InstanceStatus,
    /// Why it ran (from the plan), or why it was skipped.
    pub reason: String,
    /// The stage's one-line summary.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub summary: String,
    /// The error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its cache key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Output path → SHA-256.
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// What the stage warned about (a data guard's finding), computed or restored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Wall-clock seconds (not reproducible; lives only in `run.json`).
    pub seconds: f64,
}

/// How the whole run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every instance completed.
    Succeeded,
    /// At least one instance failed.
    Failed,
    /// Ctrl-C stopped it.
    Interrupted,
}

/// The git state of the manifest's repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    /// `HEAD`'s commit.
    pub commit: String,
    /// Whether tracked files differ from `HEAD`.
    pub dirty: bool,
}

/// `run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Format version of this file.
    pub format_version: u32,
    /// The run id (its folder's name).
    pub run_id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// How it ended.
    pub status: RunStatus,
    /// The manifest's path as given.
    pub manifest: String,
    /// SHA-256 of the resolved manifest.
    pub manifest_digest: String,
    /// The manifest repository's git state, when it is in one.
    pub git: Option<GitInfo>,
    /// The nethical version.
    pub tool_version: String,
    /// The pipeline seed.
    pub seed: u64,
    /// The run clock (fixed by `SOURCE_DATE_EPOCH`).
    pub started_at: String,
    /// Where instances computed: `local` or `slurm`.
    #[serde(default = "local")]
    pub executor: String,
    /// Worker threads (local), or instances in flight at most (Slurm).
    pub jobs: usize,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Every instance, in plan order.
    pub instances: Vec<InstanceReport>,
}

fn local() -> String {
    "local".to_owned()
}

impl ArtifactFile for RunSummary {
    const FILE_NAME: &'static str = RUN_FILE;
    const FORMAT: u32 = 1;

    fn format_version(&self) -> u32 {
        self.format_version
    }
}

impl RunSummary {
    /// Count of instances with a status.
    pub fn count(&self, status: InstanceStatus) -> usize {
        self.instances.iter().filter(|i| i.status == status).count()
    }
}
