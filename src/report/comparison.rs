//! The types of `comparison.json`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CohortProvenance, CrossValidation, FairnessSection, GateCriterion};
use crate::metrics::compare::{CohortIntervals, Comparison};

/// Format of `comparison.json`.
pub const FORMAT_VERSION: u32 = 1;

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComparisonReport {
    /// `1`.
    pub format_version: u32,
    /// The pipeline's name.
    pub pipeline: String,
    /// The pipeline's seed (a string: it may exceed what JSON numbers hold exactly).
    pub seed: String,
    /// The run clock.
    pub generated_at: String,
    /// Bootstrap resamples behind each interval.
    pub resamples: u32,
    /// Seed of the bootstrap (the report instance's seed).
    pub bootstrap_seed: String,
    /// One entry per cohort, in need order.
    pub cohorts: Vec<CohortReport>,
    /// Every pair of cohorts scored on the same validation rows (up to the report's
    /// `max_pairs`; beyond it, each cohort against the first).
    pub comparisons: Vec<PairReport>,
    /// Pairs on the same rows left untested because of `max_pairs` (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted_pairs: u64,
    /// Drift, Phase 3 and optimisation results, when those stages are among the needs.
    pub summaries: Vec<StageSummary>,
    /// With a `kfold` split: each configuration's mean ± sd over the folds and the corrected
    /// resampled t-tests between configurations (absent otherwise, and in older reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_validation: Option<CrossValidation>,
}

/// One cohort: what differs about it, its metrics with 95% intervals, its gate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortReport {
    /// The cohort.
    pub cohort: String,
    /// The `train` instance.
    pub instance: String,
    /// The model type.
    pub model_type: String,
    /// The `load` instance it trained on.
    pub data: String,
    /// The `train` parameters whose values differ between cohorts.
    pub params: BTreeMap<String, Value>,
    /// Confusion metrics, ECE, Brier score and log loss with bootstrap intervals, ROC-AUC with
    /// DeLong's.
    pub intervals: CohortIntervals,
    /// The reliability diagram's bins, from `metrics.json`.
    pub reliability: Value,
    /// The ROC curve as (FPR, TPR) points from (0, 0) to (1, 1), at most 101 of them (evenly
    /// spaced along the sorted scores; ties kept together).
    pub roc: Vec<[f64; 2]>,
    /// The gate's outcome, when the cohort's `gate` stage is among the needs.
    pub gate: Option<GateSummary>,
    /// The share of the validation rows in their most frequent class: the accuracy of always
    /// predicting it, beside which the accuracy is read (absent, read as `null`, in reports
    /// written before it existed).
    #[serde(default)]
    pub majority_class_rate: Option<f64>,
    /// Rates by group and the gaps between them, when the data has a group column (absent in
    /// reports written before it existed).
    #[serde(default)]
    pub fairness: Option<FairnessSection>,
    /// The data guards' findings on the rows it trained on (ID-like columns, possible label
    /// leaks, one class, fewer rows than features); empty, and absent in older reports, when
    /// there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_warnings: Vec<String>,
    /// Which data it was trained and validated on, and its `train` instance's cache key
    /// (absent in older reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<CohortProvenance>,
}

/// A gate's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateSummary {
    /// `PASS` or `FAIL`.
    pub decision: String,
    /// The criteria with their values and thresholds, from `gate.json`.
    pub criteria: Vec<GateCriterion>,
}

/// An A/B comparison of two cohorts on the same validation rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PairReport {
    /// Cohort A.
    pub a: String,
    /// Cohort B (differences are B − A).
    pub b: String,
    /// McNemar's exact test, paired bootstrap intervals of every difference, DeLong's test.
    pub comparison: Comparison,
    /// What the tests say, one sentence per metric tested (`accuracy`, `roc_auc`); the verdict
    /// follows the Holm-adjusted p-value.
    pub sentences: BTreeMap<String, String>,
    /// Holm–Bonferroni adjusted p-value of each metric's test over the report's family of
    /// pairs (absent in reports written before it existed).
    #[serde(default)]
    pub adjusted_p: BTreeMap<String, f64>,
}

/// Another stage's result, as a line and its key figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageSummary {
    /// The instance.
    pub instance: String,
    /// Its kind (`drift`, `phase3`, `optimize`).
    pub kind: String,
    /// One line.
    pub summary: String,
    /// Key figures, from the stage's files.
    pub details: Value,
}

/// What the views say when `max_pairs` left pairs untested.
pub fn omitted_line(r: &ComparisonReport) -> Option<String> {
    (r.omitted_pairs > 0).then(|| {
        let first = r.cohorts.first().map_or("", |c| c.cohort.as_str());
        format!(
            "{} pairs of cohorts scored on the same rows exceed the report's `max_pairs`: each cohort is tested against `{first}` only, and {} pairs are left untested (raise `max_pairs` to test them).",
            r.comparisons.len() as u64 + r.omitted_pairs,
            r.omitted_pairs
        )
    })
}

/// The JSON Schema of `comparison.json`, pretty, with a final newline.
pub fn render_schema() -> String {
    let schema = schemars::schema_for!(ComparisonReport);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
