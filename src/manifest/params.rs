//! Typed parameters of each stage kind: what a manifest's stage table may hold besides the
//! keys every stage shares (`kind`, `needs`, `matrix`, `cohort`).
//!
//! These types are deserialized from the stage table after matrix and variable interpolation,
//! serialized into `manifest.resolved.toml`, the lockfile and cache keys, and turned into
//! `schemas/pipeline.schema.json`. Defaults are the original trainer's.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::data::csv_source::{CsvOptions, DEFAULT_MISSING_TOKENS, MissingPolicy};
use crate::data::row_filter::{Condition, FilterSyntaxError};

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

/// Split strategies of the original (`--split-strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SplitStrategyName {
    /// The first `train_ratio` of rows train, the rest validate (the original's default).
    #[default]
    Temporal,
    /// A seeded shuffle, then the same cut.
    Random,
    /// The cut made within each class, so both parts keep the class balance.
    Stratified,
    /// Stratified k-fold cross-validation: one `load` instance per fold (matrix variable
    /// `fold`), each validating on its fold and training on the others.
    Kfold,
}

/// Parameters of a `train` stage. The shared knobs mean, per model: `epochs` — passes over
/// the training rows for `logistic` and `simple_transformer`, boosting rounds for
/// `correlation`, unused by `heuristic` and `anomaly` (which fit in one pass); `batch_size` —
/// rows per gradient step for `logistic` and `simple_transformer`, unused by the others;
/// `learning_rate` and `l2` — each model's own default when absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainParams {
    /// The model type (the original's `--model-type`).
    pub model: ModelType,
    /// Passes over the training rows of `logistic` and `simple_transformer` (the original's
    /// `--epochs`, which it ignored); default 10. `correlation` boosts `rounds` trees instead:
    /// a stage that trains only `correlation` may not set it, and the `correlation` instances
    /// of a matrix with other models leave it out (`nethical plan` says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", extend("default" = 10))]
    pub epochs: Option<u32>,
    /// Rows per gradient step (the original's `--batch-size`, which it ignored).
    #[serde(default = "default_batch_size")]
    pub batch_size: u32,
    /// Step size (gradient descent, Adam, or boosting shrinkage); the model's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
    /// L2 penalty (weights, or leaf values for `correlation`); the model's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2: Option<f64>,
    /// `logistic` only: `balanced` weighs both classes equally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<ClassWeightName>,
    /// `logistic` only: `sgd` (mini-batch gradient descent for `epochs`, the default) or
    /// `lbfgs` (full-batch to convergence, scikit-learn's default; `l2` is then its `1/C`,
    /// default 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solver: Option<SolverName>,
    /// `correlation` only: tree depth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<u32>,
    /// `correlation` only: fewest training rows in a leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_samples_leaf: Option<u32>,
    /// `correlation` only: fraction of rows each tree is fitted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsample: Option<f64>,
    /// `correlation` only: boosting rounds, one tree each; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u32>,
    /// `correlation` only: how splits are searched; default `hist`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<TreeAlgorithmName>,
    /// Post-hoc calibration on the load stage's calibration split (`split.calibration_ratio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibrate: Option<CalibrateName>,
    /// Decision threshold: class 1 iff P(y = 1) >= threshold.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Equal-width bins of the calibration metrics (the original's `--ece-bins`).
    #[serde(default = "default_ece_bins")]
    pub ece_bins: u32,
}

/// Class weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeightName {
    /// Each class carries equal total weight.
    Balanced,
}

/// The `logistic` model's optimisers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SolverName {
    /// Mini-batch gradient descent for `epochs` passes.
    Sgd,
    /// Full-batch L-BFGS to convergence (scikit-learn's `LogisticRegression` default).
    Lbfgs,
}

/// How the `correlation` model's trees search splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TreeAlgorithmName {
    /// Histograms of features binned once (at most 255 bins), in parallel over features, as
    /// LightGBM and scikit-learn's `HistGradientBoostingClassifier` do.
    Hist,
    /// Every threshold between distinct values, on one thread, as scikit-learn's
    /// `GradientBoostingClassifier` does; far slower on large data.
    Exact,
}

/// Post-hoc calibration methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CalibrateName {
    /// Logistic regression on the model's logit (Platt 1999).
    Platt,
    /// Isotonic regression (pool-adjacent-violators).
    Isotonic,
}

/// The original's model types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelType {
    /// A transparent rule/score baseline.
    Heuristic,
    /// Logistic regression by mini-batch gradient descent.
    Logistic,
    /// A model of normal behaviour.
    Anomaly,
    /// A model of feature interactions.
    Correlation,
    /// A small transformer encoder.
    SimpleTransformer,
}

impl ModelType {
    /// The name used in manifests and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelType::Heuristic => "heuristic",
            ModelType::Logistic => "logistic",
            ModelType::Anomaly => "anomaly",
            ModelType::Correlation => "correlation",
            ModelType::SimpleTransformer => "simple_transformer",
        }
    }
}

