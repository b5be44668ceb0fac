//! `optimize`: a configuration search (Phase 8–9) where every candidate is trained and
//! measured. The original scored configurations with random numbers; here each candidate is a
//! set of `train` parameters, fitted on the `load` instance's training rows (seeded by the
//! instance seed and those parameters, so any `-j` gives the same results and identical
//! parameters identical metrics) and measured on its
//! validation rows: recall, precision, FP rate, accuracy, ECE, latency and, with review labels,
//! human agreement, then the Phase 8–9 fitness. The best is gated against the baseline: a
//! configuration, or the model of the `train` instance among the needs (a cohort of the same
//! run), scored on the same validation rows.
//!
//! Outputs under `optimize/<instance>/`: `candidates.json` and `candidates.csv` (every
//! evaluated configuration, ranked), `gate.json` (the best against the baseline, criterion by
//! criterion), `best_config.toml` (a snippet to paste into a `train` stage); when the gate
//! passes, the winner is saved as `models/current/<name>_optimized_model.json`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::optimize_error::OptimizeError;
use super::optimize_files::{
    BaselineRecord, CandidateOutcome, CandidatesFile, OPTIMIZE_FILES_FORMAT, OptimizeGateFile, RankedCandidate,
};
use super::train::{Prepared, fit_model};
use super::{CandidateError, StageContext, StageError, UpstreamOutput, json_bytes, write};
use crate::manifest::StageKind;
use crate::manifest::optimize_params::{LatencyMode, Objective, OptimizeParams};
use crate::manifest::params::TrainParams;
use crate::metrics::{MetricsConfig, evaluate};
use crate::optimize::{
    CandidateMetrics, Config, EvolutionSettings, Fitness, GateDecision, ParamValue, SearchResult, Technique, config_id,
    evolutionary_search, grid, grid_search, promotion_gate, random_search,
};
use crate::plan::instance_seed;
use crate::store::{EntryMeta, Staging, canonical_digest};
use crate::trained::{Provenance, TrainedModel};

/// Nanoseconds charged per operation by the deterministic latency estimate: about one
/// multiply-add on a current core, so a 5-feature logistic model costs 41 ns.
pub const NS_PER_OP: f64 = 1.0;

/// What one configuration measured.
#[derive(Clone, Debug, Serialize)]
struct Measured {
    recall: f64,
    precision: Option<f64>,
    fp_rate: f64,
    accuracy: Option<f64>,
    ece: Option<f64>,
    latency_ms: f64,
    ops_per_prediction: u64,
    human_agreement: Option<f64>,
    reviewed_rows: u64,
    total_cases: u64,
    fitness: Fitness,
    /// The value the search maximised (the objective, negated when it is minimised).
    score: f64,
}

impl Measured {
    fn candidate_metrics(&self) -> CandidateMetrics {
        CandidateMetrics {
            recall: self.recall,
            fp_rate: self.fp_rate,
            latency_ms: self.latency_ms,
            human_agreement: self.human_agreement,
            total_cases: self.total_cases,
        }
    }
}

/// A configuration's outcome: measured, or why it could not be, as `candidates.csv` records it.
type Outcome = Result<Measured, String>;

/// Everything a candidate's evaluation reads.
struct Bench<'a> {
    data: &'a UpstreamOutput,
    prepared: &'a Prepared,
    params: &'a OptimizeParams,
    reviews: &'a BTreeMap<u64, u8>,
    seed: u64,
    cancel: &'a (dyn Fn() -> bool + Sync),
}

