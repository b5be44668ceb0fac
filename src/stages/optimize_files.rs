//! The files of `optimize` that other code reads back: `gate.json` (read by the `report`
//! stage and `nethical optimize`) and `candidates.json` (read by `nethical optimize`).
//!
//! These files had no `format_version` before they were typed; they are version 0, written
//! by leaving the field out, so their bytes are what they were, and a reader refuses a later
//! version. They are written through a `Value`, so their keys stay sorted.

use serde::{Deserialize, Serialize};

use super::StageError;
use crate::manifest::optimize_params::LatencyMode;
use crate::optimize::{Config, GateDecision, Technique};

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

/// `optimize/<name>/candidates.json`: the search's settings, the baseline and every
/// configuration ranked, best first.
///
/// Generic over a measured configuration's figures, `M`: the stage writes its own measurement
/// (whose floats may be NaN, which JSON writes as `null`), and a reader names the figures it
/// uses as [`MeasuredFigures`], each an `Option` so a NaN reads as `None`
/// ([`CandidatesSummary`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidatesFile<M> {
    /// [`OPTIMIZE_FILES_FORMAT`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub format_version: u32,
    /// The search technique.
    pub technique: Technique,
    /// The objective's name.
    pub objective: String,
    /// The model type searched.
    pub model: String,
    /// Configurations evaluated.
    pub evaluations: usize,
    /// The grid's size, for a grid search whose space is valid.
    pub grid_size: Option<usize>,
    /// How latency was measured.
    pub latency: LatencyMode,
    /// Nanoseconds charged per operation by the deterministic latency estimate.
    pub ns_per_op: f64,
    /// The review labels file, when one was given.
    pub review_labels: Option<String>,
    /// What the best configuration is gated against.
    pub baseline: BaselineRecord<M>,
    /// Best first.
    pub candidates: Vec<RankedCandidate<M>>,
}

/// What a reader of `candidates.json` takes from it: the measured figures as `Option`s.
pub type CandidatesSummary = CandidatesFile<MeasuredFigures>;

/// The baseline of [`CandidatesFile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRecord<M> {
    /// A config id, or `cohort:<name>` for a trained cohort's model.
    pub config_id: String,
    /// Its parameters (empty for a trained cohort's model).
    pub config: Config,
    /// What it measured.
    pub metrics: M,
}

/// One ranked configuration of [`CandidatesFile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedCandidate<M> {
    /// 1 for the best.
    pub rank: usize,
    /// Its config id.
    pub config_id: String,
    /// The search generation that evaluated it.
    pub generation: usize,
    /// Its parameters.
    pub config: Config,
    /// What it measured, or why it could not be (`null` when it was not run).
    pub outcome: Option<CandidateOutcome<M>>,
}

/// A candidate's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CandidateOutcome<M> {
    /// Measured.
    Measured {
        /// The figures.
        metrics: M,
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

impl<M: Serialize> CandidatesFile<M> {
    /// The file's bytes.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, StageError> {
        super::json_bytes(&serde_json::to_value(self)?)
    }
}

impl<M: serde::de::DeserializeOwned> CandidatesFile<M> {
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

    /// The figures of a measurement as the stage writes them: plain floats, NaN included.
    #[derive(Serialize)]
    struct Written {
        fitness: WrittenFitness,
        recall: f64,
        precision: Option<f64>,
        fp_rate: f64,
        latency_ms: f64,
    }

    #[derive(Serialize)]
    struct WrittenFitness {
        value: f64,
    }

    fn written(value: f64, recall: f64) -> Written {
        Written { fitness: WrittenFitness { value }, recall, precision: None, fp_rate: 0.1, latency_ms: 0.04 }
    }

    #[test]
    fn candidates_read_back_through_the_writers_type_with_nan_as_none() -> Result<(), StageError> {
        let (baseline, nan, measured) = (written(0.5, 0.8), written(f64::NAN, f64::NAN), written(0.7, 0.9));
        let config = |lr: f64| Config::from([("learning_rate".to_owned(), crate::optimize::ParamValue::Float(lr))]);
        let candidate = |rank: usize, id: &str, outcome| RankedCandidate {
            rank,
            config_id: id.to_owned(),
            generation: 0,
            config: config(0.1 * rank as f64),
            outcome,
        };
        let file = CandidatesFile {
            format_version: OPTIMIZE_FILES_FORMAT,
            technique: Technique::GridSearch,
            objective: "fitness".to_owned(),
            model: "logistic".to_owned(),
            evaluations: 3,
            grid_size: Some(3),
            latency: LatencyMode::Deterministic,
            ns_per_op: 1.0,
            review_labels: None,
            baseline: BaselineRecord { config_id: "cohort:a".to_owned(), config: Config::new(), metrics: &baseline },
            candidates: vec![
                candidate(1, "b", Some(CandidateOutcome::Measured { metrics: &measured })),
                candidate(2, "a", Some(CandidateOutcome::Measured { metrics: &nan })),
                candidate(3, "c", Some(CandidateOutcome::Failed { error: "diverged".to_owned() })),
            ],
        };
        let bytes = file.to_bytes()?;
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("format_version"), "version 0 is written by leaving it out: {text}");
        let read = CandidatesSummary::from_bytes(&bytes, "`candidates.json`")?;
        assert_eq!((read.evaluations, read.grid_size, read.technique), (3, Some(3), Technique::GridSearch));
        assert_eq!(read.baseline.metrics.recall, Some(0.8));
        assert_eq!(read.candidates.iter().map(|c| c.config_id.as_str()).collect::<Vec<_>>(), ["b", "a", "c"]);
        assert_eq!(read.candidates[0].config, config(0.1));
        assert!(
            matches!(&read.candidates[1].outcome, Some(CandidateOutcome::Measured { metrics }) if metrics.fitness.value.is_none() && metrics.recall.is_none())
        );
        assert!(matches!(&read.candidates[2].outcome, Some(CandidateOutcome::Failed { error }) if error == "diverged"));
        Ok(())
    }
}
