//! `train`: fit one model on a `load` instance's training rows and score its validation rows.
//!
//! The raw parts are encoded by a [`Preprocessor`] fitted on the training part alone. Outputs,
//! under `cohorts/<cohort>/`: `model.json` (the saved model with its preprocessor, so it scores
//! raw inputs, plus where and when it was trained), `metrics.json` (every metric of METRICS.md
//! with its convention parameters and reliability-diagram data) and `predictions.csv`
//! (`row,y_true,y_prob,y_pred` for every validation row, then the group column when the data
//! has one), with the same predictions in the binary form the cohort-comparing stages read
//! ([`predictions_hand_off`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError, TryLockError};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use super::hand_off::HandOff;
use super::load::{LABEL_COLUMN, Schema};
use super::predictions_csv;
use super::predictions_hand_off::{self, ValidationPredictions};
use super::training_rows::TrainingRows;
use super::{StageContext, StageError, UpstreamOutput, json_bytes, rel, write};
use crate::artifacts::{CohortFairness, DataSourceRecord, METRICS_FORMAT, MetricsFile};
use crate::data::Dataset;
use crate::data::preprocess::Preprocessor;
use crate::data::table::{Table, Values, present};
use crate::manifest::StageKind;
use crate::manifest::params::{CalibrateName, ClassWeightName, ModelType, SolverName, TrainParams, TreeAlgorithmName};
use crate::metrics::{DEFAULT_FAIRNESS_RESAMPLES, FairnessOptions, MetricsConfig, evaluate, fairness_with, rank_rows};
use crate::models::calibration::CalibrationMethod;
use crate::models::{
    Anomaly, AnomalyParams, Calibrated, ClassWeight, Correlation, CorrelationParams, EpochProgress, FeatureTokens,
    FitHooks, Heuristic, LogisticParams, LogisticRegression, LogisticSolver, Model, SimpleTransformer,
    TransformerParams, TreeAlgorithm,
};
use crate::store::{EntryMeta, Staging};
use crate::trained::{Provenance, TrainedModel};

/// Generator stream of the fairness intervals; the model draws from stream 0 of the same seed.
const FAIRNESS_STREAM: u64 = 1;

/// One raw part, read with the hand-off schema.
pub(super) struct Part {
    pub features: Table,
    pub y: Vec<u8>,
    pub group: Option<Vec<String>>,
}

/// A `load` instance's parts, encoded by a preprocessor fitted on the training part alone.
pub(super) struct Prepared {
    /// The hand-off schema.
    pub schema: Schema,
    /// The raw validation part (its group column, its row ids).
    pub validation_part: Part,
    /// The fitted preprocessor.
    pub pre: Preprocessor,
    /// Encoded training rows.
    pub train: TrainingRows,
    /// Encoded validation rows.
    pub validation: Dataset,
    /// The data guards' findings on the `load` instance (`dataset.json`'s `warnings`).
    pub data_warnings: Vec<String>,
    /// Where the rows came from and how they were split (`dataset.json`'s `data` and `split`),
    /// carried into `metrics.json` so the report can say which data each cohort used.
    pub data_source: DataSourceRecord,
}

/// How many `load` instances' prepared data a process keeps for the instances that read
/// them: enough for `-j 2` over one data set per job, and bounded, because at 10,000,000 rows
/// one prepared data set is hundreds of MB.
const SHARED_DATA_SETS: usize = 2;

/// A slot of [`SHARED`]: filled by the first instance that reads the data set; others wait on
/// its lock, then share the result.
type SharedSlot = Arc<Mutex<Option<Arc<Prepared>>>>;

/// The prepared data of the `load` instances read last in this process, by content (the
/// instance's cache key and its outputs' digests), oldest first.
static SHARED: Mutex<VecDeque<(String, SharedSlot)>> = Mutex::new(VecDeque::new());