impl Bench<'_> {
    /// The seed of a candidate: the stage's seed and the canonical digest of its resolved
    /// `train` parameters (what a cache key hashes them with), so identical parameters (a
    /// candidate equal to the baseline, say) train identically, whatever order the fields
    /// are declared in.
    fn seed_of(&self, train: &TrainParams) -> Result<u64, StageError> {
        Ok(instance_seed(self.seed, &canonical_digest(train)?))
    }

    fn fit(&self, train: &TrainParams) -> Result<Box<dyn crate::models::Model>, StageError> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed_of(train)?);
        // No epoch progress: candidates train side by side, and their epochs would interleave.
        let hooks = crate::models::FitHooks { cancel: self.cancel, epoch_done: &|_| {} };
        fit_model(self.data, self.prepared, train, &mut rng, &hooks)
    }

    fn measure(&self, values: &Config) -> Result<Measured, CandidateError> {
        let train = self.params.train_params(values)?;
        let model = self.fit(&train)?;
        let validation = &self.prepared.validation;
        let started = Instant::now();
        let probs = model.predict_dataset(validation)?;
        let measured_ms = started.elapsed().as_secs_f64() * 1e3 / validation.n_rows().max(1) as f64;
        self.assess(&probs, train.threshold, train.ece_bins, model.ops_per_prediction(), measured_ms)
    }

    /// A `train` instance's model, scored on this stage's validation rows exactly as the
    /// candidates are: the baseline when the stage needs a `train` stage.
    fn measure_trained(&self, up: &UpstreamOutput) -> Result<Measured, CandidateError> {
        let bytes = up.read("model.json")?;
        let text =
            String::from_utf8(bytes).map_err(|source| CandidateError::ModelText { id: up.id.clone(), source })?;
        let trained = TrainedModel::from_json(&text)
            .map_err(|source| CandidateError::ModelJson { id: up.id.clone(), source: Box::new(source) })?;
        let started = Instant::now();
        let probs = trained
            .predict_raw(&self.prepared.validation_part.features)
            .map_err(|source| CandidateError::Score { id: up.id.clone(), source: Box::new(source) })?;
        let measured_ms = started.elapsed().as_secs_f64() * 1e3 / self.prepared.validation.n_rows().max(1) as f64;
        let bins = self.params.train_params(&Config::new())?.ece_bins;
        self.assess(&probs, trained.provenance.threshold, bins, trained.model.ops_per_prediction(), measured_ms)
    }

    /// The measurements of probabilities for the validation rows.
    fn assess(
        &self,
        probs: &[f64],
        threshold: f64,
        ece_bins: u32,
        ops: u64,
        measured_ms: f64,
    ) -> Result<Measured, CandidateError> {
        let validation = &self.prepared.validation;
        let config = MetricsConfig { threshold, bins: ece_bins as usize };
        let report = evaluate(validation.y(), probs, &config)?;
        let latency_ms = match self.params.latency {
            LatencyMode::Deterministic => ops as f64 * NS_PER_OP / 1e6,
            LatencyMode::Measured => measured_ms,
        };
        let (mut agree, mut reviewed) = (0u64, 0u64);
        for (row, p) in validation.row_ids().iter().zip(probs) {
            if let Some(&human) = self.reviews.get(row) {
                reviewed += 1;
                agree += u64::from(u8::from(*p >= threshold) == human);
            }
        }
        let human_agreement = (reviewed > 0).then(|| agree as f64 / reviewed as f64);
        // A model that never predicts a positive (or data without negatives) has no recall or
        // FP rate; such a candidate ranks last rather than borrowing a made-up value.
        let recall = report.recall.unwrap_or(f64::NAN);
        let fp_rate = report.fp_rate.unwrap_or(f64::NAN);
        let metrics = CandidateMetrics { recall, fp_rate, latency_ms, human_agreement, total_cases: report.n };
        let fitness = metrics.fitness();
        let objective = self.params.objective;
        let value = match objective {
            Objective::Fitness => Some(fitness.value),
            Objective::Accuracy => report.accuracy,
            Objective::F1 => report.f1,
            Objective::RocAuc => report.roc_auc,
            Objective::Recall => report.recall,
            Objective::Precision => report.precision,
            Objective::Ece => report.ece,
            Objective::LogLoss => report.log_loss,
            Objective::Brier => report.brier,
        };
        // Undefined objectives rank last (NaN), never at a made-up value.
        let score = value.map_or(f64::NAN, |v| if objective.minimised() { -v } else { v });
        Ok(Measured {
            recall,
            precision: report.precision,
            fp_rate,
            accuracy: report.accuracy,
            ece: report.ece,
            latency_ms,
            ops_per_prediction: ops,
            human_agreement,
            reviewed_rows: reviewed,
            total_cases: report.n,
            fitness,
            score,
        })
    }
}

