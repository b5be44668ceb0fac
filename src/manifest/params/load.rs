//! A `load` stage's parameters: where the rows come from (a CSV file, a Kaggle archive, a
//! synthetic family) and how they are split, with the range checks serde cannot express.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::data::csv_source::{CsvOptions, DEFAULT_MISSING_TOKENS, MissingPolicy};
use crate::data::row_filter::{Condition, FilterSyntaxError};

pub use crate::data::split_strategy_name::SplitStrategyName;

use super::range_issue::{RangeIssue, issue, open_unit};

/// Parameters of a `load` stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadParams {
    /// Where the rows come from.
    pub source: DataSource,
    /// How the rows are split into training and validation parts.
    #[serde(default)]
    pub split: SplitParams,
    /// Also write each part as CSV (`train.csv`, `validation.csv`, `calibration.csv`: columns
    /// `row,<columns...>`, missing values empty) beside the `.npy` files the stages read.
    #[serde(default, skip_serializing_if = "is_false")]
    pub export_csv: bool,
}

/// A data source, written as a one-key table: `source = { synthetic = { num_samples = 5000 } }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DataSource {
    /// Rows generated from the stage's seeded RNG.
    Synthetic(SyntheticSource),
    /// A CSV file (boxed: it is far larger than the other sources).
    Csv(Box<CsvSource>),
    /// A Kaggle dataset, downloaded with the user's credentials and read as CSV.
    Kaggle(Box<KaggleSource>),
}

/// A Kaggle dataset:
/// `source = { kaggle = { dataset = "owner/name", sha256 = "…", csv = { path = "data.csv", label = "y" } } }`.
///
/// Credentials come from `KAGGLE_USERNAME`/`KAGGLE_KEY` or `~/.kaggle/kaggle.json`; they are
/// never printed, logged or written. The archive is kept in `<cache>/kaggle/`, named by its
/// SHA-256.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KaggleSource {
    /// The dataset's slug, `owner/name`.
    pub dataset: String,
    /// The SHA-256 of the dataset's archive. Pinned, the stage is cached like any other and
    /// runs offline once the archive is in the cache; a different archive from Kaggle is an
    /// error. Unpinned, the dataset is downloaded on every run (the run prints the digest to
    /// pin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// What to use when Kaggle cannot be reached or no credentials are set: `synthetic` (the
    /// default family, 10,000 rows). The run says so, and the result is never cached. Without
    /// it such a run fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<KaggleFallback>,
    /// How to read the archive's CSV; `path` is the file inside the archive and may be left out
    /// when the archive holds one CSV.
    #[serde(default = "default_kaggle_csv")]
    pub csv: CsvSource,
}

/// What a `kaggle` source falls back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KaggleFallback {
    /// The default synthetic family, 10,000 rows, from the stage's seed.
    Synthetic,
}