impl Prepared {
    /// The prepared data of `data`, read once in this process and shared by every `train` and
    /// `optimize` instance that needs it (four models of one data set then hold one copy of
    /// it, and read and encode it once). The data is a pure function of the `load` instance's
    /// outputs, so sharing changes no result.
    pub(super) fn shared(data: &UpstreamOutput) -> Result<Arc<Self>, StageError> {
        let mut content = data.entry.key.clone();
        for (path, digest) in &data.entry.outputs {
            content.push_str(&format!("\n{path}\t{}", digest.sha256));
        }
        let slot = {
            let mut slots = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
            match slots.iter().find(|(id, _)| *id == content) {
                Some((_, slot)) => Arc::clone(slot),
                None => {
                    let slot = SharedSlot::default();
                    slots.push_back((content, Arc::clone(&slot)));
                    if slots.len() > SHARED_DATA_SETS {
                        slots.pop_front();
                    }
                    slot
                }
            }
        };
        let mut prepared = lock_helping(&slot);
        if let Some(shared) = prepared.as_ref() {
            return Ok(Arc::clone(shared));
        }
        // An error is not kept: the next instance reads again and meets it itself.
        let read = Arc::new(Self::read(data)?);
        *prepared = Some(Arc::clone(&read));
        Ok(read)
    }

    /// Reads and encodes a `load` instance's training and validation parts.
    pub(super) fn read(data: &UpstreamOutput) -> Result<Self, StageError> {
        let read = |name: &str| data.read_optional(name);
        let open = |name: &str| data.open_optional(name);
        let hand_off = HandOff::open(&data.id, &read)?.streaming(&open);
        let schema = hand_off.schema.clone();
        // The two parts are read, and then encoded, side by side.
        let part = |name: &str| hand_off.part(name).and_then(|table| split_part(table, &schema));
        let (train_part, validation_part) = rayon::join(|| part("train"), || part("validation"));
        let (train_part, validation_part) = (train_part?, validation_part?);
        let pre = Preprocessor::fit(&train_part.features, schema.encode, schema.impute);
        let (train, validation) =
            rayon::join(|| TrainingRows::encode(train_part, &pre), || encode(&validation_part, &pre));
        let (train, validation) = (train?, validation?);
        let description = hand_off.description;
        let data_source = DataSourceRecord {
            instance: data.id.clone(),
            source: description.data,
            rows: description.rows,
            split: description.split,
        };
        let data_warnings = description.warnings.iter().map(ToString::to_string).collect();
        Ok(Self { schema, validation_part, pre, train, validation, data_warnings, data_source })
    }
}

/// Locks `slot`; while another instance holds it (reading the data every instance waits for),
/// this pool thread runs pending pool work, which is usually that reading's own parallel
/// halves, instead of sleeping: blocked, it would leave the reader one core of two.
///
/// The reader itself uses the pool while it holds the lock. That is safe because instances
/// are not pool jobs (see `exec::executor::Local`): what a waiting thread can steal is a part
/// of a running instance's parallel work, and no such part takes this lock. Were instances
/// pool jobs, the reader's thread could steal a second `train` instance that would then wait
/// for this lock above the reader's own frame, forever.
fn lock_helping(slot: &SharedSlot) -> std::sync::MutexGuard<'_, Option<Arc<Prepared>>> {
    loop {
        match slot.try_lock() {
            Ok(guard) => return guard,
            Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => crate::pool_wait::help_or_sleep(std::time::Duration::from_micros(100)),
        }
    }
}

/// Fits the model of `params` on the prepared training rows, calibrated on the `load`
/// instance's calibration part when `params.calibrate` asks for it.
pub(super) fn fit_model(
    data: &UpstreamOutput,
    prepared: &Prepared,
    params: &TrainParams,
    rng: &mut ChaCha8Rng,
    hooks: &FitHooks<'_>,
) -> Result<Box<dyn Model>, StageError> {
    let model = fit(prepared, params, rng, hooks)?;
    Ok(match params.calibrate {
        None => model,
        Some(method) => {
            let read = |name: &str| data.read_optional(name);
            let open = |name: &str| data.open_optional(name);
            let hand_off = HandOff::open(&data.id, &read)?.streaming(&open);
            let part = hand_off.optional_part("calibration")?.ok_or_else(|| {
                StageError::MissingInput(format!(
                    "`calibrate` needs a calibration split: set `split.calibration_ratio` in `{}`",
                    data.stage
                ))
            })?;
            let calibration = encode(&split_part(part, &prepared.schema)?, &prepared.pre)?;
            let method = match method {
                CalibrateName::Platt => CalibrationMethod::Platt,
                CalibrateName::Isotonic => CalibrationMethod::Isotonic,
            };
            Box::new(Calibrated::fit(model, &calibration, method)?)
        }
    })
}

