//! `metrics.json`: one type that `train` writes and the stages that use it read back (`gate`,
//! `report`, the cohorts of `drift` and `phase3`), so a renamed field is a compile error or
//! an error naming the file rather than a silent `null`.
//!
//! The file is the metrics library's report with the stage's own keys beside it; it is
//! written through a `Value`, so its keys stay sorted as they were when it was built with
//! `json!`.

use serde::{Deserialize, Serialize};

use super::{ArtifactFile, DataSourceRecord, json_bytes};
use crate::metrics::{FairnessReport, MetricsReport};

/// The fairness block of `metrics.json`: the group column and the library's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortFairness {
    /// The data's group column.
    pub group_column: String,
    /// Rates by group and the gaps between them.
    #[serde(flatten)]
    pub report: FairnessReport,
}

/// The `metrics.json` format this version writes and reads.
pub const METRICS_FORMAT: u32 = 1;

/// A cohort's `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsFile {
    /// [`METRICS_FORMAT`].
    pub format_version: u32,
    /// The cohort the model was trained for.
    pub cohort: String,
    /// The model type.
    pub model_type: String,
    /// The part the metrics were measured on (`validation`).
    pub split: String,
    /// Every metric, with the convention parameters to recompute it.
    #[serde(flatten)]
    pub report: MetricsReport,
    /// Present when the data has a group column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairness: Option<CohortFairness>,
    /// The data guards' findings on the rows the model trained on: they travel with the
    /// metrics they qualify, because the report reads `train` instances, not `load` ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_warnings: Vec<String>,
    /// The `load` instance, its source and its split (absent in files written before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source: Option<DataSourceRecord>,
}

impl ArtifactFile for MetricsFile {
    const FILE_NAME: &'static str = "metrics.json";
    const FORMAT: u32 = METRICS_FORMAT;

    fn format_version(&self) -> u32 {
        self.format_version
    }
}

impl MetricsFile {
    /// The file's bytes: through a `Value`, so keys are sorted as they always were.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        json_bytes(&serde_json::to_value(self)?)
    }

    /// The ten scalar metrics runs are compared on (`nethical compare`), by their METRICS.md
    /// names: `None` where the metric is undefined (written as `null`).
    pub fn scalar_metrics(&self) -> [(&'static str, Option<f64>); 10] {
        let r = &self.report;
        [
            ("accuracy", r.accuracy),
            ("precision", r.precision),
            ("recall", r.recall),
            ("f1", r.f1),
            ("fp_rate", r.fp_rate),
            ("roc_auc", r.roc_auc),
            ("average_precision", r.average_precision),
            ("brier", r.brier),
            ("log_loss", r.log_loss),
            ("ece", r.ece),
        ]
    }

    /// The share of the validation rows in their most frequent class: the accuracy of always
    /// predicting it, which a model's accuracy is read against. `None` without rows.
    pub fn majority_class_rate(&self) -> Option<f64> {
        let c = &self.report.confusion;
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

    fn file(y: &[u8], p: &[f64]) -> MetricsFile {
        let config = crate::metrics::MetricsConfig::default();
        MetricsFile {
            format_version: METRICS_FORMAT,
            cohort: "lr".to_owned(),
            model_type: "logistic".to_owned(),
            split: "validation".to_owned(),
            report: crate::metrics::evaluate(y, p, &config).expect("valid input"),
            fairness: None,
            data_warnings: Vec::new(),
            data_source: None,
        }
    }

    #[test]
    fn majority_class_rate_is_the_larger_class_share() {
        let rate = |y: &[u8]| file(y, &vec![0.5; y.len()]).majority_class_rate();
        assert_eq!(rate(&[1, 0, 0, 0]), Some(0.75));
        assert_eq!(rate(&[1, 1, 1, 1]), Some(1.0));
    }

    #[test]
    fn scalar_metrics_are_the_written_fields_by_name() -> Result<(), serde_json::Error> {
        let f = file(&[1, 1, 1], &[0.9, 0.8, 0.7]);
        let written = serde_json::to_value(&f)?;
        for (name, value) in f.scalar_metrics() {
            assert_eq!(written.get(name), Some(&serde_json::to_value(value)?), "{name}");
        }
        assert_eq!(f.scalar_metrics()[5], ("roc_auc", None), "one class: undefined");
        Ok(())
    }

    #[test]
    fn a_file_reads_and_writes_the_same_bytes_with_sorted_keys() -> Result<(), Box<dyn std::error::Error>> {
        let written = file(&[1, 0, 1], &[0.9, 0.2, 0.4]).to_bytes()?;
        let read = MetricsFile::from_bytes(&written, "`metrics.json`")?;
        assert_eq!(read.to_bytes()?, written);
        let text = String::from_utf8_lossy(&written).into_owned();
        let keys: Vec<&str> = text.lines().filter(|l| l.starts_with("  \"")).map(|l| l.trim()).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "the report's keys and the stage's are one sorted object");
        Ok(())
    }

    #[test]
    fn a_renamed_field_is_an_error_naming_the_file() -> Result<(), serde_json::Error> {
        let mut value = serde_json::to_value(file(&[1, 0], &[0.9, 0.2]))?;
        if let Some(fields) = value.as_object_mut()
            && let Some(bins) = fields.remove("bins")
        {
            fields.insert("n_bins".to_owned(), bins);
        }
        let e = MetricsFile::from_bytes(&serde_json::to_vec(&value)?, "`metrics.json` of `lr`")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("`metrics.json` of `lr`") && e.contains("bins"), "{e}");
        Ok(())
    }
}