/// `row,human_label` rows of the review file.
fn read_reviews(ctx: &StageContext<'_>, params: &OptimizeParams) -> Result<BTreeMap<u64, u8>, StageError> {
    let Some(rel) = &params.review_labels else { return Ok(BTreeMap::new()) };
    let path = ctx.base_dir.join(rel);
    let bytes = std::fs::read(&path)
        .map_err(|source| StageError::Io { what: format!("read the review labels `{}`", path.display()), source })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|source| crate::data::DataError::Csv { source })?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| OptimizeError::ReviewColumns { file: rel.to_string(), columns: header.clone() })
    };
    let (row_at, label_at) = (find("row")?, find("human_label")?);
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|source| crate::data::DataError::Csv { source })?;
        let line = record.position().map_or(0, csv::Position::line);
        let row: u64 = record
            .get(row_at)
            .unwrap_or_default()
            .trim()
            .parse()
            .map_err(|_| OptimizeError::ReviewRow { file: rel.to_string(), line })?;
        let label = match record.get(label_at).unwrap_or_default().trim() {
            "0" => 0,
            "1" => 1,
            other => {
                return Err(OptimizeError::ReviewLabel { file: rel.to_string(), line, found: other.to_owned() }.into());
            }
        };
        out.insert(row, label);
    }
    Ok(out)
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| x.to_string())
}

/// `candidates.csv`: one row per evaluated configuration, ranked.
fn candidates_csv(
    result: &SearchResult,
    outcomes: &BTreeMap<String, Outcome>,
    names: &[String],
) -> Result<Vec<u8>, StageError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["rank".into(), "config_id".into(), "generation".into()];
    header.extend(names.iter().cloned());
    header.extend(
        ["fitness", "recall", "precision", "fp_rate", "accuracy", "ece", "latency_ms", "human_agreement", "error"]
            .map(str::to_owned),
    );
    let io = OptimizeError::CandidatesCsv;
    w.write_record(&header).map_err(io)?;
    for (rank, e) in result.evaluations.iter().enumerate() {
        let mut row = vec![(rank + 1).to_string(), e.config_id.clone(), e.generation.to_string()];
        row.extend(names.iter().map(|n| e.config.get(n).map(ToString::to_string).unwrap_or_default()));
        match outcomes.get(&e.config_id) {
            Some(Ok(m)) => row.extend([
                m.fitness.value.to_string(),
                m.recall.to_string(),
                fmt_opt(m.precision),
                m.fp_rate.to_string(),
                fmt_opt(m.accuracy),
                fmt_opt(m.ece),
                m.latency_ms.to_string(),
                fmt_opt(m.human_agreement),
                String::new(),
            ]),
            Some(Err(why)) => {
                row.extend(std::iter::repeat_n(String::new(), 8));
                row.push(why.clone());
            }
            None => row.extend(std::iter::repeat_n(String::new(), 9)),
        }
        w.write_record(&row).map_err(io)?;
    }
    Ok(w.into_inner().map_err(|e| OptimizeError::CandidatesCsv(e.into_error().into()))?)
}

/// A TOML value for the snippet.
fn toml_value(v: &Value) -> String {
    match v {
        Value::String(s) => toml::Value::String(s.clone()).to_string(),
        Value::Number(n) if n.is_i64() => n.to_string(),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            toml::Value::Float(f).to_string()
        }
        other => other.to_string(),
    }
}