/// A CSV file: `source = { csv = { path = "../examples/data/adult.csv", label = "income" } }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvSource {
    /// The file, relative to the manifest's folder; its SHA-256 is part of the cache key. In a
    /// `kaggle` source: the file inside the archive (optional when it holds one CSV).
    #[serde(default)]
    pub path: String,
    /// Field delimiter (one character).
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// Whether the first line names the columns (otherwise `column_1`, `column_2`, ...).
    #[serde(default = "default_true")]
    pub header: bool,
    /// The label column; when absent, the first of label, target, y, class, is_anomaly
    /// (case-insensitive), then the first name containing `label` or `target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Text labels to 0/1, e.g. `{ ">50K" = 1, "<=50K" = 0 }`; without it labels must be 0/1.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label_map: BTreeMap<String, u8>,
    /// Feature columns; by default every column but the label, the group and `exclude`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// Columns never used as features.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// A sensitive or cohort column kept aside for fairness analysis, not a feature unless
    /// `group_as_feature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Whether the group column is also a feature.
    #[serde(default)]
    pub group_as_feature: bool,
    /// Missing values: `error` (name the first one's line and column), `drop` (drop and count
    /// the rows), or `impute` (training median for numbers, most frequent training value for
    /// text).
    #[serde(default)]
    pub missing: MissingPolicyName,
    /// Values read as missing (default: "", "?", "NA", "N/A", "NaN", "null").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_values: Option<Vec<String>>,
    /// How text columns are encoded (fitted on the training rows, saved with the model).
    #[serde(default)]
    pub encode: EncodingName,
    /// Read at most this many data rows (the original's `--num-samples` cap for CSV data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// Rename repeated header names to `name_2`, `name_3`, ... instead of refusing a repeated
    /// name that is used (as label, group or feature). Unused repeats are ignored either way.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dedupe_headers: bool,
    /// Keep only the rows where every condition holds: `column op literal`, with `op` one of
    /// `==`, `!=`, `<`, `<=`, `>`, `>=` and the literal a number or a "quoted" string, e.g.
    /// `["days_b_screening_arrest >= -30", "c_charge_degree != \"O\""]`. Rows removed are
    /// counted in `dataset.json`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<String>,
    /// Fairness figures leave out groups with fewer validation rows than this (listed with
    /// their size), so that one row never decides a gap (METRICS.md).
    #[serde(default = "default_min_group_size", skip_serializing_if = "is_default_min_group_size")]
    pub min_group_size: u64,
    /// Pool groups smaller than `min_group_size` into one group `other` instead of leaving
    /// them out.
    #[serde(default, skip_serializing_if = "is_false")]
    pub pool_small_groups: bool,
    /// A one-hot encoded text column may have at most this many categories; more is an error
    /// naming the column (fix: `exclude` it, or `encode = "ordinal"`).
    #[serde(default = "default_max_categories", skip_serializing_if = "is_default_max_categories")]
    pub max_categories: u64,
    /// A feature that alone separates the training labels with a ROC-AUC at least this high
    /// (or at most 1 minus it) is reported as a possible label leak.
    #[serde(default = "default_leak_auc", skip_serializing_if = "is_default_leak_auc")]
    pub leak_auc: f64,
    /// Turn the data guards' warnings (ID-like columns, possible leaks, one class, fewer
    /// training rows than features) into errors.
    #[serde(default, skip_serializing_if = "is_false")]
    pub strict: bool,
}

impl CsvSource {
    /// How the CSV reader reads this source. A `filter` that does not parse is reported by
    /// `range_issues` when the manifest is read; here it is the error.
    pub fn options(&self) -> Result<CsvOptions, FilterSyntaxError> {
        Ok(CsvOptions {
            delimiter: self.delimiter.as_bytes().first().copied().unwrap_or(b','),
            header: self.header,
            label: self.label.clone(),
            label_map: self.label_map.clone(),
            features: self.features.clone(),
            exclude: self.exclude.clone(),
            group: self.group.clone(),
            group_as_feature: self.group_as_feature,
            missing: match self.missing {
                MissingPolicyName::Error => MissingPolicy::Error,
                MissingPolicyName::Drop => MissingPolicy::Drop,
                MissingPolicyName::Impute => MissingPolicy::Impute,
            },
            missing_tokens: self
                .missing_values
                .clone()
                .unwrap_or_else(|| DEFAULT_MISSING_TOKENS.map(str::to_owned).to_vec()),
            max_rows: self.max_rows.and_then(|m| usize::try_from(m).ok()),
            dedupe_headers: self.dedupe_headers,
            filter: self.filter.iter().map(|f| Condition::parse(f)).collect::<Result<_, _>>()?,
            max_categories: (self.encode == EncodingName::OneHot)
                .then(|| usize::try_from(self.max_categories).unwrap_or(usize::MAX)),
        })
    }
}

/// Missing-value policies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicyName {
    /// Fail, naming the first missing value's line and column.
    #[default]
    Error,
    /// Drop rows with a missing value and count them.
    Drop,
    /// Fill from the training rows (median / most frequent).
    Impute,
}

