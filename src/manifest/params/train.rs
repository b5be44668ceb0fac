//! A `train` stage's parameters: the model and its knobs, with the checks that a model's own
//! keys go with that model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::candidate_error::SetParamError;
use super::range_issue::{RangeIssue, issue, open_unit};
use crate::optimize::ParamValue;

/// The keys of a `train` stage, in declaration order (as serde lists them in its errors).
const KEYS: [&str; 15] = [
    "model",
    "epochs",
    "batch_size",
    "learning_rate",
    "l2",
    "class_weight",
    "solver",
    "max_depth",
    "min_samples_leaf",
    "subsample",
    "rounds",
    "algorithm",
    "calibrate",
    "threshold",
    "ece_bins",
];

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

/// `epochs` when a model that reads it has none set.
pub const DEFAULT_EPOCHS: u32 = 10;

impl TrainParams {
    /// A model's parameters with every other key at the default a manifest gets when it leaves
    /// the key out, so a stage built in code reads back as the same stage written by hand.
    pub fn new(model: ModelType) -> Self {
        Self {
            model,
            epochs: None,
            batch_size: default_batch_size(),
            learning_rate: None,
            l2: None,
            class_weight: None,
            solver: None,
            max_depth: None,
            min_samples_leaf: None,
            subsample: None,
            rounds: None,
            algorithm: None,
            calibrate: None,
            threshold: default_threshold(),
            ece_bins: default_ece_bins(),
        }
    }

    /// Sets the key `key` to `value`, as an `optimize` stage's `base`, search space and
    /// `baseline` do for each candidate: the candidate is built field by field, and a value of
    /// the wrong type or a key `train` does not have is refused with the key's name. `model`
    /// is the `optimize` stage's own and cannot be set.
    pub fn set(&mut self, key: &str, value: &ParamValue) -> Result<(), SetParamError> {
        match key {
            "model" => return Err(SetParamError::Model),
            "epochs" => self.epochs = Some(whole(key, value)?),
            "batch_size" => self.batch_size = whole(key, value)?,
            "learning_rate" => self.learning_rate = Some(number(key, value)?),
            "l2" => self.l2 = Some(number(key, value)?),
            "class_weight" => self.class_weight = Some(named(key, value)?),
            "solver" => self.solver = Some(named(key, value)?),
            "max_depth" => self.max_depth = Some(whole(key, value)?),
            "min_samples_leaf" => self.min_samples_leaf = Some(whole(key, value)?),
            "subsample" => self.subsample = Some(number(key, value)?),
            "rounds" => self.rounds = Some(whole(key, value)?),
            "algorithm" => self.algorithm = Some(named(key, value)?),
            "calibrate" => self.calibrate = Some(named(key, value)?),
            "threshold" => self.threshold = number(key, value)?,
            "ece_bins" => self.ece_bins = whole(key, value)?,
            _ => return Err(SetParamError::UnknownKey { key: key.to_owned() }),
        }
        Ok(())
    }

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

/// The keys a candidate may set, quoted as serde lists them: the tail of
/// [`SetParamError::UnknownKey`].
pub(super) fn expected_keys() -> String {
    KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

/// A whole-number key's value (`epochs`, `batch_size`, ...).
fn whole(key: &str, value: &ParamValue) -> Result<u32, SetParamError> {
    match value {
        ParamValue::Int(i) => {
            u32::try_from(*i).map_err(|_| SetParamError::WholeRange { key: key.to_owned(), found: *i })
        }
        other => Err(SetParamError::Whole { key: key.to_owned(), found: other.clone() }),
    }
}

/// A number key's value; a whole number is that number, as TOML and JSON readers take it.
fn number(key: &str, value: &ParamValue) -> Result<f64, SetParamError> {
    match value {
        ParamValue::Int(i) => Ok(*i as f64),
        ParamValue::Float(f) => Ok(*f),
        other => Err(SetParamError::Number { key: key.to_owned(), found: other.clone() }),
    }
}

/// A named choice's value, read by the choice's own serde names so a search and a manifest
/// spell it alike.
fn named<T: serde::de::DeserializeOwned>(key: &str, value: &ParamValue) -> Result<T, SetParamError> {
    match value {
        ParamValue::Str(s) => T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s))
            .map_err(|reason| SetParamError::UnknownName { key: key.to_owned(), reason }),
        other => Err(SetParamError::NotName { key: key.to_owned(), found: other.clone() }),
    }
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

impl super::KindParams for TrainParams {
    const FAN_IN: bool = false;
    const REQUIRED_UPSTREAM: Option<super::StageKind> = Some(super::StageKind::Load);
    const WRITES_COHORT: bool = true;

    fn range_issues(&self) -> Vec<RangeIssue> {
        TrainParams::range_issues(self)
    }

    fn limit_issues(&self, limits: &crate::manifest::Limits) -> Vec<RangeIssue> {
        limits.train_issues(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a `train` stage serializes can be set on a candidate, to the same value: a
    /// field added to `TrainParams` without its arm in `set` fails here.
    #[test]
    fn every_key_can_be_set_to_its_value() -> Result<(), Box<dyn std::error::Error>> {
        let full = TrainParams {
            model: ModelType::Logistic,
            epochs: Some(3),
            batch_size: 7,
            learning_rate: Some(0.5),
            l2: Some(1.0),
            class_weight: Some(ClassWeightName::Balanced),
            solver: Some(SolverName::Lbfgs),
            max_depth: Some(4),
            min_samples_leaf: Some(2),
            subsample: Some(0.5),
            rounds: Some(9),
            algorithm: Some(TreeAlgorithmName::Exact),
            calibrate: Some(CalibrateName::Isotonic),
            threshold: 0.25,
            ece_bins: 12,
        };
        let json = serde_json::to_value(&full)?;
        let fields = json.as_object().ok_or("an object")?;
        assert_eq!(fields.keys().map(String::as_str).collect::<std::collections::BTreeSet<_>>(), KEYS.into());
        let mut built = TrainParams::new(ModelType::Logistic);
        for (key, value) in fields.iter().filter(|(k, _)| *k != "model") {
            let value: ParamValue = serde_json::from_value(value.clone())?;
            built.set(key, &value)?;
        }
        assert_eq!(built, full);
        Ok(())
    }

    #[test]
    fn wrong_values_name_their_key() {
        let mut p = TrainParams::new(ModelType::Logistic);
        let mut set = |k: &str, v: ParamValue| p.set(k, &v).map_err(|e| e.to_string());
        assert_eq!(set("epochs", ParamValue::Float(2.5)), Err("`epochs` must be a whole number, found 2.5".into()));
        assert_eq!(
            set("epochs", ParamValue::Int(-1)),
            Err("`epochs` must be a whole number from 0 to 4294967295, found -1".into())
        );
        assert_eq!(set("l2", ParamValue::from("x")), Err("`l2` must be a number, found \"x\"".into()));
        assert_eq!(set("solver", ParamValue::Int(1)), Err("`solver` must be a name, found 1".into()));
        assert!(set("solver", ParamValue::from("adam")).is_err_and(|e| e.starts_with("`solver`: unknown variant")));
        assert!(
            set("epoch", ParamValue::Int(2))
                .is_err_and(|e| e.starts_with("unknown field `epoch`, expected one of `model`, `epochs`"))
        );
        assert_eq!(
            set("model", ParamValue::from("anomaly")),
            Err("`model` is the stage's own `model`, not a searched parameter".into())
        );
    }
}