/// Parameters of a `gate` stage: the original's promotion contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateParams {
    /// Promote only at or above this validation accuracy (`--promotion-min-accuracy`).
    #[serde(default = "default_min_accuracy")]
    pub min_accuracy: f64,
    /// Promote only at or below this ECE, per `ece_policy` (`--promotion-max-ece`).
    #[serde(default = "default_max_ece")]
    pub max_ece: f64,
    /// Whether the ECE criterion applies (`--ece-policy`).
    #[serde(default)]
    pub ece_policy: EcePolicy,
    /// Whether a rejected model fails the run (exit code 1) instead of being kept as a
    /// candidate.
    #[serde(default)]
    pub fail_on_reject: bool,
    /// Promote only at or above this validation ROC-AUC. Off unless set; an undefined ROC-AUC
    /// (one class only) fails it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_roc_auc: Option<f64>,
    /// Promote only when accuracy minus the validation rows' majority-class rate (the accuracy
    /// of always predicting the most frequent class) is at least this. Off unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_accuracy_lift: Option<f64>,
    /// Promote only at or below this demographic-parity difference, over the groups of at
    /// least `min_group_size` validation rows. Off unless set; without a group column, or with
    /// the gap undefined, it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_demographic_parity_difference: Option<f64>,
    /// Promote only at or below this equalized-odds difference (the larger of the TPR and FPR
    /// gaps), over the groups of at least `min_group_size` validation rows. Off unless set;
    /// without a group column, or with the gap undefined, it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_equalized_odds_difference: Option<f64>,
}

/// Parameters of an `audit` stage, which seals the events and artifact digests of the stages it
/// needs (and theirs) into the pipeline's append-only log, `runs/<pipeline>/audit/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// The checkpoint's origin line, naming the log (default `nethical/<pipeline name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Whether a run that computes nothing appends one `run_cached` event naming the reused
    /// results (default: it appends nothing, and the audit stage is cached like any other).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_cached_runs: bool,
}

impl AuditParams {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        match &self.origin {
            Some(o) if o.trim().is_empty() || o.chars().any(char::is_control) => {
                vec![issue(&["origin"], "a non-empty name on one line")]
            }
            _ => Vec::new(),
        }
    }
}

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

/// Parameters of a `report` stage: the comparison report across the cohorts of the `train`
/// stages it needs (add their `gate` stages for the gate outcomes, and `drift`, `phase3` and
/// `optimize` stages for their summaries).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Bootstrap resamples behind each 95% interval.
    #[serde(default = "default_resamples")]
    pub resamples: u32,
    /// The most pairs of cohorts tested against each other (default 1,225: every pair of 50
    /// cohorts). Beyond it, each cohort is tested against the first only, and the report says
    /// how many pairs it left out: 1,000 cohorts would otherwise make 499,500 tests and a
    /// report of gigabytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pairs: Option<u32>,
}

/// `max_pairs` when a report sets none.
pub const DEFAULT_MAX_PAIRS: u32 = 1_225;

impl ReportParams {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        if self.resamples < 100 {
            out.push(issue(&["resamples"], "at least 100, so the 2.5% and 97.5% percentiles exist"));
        }
        if self.max_pairs == Some(0) {
            out.push(issue(&["max_pairs"], "at least 1"));
        }
        out
    }

    /// The most pairs tested.
    pub fn max_pairs(&self) -> usize {
        self.max_pairs.unwrap_or(DEFAULT_MAX_PAIRS) as usize
    }
}

fn default_resamples() -> u32 {
    1000
}

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
    #[serde(default = "default_true")]
    pub history: bool,
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
fn default_true() -> bool {
    true
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

/// The original's `--ece-policy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EcePolicy {
    /// The ECE criterion always applies; an undefined ECE fails it.
    #[default]
    Strict,
    /// The ECE criterion applies when the model outputs probabilities.
    ProbsOnly,
    /// Accuracy alone decides.
    Disable,
}

/// A parameter value out of its range, named by its key path inside the stage table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeIssue {
    /// Key path inside the stage table, e.g. `["split", "train_ratio"]`.
    pub key: Vec<&'static str>,
    /// What the value must be.
    pub expected: String,
    /// `Some(sentence)` when the value is over a `[limits]` limit: the whole message, naming it.
    pub over_limit: Option<String>,
}

impl RangeIssue {
    /// A value over a limit of `[limits]`, with the sentence that names the limit.
    pub fn over(key: &'static str, message: String) -> Self {
        Self { key: vec![key], expected: String::new(), over_limit: Some(message) }
    }

    /// The sentence to show for this issue.
    pub fn message(&self) -> String {
        match &self.over_limit {
            Some(sentence) => sentence.clone(),
            None => format!("`{}` must be {}", self.key.join("."), self.expected),
        }
    }
}

