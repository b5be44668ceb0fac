//! `dataset.json` as `load` writes it and as `train`, the fan-in stages' cohorts and the audit
//! events read it back: one type for the writer and the readers, so a renamed field is a
//! compile error rather than a silent `null`.
//!
//! The file is written through a `Value`, so its keys stay sorted as they were when it was
//! built with `json!`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StageError;
use super::load::Schema;
pub(crate) use crate::artifacts::SplitRecord;
use crate::data::guards::Finding;

/// The `dataset.json` format this version writes and reads.
pub(crate) const DATASET_FORMAT: u64 = 2;

/// A `load` instance's `dataset.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DatasetFile {
    /// [`DATASET_FORMAT`].
    pub format_version: u64,
    /// The data guards' findings on a user's table (absent in files written before them).
    #[serde(default)]
    pub warnings: Vec<Finding>,
    /// Where the rows came from: `source` (`synthetic`, `csv`, `kaggle`) and that source's
    /// own fields, which only the report's provenance line reads.
    pub data: Value,
    /// Rows loaded.
    pub rows: u64,
    /// Of which labelled 1.
    pub positives: u64,
    /// The hand-off schema.
    pub schema: Schema,
    /// What the parts' files hold, for a reader outside nethical (`np.load`).
    pub layout: Value,
    /// How the rows were split.
    pub split: SplitRecord,
}

/// Only the format of a `dataset.json`, read before the rest because earlier formats have
/// other fields.
#[derive(Deserialize)]
struct FormatOnly {
    #[serde(default)]
    format_version: u64,
}

/// What is read of a format-1 `dataset.json` (a run folder of an earlier version, whose parts
/// are CSV): its features' names and kinds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct DatasetFileV1 {
    /// The schema's features.
    pub schema: SchemaV1,
}

/// A format-1 schema's features.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct SchemaV1 {
    /// `[name, kind]` pairs, kind `numeric` or `text`.
    #[serde(default)]
    pub features: Vec<(String, String)>,
}

/// A `dataset.json` of the current format or of format 1.
pub(crate) enum AnyDatasetFile {
    /// [`DATASET_FORMAT`].
    Current(Box<DatasetFile>),
    /// Format 1.
    V1(DatasetFileV1),
}

impl DatasetFile {
    /// Reads a `dataset.json` of [`DATASET_FORMAT`]; `id` is the `load` instance (or folder)
    /// it belongs to, for errors. Another format is refused with the way out.
    pub(crate) fn from_bytes(bytes: &[u8], id: &str) -> Result<Self, StageError> {
        match AnyDatasetFile::from_bytes(bytes, id)? {
            AnyDatasetFile::Current(file) => Ok(*file),
            AnyDatasetFile::V1(_) => Err(wrong_format(1, id)),
        }
    }

    /// The file's bytes: through a `Value`, so keys are sorted as they always were.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, StageError> {
        super::json_bytes(&serde_json::to_value(self)?)
    }
}

impl AnyDatasetFile {
    /// Reads a `dataset.json` of either format; any other is refused.
    pub(crate) fn from_bytes(bytes: &[u8], id: &str) -> Result<Self, StageError> {
        let unreadable =
            |e: serde_json::Error| StageError::MissingInput(format!("`dataset.json` of `{id}` is not readable: {e}"));
        let FormatOnly { format_version } = serde_json::from_slice(bytes).map_err(unreadable)?;
        match format_version {
            DATASET_FORMAT => Ok(Self::Current(Box::new(serde_json::from_slice(bytes).map_err(unreadable)?))),
            1 => Ok(Self::V1(serde_json::from_slice(bytes).map_err(unreadable)?)),
            other => Err(wrong_format(other, id)),
        }
    }
}

fn wrong_format(format: u64, id: &str) -> StageError {
    StageError::MissingInput(format!(
        "`dataset.json` of `{id}` is format {format}, written by another version of nethical \
         (this one reads format {DATASET_FORMAT}); rerun the `load` stage with `nethical run --force`"
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn file() -> Value {
        json!({
            "format_version": 2,
            "warnings": [],
            "data": {"source": "synthetic", "family": "default", "seed": 7},
            "rows": 10,
            "positives": 4,
            "schema": {"features": [["x", "numeric"]], "group": null, "encode": "one_hot", "impute": false,
                       "min_group_size": 30, "pool_small_groups": false},
            "layout": {"format": "npy"},
            "split": {"strategy": "kfold", "calibration_ratio": null, "train_rows": 8, "validation_rows": 2,
                      "calibration_rows": null, "folds": 5, "fold": 1},
        })
    }

    #[test]
    fn a_file_reads_and_writes_the_same_bytes() -> Result<(), StageError> {
        let bytes = super::super::json_bytes(&file())?;
        let read = DatasetFile::from_bytes(&bytes, "data")?;
        assert_eq!(read.split.fold, Some(1));
        assert_eq!(read.to_bytes()?, bytes);
        Ok(())
    }

    #[test]
    fn a_renamed_field_is_an_error_naming_the_file() {
        let mut renamed = file();
        renamed["split"]["training_rows"] = renamed["split"]["train_rows"].take();
        if let Some(split) = renamed["split"].as_object_mut() {
            split.remove("train_rows");
        }
        let bytes = serde_json::to_vec(&renamed).unwrap_or_default();
        let e = DatasetFile::from_bytes(&bytes, "data").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("`dataset.json` of `data`") && e.contains("train_rows"), "{e}");
    }

    #[test]
    fn another_format_is_refused_with_the_way_out() {
        let bytes = br#"{"format_version": 3}"#;
        let e = DatasetFile::from_bytes(bytes, "data").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("format 3") && e.contains("--force"), "{e}");
    }
}
