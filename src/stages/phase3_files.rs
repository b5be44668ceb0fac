//! The files of `phase3` that other code reads back (`risk_profiles.json`, `correlations.json`,
//! the fairness job, `status.json`; `performance_timings.json` is
//! [`crate::governance::performance_optimizer::Timings`]), one type each for the writer and
//! its readers (the audit events, the `report` stage, `nethical phase3-status`).
//!
//! These files had no `format_version` before they were typed; they are version 0, which is
//! written by leaving the field out, so their bytes are what they were. A reader refuses a
//! later version. Each is written through a `Value`, so its keys stay sorted.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StageError;
use crate::governance::correlation_engine::Pattern;
use crate::governance::risk_engine::RiskProfile;

/// The version of the files of this module this build writes and reads.
pub(crate) const PHASE3_FILES_FORMAT: u32 = 0;

/// Whether a version is 0, which is written by leaving the field out.
#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's `skip_serializing_if` passes a reference")]
fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// Reads one of these files; `what` names it in the error.
pub(crate) fn from_bytes<T: DeserializeOwned + Versioned>(bytes: &[u8], what: &str) -> Result<T, StageError> {
    let file: T =
        serde_json::from_slice(bytes).map_err(|e| StageError::MissingInput(format!("{what} is not readable: {e}")))?;
    if file.format_version() > PHASE3_FILES_FORMAT {
        return Err(StageError::MissingInput(format!(
            "{what} has format version {}; this build reads up to {PHASE3_FILES_FORMAT}",
            file.format_version()
        )));
    }
    Ok(file)
}

/// The bytes of one of these files: through a `Value`, so keys are sorted as they always were.
pub(crate) fn to_bytes(file: &impl Serialize) -> Result<Vec<u8>, StageError> {
    super::json_bytes(&serde_json::to_value(file)?)
}

/// A file with a `format_version`.
pub(crate) trait Versioned {
    /// Its `format_version`.
    fn format_version(&self) -> u32;
}

macro_rules! versioned {
    ($($t:ty),*) => {$(
        impl Versioned for $t {
            fn format_version(&self) -> u32 {
                self.format_version
            }
        }
    )*};
}
versioned!(RiskProfilesFile, CorrelationsFile, FairnessJobFile, StatusFile);

/// `risk_profiles.json`: this run's cohorts' risk, with the weights that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RiskProfilesFile {
    /// [`PHASE3_FILES_FORMAT`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub format_version: u32,
    /// The run clock.
    pub generated_at: String,
    /// The risk components' weights.
    pub weights: RiskWeights,
    /// The carried score's half-life.
    pub half_life_hours: f64,
    /// The history file the profiles continued, when there was one.
    pub history: Option<String>,
    /// One per cohort of this run.
    pub profiles: Vec<CohortRisk>,
}

/// The weights of the risk components.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RiskWeights {
    pub error: f64,
    pub calibration: f64,
    pub violations: f64,
    pub drift: f64,
}

/// A cohort's risk profile and what the detectors its tier unlocked found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CohortRisk {
    /// The profile.
    #[serde(flatten)]
    pub profile: RiskProfile,
    /// Whether the score reached the tier of the costly detectors.
    pub advanced_detectors: bool,
    /// Detector → its findings, for the detectors that ran (`null` when none did).
    pub detections: Option<BTreeMap<String, Value>>,
}

/// `correlations.json`: the patterns found across cohorts (and runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CorrelationsFile {
    /// [`PHASE3_FILES_FORMAT`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub format_version: u32,
    /// The run clock.
    pub generated_at: String,
    /// The cohorts compared.
    pub cohorts: Vec<String>,
    /// Runs of the history the accuracy series span.
    pub runs_in_history: usize,
    /// The patterns.
    pub patterns: Vec<Pattern>,
}