/// Encodings of text columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EncodingName {
    /// One 0/1 feature per training category.
    #[default]
    OneHot,
    /// The category's index among sorted training categories.
    Ordinal,
}

/// Parameters of the synthetic generator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyntheticSource {
    /// Number of rows to generate (the original's `--num-samples`).
    #[serde(default = "default_num_samples")]
    pub num_samples: u64,
    /// Which of the original's families to generate.
    #[serde(default)]
    pub family: SyntheticFamily,
    /// `anomaly` family: probability that an action is replaced by one of the other class's
    /// (0 = the original, whose classes share no action and are trivially separable).
    #[serde(default)]
    pub noise: f64,
    /// `correlation` and `coordination` families: probability that a row's features are drawn
    /// from the other class's ranges (0 = the original).
    #[serde(default)]
    pub overlap: f64,
    /// Generate from this seed instead of the instance's, so several `load` instances (a
    /// matrix) share the same base rows and differ only by what else they set (`shift`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Covariate shift: add `by` to every value of `feature` after generation (labels are
    /// unchanged), to see what drift looks like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<FeatureShift>,
}

/// A covariate shift of one synthetic feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureShift {
    /// The feature's name.
    pub feature: String,
    /// What is added to each of its values.
    pub by: f64,
}

/// The original's synthetic families.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyntheticFamily {
    /// Five uniform features; label = violation_count + severity_max > 1.
    #[default]
    Default,
    /// Three-action sequences (token columns `action_0..2`), 70% normal / 30% anomalous.
    Anomaly,
    /// Five coordinated-activity features, 65% normal / 35% escalating, coordinated or
    /// distributed.
    Correlation,
    /// The correlation family's features and class sizes, but the classes differ only
    /// jointly (timing and payload similarity agree for attacks): no single feature or linear
    /// combination separates them. Not in the original; the test its correlation model lacked.
    Coordination,
}

/// How rows are split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitParams {
    /// `temporal` (first rows train), `random`, `stratified` or `kfold`.
    #[serde(default)]
    pub strategy: SplitStrategyName,
    /// Fraction of rows used for training, strictly between 0 and 1 (not with `kfold`, whose
    /// training rows are the other folds).
    #[serde(default = "default_train_ratio")]
    pub train_ratio: f64,
    /// Fraction of rows held out for post-hoc calibration, taken from the non-training rows
    /// (with `kfold`: from the training folds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_ratio: Option<f64>,
    /// `kfold` only: the number of folds, 2 to 100; default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folds: Option<u32>,
    /// `kfold` only: which fold this instance validates on (1-based). Never written: the
    /// expansion makes one `load` instance per fold and sets it (matrix variable `fold`).
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub fold: Option<u32>,
}

impl Default for SplitParams {
    fn default() -> Self {
        Self {
            strategy: SplitStrategyName::default(),
            train_ratio: default_train_ratio(),
            calibration_ratio: None,
            folds: None,
            fold: None,
        }
    }
}

impl SplitParams {
    /// The number of folds of a `kfold` split (`None` for the other strategies).
    pub fn kfold_folds(&self) -> Option<u32> {
        (self.strategy == SplitStrategyName::Kfold).then(|| self.folds.unwrap_or(DEFAULT_FOLDS))
    }
}

/// `split.folds` when a `kfold` split sets none.
pub const DEFAULT_FOLDS: u32 = 5;

/// The most folds a `kfold` split may ask for (each is a `load` instance and a cohort of every
/// downstream stage).
pub const MAX_FOLDS: u32 = 100;