#[expect(clippy::too_many_lines, reason = "one search, then its four outputs in order")]
pub(super) fn run(ctx: &StageContext<'_>, params: &OptimizeParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let data = ctx.upstream(StageKind::Load)?;
    let prepared = Prepared::shared(data)?;
    let space = params.search_space().map_err(OptimizeError::from)?;
    let reviews = read_reviews(ctx, params)?;
    let cancel = || ctx.cancel.load(std::sync::atomic::Ordering::Relaxed);
    let bench =
        Bench { data, prepared: &prepared, params, reviews: &reviews, seed: ctx.instance.seed, cancel: &cancel };
    let outcomes: Mutex<BTreeMap<String, Outcome>> = Mutex::new(BTreeMap::new());
    let evaluate_batch = |configs: &[Config]| -> Vec<f64> {
        let measured: Vec<(String, Outcome)> = configs
            .par_iter()
            .map(|c| {
                let id = config_id(c);
                let outcome = bench.measure(c).map_err(|e| crate::error_chain::error_chain(&e));
                (id, outcome)
            })
            .collect();
        let fitness = measured.iter().map(|(_, o)| o.as_ref().map_or(f64::NAN, |m| m.score)).collect();
        if let Ok(mut all) = outcomes.lock() {
            all.extend(measured);
        }
        fitness
    };
    let result = match params.technique {
        Technique::RandomSearch => {
            random_search(&space, params.iterations as usize, ctx.instance.seed, &evaluate_batch)
        }
        Technique::GridSearch => grid_search(&space, params.grid_steps as usize, &evaluate_batch),
        Technique::Evolutionary => {
            let settings = EvolutionSettings {
                population: params.population as usize,
                generations: params.generations as usize,
                ..EvolutionSettings::default()
            };
            evolutionary_search(&space, &settings, ctx.instance.seed, None, &evaluate_batch)
        }
    }
    .map_err(OptimizeError::from)?;
    if cancel() {
        return Err(StageError::Cancelled);
    }
    let outcomes = outcomes.into_inner().map_err(|_| OptimizeError::Panicked)?;

    let baseline_values = params.baseline_config();
    let trained: Vec<&UpstreamOutput> = ctx.inputs.iter().filter(|u| u.kind == StageKind::Train).collect();
    let (baseline_id, baseline) = match trained.as_slice() {
        [] => (config_id(&baseline_values), bench.measure(&baseline_values).map_err(OptimizeError::from)?),
        [up] if baseline_values.is_empty() => {
            let cohort = up.cohort.clone().unwrap_or_else(|| up.id.clone());
            (format!("cohort:{cohort}"), bench.measure_trained(up).map_err(OptimizeError::from)?)
        }
        [_] => {
            return Err(OptimizeError::TwoBaselines.into());
        }
        many => {
            let trained = many.iter().map(|u| u.id.clone()).collect();
            return Err(OptimizeError::ManyTrained { id: ctx.instance.id().to_string(), trained }.into());
        }
    };
    let name = ctx.instance.decl.cohort.clone().unwrap_or_else(|| {
        ctx.instance
            .id()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') { c } else { '_' })
            .collect()
    });
    let dir = format!("optimize/{name}");
    let best =
        result.evaluations.iter().find(|e| outcomes.get(&e.config_id).is_some_and(Result::is_ok)).ok_or_else(|| {
            let why = outcomes.values().find_map(|o| o.as_ref().err().cloned()).unwrap_or_default();
            OptimizeError::NoCandidate { why }
        })?;
    let best_measured =
        outcomes.get(&best.config_id).and_then(|o| o.as_ref().ok()).ok_or(OptimizeError::BestUnmeasured)?;
    let decision: GateDecision =
        promotion_gate(&best_measured.candidate_metrics(), &baseline.candidate_metrics(), &params.gate);

    let names: Vec<String> = space.params().keys().cloned().collect();
    let ranked: Vec<RankedCandidate<&Measured>> = result
        .evaluations
        .iter()
        .enumerate()
        .map(|(rank, e)| RankedCandidate {
            rank: rank + 1,
            config_id: e.config_id.clone(),
            generation: e.generation,
            config: e.config.clone(),
            outcome: outcomes.get(&e.config_id).map(|o| match o {
                Ok(metrics) => CandidateOutcome::Measured { metrics },
                Err(why) => CandidateOutcome::Failed { error: why.clone() },
            }),
        })
        .collect();
    let grid_size = match params.technique {
        Technique::GridSearch => grid(&space, params.grid_steps as usize).map(|g| g.len()).ok(),
        _ => None,
    };
    let candidates = CandidatesFile {
        format_version: OPTIMIZE_FILES_FORMAT,
        technique: params.technique,
        objective: params.objective.name().to_owned(),
        model: params.model.name().to_owned(),
        evaluations: result.evaluation_count,
        grid_size,
        latency: params.latency,
        ns_per_op: NS_PER_OP,
        review_labels: params.review_labels.clone(),
        baseline: BaselineRecord {
            config_id: baseline_id.clone(),
            config: baseline_values.clone(),
            metrics: &baseline,
        },
        candidates: ranked,
    };
    write(out, &format!("{dir}/candidates.json"), &candidates.to_bytes()?)?;
    write(out, &format!("{dir}/candidates.csv"), &candidates_csv(&result, &outcomes, &names)?)?;
    let promoted_path = format!("models/current/{name}_optimized_model.json");
    write(
        out,
        &format!("{dir}/gate.json"),
        &OptimizeGateFile::new(
            &best.config_id,
            &baseline_id,
            &decision,
            decision.passed.then(|| promoted_path.clone()),
        )
        .to_bytes()?,
    )?;
    let mut snippet = format!(
        "# Best configuration of `{}` ({}, {} evaluated): fitness {:.4}, recall {:.3}, FP rate {:.3}.\n# Paste into the `train` stage of model `{}`.\n",
        ctx.instance.id(),
        params.technique,
        result.evaluation_count,
        best_measured.fitness.value,
        best_measured.recall,
        best_measured.fp_rate,
        params.model.name()
    );
    let mut settings: BTreeMap<String, Value> =
        params.base.iter().map(|(k, v)| (k.clone(), ParamValue::from(v).to_json())).collect();
    settings.extend(best.config.iter().map(|(k, v)| (k.clone(), v.to_json())));
    for (k, v) in &settings {
        snippet.push_str(&format!("{k} = {}\n", toml_value(v)));
    }
    write(out, &format!("{dir}/best_config.toml"), snippet.as_bytes())?;
    if decision.passed {
        let train = params.train_params(&best.config).map_err(OptimizeError::from)?;
        let model = bench.fit(&train)?;
        let trained = TrainedModel {
            provenance: Provenance {
                cohort: name.clone(),
                trained_at: ctx.clock.timestamp(),
                seed: bench.seed_of(&train)?,
                training_rows: prepared.train.n_rows(),
                data: data.id.clone(),
                threshold: train.threshold,
            },
            preprocessor: prepared.pre.clone(),
            model,
        };
        let doc = trained.to_json()?;
        write(out, &promoted_path, &json_bytes(&doc)?)?;
    }
    let by = match params.objective {
        Objective::Fitness => String::new(),
        o => format!(" by {}", o.name()),
    };
    let summary = format!(
        "{}: {} configurations{by}; best {} fitness {:.4} (recall {:.3}, FP rate {:.3}); gate {}{}",
        params.technique,
        result.evaluation_count,
        best.config_id,
        best_measured.fitness.value,
        best_measured.recall,
        best_measured.fp_rate,
        if decision.passed { "PASSED" } else { "FAILED" },
        if decision.passed { format!(" → {promoted_path}") } else { String::new() },
    );
    let volatile = (params.latency == LatencyMode::Measured)
        .then(|| "latency is measured wall-clock time (`latency = \"measured\"`)".to_owned());
    Ok(EntryMeta { summary, failure: None, volatile, warnings: Vec::new() })
}

/// The `optimize` kind.
pub(crate) struct Optimize;

impl super::stage::Stage for Optimize {
    type Params = crate::manifest::optimize_params::OptimizeParams;

    fn run(
        &self,
        ctx: &StageContext<'_>,
        params: &crate::manifest::optimize_params::OptimizeParams,
        out: &mut Staging,
    ) -> Result<EntryMeta, StageError> {
        run(ctx, params, out)
    }

    fn audit_events(
        &self,
        _params: &crate::manifest::optimize_params::OptimizeParams,
        _at: &super::AuditInput<'_>,
    ) -> Result<Vec<super::AuditEvent>, super::AuditInputError> {
        // No events of its own: like every sealed instance, its outputs' digests are in its
        // `stage_end` event.
        Ok(Vec::new())
    }
}
