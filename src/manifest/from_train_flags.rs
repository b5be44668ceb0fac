//! `nethical train`'s flags as a manifest: one `load` per synthetic family needed (or one
//! Kaggle dataset), then `train_<type>` and `gate_<type>` per model type, and the `drift`,
//! `phase3`, `optimize` and `audit` stages the flags ask for.
//!
//! The stages are built as typed parameters, not as text, and then go through [`super::load`]
//! like a file would: the same validation, expansion and `manifest.resolved.toml`, so a
//! pipeline written out by hand with the same values has the same cache keys. The flags
//! arrive as [`TrainFlags`], plain values: only `cli` knows clap.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::params::optimize::{OptimizeParams, SpaceParam, SpaceRange, SpaceValue};
use super::params::{
    AuditParams, CsvSource, DEFAULT_EPOCHS, DataSource, DriftParams, EcePolicy, GateParams, KaggleFallback,
    KaggleSource, LoadParams, MissingPolicyName, ModelType, Phase3Params, SplitParams, SplitStrategyName, StageKind,
    StageParams, SyntheticFamily, SyntheticSource, TrainParams,
};
use super::{Manifest, ManifestErrors, ManifestInput, PipelineMeta};
use crate::optimize::Technique;

/// The name the generated manifest is read under: what its errors and the run name as its file.
pub const TRAIN_MANIFEST_NAME: &str = "nethical-train.toml";

/// Model types of the original that it never implemented.
const NEVER_IMPLEMENTED: [&str; 5] = ["shadow_ai", "deepfake", "polymorphic", "prompt_injection", "adversarial"];

/// What `--model-type all` trains: every model type this version implements, in the
/// original's order.
const ALL_TYPES: [ModelType; 5] = [
    ModelType::Heuristic,
    ModelType::Logistic,
    ModelType::SimpleTransformer,
    ModelType::Anomaly,
    ModelType::Correlation,
];

/// The values of `nethical train`'s flags that shape the pipeline (the folders it copies
/// results to and the runner's settings stay with the command).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainFlags {
    /// `--model-type`: a model type's name or `all`.
    pub model_type: String,
    /// `--epochs`.
    pub epochs: Option<u32>,
    /// `--rounds`.
    pub rounds: Option<u32>,
    /// `--batch-size`.
    pub batch_size: u32,
    /// `--num-samples`.
    pub num_samples: u64,
    /// `--seed`.
    pub seed: u64,
    /// `--train-ratio`.
    pub train_ratio: f64,
    /// `--split-strategy`.
    pub split_strategy: SplitStrategyName,
    /// `--no-download`.
    pub no_download: bool,
    /// `--kaggle-dataset`, in the order given.
    pub kaggle_dataset: Vec<String>,
    /// `--overwrite-kaggle-json`.
    pub overwrite_kaggle_json: bool,
    /// `--cohort-id`.
    pub cohort_id: Option<String>,
    /// `--ece-bins`.
    pub ece_bins: u32,
    /// `--ece-policy`.
    pub ece_policy: EcePolicy,
    /// `--promotion-max-ece`.
    pub promotion_max_ece: f64,
    /// `--promotion-min-accuracy`.
    pub promotion_min_accuracy: f64,
    /// `--enable-audit`.
    pub enable_audit: bool,
    /// `--enable-drift-tracking`.
    pub enable_drift_tracking: bool,
    /// `--enable-phase3`.
    pub enable_phase3: bool,
    /// `--enable-phase89`.
    pub enable_phase89: bool,
    /// `--optimize-config`.
    pub optimize_config: bool,
    /// `--optimization-technique`.
    pub optimization_technique: Technique,
    /// `--optimization-iterations`.
    pub optimization_iterations: u32,
    /// `--enable-governance`.
    pub enable_governance: bool,
    /// `--include-adversarial`.
    pub include_adversarial: bool,
    /// Whether `--compare-with-baseline` was given.
    pub compare_with_baseline: bool,
}