/// Range checks shared by `csv` sources and a `kaggle` source's `csv` table.
fn csv_issues(c: &CsvSource, at: &[&'static str], out: &mut Vec<RangeIssue>) {
    let key = |last: &'static str| [at, &[last]].concat();
    if c.delimiter.len() != 1 {
        out.push(issue(&key("delimiter"), "exactly one ASCII character"));
    }
    if c.label_map.values().any(|v| *v > 1) {
        out.push(issue(&key("label_map"), "a table whose values are 0 or 1"));
    }
    if c.max_rows == Some(0) {
        out.push(issue(&key("max_rows"), "at least 1"));
    }
    for f in &c.filter {
        if let Err(e) = Condition::parse(f) {
            out.push(issue(&key("filter"), format!("a list of `column op literal` conditions; `{f}`: {}", e.reason)));
        }
    }
    if c.features.is_some() && !c.exclude.is_empty() {
        out.push(issue(&key("exclude"), "left out when `features` lists the columns to use (one or the other)"));
    }
    if c.min_group_size == 0 {
        out.push(issue(&key("min_group_size"), "at least 1"));
    }
    if c.max_categories < 2 {
        out.push(issue(&key("max_categories"), "at least 2"));
    }
    if !(c.leak_auc > 0.5 && c.leak_auc <= 1.0) {
        out.push(issue(&key("leak_auc"), "a ROC-AUC in (0.5, 1]"));
    }
}

impl LoadParams {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        match &self.source {
            DataSource::Synthetic(s) => {
                if s.num_samples < 4 {
                    out.push(issue(&["source", "synthetic", "num_samples"], "at least 4 rows"));
                }
                if !(0.0..1.0).contains(&s.noise) {
                    out.push(issue(&["source", "synthetic", "noise"], "a probability in [0, 1)"));
                } else if s.noise > 0.0 && s.family != SyntheticFamily::Anomaly {
                    out.push(issue(&["source", "synthetic", "noise"], "left out: it only applies to family `anomaly`"));
                }
                if s.shift.as_ref().is_some_and(|f| !f.by.is_finite()) {
                    out.push(issue(&["source", "synthetic", "shift", "by"], "a finite number"));
                }
                if !(0.0..1.0).contains(&s.overlap) {
                    out.push(issue(&["source", "synthetic", "overlap"], "a probability in [0, 1)"));
                } else if s.overlap > 0.0
                    && !matches!(s.family, SyntheticFamily::Correlation | SyntheticFamily::Coordination)
                {
                    out.push(issue(
                        &["source", "synthetic", "overlap"],
                        "left out: it only applies to families `correlation` and `coordination`",
                    ));
                }
            }
            DataSource::Csv(c) => {
                if c.path.is_empty() {
                    out.push(issue(&["source", "csv", "path"], "a file path"));
                }
                csv_issues(c, &["source", "csv"], &mut out);
            }
            DataSource::Kaggle(k) => {
                if crate::data::kaggle::DatasetSlug::parse(&k.dataset).is_err() {
                    out.push(issue(
                        &["source", "kaggle", "dataset"],
                        "a dataset slug `owner/name` (letters, digits, `.`, `_`, `-`)",
                    ));
                }
                let hex = |d: &str| d.len() == 64 && d.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if k.sha256.as_deref().is_some_and(|d| !hex(d)) {
                    out.push(issue(&["source", "kaggle", "sha256"], "a SHA-256 digest (64 lowercase hex digits)"));
                }
                csv_issues(&k.csv, &["source", "kaggle", "csv"], &mut out);
            }
        }
        if let Some(folds) = self.split.kfold_folds() {
            if !(2..=MAX_FOLDS).contains(&folds) {
                out.push(issue(&["split", "folds"], format!("between 2 and {MAX_FOLDS}")));
            }
            if self.split.calibration_ratio.is_some_and(|c| !open_unit(c) || c + 1.0 / f64::from(folds) >= 1.0) {
                out.push(issue(
                    &["split", "calibration_ratio"],
                    "a number strictly between 0 and 1 that leaves training rows (calibration_ratio + 1/folds < 1)",
                ));
            }
            return out;
        }
        if self.split.folds.is_some() {
            out.push(issue(&["split", "folds"], "left out unless `strategy = \"kfold\"`"));
        }
        if !open_unit(self.split.train_ratio) {
            out.push(issue(&["split", "train_ratio"], "a number strictly between 0 and 1"));
        }
        if let Some(c) = self.split.calibration_ratio
            && (!open_unit(c) || c + self.split.train_ratio >= 1.0)
        {
            out.push(issue(
                    &["split", "calibration_ratio"],
                    "a number strictly between 0 and 1 that leaves rows for validation (train_ratio + calibration_ratio < 1)",
                ));
        }
        out
    }
}

