//! `metrics.json` as `train` writes it, read back through types by the stages that use it
//! (`gate`, `report`, the cohorts of `drift` and `phase3`), so a renamed field is a compile error rather than a silent `null`.
//!
//! The readers name only the fields they use and ignore the rest: `metrics.json` is the
//! metrics library's report plus the stage's own keys, and other stages read other parts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{StageError, UpstreamOutput};
use crate::metrics::{ConfusionCounts, FairnessReport, ReliabilityBin};

/// The fairness block of `metrics.json`: the group column and the library's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CohortFairness {
    /// The data's group column.
    pub group_column: String,
    /// Rates by group and the gaps between them.
    #[serde(flatten)]
    pub report: FairnessReport,
}

/// What the gate and the report read of a cohort's `metrics.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct MetricsFile {
    /// `1`.
    pub format_version: u32,
    /// The model type.
    pub model_type: String,
    /// The reliability diagram's bins (the ECE's binning).
    pub bins: usize,
    /// Validation rows.
    pub n: u64,
    /// Their confusion counts at the threshold.
    pub confusion: ConfusionCounts,
    pub accuracy: Option<f64>,
    pub ece: Option<f64>,
    pub roc_auc: Option<f64>,
    /// The reliability diagram, one row per bin.
    pub reliability: Vec<ReliabilityBin>,
    /// Metric -> why it is `null`.
    #[serde(default)]
    pub undefined: BTreeMap<String, String>,
    /// Present when the data has a group column.
    #[serde(default)]
    pub fairness: Option<CohortFairness>,
    /// The data guards' findings on the rows the model trained on.
    #[serde(default)]
    pub data_warnings: Vec<String>,
    /// The `load` instance, its source and its split (absent in files written before it).
    #[serde(default)]
    pub data_source: Option<super::dataset_file::DataSourceRecord>,
}

impl MetricsFile {
    /// Reads and checks an upstream `train` instance's `metrics.json`.
    pub(crate) fn read(up: &UpstreamOutput) -> Result<Self, StageError> {
        Self::from_bytes(&up.read("metrics.json")?, &format!("`metrics.json` of `{}`", up.id))
    }

    /// Reads and checks a `metrics.json`'s bytes; `what` names the file in the error.
    pub(crate) fn from_bytes(bytes: &[u8], what: &str) -> Result<Self, StageError> {
        let file: Self = serde_json::from_slice(bytes)
            .map_err(|e| StageError::MissingInput(format!("{what} is not readable: {e}")))?;
        if file.format_version != 1 {
            return Err(StageError::MissingInput(format!(
                "{what} has format_version {}; this nethical reads 1",
                file.format_version
            )));
        }
        Ok(file)
    }

    /// The share of the validation rows in their most frequent class: the accuracy of always
    /// predicting it, which a model's accuracy is read against. `None` without rows.
    pub(crate) fn majority_class_rate(&self) -> Option<f64> {
        let c = &self.confusion;
        let positives = c.tp + c.r#fn;
        let n = c.n();
        (n > 0).then(|| positives.max(n - positives) as f64 / n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fairness_block_round_trips_with_its_group_column() {
        let report = crate::metrics::fairness(&[0, 1, 1], &[0, 1, 0], &["a", "b", "a"]).expect("valid");
        let block = CohortFairness { group_column: "sex".to_owned(), report };
        let json = serde_json::to_value(&block).expect("serialisable");
        assert_eq!(json["group_column"], "sex");
        assert!(json["small_groups"].is_object(), "the report's fields sit beside the column: {json}");
        let back: CohortFairness = serde_json::from_value(json).expect("readable");
        assert_eq!(back, block);
    }

    #[test]
    fn majority_class_rate_is_the_larger_class_share() {
        let file = |tp, fp, tn, r#fn| MetricsFile {
            format_version: 1,
            model_type: "logistic".to_owned(),
            bins: 10,
            n: tp + fp + tn + r#fn,
            confusion: ConfusionCounts { tp, fp, tn, r#fn },
            accuracy: None,
            ece: None,
            roc_auc: None,
            reliability: Vec::new(),
            undefined: BTreeMap::new(),
            fairness: None,
            data_warnings: Vec::new(),
            data_source: None,
        };
        assert_eq!(file(10, 5, 70, 15).majority_class_rate(), Some(0.75));
        assert_eq!(file(20, 0, 0, 60).majority_class_rate(), Some(1.0));
        assert_eq!(file(0, 0, 0, 0).majority_class_rate(), None);
    }
}