/// Why the flags make no pipeline. The messages name the flags, as the user wrote them.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TrainFlagsError {
    /// `--optimize-config` alone, which the original silently ignored.
    #[error("`--optimize-config` needs `--enable-phase89` (the original silently did nothing)")]
    OptimizeWithoutPhase89,
    /// A flag whose stage this version does not have.
    #[error("`{flag}` is not yet supported by nethical {version}: {what}", version = crate::VERSION)]
    NotYetSupported {
        /// The flag, as written.
        flag: &'static str,
        /// What to do instead, or when it comes.
        what: &'static str,
    },
    /// `--train-ratio` outside (0, 1).
    #[error("--train-ratio must be strictly between 0 and 1, found {0}")]
    TrainRatio(f64),
    /// A promotion threshold outside [0, 1].
    #[error("{flag} must be between 0 and 1, found {value}")]
    NotAFraction {
        /// The flag.
        flag: &'static str,
        /// Its value.
        value: f64,
    },
    /// A model type the original listed but never implemented.
    #[error("model type `{0}` has no implementation (the original lists it but never implemented it)")]
    NeverImplemented(String),
    /// A name that is no model type.
    #[error("unknown model type `{name}`; expected {known} or all")]
    UnknownModelType {
        /// The name given.
        name: String,
        /// The model types, comma-separated.
        known: String,
    },
    /// The TOML writer refused the stages (no value the flags can take is known to do this).
    #[error("cannot write the generated manifest")]
    Render(#[source] toml::ser::Error),
    /// The generated manifest is invalid, e.g. a `--cohort-id` no cohort may have.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] ManifestErrors),
}

/// One model type of the run and the cohort it trains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainCohort {
    /// The model type.
    pub model: ModelType,
    /// Its cohort (`--cohort-id`, suffixed with the model type when there are several).
    pub cohort: String,
}

/// The pipeline `nethical train` runs.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainPipeline {
    /// The validated manifest.
    pub manifest: Manifest,
    /// The model types trained, in the order the summary lists them.
    pub cohorts: Vec<TrainCohort>,
    /// One-line notes on flags that some of the model types do not take.
    pub notes: Vec<String>,
}

/// Builds and validates the pipeline the flags describe.
pub fn from_train_flags(flags: &TrainFlags) -> Result<TrainPipeline, TrainFlagsError> {
    check_flags(flags)?;
    let types = model_types(&flags.model_type)?;
    let many = types.len() > 1;
    let cohorts: Vec<TrainCohort> =
        types.iter().map(|&model| TrainCohort { model, cohort: cohort_of(flags, model, many) }).collect();
    let document = document(flags, &cohorts);
    let text = toml::to_string(&document).map_err(TrainFlagsError::Render)?;
    let manifest = super::load(&ManifestInput::new(Path::new(TRAIN_MANIFEST_NAME), text, Vec::new()))?;
    Ok(TrainPipeline { manifest, cohorts, notes: length_notes(flags, &types) })
}

/// Refuses the flags whose stages are not implemented yet, rather than ignoring them.
fn check_flags(a: &TrainFlags) -> Result<(), TrainFlagsError> {
    if a.optimize_config && !a.enable_phase89 {
        return Err(TrainFlagsError::OptimizeWithoutPhase89);
    }
    let later: [(bool, &'static str, &'static str); 6] = [
        (
            a.enable_phase89 && !a.optimize_config,
            "--enable-phase89 without --optimize-config",
            "recording a configuration without searching is not supported; add --optimize-config to train, measure and gate candidate configurations",
        ),
        (a.enable_governance, "--enable-governance", "governance validation comes in a later version"),
        (a.include_adversarial, "--include-adversarial", "adversarial samples come in a later version"),
        (a.compare_with_baseline, "--compare-with-baseline", "run comparison comes in a later version"),
        (
            a.kaggle_dataset.len() > 1,
            "--kaggle-dataset (more than once)",
            "train on one dataset per run (the original concatenated unrelated CSVs with different labels)",
        ),
        (
            a.overwrite_kaggle_json,
            "--overwrite-kaggle-json",
            "nethical never writes credentials to disk; create ~/.kaggle/kaggle.json yourself or set KAGGLE_USERNAME/KAGGLE_KEY",
        ),
    ];
    if let Some((_, flag, what)) = later.into_iter().find(|(on, _, _)| *on) {
        return Err(TrainFlagsError::NotYetSupported { flag, what });
    }
    if !(a.train_ratio > 0.0 && a.train_ratio < 1.0) {
        return Err(TrainFlagsError::TrainRatio(a.train_ratio));
    }
    for (value, flag) in
        [(a.promotion_max_ece, "--promotion-max-ece"), (a.promotion_min_accuracy, "--promotion-min-accuracy")]
    {
        if !(0.0..=1.0).contains(&value) {
            return Err(TrainFlagsError::NotAFraction { flag, value });
        }
    }
    Ok(())
}

