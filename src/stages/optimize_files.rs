//! The files of `optimize` that other code reads back: `gate.json` (read by the `report`
//! stage and `nethical optimize`) and what `nethical optimize` reads of `candidates.json`.
//!
//! These files had no `format_version` before they were typed; they are version 0, written
//! by leaving the field out, so their bytes are what they were, and a reader refuses a later
//! version. They are written through a `Value`, so their keys stay sorted.

use serde::{Deserialize, Serialize};

use super::StageError;
use crate::optimize::GateDecision;

/// The version of the files of this module this build writes and reads.
pub(crate) const OPTIMIZE_FILES_FORMAT: u32 = 0;

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's `skip_serializing_if` passes a reference")]
fn is_zero(v: &u32) -> bool {
    *v == 0
}

fn check(format_version: u32, what: &str) -> Result<(), StageError> {
    if format_version > OPTIMIZE_FILES_FORMAT {
        return Err(StageError::MissingInput(format!(
            "{what} has format version {format_version}; this build reads up to {OPTIMIZE_FILES_FORMAT}"
        )));
    }
    Ok(())
}

/// `optimize/<name>/gate.json`: the best candidate against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizeGateFile {
    /// [`OPTIMIZE_FILES_FORMAT`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub format_version: u32,
    /// The best candidate's config id.
    pub candidate: String,
    /// The baseline's id (a config id, or `cohort:<name>`).
    pub baseline: String,
    /// Whether the candidate is promoted.
    pub passed: bool,
    /// `PASSED` or `FAILED`.
    pub decision: String,
    /// The criteria in the original's order.
    pub criteria: Vec<CriterionRecord>,
    /// Their reason texts.
    pub reasons: Vec<String>,
    /// The criteria not evaluated for lack of data.
    pub not_evaluated: Vec<String>,
    /// Where the promoted model was saved (`null` when it was not).
    pub destination: Option<String>,
}

/// One criterion of [`OptimizeGateFile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionRecord {
    /// `sample_size`, `recall_gain`, ...
    pub name: String,
    /// Passed, failed, or `null` when not evaluated.
    pub passed: Option<bool>,
    /// The value compared.
    pub value: Option<f64>,
    /// The threshold.
    pub threshold: f64,
    /// The original's reason text.
    pub reason: String,
}

impl OptimizeGateFile {
    /// The file of `decision` on `candidate` against `baseline`.
    pub(crate) fn new(candidate: &str, baseline: &str, decision: &GateDecision, destination: Option<String>) -> Self {
        Self {
            format_version: OPTIMIZE_FILES_FORMAT,
            candidate: candidate.to_owned(),
            baseline: baseline.to_owned(),
            passed: decision.passed,
            decision: if decision.passed { "PASSED" } else { "FAILED" }.to_owned(),
            criteria: decision
                .criteria
                .iter()
                .map(|c| CriterionRecord {
                    name: c.name.to_owned(),
                    passed: c.passed,
                    value: c.value,
                    threshold: c.threshold,
                    reason: c.reason.clone(),
                })
                .collect(),
            reasons: decision.reasons().into_iter().map(str::to_owned).collect(),
            not_evaluated: decision.not_evaluated().into_iter().map(str::to_owned).collect(),
            destination,
        }
    }

    /// Reads a `gate.json` of `optimize`; `what` names the file in the error.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self, StageError> {
        let file: Self = serde_json::from_slice(bytes)
            .map_err(|e| StageError::MissingInput(format!("{what} is not readable: {e}")))?;
        check(file.format_version, what)?;
        Ok(file)
    }

    /// The file's bytes.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, StageError> {
        super::json_bytes(&serde_json::to_value(self)?)
    }
}