/// A part's raw table split into its features, labels and groups.
fn split_part(table: Table, schema: &Schema) -> Result<Part, StageError> {
    let (columns, row_ids) = table.into_parts();
    let mut features = Vec::new();
    let mut y = Vec::new();
    let mut group = None;
    for c in columns {
        if schema.group.as_deref() == Some(c.name.as_str()) {
            // The group column goes to the fairness figures, and to the model as well when it
            // is also a feature (then it is in the hand-off table once, with the feature's type).
            group = Some(match &c.values {
                Values::Text(v) => v.iter().map(|g| g.clone().unwrap_or_default()).collect(),
                Values::Numeric(v) => {
                    v.iter().map(|&g| present(g).map(|g| g.to_string()).unwrap_or_default()).collect()
                }
            });
            if !schema.group_is_feature(&c.name) {
                continue;
            }
        }
        match (&c.values, c.name.as_str()) {
            (Values::Numeric(v), LABEL_COLUMN) => {
                y = v.iter().map(|&l| u8::from(l >= 0.5)).collect();
            }
            _ => features.push(c),
        }
    }
    Ok(Part { features: Table::new(features, row_ids)?, y, group })
}

fn encode(part: &Part, pre: &Preprocessor) -> Result<Dataset, StageError> {
    let (names, x) = pre.transform(&part.features)?;
    Ok(Dataset::with_row_ids(names, x, part.y.clone(), part.features.row_ids().to_vec())?)
}

/// A metric in the instance's summary line: four decimals, `n/a` when undefined.
fn metric_text(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.4}"))
}

/// Fits the model type on the encoded training rows, mapping the shared knobs onto its own
/// parameters (see [`TrainParams`]).
fn fit(
    prepared: &Prepared,
    params: &TrainParams,
    rng: &mut ChaCha8Rng,
    hooks: &FitHooks<'_>,
) -> Result<Box<dyn Model>, StageError> {
    let train = &prepared.train;
    let (y, names) = (train.y(), train.feature_names());
    // The row-major matrix, made on first use; the `sgd` solver is lent the columns instead
    // while there are no rows.
    let x = || train.dataset().x();
    let cancel = hooks.cancel;
    Ok(match params.model {
        ModelType::Logistic => {
            let d = LogisticParams::default();
            let solver = match params.solver {
                None | Some(SolverName::Sgd) => LogisticSolver::Sgd,
                Some(SolverName::Lbfgs) => LogisticSolver::Lbfgs,
            };
            // L-BFGS takes scikit-learn's default penalty, C = 1.
            let default_l2 = if solver == LogisticSolver::Lbfgs { 1.0 } else { d.l2 };
            let p = LogisticParams {
                epochs: params.epochs(),
                batch_size: params.batch_size as usize,
                learning_rate: params.learning_rate.unwrap_or(d.learning_rate),
                l2: params.l2.unwrap_or(default_l2),
                class_weight: params.class_weight.map(|ClassWeightName::Balanced| ClassWeight::Balanced),
                solver,
            };
            Box::new(match solver {
                // Lent the columns while it standardizes them, when there are no rows yet.
                LogisticSolver::Sgd => LogisticRegression::fit_features(train, y, names, &p, rng, cancel)?,
                LogisticSolver::Lbfgs => LogisticRegression::fit(x(), y, names, &p, rng, cancel)?,
            })
        }
        ModelType::Heuristic => Box::new(Heuristic::fit(x(), y, names)?),
        ModelType::Correlation => {
            let d = CorrelationParams::default();
            let p = CorrelationParams {
                n_trees: params.rounds.unwrap_or(d.n_trees),
                max_depth: params.max_depth.unwrap_or(d.max_depth),
                learning_rate: params.learning_rate.unwrap_or(d.learning_rate),
                min_samples_leaf: params.min_samples_leaf.map_or(d.min_samples_leaf, |m| m as usize),
                subsample: params.subsample.unwrap_or(d.subsample),
                l2: params.l2.unwrap_or(d.l2),
                algorithm: params.algorithm.map_or(d.algorithm, |a| match a {
                    TreeAlgorithmName::Hist => TreeAlgorithm::Hist,
                    TreeAlgorithmName::Exact => TreeAlgorithm::Exact,
                }),
            };
            Box::new(Correlation::fit(x(), y, names, &p, rng, cancel)?)
        }
        ModelType::Anomaly => Box::new(Anomaly::fit(x(), y, names, &AnomalyParams::default(), rng, cancel)?),
        ModelType::SimpleTransformer => {
            let d = TransformerParams::default();
            let p = TransformerParams {
                epochs: params.epochs(),
                batch_size: params.batch_size as usize,
                learning_rate: params.learning_rate.unwrap_or(d.learning_rate),
                l2: params.l2.unwrap_or(d.l2),
                ..d
            };
            Box::new(SimpleTransformer::fit_with(x(), y, names, &transformer_tokens(prepared)?, &p, rng, hooks)?)
        }
    })
}

