//! Parameters of an `optimize` stage: a search over `train` parameters, each candidate trained
//! and measured (see [`crate::optimize`]).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{CandidateParamsError, ModelType, RangeIssue, TrainParams};
use crate::error_chain::error_chain;
use crate::optimize::{Config, GateThresholds, ParamValue, SearchSpace, Technique};

/// A fixed or listed parameter value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SpaceValue {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// A name, e.g. `"balanced"`.
    Str(String),
}

/// A manifest's value as the search library's: the same four scalar kinds.
impl From<&SpaceValue> for ParamValue {
    fn from(v: &SpaceValue) -> Self {
        match v {
            SpaceValue::Bool(b) => ParamValue::Bool(*b),
            SpaceValue::Int(i) => ParamValue::Int(*i),
            SpaceValue::Float(f) => ParamValue::Float(*f),
            SpaceValue::Str(s) => ParamValue::Str(s.clone()),
        }
    }
}

/// A range of a search space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpaceRange {
    /// Lowest value (whole numbers for both bounds make an integer range).
    pub min: SpaceValue,
    /// Highest value, inclusive.
    pub max: SpaceValue,
    /// Sample (and space grid points) uniformly in the logarithm.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub log: bool,
    /// Grid points of a float range (default: the stage's `grid_steps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
}

/// One parameter of the search space: a list of values, or a range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SpaceParam {
    /// The values to choose from.
    Choice(Vec<SpaceValue>),
    /// A numeric range.
    Range(SpaceRange),
}

/// How a candidate's latency is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LatencyMode {
    /// Operations per prediction × 1 ns (reproducible; see `Model::ops_per_prediction`).
    #[default]
    Deterministic,
    /// Wall-clock time to score the validation rows, per row; the results are then not
    /// reproducible, so the stage is never reused from the cache.
    Measured,
}

/// What the search maximises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// The Phase 8–9 fitness of METRICS.md.
    #[default]
    Fitness,
    /// Accuracy.
    Accuracy,
    /// F1.
    F1,
    /// ROC-AUC.
    RocAuc,
    /// Recall.
    Recall,
    /// Precision.
    Precision,
    /// Expected calibration error, minimised.
    Ece,
    /// Log loss, minimised.
    LogLoss,
    /// Brier score, minimised.
    Brier,
}

impl Objective {
    /// The manifest spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fitness => "fitness",
            Self::Accuracy => "accuracy",
            Self::F1 => "f1",
            Self::RocAuc => "roc_auc",
            Self::Recall => "recall",
            Self::Precision => "precision",
            Self::Ece => "ece",
            Self::LogLoss => "log_loss",
            Self::Brier => "brier",
        }
    }

    /// Whether lower is better (the search then maximises the negated value).
    pub fn minimised(self) -> bool {
        matches!(self, Self::Ece | Self::LogLoss | Self::Brier)
    }
}

/// Parameters of an `optimize` stage: the model type, the search space over its `train`
/// parameters, the technique and its budget, the baseline and the promotion gate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptimizeParams {
    /// The model type every candidate trains.
    pub model: ModelType,
    /// `train` parameters every candidate shares, e.g. `{ epochs = 10 }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub base: BTreeMap<String, SpaceValue>,
    /// The parameters searched: `name = [values]` or `name = { min, max, log?, steps? }`.
    pub space: BTreeMap<String, SpaceParam>,
    /// `random_search`, `grid_search` or `evolutionary`.
    #[serde(default)]
    pub technique: Technique,
    /// What ranks the candidates (default: the Phase 8–9 `fitness`; `ece`, `log_loss` and
    /// `brier` are minimised). The promotion gate keeps the Phase 8–9 criteria whatever it is.
    #[serde(default)]
    pub objective: Objective,
    /// Configurations drawn by `random_search`.
    #[serde(default = "default_iterations")]
    pub iterations: u32,
    /// Population of `evolutionary`.
    #[serde(default = "default_population")]
    pub population: u32,
    /// Generations of `evolutionary` after the first.
    #[serde(default = "default_generations")]
    pub generations: u32,
    /// Grid points of each float range without its own `steps` (`grid_search`).
    #[serde(default = "default_grid_steps")]
    pub grid_steps: u32,
    /// The configuration candidates must beat (over `base`; default: `base` alone). Leave it
    /// out and add a `train` stage to `needs` to gate against that cohort's model instead.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub baseline: BTreeMap<String, SpaceValue>,
    /// A CSV of human review labels, `row,human_label`: human agreement is measured on them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_labels: Option<String>,
    /// `deterministic` (default) or `measured`.
    #[serde(default)]
    pub latency: LatencyMode,
    /// The promotion gate's thresholds (defaults: the original's).
    #[serde(default)]
    pub gate: GateThresholds,
}

fn default_iterations() -> u32 {
    20
}
fn default_population() -> u32 {
    10
}
fn default_generations() -> u32 {
    5
}
fn default_grid_steps() -> u32 {
    3
}