fn default_kaggle_csv() -> CsvSource {
    CsvSource::default()
}

/// Every key at the default a manifest gets when it leaves the key out (the `csv` table of a
/// `kaggle` source that has none), for sources built in code.
impl Default for CsvSource {
    fn default() -> Self {
        Self {
            path: String::new(),
            delimiter: default_delimiter(),
            header: true,
            label: None,
            label_map: BTreeMap::new(),
            features: None,
            exclude: Vec::new(),
            group: None,
            group_as_feature: false,
            missing: MissingPolicyName::default(),
            missing_values: None,
            encode: EncodingName::default(),
            max_rows: None,
            dedupe_headers: false,
            filter: Vec::new(),
            min_group_size: default_min_group_size(),
            pool_small_groups: false,
            max_categories: default_max_categories(),
            leak_auc: default_leak_auc(),
            strict: false,
        }
    }
}

/// Every key at the default a manifest gets when it leaves the key out, for sources built in
/// code.
impl Default for SyntheticSource {
    fn default() -> Self {
        Self {
            num_samples: default_num_samples(),
            family: SyntheticFamily::default(),
            noise: 0.0,
            overlap: 0.0,
            seed: None,
            shift: None,
        }
    }
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_false(b: &bool) -> bool {
    !*b
}

/// METRICS.md's default: 30 validation rows.
pub const DEFAULT_MIN_GROUP_SIZE: u64 = 30;

fn default_min_group_size() -> u64 {
    DEFAULT_MIN_GROUP_SIZE
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_default_min_group_size(v: &u64) -> bool {
    *v == DEFAULT_MIN_GROUP_SIZE
}

fn default_max_categories() -> u64 {
    50
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_default_max_categories(v: &u64) -> bool {
    *v == 50
}

fn default_leak_auc() -> f64 {
    0.98
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_default_leak_auc(v: &f64) -> bool {
    *v == 0.98
}

fn default_delimiter() -> String {
    ",".to_owned()
}

fn default_num_samples() -> u64 {
    10_000
}

fn default_train_ratio() -> f64 {
    0.8
}

fn default_true() -> bool {
    true
}

impl super::KindParams for LoadParams {
    const FAN_IN: bool = false;

    fn range_issues(&self) -> Vec<RangeIssue> {
        LoadParams::range_issues(self)
    }

    /// A `csv` source's file (`archive.zip!inner.csv` reads the archive). Standard input is
    /// not known before the run: the instance is volatile instead. A Kaggle archive's digest
    /// is pinned in the params (so in the key), or the instance is volatile and always runs.
    fn external_inputs(&self, at: &super::ExternalAt<'_>) -> Vec<(String, std::path::PathBuf)> {
        match &self.source {
            DataSource::Csv(c) if c.path == crate::data::data_file::STDIN => Vec::new(),
            DataSource::Csv(c) => {
                let file = crate::data::data_file::DataPath::parse(&c.path).file;
                vec![(c.path.clone(), at.base_dir.join(file))]
            }
            DataSource::Synthetic(_) | DataSource::Kaggle(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SplitStrategyName;

    /// `name` is the spelling serde reads, so the CLI's values and a manifest's agree.
    #[test]
    fn split_strategy_names_are_serdes() -> Result<(), serde_json::Error> {
        for s in SplitStrategyName::ALL {
            assert_eq!(serde_json::to_value(s)?, s.name());
            assert_eq!(SplitStrategyName::from_name(s.name()), Some(s));
        }
        assert_eq!(SplitStrategyName::from_name("shuffle"), None);
        Ok(())
    }
}
