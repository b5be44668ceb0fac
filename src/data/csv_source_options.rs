//! How to read one CSV file: the options a manifest's `source = { csv = ... }` resolves to.
//! Apart from the reader so the manifest layer's view of them reads on its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::row_filter::Condition;

/// Tokens read as a missing value unless configured otherwise.
pub const DEFAULT_MISSING_TOKENS: [&str; 6] = ["", "?", "NA", "N/A", "NaN", "null"];

/// What to do with missing feature values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Fail, naming the first missing value's line and column.
    Error,
    /// Drop rows with a missing value, and count them.
    Drop,
    /// Keep them: numeric columns get the training median, text columns the most frequent
    /// training value.
    Impute,
}

/// How to read one CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// Field delimiter.
    pub delimiter: u8,
    /// Whether the first line names the columns (otherwise `column_1`, `column_2`, ...).
    pub header: bool,
    /// The label column; discovered when `None`.
    pub label: Option<String>,
    /// Text label → 0/1.
    pub label_map: BTreeMap<String, u8>,
    /// Feature columns to use; all others but label and group when `None`.
    pub features: Option<Vec<String>>,
    /// Columns never used as features.
    pub exclude: Vec<String>,
    /// A sensitive/cohort column kept aside for fairness analysis.
    pub group: Option<String>,
    /// Whether the group column is also a feature.
    pub group_as_feature: bool,
    /// Missing-value policy.
    pub missing: MissingPolicy,
    /// Values read as missing.
    pub missing_tokens: Vec<String>,
    /// Read at most this many data rows (the original's `--num-samples` cap).
    pub max_rows: Option<usize>,
    /// Rename repeated header names `name_2`, `name_3`, ... (otherwise a repeated name is an
    /// error only where it is used).
    pub dedupe_headers: bool,
    /// Rows are kept only where every condition holds.
    pub filter: Vec<Condition>,
    /// A text feature column with more distinct values than this is an error (one-hot
    /// encoding would make one feature per value); `None` for no limit.
    pub max_categories: Option<usize>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: b',',
            header: true,
            label: None,
            label_map: BTreeMap::new(),
            features: None,
            exclude: Vec::new(),
            group: None,
            group_as_feature: false,
            missing: MissingPolicy::Error,
            missing_tokens: DEFAULT_MISSING_TOKENS.map(str::to_owned).to_vec(),
            max_rows: None,
            dedupe_headers: false,
            filter: Vec::new(),
            max_categories: None,
        }
    }
}
