//! Where a cohort's rows came from, in the report: the `load` instance, its source (synthetic
//! family, CSV path and SHA-256, Kaggle slug and archive digest, or the synthetic fallback and
//! why), the split, and the cache key of the `train` instance, so a reviewer can tell which
//! data each number was measured on and find the exact artifacts again.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::artifacts::DataSourceRecord;

/// A cohort's provenance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortProvenance {
    /// `metrics.json`'s `data_source`: the `load` instance (`instance`), its `dataset.json`
    /// `source` description, `rows` and `split`.
    pub data: Value,
    /// The cache key of the cohort's `train` instance.
    pub train_key: String,
}

/// What the line reads of a `dataset.json` source description (`DataSourceRecord::source`,
/// free-form because each source has its own fields): `source` says which, the rest are that
/// source's.
#[derive(Deserialize)]
struct SourceView {
    source: String,
    family: Option<String>,
    seed: Option<Value>,
    path: Option<String>,
    sha256: Option<String>,
    dataset: Option<String>,
    archive_sha256: Option<String>,
    fallback_for: Option<String>,
    fallback_reason: Option<String>,
}

impl CohortProvenance {
    /// One line for the views: "CSV `x.csv` (SHA-256 1f2e3d4c5b6a…), 1000 rows · stratified
    /// split: train 800, validation 200 · train key 0a1b2c3d4e5f".
    pub fn line(&self) -> String {
        let key: String = self.train_key.chars().take(12).collect();
        // `metrics.json`'s `data_source`, read through the type `train` writes it with.
        let read = DataSourceRecord::deserialize(&self.data)
            .and_then(|d| SourceView::deserialize(&d.source).map(|source| (d, source)));
        let (d, source) = match read {
            Ok(read) => read,
            Err(e) => return format!("data source unreadable ({e}) · train key {key}"),
        };
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
        let short = |v: &Option<String>| {
            v.as_ref().map_or_else(|| "?".to_owned(), |s| s.chars().take(12).collect::<String>() + "…")
        };
        let rows = format!(", {} rows", d.rows);
        let what = match source.source.as_str() {
            "synthetic" if source.fallback_for.is_some() => format!(
                "SYNTHETIC FALLBACK for Kaggle `{}` ({})",
                text(&source.fallback_for),
                text(&source.fallback_reason)
            ),
            "synthetic" => format!(
                "synthetic `{}` family, seed {}",
                text(&source.family),
                source.seed.clone().unwrap_or(Value::Null)
            ),
            "csv" => format!("CSV `{}` (SHA-256 {})", text(&source.path), short(&source.sha256)),
            "kaggle" => {
                format!("Kaggle `{}` (archive SHA-256 {})", text(&source.dataset), short(&source.archive_sha256))
            }
            _ => "unknown source".to_owned(),
        };
        let split = &d.split;
        let parts = format!(
            "train {}, validation {}{}",
            split.train_rows,
            split.validation_rows,
            split.calibration_rows.map_or_else(String::new, |c| format!(", calibration {c}"))
        );
        let how = match (split.strategy.name(), split.fold, split.folds) {
            ("kfold", Some(k), Some(n)) => format!("fold {k} of {n}"),
            (s, _, _) => format!("{s} split, train ratio {}", split.train_ratio.map_or(Value::Null, Value::from)),
        };
        format!("`{}`: {what}{rows} · {how}: {parts} · train key {key}", d.instance)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lines_name_the_source_the_split_and_the_key() {
        let csv = CohortProvenance {
            data: json!({
                "instance": "data[fold=2]",
                "source": {"source": "csv", "path": "../x.csv", "sha256": "0123456789abcdef0123"},
                "rows": 1000,
                "split": {"strategy": "kfold", "folds": 5, "fold": 2, "train_rows": 800, "validation_rows": 200},
            }),
            train_key: "fedcba9876543210".into(),
        };
        assert_eq!(
            csv.line(),
            "`data[fold=2]`: CSV `../x.csv` (SHA-256 0123456789ab…), 1000 rows · fold 2 of 5: train 800, validation 200 · train key fedcba987654"
        );
        let synthetic = CohortProvenance {
            data: json!({
                "instance": "data",
                "source": {"source": "synthetic", "family": "default", "seed": 42, "rows": 100},
                "rows": 100,
                "split": {"strategy": "stratified", "train_ratio": 0.8, "train_rows": 80, "validation_rows": 15, "calibration_rows": 5},
            }),
            train_key: "k".into(),
        };
        assert_eq!(
            synthetic.line(),
            "`data`: synthetic `default` family, seed 42, 100 rows · stratified split, train ratio 0.8: train 80, validation 15, calibration 5 · train key k"
        );
    }

    #[test]
    fn a_renamed_field_is_named_not_shown_as_null() {
        let renamed = CohortProvenance {
            data: json!({
                "instance": "data",
                "source": {"source": "csv"},
                "row_count": 3,
                "split": {"strategy": "random", "train_rows": 2, "validation_rows": 1},
            }),
            train_key: "k".into(),
        };
        let line = renamed.line();
        assert!(line.starts_with("data source unreadable (missing field `rows`"), "{line}");
    }
}
