//! The kinds of stage a manifest can declare.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a stage does. Every kind of the design is named here so that a manifest written for a
/// later version gets "not yet supported" rather than "unknown kind".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Load or generate a dataset and split it.
    Load,
    /// Fit one model on a loaded dataset and score its validation split.
    Train,
    /// Decide promotion of a trained model.
    Gate,
    /// Seal upstream events and artifacts into the Merkle audit log.
    Audit,
    /// Drift statistics across cohorts.
    Drift,
    /// Phase 3 governance across cohorts.
    Phase3,
    /// Configuration search (Phase 8–9).
    Optimize,
    /// Comparison report across cohorts.
    Report,
}

impl StageKind {
    /// Every kind, in the order they are listed to users.
    pub const ALL: [StageKind; 8] = [
        StageKind::Load,
        StageKind::Train,
        StageKind::Gate,
        StageKind::Audit,
        StageKind::Drift,
        StageKind::Phase3,
        StageKind::Optimize,
        StageKind::Report,
    ];

    /// The name used in manifests.
    pub fn name(self) -> &'static str {
        match self {
            StageKind::Load => "load",
            StageKind::Train => "train",
            StageKind::Gate => "gate",
            StageKind::Audit => "audit",
            StageKind::Drift => "drift",
            StageKind::Phase3 => "phase3",
            StageKind::Optimize => "optimize",
            StageKind::Report => "report",
        }
    }

    /// The version of the kind's code, part of every cache key: bump it when a change makes
    /// the kind write other outputs (other bytes or other files) for the same inputs, so that
    /// results cached by the earlier code are computed again instead of reused. The crate
    /// version is in the key too, but it changes only at a release.
    pub fn code_version(self) -> u32 {
        match self {
            // 2: the parts are `.npy` files (dataset.json format 2), not CSV.
            StageKind::Load => 2,
            // 2: the drift report records its `format_version`.
            StageKind::Drift | StageKind::Phase3 => 2,
            StageKind::Train | StageKind::Gate | StageKind::Audit | StageKind::Optimize | StageKind::Report => 1,
        }
    }

    /// Looks a kind up by its manifest name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether this version can run the kind. The others are rejected at validation time
    /// instead of running as stubs.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            StageKind::Load
                | StageKind::Train
                | StageKind::Gate
                | StageKind::Audit
                | StageKind::Drift
                | StageKind::Phase3
                | StageKind::Optimize
                | StageKind::Report
        )
    }

    /// A fan-in kind sees every instance of the stages it needs and runs once; the others run
    /// once per cohort, alongside the matrix instances they need.
    pub fn is_fan_in(self) -> bool {
        matches!(self, StageKind::Audit | StageKind::Drift | StageKind::Phase3 | StageKind::Report)
    }
}

impl std::fmt::Display for StageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
