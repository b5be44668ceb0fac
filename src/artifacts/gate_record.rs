//! `gate.json`: the `gate` stage's decision on a cohort's model, read back by the report, the
//! fan-in stages' cohorts (also from an earlier run's folder), the audit events, `nethical
//! train` and the experiments table. Written in declaration order (not through a `Value`).

use serde::{Deserialize, Serialize};

use super::{ArtifactFile, GateCriterion};

/// A recorded violation (the original's drift-tracker contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// `calibration_error` or `low_accuracy` (the original's), `low_roc_auc`,
    /// `low_accuracy_lift`, `demographic_parity` or `equalized_odds`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `high` or `medium`.
    pub severity: String,
}

impl Violation {
    /// A violation of `kind`, `high` or `medium` severity.
    pub fn new(kind: &str, high: bool) -> Self {
        Self { kind: kind.to_owned(), severity: if high { "high" } else { "medium" }.to_owned() }
    }
}

/// The version of [`GateRecord`] this build writes and reads.
pub const GATE_FORMAT: u32 = 1;

/// `gate.json`, written by the gate and read back through this type by the report, the
/// fan-in stages' cohorts (also from an earlier run's folder) and the audit events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRecord {
    /// [`GATE_FORMAT`].
    pub format_version: u32,
    pub cohort: String,
    pub model_type: String,
    /// The `train` instance.
    pub trained_by: String,
    /// The ECE policy.
    pub policy: String,
    /// The original's condition text (`Accuracy >= 0.850 AND ECE <= 0.080`), with the
    /// optional criteria appended when they are set.
    pub conditions: String,
    pub criteria: Vec<GateCriterion>,
    /// The share of the validation rows in their most frequent class, which the accuracy is
    /// read against (absent in records written before it existed).
    #[serde(default)]
    pub majority_class_rate: Option<f64>,
    pub promoted: bool,
    /// `PASS` or `FAIL`.
    pub decision: String,
    pub violations: Vec<Violation>,
    /// Where the model was copied.
    pub destination: String,
    /// The run clock.
    pub decided_at: String,
}

impl ArtifactFile for GateRecord {
    const FILE_NAME: &'static str = "gate.json";
    const FORMAT: u32 = GATE_FORMAT;

    fn format_version(&self) -> u32 {
        self.format_version
    }
}
