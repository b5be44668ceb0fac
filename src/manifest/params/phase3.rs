//! A `phase3` stage's parameters: the storage folder, its drift report's settings, the
//! fairness sample, the CPU target and whether the history carries across runs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::DriftParams;
use super::range_issue::{RangeIssue, issue};

/// Parameters of a `phase3` stage: Phase 3 governance (risk engine, correlation engine,
/// fairness sampler, ethical drift reporter, performance optimizer) over the cohorts of the
/// `train` stages it needs (add their `gate` and `load` stages for violations, input drift and
/// error slices).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase3Params {
    /// Folder of the Phase 3 storage layout in the run folder (`--phase3-storage-dir`);
    /// default: the stage's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_dir: Option<String>,
    /// The ethical drift report's reference cohort, thresholds and baseline run.
    #[serde(default)]
    pub drift: DriftParams,
    /// Rows drawn by the fairness sampling job, stratified by cohort and group.
    #[serde(default = "default_fairness_sample_size")]
    pub fairness_sample_size: u64,
    /// CPU reduction the performance optimizer's risk gating aims for, in percent of an
    /// ungated pass (the original's 30).
    #[serde(default = "default_target_cpu_reduction_pct")]
    pub target_cpu_reduction_pct: f64,
    /// Carry risk profiles and accuracies across runs of this pipeline (scores decay with a
    /// 24 h half-life; metrics moving together across runs are reported).
    #[serde(default = "default_history")]
    pub history: bool,
}

/// Every key at the default a manifest gets when it leaves the key out, for stages built in
/// code.
impl Default for Phase3Params {
    fn default() -> Self {
        Self {
            storage_dir: None,
            drift: DriftParams::default(),
            fairness_sample_size: default_fairness_sample_size(),
            target_cpu_reduction_pct: default_target_cpu_reduction_pct(),
            history: default_history(),
        }
    }
}

impl Phase3Params {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out: Vec<RangeIssue> = self
            .drift
            .range_issues()
            .into_iter()
            .map(|mut i| {
                i.key.insert(0, "drift");
                i
            })
            .collect();
        if let Some(dir) = &self.storage_dir
            && crate::store::RelPath::new(dir).is_err()
        {
            out.push(issue(&["storage_dir"], "a relative path inside the run folder (no `..`, not absolute)"));
        }
        if self.fairness_sample_size == 0 {
            out.push(issue(&["fairness_sample_size"], "at least 1"));
        }
        if !(0.0..=100.0).contains(&self.target_cpu_reduction_pct) {
            out.push(issue(&["target_cpu_reduction_pct"], "a percentage between 0 and 100"));
        }
        out
    }
}

fn default_fairness_sample_size() -> u64 {
    1000
}

fn default_target_cpu_reduction_pct() -> f64 {
    30.0
}

fn default_history() -> bool {
    true
}

impl super::KindParams for Phase3Params {
    const FAN_IN: bool = true;
    const COMPARES_COHORTS: bool = true;

    fn range_issues(&self) -> Vec<RangeIssue> {
        Phase3Params::range_issues(self)
    }

    /// Its drift report's baseline run, and the history the previous run kept.
    fn external_inputs(&self, at: &super::ExternalAt<'_>) -> Vec<(String, std::path::PathBuf)> {
        let Some(state) = at.state_dir else { return Vec::new() };
        let mut out = super::state_files::baseline_files(state, &self.drift);
        if self.history {
            let path = super::history_path(state, at.instance);
            out.push((path.display().to_string(), path));
        }
        out
    }
}