/// The transformer's tokens: one per raw column, the preprocessor's one-hot features of a text
/// column being one token.
pub(super) fn transformer_tokens(prepared: &Prepared) -> Result<FeatureTokens, StageError> {
    let groups = prepared.pre.feature_groups();
    let one_hot: Vec<_> = groups.into_iter().filter(|group| group.one_hot).map(|group| group.features).collect();
    Ok(FeatureTokens::with_one_hot(prepared.train.feature_names(), &one_hot)?)
}

/// One progress line for an epoch.
fn epoch_line(progress: EpochProgress) -> String {
    format!("epoch {}/{}, loss {:.4}", progress.epoch, progress.epochs, progress.loss)
}

pub(super) fn run(ctx: &StageContext<'_>, params: &TrainParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let cohort = ctx.cohort()?;
    let data = ctx.upstream(StageKind::Load)?;
    let prepared = Prepared::shared(data)?;
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.instance.seed);
    let cancel = || ctx.cancel.load(std::sync::atomic::Ordering::Relaxed);
    let epoch_done = |progress| (ctx.progress)(&epoch_line(progress));
    let model = fit_model(data, &prepared, params, &mut rng, &FitHooks { cancel: &cancel, epoch_done: &epoch_done })?;
    let Prepared { schema, validation_part, pre, train, validation, data_warnings, data_source } = &*prepared;
    let probs = model.predict_dataset(validation)?;
    let config = MetricsConfig { threshold: params.threshold, bins: params.ece_bins as usize };
    let dir = format!("cohorts/{cohort}");
    let pred_path = format!("{dir}/predictions.csv");
    // The metrics (a sort, mostly one thread) beside the CSV's records (formatted in parallel
    // runs): at 200,000 rows about 8 ms off the instance. The metrics' error, if any, first.
    let (report, csv_chunks) = rayon::join(
        || evaluate(validation.y(), &probs, &config),
        || {
            predictions_csv::chunks(
                schema.group.as_deref(),
                validation.row_ids(),
                validation.y(),
                &probs,
                params.threshold,
                validation_part.group.as_deref(),
            )
        },
    );
    let report = report?;
    let csv_chunks =
        csv_chunks.map_err(|source| StageError::Io { what: format!("write `{pred_path}`"), source: source.into() })?;

    let trained = TrainedModel {
        provenance: Provenance {
            cohort: cohort.to_owned(),
            trained_at: ctx.clock.timestamp(),
            seed: ctx.instance.seed,
            training_rows: train.n_rows(),
            data: data.id.clone(),
            threshold: params.threshold,
        },
        preprocessor: pre.clone(),
        model,
    };
    let model_doc = trained.to_json()?;
    write(out, &format!("{dir}/model.json"), &json_bytes(&model_doc)?)?;
    // With a group column, METRICS.md's fairness metrics by group (selection rates, parity and
    // odds gaps over the groups of at least `min_group_size` validation rows, with intervals),
    // under `fairness` as `nethical metrics --group-col` writes them.
    let fairness = match (&schema.group, &validation_part.group) {
        (Some(column), Some(groups)) => {
            let y_pred: Vec<u8> = probs.iter().map(|&p| u8::from(p >= params.threshold)).collect();
            let options = FairnessOptions {
                min_group_size: schema.min_group_size,
                pool_small_groups: schema.pool_small_groups,
                resamples: DEFAULT_FAIRNESS_RESAMPLES,
            };
            // Its own stream of the instance seed: the model's draws are what they were before
            // the intervals existed.
            let mut fairness_rng = ChaCha8Rng::seed_from_u64(ctx.instance.seed);
            fairness_rng.set_stream(FAIRNESS_STREAM);
            let report = fairness_with(validation.y(), &y_pred, groups, &options, &mut fairness_rng)?;
            Some(CohortFairness { group_column: column.clone(), report })
        }
        _ => None,
    };
    let summary =
        format!("{}: accuracy {}, ECE {}", params.model.name(), metric_text(report.accuracy), metric_text(report.ece));
    let metrics = MetricsFile {
        format_version: METRICS_FORMAT,
        cohort: cohort.to_owned(),
        model_type: params.model.name().to_owned(),
        split: "validation".to_owned(),
        report,
        fairness,
        data_warnings: data_warnings.clone(),
        data_source: Some(data_source.clone()),
    };
    write(out, &format!("{dir}/metrics.json"), &metrics.to_bytes()?)?;
    let r = rel(&pred_path)?;
    // The ranking handed on with the predictions (a sort) is made while the CSV is written and
    // hashed on this thread. The metrics validated the probabilities; row positions are `u32`
    // in the ranking.
    let (written, ranking) = rayon::join(
        || out.write_with(&r, |w| csv_chunks.iter().try_for_each(|chunk| w.write_all(chunk))),
        || u32::try_from(probs.len()).is_ok().then(|| rank_rows(validation.y(), &probs)),
    );
    written.map_err(|source| StageError::Io { what: format!("write `{pred_path}`"), source })?;
    let group = schema.group.as_deref().zip(validation_part.group.as_deref());
    let binary = ValidationPredictions {
        rows: validation.row_ids(),
        y_true: validation.y(),
        y_prob: &probs,
        group,
        ranking: ranking.as_deref(),
    };
    predictions_hand_off::write_binary(out, &dir, &binary)?;
    Ok(EntryMeta { summary, failure: None, volatile: None, warnings: Vec::new() })
}