fn issue(key: &[&'static str], expected: impl Into<String>) -> RangeIssue {
    RangeIssue { key: key.to_vec(), expected: expected.into(), over_limit: None }
}

impl OptimizeParams {
    /// A search over `space` for `model`, every other key at the default a manifest gets when
    /// it leaves the key out, for stages built in code.
    pub fn new(model: ModelType, space: BTreeMap<String, SpaceParam>) -> Self {
        Self {
            model,
            base: BTreeMap::new(),
            space,
            technique: Technique::default(),
            objective: Objective::default(),
            iterations: default_iterations(),
            population: default_population(),
            generations: default_generations(),
            grid_steps: default_grid_steps(),
            baseline: BTreeMap::new(),
            review_labels: None,
            latency: LatencyMode::default(),
            gate: GateThresholds::default(),
        }
    }

    /// The search space, validated.
    pub fn search_space(&self) -> Result<SearchSpace, CandidateParamsError> {
        let mut params = BTreeMap::new();
        for (name, p) in &self.space {
            let value = serde_json::to_value(p).map_err(CandidateParamsError::SpaceJson)?;
            let param: crate::optimize::Param = serde_json::from_value(value)
                .map_err(|reason| CandidateParamsError::SpaceParam { name: name.clone(), reason })?;
            params.insert(name.clone(), param);
        }
        Ok(SearchSpace::new(params)?)
    }

    /// The `train` parameters of a configuration: the model's defaults, `base` over them, then
    /// `values` over that.
    pub fn train_params(&self, values: &Config) -> Result<TrainParams, CandidateParamsError> {
        let mut params = TrainParams::new(self.model);
        for (k, v) in &self.base {
            params.set(k, &ParamValue::from(v))?;
        }
        for (k, v) in values {
            params.set(k, v)?;
        }
        let issues = params.range_issues();
        if let Some(i) = issues.first() {
            return Err(CandidateParamsError::Range { key: i.key.join("."), expected: i.expected.clone() });
        }
        if params.resolve_epochs() {
            return Err(CandidateParamsError::EpochsForCorrelation);
        }
        Ok(params)
    }

    /// The configuration candidates must beat, over `base` (empty: `base` alone).
    pub fn baseline_config(&self) -> Config {
        self.baseline.iter().map(|(k, v)| (k.clone(), ParamValue::from(v))).collect()
    }

    /// The configurations of its `grid_search`, or `None` for another technique or a space
    /// that is not valid (reported on its own).
    pub fn grid_configurations(&self) -> Option<u128> {
        if self.technique != crate::optimize::Technique::GridSearch {
            return None;
        }
        crate::optimize::grid_size(&self.search_space().ok()?, self.grid_steps as usize).ok()
    }

    /// The largest `epochs` or `rounds` a candidate could get (from `base` or the space), with
    /// its key: what `[limits] max_epochs` bounds.
    pub fn largest_pass_count(&self) -> Option<(&'static str, u64)> {
        let as_u64 = |v: &SpaceValue| match v {
            SpaceValue::Int(i) => u64::try_from(*i).ok(),
            SpaceValue::Float(f) if f.is_finite() && *f >= 0.0 => Some(*f as u64),
            _ => None,
        };
        let mut best: Option<(&'static str, u64)> = None;
        for key in ["epochs", "rounds"] {
            let mut values: Vec<u64> = self.base.get(key).and_then(as_u64).into_iter().collect();
            match self.space.get(key) {
                Some(SpaceParam::Choice(v)) => values.extend(v.iter().filter_map(as_u64)),
                Some(SpaceParam::Range(r)) => values.extend([&r.min, &r.max].into_iter().filter_map(as_u64)),
                None => {}
            }
            if let Some(m) = values.into_iter().max()
                && best.is_none_or(|(_, b)| m > b)
            {
                best = Some((key, m));
            }
        }
        best
    }

    /// Checks what serde cannot (limits are [`super::Limits::optimize_issues`]): the space is valid, every key is a `train` parameter of the
    /// model, and each range's ends and each listed value give valid `train` parameters.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        for key in self.base.keys().chain(self.space.keys()).chain(self.baseline.keys()) {
            if key == "model" {
                out.push(issue(&["space"], "free of `model`: the stage's `model` names the model type"));
            }
        }
        if let Err(e) = self.search_space() {
            out.push(issue(&["space"], format!("a valid search space ({})", error_chain(&e))));
            return out;
        }
        if let Err(e) = self.train_params(&Config::new()) {
            out.push(issue(&["base"], format!("valid `train` parameters: {}", error_chain(&e))));
            return out;
        }
        for (name, param) in &self.space {
            let values: Vec<&SpaceValue> = match param {
                SpaceParam::Choice(v) => v.iter().collect(),
                SpaceParam::Range(r) => vec![&r.min, &r.max],
            };
            for v in values.into_iter().map(ParamValue::from) {
                if let Err(e) = self.train_params(&Config::from([(name.clone(), v.clone())])) {
                    out.push(issue(
                        &["space"],
                        format!("valid `train` parameters at `{name}` = {v}: {}", error_chain(&e)),
                    ));
                    break;
                }
            }
        }
        if let Err(e) = self.train_params(&self.baseline_config()) {
            out.push(issue(&["baseline"], format!("valid `train` parameters: {}", error_chain(&e))));
        }
        for (key, value, least) in
            [("iterations", self.iterations, 1), ("population", self.population, 2), ("grid_steps", self.grid_steps, 2)]
        {
            if value < least {
                out.push(issue(&[key], format!("at least {least}, found {value}")));
            }
        }
        out
    }
}

impl super::KindParams for OptimizeParams {
    const FAN_IN: bool = false;
    const REQUIRED_UPSTREAM: Option<super::StageKind> = Some(super::StageKind::Load);

    fn range_issues(&self) -> Vec<RangeIssue> {
        OptimizeParams::range_issues(self)
    }

    fn limit_issues(&self, limits: &crate::manifest::Limits) -> Vec<RangeIssue> {
        limits.optimize_issues(self)
    }

    /// The review labels it reads.
    fn external_inputs(&self, at: &super::ExternalAt<'_>) -> Vec<(String, std::path::PathBuf)> {
        self.review_labels.iter().map(|r| (r.clone(), at.base_dir.join(r))).collect()
    }
}