fn model_types(arg: &str) -> Result<Vec<ModelType>, TrainFlagsError> {
    if arg.eq_ignore_ascii_case("all") {
        return Ok(ALL_TYPES.to_vec());
    }
    if let Some(m) = ALL_TYPES.into_iter().find(|m| m.name() == arg) {
        return Ok(vec![m]);
    }
    if NEVER_IMPLEMENTED.contains(&arg) {
        return Err(TrainFlagsError::NeverImplemented(arg.to_owned()));
    }
    let known: Vec<&str> = ALL_TYPES.iter().map(|m| m.name()).collect();
    Err(TrainFlagsError::UnknownModelType { name: arg.to_owned(), known: known.join(", ") })
}

/// The original's synthetic family for each model type.
fn family(m: ModelType) -> SyntheticFamily {
    match m {
        ModelType::Anomaly => SyntheticFamily::Anomaly,
        ModelType::Correlation => SyntheticFamily::Correlation,
        ModelType::Heuristic | ModelType::Logistic | ModelType::SimpleTransformer => SyntheticFamily::Default,
    }
}

/// The `load` stage named after a synthetic family.
fn family_stage(f: SyntheticFamily) -> &'static str {
    match f {
        SyntheticFamily::Default => "data_default",
        SyntheticFamily::Anomaly => "data_anomaly",
        SyntheticFamily::Correlation => "data_correlation",
        SyntheticFamily::Coordination => "data_coordination",
    }
}

const KAGGLE_STAGE: &str = "data_kaggle";

/// The cohort of a model type.
fn cohort_of(a: &TrainFlags, m: ModelType, many: bool) -> String {
    match &a.cohort_id {
        Some(c) if !many => c.clone(),
        Some(c) => format!("{c}_{}", m.name()),
        None => m.name().to_owned(),
    }
}

/// The dataset to download, unless `--no-download` says not to.
fn kaggle_slug(a: &TrainFlags) -> Option<&str> {
    a.kaggle_dataset.first().filter(|_| !a.no_download).map(String::as_str)
}

/// The `load` stage a model type's stages read.
fn data_stage(a: &TrainFlags, m: ModelType) -> &'static str {
    if kaggle_slug(a).is_some() { KAGGLE_STAGE } else { family_stage(family(m)) }
}

/// The synthetic families the model types need, once each, in name order.
fn families(types: &[ModelType]) -> Vec<SyntheticFamily> {
    let mut out: Vec<SyntheticFamily> = types.iter().map(|m| family(*m)).collect();
    out.sort_unstable_by_key(|f| family_stage(*f));
    out.dedup();
    out
}

/// How long a model trains.
#[derive(Clone, Copy)]
enum Length {
    /// Passes over the training rows.
    Epochs(u32),
    /// Boosting rounds (`correlation`).
    Rounds(u32),
}

impl Length {
    /// The `train` key and its value, for an `optimize` stage's `base`.
    fn key_value(self) -> (&'static str, u32) {
        match self {
            Length::Epochs(n) => ("epochs", n),
            Length::Rounds(n) => ("rounds", n),
        }
    }
}

/// How long model type `m` trains: `epochs` for the models that make passes over the rows,
/// `rounds` (when given) for `correlation`.
fn length(a: &TrainFlags, m: ModelType) -> Option<Length> {
    match (m, a.rounds) {
        (ModelType::Correlation, Some(rounds)) => Some(Length::Rounds(rounds)),
        (ModelType::Correlation, None) => None,
        _ => Some(Length::Epochs(a.epochs.unwrap_or(DEFAULT_EPOCHS))),
    }
}