/// The `train` kind.
pub(crate) struct Train;

impl super::stage::Stage for Train {
    type Params = crate::manifest::params::TrainParams;

    const SAVES_COHORT_MODEL: bool = true;

    fn run(
        &self,
        ctx: &StageContext<'_>,
        params: &crate::manifest::params::TrainParams,
        out: &mut Staging,
    ) -> Result<EntryMeta, StageError> {
        run(ctx, params, out)
    }

    /// `training_completed`, `validation_metrics` (the scalar metrics) and `model_saved`, which
    /// vouches for the cohort's model file.
    fn audit_events(
        &self,
        _params: &Self::Params,
        at: &super::AuditInput<'_>,
    ) -> Result<Vec<super::AuditEvent>, super::AuditInputError> {
        use super::{AuditEvent, ModelLink};
        use crate::trail::model_content_sha256;
        use serde::Deserialize as _;
        use serde_json::json;
        let mut events = Vec::new();
        let (Some(model_rel), Some(metrics_rel)) = (at.output("/model.json"), at.output("/metrics.json")) else {
            return Ok(Vec::new());
        };
        // The model is read as it is, since its content is hashed; its header through its type.
        let model: Value = at.read_json(&model_rel)?;
        let header = crate::trained::ModelHeader::deserialize(&model)
            .map_err(|source| super::AuditInputError::Json { rel: model_rel.clone(), source })?;
        // Every number of `metrics.json` goes into the event, whatever the metrics library
        // reports: the one place the file is walked as a map.
        let metrics: serde_json::Map<String, Value> = at.read_json(&metrics_rel)?;
        events.push(AuditEvent::plain(json!({
            "event": "training_completed",
            "id": at.instance.id(),
            "cohort": at.instance.decl.cohort,
            "model_type": header.model_type,
            "training_rows": header.provenance.training_rows,
            "data": header.provenance.data,
            "trained_at": header.provenance.trained_at,
        })));
        let scalars: serde_json::Map<String, Value> = metrics.into_iter().filter(|(_, v)| v.is_number()).collect();
        events.push(AuditEvent::plain(json!({
            "event": "validation_metrics",
            "id": at.instance.id(),
            "cohort": at.instance.decl.cohort,
            "metrics": scalars,
            "metrics_sha256": at.outputs.get(&metrics_rel),
        })));
        let saved = json!({
            "event": "model_saved",
            "id": at.instance.id(),
            "cohort": at.instance.decl.cohort,
            "path": model_rel,
            "content_sha256": model_content_sha256(&model)?,
        });
        events.push(AuditEvent { event: saved, model: Some(ModelLink::Saved(model_rel)) });
        Ok(events)
    }
}