/// `fairness_samples/<job_id>.json`: a stratified sample of validation rows. The rows, strata
/// and per-cohort figures are kept as written; what is read back is typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FairnessJobFile {
    /// [`PHASE3_FILES_FORMAT`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub format_version: u32,
    /// `job_<clock>_<nnnn>`.
    pub job_id: String,
    /// `stratified`.
    pub strategy: String,
    /// How the sample is shared among the strata.
    pub allocation: String,
    /// Rows asked for.
    pub target_sample_size: u64,
    /// The cohorts sampled.
    pub cohorts: Vec<String>,
    /// The run clock.
    pub start_time: String,
    /// The run clock.
    pub end_time: String,
    /// Each (cohort, group) stratum with its size and its share.
    pub strata: Value,
    /// The sampled rows.
    pub samples: Vec<Value>,
    /// Sampled rows by cohort.
    pub coverage: BTreeMap<String, u64>,
    /// The original's coverage figures.
    pub coverage_stats: CoverageStats,
    /// Each cohort's group column and fairness figures.
    pub fairness_metrics: BTreeMap<String, Value>,
    /// The seed.
    pub metadata: Value,
}

/// The fairness job's `coverage_stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CoverageStats {
    /// The job.
    pub job_id: String,
    /// Rows sampled.
    pub total_samples: u64,
    /// Rows asked for.
    pub target_samples: u64,
    /// `total_samples / target_samples` (0 without a target).
    pub completion_rate: f64,
    /// Cohort → its `count` and `percentage` of the sample.
    pub cohort_coverage: BTreeMap<String, Value>,
    /// Misclassified sampled rows by kind.
    pub violation_distribution: BTreeMap<String, u64>,
    /// Misclassified sampled rows by severity.
    pub severity_distribution: BTreeMap<String, u64>,
}

/// `status.json`: the original's `get_system_status()` components.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StatusFile {
    /// [`PHASE3_FILES_FORMAT`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub format_version: u32,
    /// The run clock.
    pub timestamp: String,
    /// The components.
    pub components: Components,
}

/// The components of [`StatusFile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Components {
    pub risk_engine: RiskEngineStatus,
    pub correlation_engine: CorrelationEngineStatus,
    pub fairness_sampler: FairnessSamplerStatus,
    pub ethical_drift_reporter: DriftReporterStatus,
    pub performance_optimizer: OptimizerStatus,
}

/// The risk engine's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RiskEngineStatus {
    /// Profiles held, carried ones included.
    pub active_profiles: usize,
    pub enabled: bool,
}

/// The correlation engine's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CorrelationEngineStatus {
    /// Distinct agents (model types) among the cohorts.
    pub tracked_agents: usize,
    pub enabled: bool,
}

/// The fairness sampler's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FairnessSamplerStatus {
    /// Jobs written by the instance.
    pub active_jobs: usize,
    pub enabled: bool,
}

/// The drift reporter's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DriftReporterStatus {
    /// Cohorts compared.
    pub tracked_cohorts: usize,
    pub enabled: bool,
}

/// The performance optimizer's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OptimizerStatus {
    pub enabled: bool,
    /// The file that holds the measured verdict (`performance_timings.json`): measured times
    /// differ between runs, so they stay out of this file.
    pub meeting_target: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_status_reads_and_writes_the_same_bytes_and_a_later_version_is_refused() -> Result<(), StageError> {
        let mut status = json!({
            "timestamp": "2026-01-01T00:00:00Z",
            "components": {
                "risk_engine": {"active_profiles": 2, "enabled": true},
                "correlation_engine": {"tracked_agents": 1, "enabled": true},
                "fairness_sampler": {"active_jobs": 1, "enabled": true},
                "ethical_drift_reporter": {"tracked_cohorts": 2, "enabled": true},
                "performance_optimizer": {"enabled": true, "meeting_target": "performance_timings.json"},
            },
        });
        let bytes = super::super::json_bytes(&status)?;
        let read: StatusFile = from_bytes(&bytes, "`status.json`")?;
        assert_eq!(read.format_version, 0);
        assert_eq!(to_bytes(&read)?, bytes);
        status["format_version"] = json!(1);
        let later = from_bytes::<StatusFile>(&serde_json::to_vec(&status).unwrap_or_default(), "`status.json`");
        assert!(later.is_err_and(|e| e.to_string().contains("`status.json` has format version 1")));
        Ok(())
    }
}
