//! `report`: the comparison report across the cohorts of the `train` instances it needs.
//! Writes `report/comparison.json` (see [`crate::report`]) and its views `comparison.md` and
//! `comparison.html`.
//!
//! Per cohort: the `train` parameters that differ between cohorts, every confusion metric, the
//! ECE, the Brier score and the log loss with a 95% bootstrap interval (seeded by the instance
//! seed), ROC-AUC with DeLong's interval, the majority-class rate beside the accuracy, the
//! gate's outcome with each criterion, and with a group column the fairness section (each
//! group's size and rates, the gaps with their intervals, the small groups left out, and the
//! gate criteria on the gaps). Per pair of cohorts scored on the same validation rows:
//! McNemar's exact test for accuracy, paired bootstrap intervals of every difference, DeLong's
//! test for ROC-AUC, and a sentence saying what they mean.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::cohorts::{Cohort, gather, model_of};
use super::drift::DriftReportFile;
use super::optimize_files::OptimizeGateFile;
use super::phase3_files::{self, CorrelationsFile, RiskProfilesFile, Versioned};
use super::{StageContext, StageError, UpstreamOutput, json_bytes, write};
use crate::artifacts::{GateRecord, MetricsFile};
use crate::manifest::StageKind;
use crate::manifest::params::ReportParams;
use crate::metrics::compare::{self, ACCURACY, Bootstrap, ConfusionMetric, ROC_AUC, ab_sentence_in_family};
use crate::report::{
    CV_METRICS, CohortProvenance, CohortReport, ComparisonReport, CvCohort, FairnessSection, GateSummary, PairReport,
    StageSummary, cross_validation,
};
use crate::store::{EntryMeta, Memo, Staging};
use crate::trained::ModelHeader;

/// A typed part of an artifact as the report model's `Value`.
fn to_value(part: &impl serde::Serialize) -> Result<Value, StageError> {
    Ok(serde_json::to_value(part)?)
}

/// One of a `phase3` instance's files, through its type.
fn phase3_file<T: serde::de::DeserializeOwned + Versioned>(up: &UpstreamOutput, name: &str) -> Result<T, StageError> {
    phase3_files::from_bytes(&up.read(name)?, &format!("`{name}` of `{}`", up.id))
}

/// The `train` parameters whose values are not the same for every cohort.
fn differing(trains: &[&UpstreamOutput]) -> Vec<BTreeMap<String, Value>> {
    let objects: Vec<BTreeMap<String, Value>> = trains
        .iter()
        .map(|u| {
            u.params.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
        })
        .collect();
    let mut keys: Vec<&String> = objects.iter().flat_map(BTreeMap::keys).collect();
    keys.sort();
    keys.dedup();
    // `model` has its own column.
    let varying: Vec<String> = keys
        .into_iter()
        .filter(|k| k.as_str() != "model")
        .filter(|k| objects.iter().any(|o| o.get(*k) != objects.first().and_then(|f| f.get(*k))))
        .cloned()
        .collect();
    objects
        .iter()
        .map(|o| varying.iter().map(|k| (k.clone(), o.get(k).cloned().unwrap_or(Value::Null))).collect())
        .collect()
}