/// What is read back of `optimize/<name>/candidates.json`: the count and the ranked
/// candidates' headline figures. The writer builds the file from the search's own types
/// (whose fitness may be NaN, written as `null`), so this reader names only the fields it
/// uses, each typed, a figure that was NaN reading as `None`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CandidatesSummary {
    /// [`OPTIMIZE_FILES_FORMAT`].
    #[serde(default)]
    pub format_version: u32,
    /// Configurations evaluated.
    pub evaluations: u64,
    /// Best first.
    pub candidates: Vec<RankedCandidate>,
}

/// One ranked candidate of [`CandidatesSummary`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RankedCandidate {
    /// Its config id.
    pub config_id: String,
    /// What it measured, or why it could not be (`null` when it was not run).
    pub outcome: Option<CandidateOutcome>,
}

/// A candidate's outcome.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum CandidateOutcome {
    /// Measured.
    Measured {
        /// The figures.
        metrics: MeasuredFigures,
    },
    /// Why it could not be measured.
    Failed {
        /// The error.
        error: String,
    },
}

/// The headline figures of a measured candidate.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MeasuredFigures {
    /// The fitness.
    pub fitness: FitnessFigure,
    /// `null` when NaN.
    pub recall: Option<f64>,
    pub precision: Option<f64>,
    /// `null` when NaN.
    pub fp_rate: Option<f64>,
}

/// A candidate's fitness.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FitnessFigure {
    /// `null` when NaN.
    pub value: Option<f64>,
}

impl CandidatesSummary {
    /// Reads a `candidates.json` of `optimize`; `what` names the file in the error.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self, StageError> {
        let file: Self = serde_json::from_slice(bytes)
            .map_err(|e| StageError::MissingInput(format!("{what} is not readable: {e}")))?;
        check(file.format_version, what)?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn gate() -> serde_json::Value {
        json!({
            "candidate": "cfg_1",
            "baseline": "cohort:a",
            "passed": false,
            "decision": "FAILED",
            "criteria": [{"name": "recall_gain", "passed": false, "value": 0.01, "threshold": 0.03, "reason": "✗ gain"}],
            "reasons": ["✗ gain"],
            "not_evaluated": [],
            "destination": null,
        })
    }

    #[test]
    fn a_gate_reads_and_writes_the_same_bytes() -> Result<(), StageError> {
        let bytes = super::super::json_bytes(&gate())?;
        let read = OptimizeGateFile::from_bytes(&bytes, "`gate.json`")?;
        assert_eq!((read.format_version, read.criteria[0].passed), (0, Some(false)));
        assert_eq!(read.to_bytes()?, bytes);
        Ok(())
    }

    #[test]
    fn a_renamed_field_or_a_later_version_is_refused_naming_the_file() {
        let mut renamed = gate();
        renamed["verdict"] = renamed["decision"].take();
        if let Some(fields) = renamed.as_object_mut() {
            fields.remove("decision");
        }
        let e = OptimizeGateFile::from_bytes(renamed.to_string().as_bytes(), "`gate.json`");
        assert!(e.is_err_and(|e| e.to_string().contains("`gate.json` is not readable: missing field `decision`")));
        let mut later = gate();
        later["format_version"] = json!(1);
        let e = OptimizeGateFile::from_bytes(later.to_string().as_bytes(), "`gate.json`");
        assert!(e.is_err_and(|e| e.to_string().contains("format version 1")));
    }

    #[test]
    fn a_nan_figure_reads_as_none() -> Result<(), StageError> {
        let file = json!({
            "evaluations": 2,
            "candidates": [
                {"config_id": "a", "outcome": {"metrics": {"fitness": {"value": null}, "recall": null, "precision": null, "fp_rate": 0.1}}},
                {"config_id": "b", "outcome": {"error": "diverged"}},
            ],
        });
        let read = CandidatesSummary::from_bytes(file.to_string().as_bytes(), "`candidates.json`")?;
        assert!(
            matches!(&read.candidates[0].outcome, Some(CandidateOutcome::Measured { metrics }) if metrics.fitness.value.is_none())
        );
        assert!(matches!(&read.candidates[1].outcome, Some(CandidateOutcome::Failed { .. })));
        Ok(())
    }
}