fn issue(key: &[&'static str], expected: impl Into<String>) -> RangeIssue {
    RangeIssue { key: key.to_vec(), expected: expected.into(), over_limit: None }
}

fn open_unit(x: f64) -> bool {
    x > 0.0 && x < 1.0
}

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

/// `epochs` when a model that reads it has none set.
pub const DEFAULT_EPOCHS: u32 = 10;

impl TrainParams {
    /// Passes over the training rows, for the models that make them.
    pub fn epochs(&self) -> u32 {
        self.epochs.unwrap_or(DEFAULT_EPOCHS)
    }

    /// Settles `epochs` after validation: the shared default for the models that take one,
    /// and none for `correlation`, which boosts `rounds` trees. A `correlation` instance's
    /// resolved parameters, cache key and lockfile entry then do not change with an `epochs`
    /// it ignores (set for the other models of its matrix). Returns whether a value was
    /// dropped, so the caller can say so.
    pub fn resolve_epochs(&mut self) -> bool {
        if self.model == ModelType::Correlation {
            self.epochs.take().is_some()
        } else {
            self.epochs.get_or_insert(DEFAULT_EPOCHS);
            false
        }
    }

    /// Checks value ranges serde cannot express, and that model-specific keys go with their
    /// model.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        if self.epochs == Some(0) {
            out.push(issue(&["epochs"], "at least 1"));
        }
        if self.batch_size == 0 {
            out.push(issue(&["batch_size"], "at least 1"));
        }
        if self.learning_rate.is_some_and(|lr| !(lr.is_finite() && lr > 0.0)) {
            out.push(issue(&["learning_rate"], "a positive number"));
        }
        if self.l2.is_some_and(|l2| !(l2.is_finite() && l2 >= 0.0)) {
            out.push(issue(&["l2"], "a number >= 0"));
        }
        if !open_unit(self.threshold) {
            out.push(issue(&["threshold"], "a number strictly between 0 and 1"));
        }
        if self.ece_bins == 0 || self.ece_bins > 1000 {
            out.push(issue(&["ece_bins"], "between 1 and 1000"));
        }
        let only = |present: bool, key: &'static str, model: ModelType, out: &mut Vec<RangeIssue>| {
            if present && self.model != model {
                out.push(issue(&[key], format!("left out: it only applies to model `{}`", model.name())));
            }
        };
        only(self.class_weight.is_some(), "class_weight", ModelType::Logistic, &mut out);
        only(self.solver.is_some(), "solver", ModelType::Logistic, &mut out);
        only(self.max_depth.is_some(), "max_depth", ModelType::Correlation, &mut out);
        only(self.min_samples_leaf.is_some(), "min_samples_leaf", ModelType::Correlation, &mut out);
        only(self.subsample.is_some(), "subsample", ModelType::Correlation, &mut out);
        only(self.rounds.is_some(), "rounds", ModelType::Correlation, &mut out);
        only(self.algorithm.is_some(), "algorithm", ModelType::Correlation, &mut out);
        if self.rounds == Some(0) {
            out.push(issue(&["rounds"], "at least 1"));
        }
        if self.max_depth.is_some_and(|d| d == 0 || d > 16) {
            out.push(issue(&["max_depth"], "between 1 and 16"));
        }
        if self.min_samples_leaf == Some(0) {
            out.push(issue(&["min_samples_leaf"], "at least 1"));
        }
        if self.subsample.is_some_and(|s| !(s > 0.0 && s <= 1.0)) {
            out.push(issue(&["subsample"], "a fraction in (0, 1]"));
        }
        out
    }
}

impl GateParams {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        if !(0.0..=1.0).contains(&self.min_accuracy) {
            out.push(issue(&["min_accuracy"], "a number between 0 and 1"));
        }
        if !(0.0..=1.0).contains(&self.max_ece) {
            out.push(issue(&["max_ece"], "a number between 0 and 1"));
        }
        let optional = [
            ("min_roc_auc", self.min_roc_auc, "a number between 0 and 1"),
            (
                "min_accuracy_lift",
                self.min_accuracy_lift,
                "a number between 0 and 1 (accuracy minus the majority-class rate)",
            ),
            ("max_demographic_parity_difference", self.max_demographic_parity_difference, "a number between 0 and 1"),
            ("max_equalized_odds_difference", self.max_equalized_odds_difference, "a number between 0 and 1"),
        ];
        for (key, value, expected) in optional {
            if value.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                out.push(issue(&[key], expected));
            }
        }
        out
    }
}

fn default_kaggle_csv() -> CsvSource {
    CsvSource {
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
fn default_batch_size() -> u32 {
    32
}
fn default_threshold() -> f64 {
    0.5
}
fn default_ece_bins() -> u32 {
    10
}
fn default_min_accuracy() -> f64 {
    0.85
}
fn default_max_ece() -> f64 {
    0.08
}

/// The typed parameters of one stage instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StageParams {
    /// A `load` stage.
    Load(LoadParams),
    /// A `train` stage.
    Train(TrainParams),
    /// A `gate` stage.
    Gate(GateParams),
    /// An `audit` stage.
    Audit(AuditParams),
    /// A `drift` stage.
    Drift(DriftParams),
    /// A `phase3` stage.
    Phase3(Phase3Params),
    /// An `optimize` stage.
    Optimize(super::optimize_params::OptimizeParams),
    /// A `report` stage.
    Report(ReportParams),
}