/// Key figures of a `drift`, `phase3` or `optimize` instance, from its files.
fn summary_of(up: &UpstreamOutput) -> Result<StageSummary, StageError> {
    let details = match up.kind {
        StageKind::Drift => {
            let path = up.entry.outputs.keys().find(|p| p.starts_with("drift_reports/")).cloned();
            match path {
                Some(p) => {
                    let bytes =
                        up.entry.read(&p).map_err(|source| StageError::Io { what: format!("read `{p}`"), source })?;
                    let d = DriftReportFile::from_bytes(&bytes, &format!("`{p}` of `{}`", up.id))?;
                    let drifted: Vec<Value> = d
                        .drift_metrics
                        .pairwise
                        .iter()
                        .flatten()
                        .filter(|p| p.drifted)
                        .map(|p| json!({"reference": p.reference, "current": p.current, "variable": p.variable, "psi": p.psi}))
                        .collect();
                    json!({"report_id": d.report_id, "has_drift": d.drift_metrics.has_drift, "drifted": drifted})
                }
                None => Value::Null,
            }
        }
        StageKind::Phase3 => {
            let risk: RiskProfilesFile = phase3_file(up, "risk_profiles.json")?;
            let tiers: BTreeMap<String, Value> = risk
                .profiles
                .iter()
                .map(|p| {
                    let tier = json!({"score": p.profile.current_score, "tier": p.profile.current_tier});
                    (p.profile.cohort.clone(), tier)
                })
                .collect();
            let correlations: CorrelationsFile = phase3_file(up, "correlations.json")?;
            json!({"risk": tiers, "patterns": correlations.patterns})
        }
        StageKind::Optimize => {
            let gate = OptimizeGateFile::from_bytes(&up.read("gate.json")?, &format!("`gate.json` of `{}`", up.id))?;
            json!({"best": gate.candidate, "baseline": gate.baseline, "decision": gate.decision, "reasons": gate.reasons})
        }
        _ => Value::Null,
    };
    Ok(StageSummary {
        instance: up.id.clone(),
        kind: up.kind.name().to_owned(),
        summary: up.entry.meta.summary.clone(),
        details,
    })
}

/// One fold of a cross-validation arm: the arm is the cohort's name without its `_fold<k>`,
/// or (for a cohort template that places the fold elsewhere) the instance id without it.
fn fold_of(c: &Cohort, up: &UpstreamOutput, iv: &compare::CohortIntervals, fold: u32, model: &ModelHeader) -> CvCohort {
    let suffix = format!("_fold{fold}");
    let arm = match c.name().strip_suffix(&suffix) {
        Some(arm) => arm.to_owned(),
        None => crate::manifest::id_without_fold(&up.stage, &up.bindings),
    };
    let values = CV_METRICS
        .iter()
        .map(|&m| {
            let v = match m {
                "accuracy" => iv.metrics.get(&ConfusionMetric::Accuracy).and_then(|e| e.estimate),
                "roc_auc" => iv.roc_auc.as_ref().map(|d| d.auc),
                "ece" => iv.ece.estimate,
                "brier" => iv.brier.estimate,
                _ => iv.log_loss.estimate,
            };
            (m, v)
        })
        .collect();
    CvCohort {
        arm,
        cohort: c.name().to_owned(),
        model_type: c.actions.agent.trim_start_matches("model_").to_owned(),
        fold,
        rows: c.rows.clone(),
        training_rows: model.provenance.training_rows,
        values,
    }
}

/// What a cohort's intervals and ROC curve are computed from, which keys them in the memo:
/// its prediction files, its threshold and ECE bins, and the bootstrap.
#[derive(Serialize)]
struct CohortInputs<'a> {
    part: &'static str,
    /// As a cache key does, the tool's version and the kind's code version.
    tool_version: &'static str,
    code_version: u32,
    /// The digest of each of the cohort's prediction files.
    predictions: BTreeMap<&'a str, &'a str>,
    threshold: f64,
    ece_bins: usize,
    resamples: usize,
    seed: u64,
}

impl<'a> CohortInputs<'a> {
    fn of(c: &Cohort, up: &'a UpstreamOutput, bootstrap: &Bootstrap) -> Self {
        let prefix = format!("cohorts/{}/predictions", c.name());
        Self {
            part: "report cohort",
            tool_version: crate::VERSION,
            code_version: StageKind::Report.code_version(),
            predictions: up
                .entry
                .outputs
                .iter()
                .filter(|(path, _)| path.starts_with(&prefix))
                .map(|(path, digest)| (path.as_str(), digest.sha256.as_str()))
                .collect(),
            threshold: c.actions.threshold,
            ece_bins: c.metrics.report.bins,
            resamples: bootstrap.resamples(),
            seed: bootstrap.seed(),
        }
    }
}

/// The memo's key of a pair's comparison: both cohorts' inputs.
#[derive(Serialize)]
struct PairInputs<'a> {
    part: &'static str,
    a: &'a CohortInputs<'a>,
    b: &'a CohortInputs<'a>,
}

/// What the memo keeps under `key`, when there are both.
fn recall<T: serde::de::DeserializeOwned>(memo: Option<&Memo>, key: &Option<String>) -> Option<T> {
    memo.zip(key.as_deref()).and_then(|(memo, key)| memo.get(key))
}