/// The one-line notes on length flags that some of the chosen model types do not take.
fn length_notes(a: &TrainFlags, types: &[ModelType]) -> Vec<String> {
    let correlation = types.contains(&ModelType::Correlation);
    let mut notes = Vec::new();
    if correlation && a.epochs.is_some() {
        let rounds = a.rounds.map_or_else(|| "100, the default".to_owned(), |r| r.to_string());
        notes.push(format!("note: correlation does not use --epochs: it boosts --rounds trees ({rounds})"));
    }
    if a.rounds.is_some() && !correlation {
        notes.push("note: --rounds only applies to --model-type correlation; it is not used here".to_owned());
    }
    notes
}

/// A manifest file's shape, as far as `nethical train` fills it.
#[derive(Serialize)]
struct Document {
    pipeline: PipelineMeta,
    stages: BTreeMap<String, StageTable>,
}

/// A stage table: the shared keys, then the kind's parameters.
#[derive(Serialize)]
struct StageTable {
    kind: StageKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    needs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cohort: Option<String>,
    #[serde(flatten)]
    params: StageParams,
}

impl StageTable {
    fn new(params: StageParams, needs: Vec<String>) -> Self {
        Self { kind: params.kind(), needs, cohort: None, params }
    }
}

/// The manifest equivalent to the flags: one `load` per synthetic family needed (each model
/// type gets its family, as in the original), then `train_<type>` and `gate_<type>`.
fn document(a: &TrainFlags, cohorts: &[TrainCohort]) -> Document {
    let types: Vec<ModelType> = cohorts.iter().map(|c| c.model).collect();
    let split = SplitParams { strategy: a.split_strategy, train_ratio: a.train_ratio, ..SplitParams::default() };
    let load = |source: DataSource| {
        StageTable::new(StageParams::Load(LoadParams { source, split: split.clone(), export_csv: false }), Vec::new())
    };
    let mut stages = BTreeMap::new();
    let mut data_stages: Vec<String> = Vec::new();
    if let Some(slug) = kaggle_slug(a) {
        // One real dataset for every model type; rows with missing values are dropped (and
        // counted), as the original skipped invalid rows.
        let csv = CsvSource { missing: MissingPolicyName::Drop, max_rows: Some(a.num_samples), ..CsvSource::default() };
        let source =
            KaggleSource { dataset: slug.to_owned(), sha256: None, fallback: Some(KaggleFallback::Synthetic), csv };
        stages.insert(KAGGLE_STAGE.to_owned(), load(DataSource::Kaggle(Box::new(source))));
        data_stages.push(KAGGLE_STAGE.to_owned());
    } else {
        for f in families(&types) {
            let source = SyntheticSource { num_samples: a.num_samples, family: f, ..SyntheticSource::default() };
            stages.insert(family_stage(f).to_owned(), load(DataSource::Synthetic(source)));
            data_stages.push(family_stage(f).to_owned());
        }
    }
    for c in cohorts {
        let name = c.model.name();
        let mut train = TrainParams::new(c.model);
        match length(a, c.model) {
            Some(Length::Rounds(n)) => train.rounds = Some(n),
            Some(Length::Epochs(n)) => train.epochs = Some(n),
            None => {}
        }
        train.batch_size = a.batch_size;
        train.ece_bins = a.ece_bins;
        let mut table = StageTable::new(StageParams::Train(train), vec![data_stage(a, c.model).to_owned()]);
        table.cohort = Some(c.cohort.clone());
        stages.insert(format!("train_{name}"), table);
        let gate = GateParams {
            min_accuracy: a.promotion_min_accuracy,
            max_ece: a.promotion_max_ece,
            ece_policy: a.ece_policy,
            ..GateParams::default()
        };
        stages.insert(format!("gate_{name}"), StageTable::new(StageParams::Gate(gate), vec![format!("train_{name}")]));
    }
    if a.enable_drift_tracking || a.enable_phase3 {
        // Every cohort's train, gate and data: predictions, violations and input features.
        let mut needs: Vec<String> =
            types.iter().flat_map(|m| [format!("train_{}", m.name()), format!("gate_{}", m.name())]).collect();
        needs.extend(data_stages.iter().cloned());
        // Unlike the original, Phase 3 does not swallow drift tracking: both may run.
        if a.enable_drift_tracking {
            stages
                .insert("drift".to_owned(), StageTable::new(StageParams::Drift(DriftParams::default()), needs.clone()));
        }
        if a.enable_phase3 {
            stages.insert("phase3".to_owned(), StageTable::new(StageParams::Phase3(Phase3Params::default()), needs));
        }
    }
    if a.optimize_config {
        for m in &types {
            let table =
                StageTable::new(StageParams::Optimize(optimize_params(a, *m)), vec![data_stage(a, *m).to_owned()]);
            stages.insert(format!("optimize_{}", m.name()), table);
        }
    }
    if a.enable_audit {
        let mut sealed: Vec<String> = types.iter().map(|m| format!("gate_{}", m.name())).collect();
        if a.optimize_config {
            sealed.extend(types.iter().map(|m| format!("optimize_{}", m.name())));
        }
        if a.enable_drift_tracking {
            sealed.push("drift".to_owned());
        }
        if a.enable_phase3 {
            sealed.push("phase3".to_owned());
        }
        stages.insert("audit".to_owned(), StageTable::new(StageParams::Audit(AuditParams::default()), sealed));
    }
    let pipeline = PipelineMeta {
        name: "train".to_owned(),
        seed: a.seed,
        description: Some(format!("nethical train --model-type {}", a.model_type)),
    };
    Document { pipeline, stages }
}

