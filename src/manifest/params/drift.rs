//! A `drift` stage's parameters: the reference cohort, thresholds and baseline run of the
//! ethical drift report (also a `phase3` stage's `drift` table).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::range_issue::{RangeIssue, issue};

/// Parameters of a `drift` stage: the ethical drift report across the cohorts of the `train`
/// stages it needs (add their `gate` and `load` stages to `needs` for gate violations and input
/// feature drift).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DriftParams {
    /// The cohort the others are compared with (default: the first, in plan order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A violation type's rate gap across cohorts above which it drifted (the original's 0.1).
    #[serde(default = "default_violation_type_threshold")]
    pub violation_type_threshold: f64,
    /// An average-risk gap across cohorts above which it drifted (the original's 0.2).
    #[serde(default = "default_risk_score_threshold")]
    pub risk_score_threshold: f64,
    /// PSI above which a variable drifted (METRICS.md: > 0.25 is significant).
    #[serde(default = "default_psi_threshold")]
    pub psi_threshold: f64,
    /// KS p-value at or below which a variable drifted.
    #[serde(default = "default_ks_pvalue")]
    pub ks_pvalue: f64,
    /// An earlier run of this pipeline to compare with (its run id, or `latest` for the last
    /// complete run): each cohort is compared with its namesake there (or with
    /// `baseline_cohort`), on top of the comparisons within this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_run: Option<String>,
    /// The baseline run's cohort every cohort is compared with (default: the same name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_cohort: Option<String>,
}

impl Default for DriftParams {
    fn default() -> Self {
        Self {
            reference: None,
            violation_type_threshold: default_violation_type_threshold(),
            risk_score_threshold: default_risk_score_threshold(),
            psi_threshold: default_psi_threshold(),
            ks_pvalue: default_ks_pvalue(),
            baseline_run: None,
            baseline_cohort: None,
        }
    }
}

impl DriftParams {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        for (key, v) in [
            ("violation_type_threshold", self.violation_type_threshold),
            ("risk_score_threshold", self.risk_score_threshold),
            ("ks_pvalue", self.ks_pvalue),
        ] {
            if !(0.0..=1.0).contains(&v) {
                out.push(issue(&[key], "a number between 0 and 1"));
            }
        }
        if !(self.psi_threshold.is_finite() && self.psi_threshold >= 0.0) {
            out.push(issue(&["psi_threshold"], "a number >= 0"));
        }
        if let Some(run) = &self.baseline_run
            && !is_run_name(run)
        {
            out.push(issue(&["baseline_run"], "a run id (a folder name under `runs/<pipeline>/`) or `latest`"));
        }
        if self.baseline_cohort.is_some() && self.baseline_run.is_none() {
            out.push(issue(&["baseline_cohort"], "left out unless `baseline_run` is set"));
        }
        out
    }
}

/// A run folder's name: one path component, no dots-only names, no hidden folders, so a
/// baseline can never point outside the pipeline's runs.
fn is_run_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn default_violation_type_threshold() -> f64 {
    0.1
}

fn default_risk_score_threshold() -> f64 {
    0.2
}

fn default_psi_threshold() -> f64 {
    0.25
}

fn default_ks_pvalue() -> f64 {
    0.05
}

impl super::KindParams for DriftParams {
    const FAN_IN: bool = true;
    const COMPARES_COHORTS: bool = true;

    fn range_issues(&self) -> Vec<RangeIssue> {
        DriftParams::range_issues(self)
    }

    /// The baseline run's files it compares with.
    fn external_inputs(&self, at: &super::ExternalAt<'_>) -> Vec<(String, std::path::PathBuf)> {
        at.state_dir.map(|s| super::state_files::baseline_files(s, self)).unwrap_or_default()
    }
}