/// Keeps `value` in the memo under `key`, when there are both.
fn keep<T: Serialize>(memo: Option<&Memo>, key: &Option<String>, value: &T) {
    if let (Some(memo), Some(key)) = (memo, key) {
        memo.put(key, value);
    }
}

/// What the report keeps of a cohort between runs.
#[derive(Serialize, Deserialize)]
struct CohortPart {
    intervals: compare::CohortIntervals,
    roc: Vec<[f64; 2]>,
}

pub(super) fn run(ctx: &StageContext<'_>, params: &ReportParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let cohorts: Vec<Cohort> = gather(ctx)?;
    let trains: Vec<&UpstreamOutput> = ctx.inputs.iter().filter(|u| u.kind == StageKind::Train).collect();
    let bootstrap = Bootstrap::new(params.resamples as usize, ctx.instance.seed)?;
    let comparable = |i: usize, j: usize| {
        cohorts[i].rows == cohorts[j].rows && cohorts[i].actions.y_true == cohorts[j].actions.y_true
    };
    // Counted before any is built: 1,000 cohorts have 499,500 pairs.
    let all_pairs = (0..cohorts.len()).flat_map(|i| (i + 1..cohorts.len()).map(move |j| (i, j)));
    let total = all_pairs.clone().filter(|&(i, j)| comparable(i, j)).count();
    let pairs: Vec<(usize, usize)> = if total <= params.max_pairs() {
        all_pairs.filter(|&(i, j)| comparable(i, j)).collect()
    } else {
        (1..cohorts.len()).map(|j| (0, j)).filter(|&(i, j)| comparable(i, j)).take(params.max_pairs()).collect()
    };
    // What earlier runs computed from the same inputs (a cohort that was not retrained, a pair
    // of them) is taken from the memo; only the rest is computed.
    let memo = ctx.memo;
    let inputs: Vec<CohortInputs> =
        cohorts.iter().zip(&trains).map(|(c, up)| CohortInputs::of(c, up, &bootstrap)).collect();
    // A cohort whose prediction files are not among its instance's outputs is not named by
    // them, so it is neither kept nor taken back.
    let named = |i: usize| memo.is_some() && !inputs[i].predictions.is_empty();
    let cohort_keys: Vec<Option<String>> =
        (0..cohorts.len()).map(|i| named(i).then(|| Memo::key(&inputs[i])).flatten()).collect();
    let pair_keys: Vec<Option<String>> = pairs
        .iter()
        .map(|&(i, j)| {
            let pair = PairInputs { part: "report pair", a: &inputs[i], b: &inputs[j] };
            (named(i) && named(j)).then(|| Memo::key(&pair)).flatten()
        })
        .collect();
    let remembered: Vec<Option<CohortPart>> = cohort_keys.par_iter().map(|key| recall(memo, key)).collect();
    let remembered_pairs: Vec<Option<compare::Comparison>> =
        pair_keys.par_iter().map(|key| recall(memo, key)).collect();
    // A cohort is prepared when its own figures or a pair it is in must be computed.
    let mut paired: Vec<bool> = vec![false; cohorts.len()];
    for (&(i, j), known) in pairs.iter().zip(&remembered_pairs) {
        if known.is_none() {
            (paired[i], paired[j]) = (true, true);
        }
    }
    // Each cohort prepared (a sort, a pass) and its intervals drawn in one task, on all cores,
    // with no wait between the two phases; errors are taken in cohort order, the one a
    // sequential pass would meet.
    let prepared: Vec<_> = cohorts
        .par_iter()
        .zip(remembered)
        .zip(&paired)
        .zip(&cohort_keys)
        .map(|(((c, known), &paired), key)| {
            let stat = || {
                compare::Cohort::with_ranking(
                    &c.actions.y_true,
                    &c.actions.y_prob,
                    c.actions.threshold,
                    c.metrics.report.bins,
                    c.actions.ranking.as_deref(),
                )
            };
            Ok::<_, StageError>(match known {
                Some(part) => (if paired { Some(stat()?) } else { None }, part),
                None => {
                    let stat = stat()?;
                    let part = CohortPart { intervals: stat.intervals(&bootstrap), roc: stat.roc_curve().to_vec() };
                    keep(memo, key, &part);
                    (Some(stat), part)
                }
            })
        })
        .collect();
    let (stats, parts): (Vec<Option<compare::Cohort<'_>>>, Vec<CohortPart>) =
        prepared.into_iter().collect::<Result<Vec<_>, _>>()?.into_iter().unzip();
    let params_by_cohort = differing(&trains);
    let mut reports = Vec::new();
    let mut folds: Vec<CvCohort> = Vec::new();
    for (((c, up), part), p) in cohorts.iter().zip(&trains).zip(parts).zip(params_by_cohort) {
        let CohortPart { intervals: iv, roc } = part;
        let gate = ctx
            .inputs
            .iter()
            .find(|g| g.kind == StageKind::Gate && g.cohort.as_deref() == Some(c.name()))
            .map(UpstreamOutput::read_artifact::<GateRecord>)
            .transpose()?;
        let metrics: MetricsFile = up.read_artifact()?;
        let model = model_of(up)?;
        if let Some(fold) =
            up.bindings.get(crate::manifest::FOLD).and_then(toml::Value::as_integer).and_then(|f| u32::try_from(f).ok())
        {
            folds.push(fold_of(c, up, &iv, fold, &model));
        }
        let criteria = gate.as_ref().map_or(&[][..], |g| &g.criteria[..]);
        let fairness = metrics.fairness.as_ref().map(|f| FairnessSection::new(&f.group_column, &f.report, criteria));
        reports.push(CohortReport {
            cohort: c.name().to_owned(),
            instance: up.id.clone(),
            model_type: c.actions.agent.trim_start_matches("model_").to_owned(),
            data: model.provenance.data.clone(),
            params: p,
            intervals: iv,
            reliability: to_value(&c.metrics.report.reliability)?,
            roc,
            gate: gate.map(|g| GateSummary { decision: g.decision, criteria: g.criteria }),
            majority_class_rate: metrics.majority_class_rate(),
            fairness,
            data_warnings: metrics.data_warnings.clone(),
            provenance: metrics
                .data_source
                .clone()
                .as_ref()
                .map(|data| {
                    Ok::<_, StageError>(CohortProvenance { data: to_value(data)?, train_key: up.entry.key.clone() })
                })
                .transpose()?,
        });
    }
    let omitted_pairs = (total - pairs.len()) as u64;
    let compared: Vec<compare::Comparison> = pairs
        .par_iter()
        .zip(remembered_pairs)
        .zip(&pair_keys)
        .map(|((&(i, j), known), key)| {
            if let Some(comparison) = known {
                return Ok(comparison);
            }
            let (Some(a), Some(b)) = (&stats[i], &stats[j]) else {
                return Err(StageError::Unprepared {
                    a: cohorts[i].name().to_owned(),
                    b: cohorts[j].name().to_owned(),
                });
            };
            let comparison = compare::compare(a, b, &bootstrap)?;
            keep(memo, key, &comparison);
            Ok(comparison)
        })
        .collect::<Result<_, StageError>>()?;
    // Holm's adjustment over each metric's family: every pair's McNemar test is one family,
    // every pair's DeLong test another.
    let accuracy_p: Vec<f64> = compared.iter().map(|c| c.mcnemar.p_value).collect();
    let accuracy_adjusted = compare::holm(&accuracy_p);
    let mut auc_p: Vec<f64> = Vec::new();
    let auc_index: Vec<Option<usize>> = compared
        .iter()
        .map(|c| {
            c.roc_auc.as_ref().map(|d| {
                auc_p.push(d.p_value);
                auc_p.len() - 1
            })
        })
        .collect();
    let auc_adjusted = compare::holm(&auc_p);
    let comparisons: Vec<PairReport> = pairs
        .iter()
        .zip(compared)
        .enumerate()
        .map(|(n, (&(i, j), comparison))| {
            let (a, b) = (cohorts[i].name(), cohorts[j].name());
            let mut sentences = BTreeMap::new();
            let mut adjusted_p = BTreeMap::new();
            let m = &comparison.mcnemar;
            adjusted_p.insert("accuracy".to_owned(), accuracy_adjusted[n]);
            if let Some(ci) = comparison.differences.get(&ConfusionMetric::Accuracy).and_then(|d| d.ci) {
                let family = Some((accuracy_adjusted[n], accuracy_p.len()));
                let s = ab_sentence_in_family(a, b, &ACCURACY, m.difference, ci, m.p_value, family);
                sentences.insert("accuracy".to_owned(), s);
            }
            if let (Some(d), Some(k)) = (&comparison.roc_auc, auc_index[n]) {
                adjusted_p.insert("roc_auc".to_owned(), auc_adjusted[k]);
                let family = Some((auc_adjusted[k], auc_p.len()));
                let s = ab_sentence_in_family(a, b, &ROC_AUC, d.difference, d.ci, d.p_value, family);
                sentences.insert("roc_auc".to_owned(), s);
            }
            PairReport { a: a.to_owned(), b: b.to_owned(), comparison, sentences, adjusted_p }
        })
        .collect();
    let summaries = ctx
        .inputs
        .iter()
        .filter(|u| matches!(u.kind, StageKind::Drift | StageKind::Phase3 | StageKind::Optimize))
        .map(summary_of)
        .collect::<Result<Vec<_>, _>>()?;
    let report = ComparisonReport {
        format_version: crate::report::FORMAT_VERSION,
        pipeline: ctx.pipeline.name.clone(),
        seed: ctx.pipeline.seed.to_string(),
        generated_at: ctx.clock.timestamp(),
        resamples: params.resamples,
        bootstrap_seed: ctx.instance.seed.to_string(),
        cohorts: reports,
        comparisons,
        omitted_pairs,
        summaries,
        cross_validation: cross_validation(&folds),
    };
    write(out, "report/comparison.json", &json_bytes(&report)?)?;
    let significant =
        report.comparisons.iter().filter(|p| p.adjusted_p.get("accuracy").is_some_and(|&q| q < compare::ALPHA)).count();
    let omitted = match report.omitted_pairs {
        0 => String::new(),
        n => format!(", {n} more pairs left out by `max_pairs`"),
    };
    let summary = format!(
        "{} cohorts, {} A/B comparisons ({significant} with a significant accuracy difference after Holm's adjustment{omitted}); report/comparison.md",
        report.cohorts.len(),
        report.comparisons.len()
    );
    Ok(EntryMeta { summary, failure: None, volatile: None, warnings: Vec::new() })
}

/// The `report` kind.
pub(crate) struct Report;

impl super::stage::Stage for Report {
    type Params = crate::manifest::params::ReportParams;

    fn run(
        &self,
        ctx: &StageContext<'_>,
        params: &crate::manifest::params::ReportParams,
        out: &mut Staging,
    ) -> Result<EntryMeta, StageError> {
        run(ctx, params, out)
    }

    fn audit_events(
        &self,
        _params: &crate::manifest::params::ReportParams,
        _at: &super::AuditInput<'_>,
    ) -> Result<Vec<super::AuditEvent>, super::AuditInputError> {
        // No events of its own: like every sealed instance, its outputs' digests are in its
        // `stage_end` event.
        Ok(Vec::new())
    }

    /// `comparison.md` and `comparison.html` beside `comparison.json`, with the finished
    /// run's provenance (`nethical report` renders the same from the same files).
    fn views(&self, at: &super::ViewInput<'_>) -> Result<Vec<(String, String)>, super::ViewError> {
        let Some(json) = at.outputs.keys().find(|p| p.ends_with("comparison.json")) else { return Ok(Vec::new()) };
        let bytes = std::fs::read(at.folder.join(json))
            .map_err(|source| super::ViewError::Read { rel: json.clone(), source })?;
        let doc: crate::report::ComparisonReport =
            serde_json::from_slice(&bytes).map_err(|source| super::ViewError::Json { rel: json.clone(), source })?;
        let context = crate::report::RunContext::read(at.folder);
        let dir = json.rsplit_once('/').map_or("", |(d, _)| d);
        let beside = |name: &str| if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
        Ok(crate::report::render_views(&doc, context.as_ref())
            .into_iter()
            .map(|(name, text)| (beside(name), text))
            .collect())
    }
}