/// The `optimize` stage of `--optimize-config` for one model type. The original searched
/// `classifier_threshold` (0.4–0.7) with gray-zone bounds no model here has; the threshold is
/// searched the same way, plus the learning rate (logistic, transformer) or the tree depth
/// (correlation), the parameters that change what those models learn.
fn optimize_params(a: &TrainFlags, m: ModelType) -> OptimizeParams {
    let grid = a.optimization_technique == Technique::GridSearch;
    let floats = |v: &[f64]| SpaceParam::Choice(v.iter().map(|x| SpaceValue::Float(*x)).collect());
    let range =
        |min: SpaceValue, max: SpaceValue, log: bool| SpaceParam::Range(SpaceRange { min, max, log, steps: None });
    let mut space = BTreeMap::new();
    space.insert(
        "threshold".to_owned(),
        if grid { floats(&[0.4, 0.5, 0.6]) } else { range(SpaceValue::Float(0.4), SpaceValue::Float(0.7), false) },
    );
    match m {
        ModelType::Logistic | ModelType::SimpleTransformer => {
            let lr = if grid {
                floats(&[0.01, 0.1, 1.0])
            } else {
                range(SpaceValue::Float(0.001), SpaceValue::Float(1.0), true)
            };
            space.insert("learning_rate".to_owned(), lr);
        }
        ModelType::Correlation => {
            let depth = if grid {
                SpaceParam::Choice([2, 4, 6].map(SpaceValue::Int).to_vec())
            } else {
                range(SpaceValue::Int(2), SpaceValue::Int(6), false)
            };
            space.insert("max_depth".to_owned(), depth);
        }
        ModelType::Heuristic | ModelType::Anomaly => {}
    }
    let mut params = OptimizeParams::new(m, space);
    if let Some((key, n)) = length(a, m).map(Length::key_value) {
        params.base.insert(key.to_owned(), SpaceValue::Int(i64::from(n)));
    }
    params.base.insert("batch_size".to_owned(), SpaceValue::Int(i64::from(a.batch_size)));
    params.base.insert("ece_bins".to_owned(), SpaceValue::Int(i64::from(a.ece_bins)));
    params.technique = a.optimization_technique;
    params.iterations = a.optimization_iterations;
    params.population = 10;
    params.generations = 5;
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(model_type: &str) -> TrainFlags {
        TrainFlags {
            model_type: model_type.to_owned(),
            epochs: None,
            rounds: None,
            batch_size: 32,
            num_samples: 10_000,
            seed: 42,
            train_ratio: 0.8,
            split_strategy: SplitStrategyName::Temporal,
            no_download: true,
            kaggle_dataset: Vec::new(),
            overwrite_kaggle_json: false,
            cohort_id: None,
            ece_bins: 10,
            ece_policy: EcePolicy::Strict,
            promotion_max_ece: 0.08,
            promotion_min_accuracy: 0.85,
            enable_audit: false,
            enable_drift_tracking: false,
            enable_phase3: false,
            enable_phase89: false,
            optimize_config: false,
            optimization_technique: Technique::RandomSearch,
            optimization_iterations: 20,
            enable_governance: false,
            include_adversarial: false,
            compare_with_baseline: false,
        }
    }

    /// The flags' pipeline is the manifest a user would write for them, down to its digest
    /// (and so its cache keys): `nethical train` and `nethical run` share cached results.
    #[test]
    fn the_flags_make_the_manifest_a_user_would_write() -> Result<(), Box<dyn std::error::Error>> {
        let mut f = flags("correlation");
        f.kaggle_dataset = vec!["owner/data".to_owned()];
        f.no_download = false;
        f.rounds = Some(7);
        f.cohort_id = Some("c".to_owned());
        f.split_strategy = SplitStrategyName::Stratified;
        f.enable_drift_tracking = true;
        f.enable_audit = true;
        f.enable_phase89 = true;
        f.optimize_config = true;
        f.optimization_technique = Technique::GridSearch;
        let by_hand = r#"
[pipeline]
name = "train"
seed = 42
description = "nethical train --model-type correlation"

[stages.data_kaggle]
kind = "load"
source = { kaggle = { dataset = "owner/data", fallback = "synthetic", csv = { missing = "drop", max_rows = 10000 } } }
split = { strategy = "stratified", train_ratio = 0.8 }

[stages.train_correlation]
kind = "train"
needs = ["data_kaggle"]
model = "correlation"
rounds = 7
batch_size = 32
ece_bins = 10
cohort = "c"

[stages.gate_correlation]
kind = "gate"
needs = ["train_correlation"]
min_accuracy = 0.85
max_ece = 0.08
ece_policy = "strict"

[stages.drift]
kind = "drift"
needs = ["train_correlation", "gate_correlation", "data_kaggle"]

[stages.optimize_correlation]
kind = "optimize"
needs = ["data_kaggle"]
model = "correlation"
technique = "grid_search"
iterations = 20
population = 10
generations = 5
base = { rounds = 7, batch_size = 32, ece_bins = 10 }
space = { threshold = [0.4, 0.5, 0.6], max_depth = [2, 4, 6] }

[stages.audit]
kind = "audit"
needs = ["gate_correlation", "optimize_correlation", "drift"]
"#;
        let written = super::super::load(&ManifestInput::new(Path::new("m.toml"), by_hand.to_owned(), Vec::new()))?;
        let built = from_train_flags(&f)?;
        assert_eq!(built.manifest, written);
        assert_eq!(built.cohorts, [TrainCohort { model: ModelType::Correlation, cohort: "c".to_owned() }]);
        Ok(())
    }

    #[test]
    fn all_trains_every_implemented_type_on_its_family() -> Result<(), TrainFlagsError> {
        let mut f = flags("all");
        f.cohort_id = Some("c".to_owned());
        f.epochs = Some(3);
        let built = from_train_flags(&f)?;
        let cohorts: Vec<&str> = built.cohorts.iter().map(|c| c.cohort.as_str()).collect();
        assert_eq!(cohorts, ["c_heuristic", "c_logistic", "c_simple_transformer", "c_anomaly", "c_correlation"]);
        let loads: Vec<&str> =
            built.manifest.instances.iter().filter(|i| i.kind == StageKind::Load).map(|i| i.id.as_str()).collect();
        assert_eq!(loads, ["data_anomaly", "data_correlation", "data_default"]);
        assert_eq!(
            built.notes,
            ["note: correlation does not use --epochs: it boosts --rounds trees (100, the default)"]
        );
        Ok(())
    }

    #[test]
    fn flags_without_a_stage_are_refused_by_name() {
        let message = |f: &TrainFlags| from_train_flags(f).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message(&flags("deepfake")),
            "model type `deepfake` has no implementation (the original lists it but never implemented it)"
        );
        assert_eq!(
            message(&flags("tree")),
            "unknown model type `tree`; expected heuristic, logistic, simple_transformer, anomaly, correlation or all"
        );
        let mut f = flags("logistic");
        f.optimize_config = true;
        assert!(message(&f).starts_with("`--optimize-config` needs `--enable-phase89`"));
        let mut f = flags("logistic");
        f.train_ratio = 1.0;
        assert_eq!(message(&f), "--train-ratio must be strictly between 0 and 1, found 1");
        let mut f = flags("logistic");
        f.seed = u64::MAX;
        assert_eq!(from_train_flags(&f).ok().map(|p| p.manifest.pipeline.seed), Some(u64::MAX));
    }
}
