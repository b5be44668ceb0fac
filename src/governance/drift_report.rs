//! The ethical drift report: the original `EthicalDriftReporter`'s JSON, field for field, built
//! from what the cohorts' models actually did, plus real distribution-drift statistics.
//!
//! The original tracked one "action" per model (risk = 1 − accuracy) and never filled
//! `agent_count` or `by_time`, so every single-model report said "Insufficient cohorts". Here:
//!
//! - an *action* is one validation prediction of the cohort's model (agent `model_<type>`);
//! - its *risk* is the absolute error `|y − p|`, so `avg_risk_score` is the mean absolute error
//!   of the probabilities and `risk_distribution` counts actions per tier (low < 0.25 ≤ normal
//!   < 0.5 ≤ high < 0.75 ≤ elevated, the original's tiers);
//! - a *violation* is a misclassified prediction, typed `false_positive` / `false_negative`,
//!   severity `high` when the model was confidently wrong (risk ≥ 0.75) else `medium`, plus
//!   the gate's violations (`calibration_error`, `low_accuracy`) with its severities;
//! - `by_time` buckets violations by the run clock's hour (all of a run's share one).
//!
//! `drift_metrics` keeps the original's keys and rules (violation-type rate drift > 0.1, risk
//! drift > 0.2, severity drift > 0.15, drift score > 0.3; thresholds configurable) and adds
//! `pairwise`: PSI, KS, Jensen–Shannon and Wasserstein-1 per (reference, current, variable)
//! under METRICS.md's conventions.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use rayon::prelude::*;

use crate::metrics::drift::{
    DriftError, DriftStats, KsMethod, Sorted, drift_between, drift_between_sorted, drift_of_itself,
};

/// The original's risk tiers, by lower bound.
pub fn risk_tier(risk: f64) -> &'static str {
    RISK_TIERS[risk_tier_index(risk)]
}

/// The risk tiers, lowest first.
const RISK_TIERS: [&str; 4] = ["low", "normal", "high", "elevated"];

/// The index in [`RISK_TIERS`] of [`risk_tier`].
fn risk_tier_index(risk: f64) -> usize {
    if risk >= 0.75 {
        3
    } else if risk >= 0.5 {
        2
    } else if risk >= 0.25 {
        1
    } else {
        0
    }
}

/// What one cohort's model did on its validation rows.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortActions {
    /// The cohort id.
    pub cohort: String,
    /// The acting agent (`model_<type>`).
    pub agent: String,
    /// Labels.
    pub y_true: Vec<u8>,
    /// P(y = 1).
    pub y_prob: Vec<f64>,
    /// Decision threshold.
    pub threshold: f64,
    /// The gate's violations: (type, severity).
    pub gate_violations: Vec<(String, String)>,
    /// Input features of the validation rows, by name (for feature drift). Shared: every
    /// cohort trained on one data instance has the same features, held once.
    pub features: Arc<BTreeMap<String, Vec<f64>>>,
    /// The rows ranked by probability ([`crate::metrics::rank_rows`]), when `train` handed it
    /// on: drift then takes it instead of sorting `y_prob`. Only the speed depends on it.
    pub ranking: Option<Vec<u32>>,
    /// Where `y_prob` and each feature were read from (`variable` → a name of its values,
    /// such as the digest of its file and its column): samples of equal names hold equal
    /// values, so a pair's statistics may be kept between runs under the names
    /// ([`PairMemo`]). A sample without one is always computed.
    pub sources: BTreeMap<String, String>,
}

/// Where the statistics of a pair of samples are kept between runs, under the samples'
/// [`CohortActions::sources`]. Only speed depends on it: what it gives back must be what
/// [`drift_between_sorted`] computes for samples of those names.
pub trait PairMemo: Sync {
    /// The statistics kept for (reference, current), if any.
    fn recall(&self, reference: &str, current: &str) -> Option<DriftStats>;
    /// Keeps them.
    fn keep(&self, reference: &str, current: &str, stats: &DriftStats);
}

/// `violation_stats` of a cohort.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ViolationStats {
    /// All violations.
    pub total_count: u64,
    /// By severity.
    pub by_severity: BTreeMap<String, u64>,
    /// By type.
    pub by_type: BTreeMap<String, u64>,
    /// By the hour they happened (run clock), `YYYY-MM-DDTHH:00:00Z`.
    pub by_time: BTreeMap<String, u64>,
}

/// One cohort of the report (the original's `CohortProfile`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortProfile {
    /// The cohort id.
    pub cohort_id: String,
    /// Distinct agents that acted.
    pub agent_count: u64,
    /// Actions (validation predictions).
    pub action_count: u64,
    /// Violations.
    pub violation_stats: ViolationStats,
    /// Mean risk over actions.
    pub avg_risk_score: f64,
    /// Actions per risk tier.
    pub risk_distribution: BTreeMap<String, u64>,
}

/// The profile of one cohort; `hour` is the run clock's hour bucket.
pub fn profile(actions: &CohortActions, hour: &str) -> CohortProfile {
    let mut stats = ViolationStats::default();
    // Counted by index, not by name: a map entry per row cost an allocation per row.
    let mut tier_counts = [0u64; RISK_TIERS.len()];
    let mut add = |kind: &str, severity: &str| {
        stats.total_count += 1;
        *stats.by_type.entry(kind.to_owned()).or_default() += 1;
        *stats.by_severity.entry(severity.to_owned()).or_default() += 1;
        *stats.by_time.entry(hour.to_owned()).or_default() += 1;
    };
    let mut risk_sum = 0.0;
    for (&y, &p) in actions.y_true.iter().zip(&actions.y_prob) {
        let risk = (f64::from(y) - p).abs();
        risk_sum += risk;
        tier_counts[risk_tier_index(risk)] += 1;
        let predicted = u8::from(p >= actions.threshold);
        if predicted != y {
            let kind = if predicted == 1 { "false_positive" } else { "false_negative" };
            add(kind, if risk >= 0.75 { "high" } else { "medium" });
        }
    }
    for (kind, severity) in &actions.gate_violations {
        add(kind, severity);
    }
    let n = actions.y_prob.len();
    let tiers = RISK_TIERS.iter().zip(tier_counts).map(|(t, count)| ((*t).to_owned(), count)).collect();
    CohortProfile {
        cohort_id: actions.cohort.clone(),
        agent_count: u64::from(n > 0),
        action_count: n as u64,
        violation_stats: stats,
        avg_risk_score: if n == 0 { 0.0 } else { risk_sum / n as f64 },
        risk_distribution: tiers,
    }
}

/// Where drift starts to count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriftThresholds {
    /// Violation-type rate drift (the original's 0.1).
    pub violation_type: f64,
    /// Average-risk drift (the original's 0.2).
    pub risk_score: f64,
    /// Severity-share drift that earns a recommendation (the original's 0.15).
    pub severity: f64,
    /// Overall drift score that earns a recommendation (the original's 0.3).
    pub drift_score: f64,
    /// PSI above which a variable drifted (METRICS.md: > 0.25 significant).
    pub psi: f64,
    /// KS p-value at or below which a variable drifted.
    pub ks_pvalue: f64,
}

impl Default for DriftThresholds {
    fn default() -> Self {
        Self { violation_type: 0.1, risk_score: 0.2, severity: 0.15, drift_score: 0.3, psi: 0.25, ks_pvalue: 0.05 }
    }
}

fn spread<'a>(rates: impl Iterator<Item = (&'a str, f64)>) -> Option<(f64, f64, BTreeMap<String, f64>)> {
    let rates: BTreeMap<String, f64> = rates.map(|(c, r)| (c.to_owned(), r)).collect();
    let max = rates.values().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = rates.values().copied().fold(f64::INFINITY, f64::min);
    (!rates.is_empty()).then_some((max, min, rates))
}

/// One distribution comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairwiseDrift {
    /// The reference cohort.
    pub reference: String,
    /// The compared cohort.
    pub current: String,
    /// `y_prob` or a feature's name.
    pub variable: String,
    /// Population stability index on the reference's decile bins.
    pub psi: f64,
    /// Two-sample KS statistic.
    pub ks_statistic: f64,
    /// Its two-sided p-value (scipy's `ks_2samp`, method auto).
    pub ks_pvalue: f64,
    /// `exact` or `asymptotic`, as scipy's `method="auto"` chose.
    pub ks_method: KsMethod,
    /// Jensen–Shannon distance (base 2) on the PSI bins.
    pub js_distance: f64,
    /// Wasserstein-1 on the raw values.
    pub wasserstein: f64,
    /// The inner bin edges fitted on the reference.
    pub bin_edges: Vec<f64>,
    /// Whether PSI or KS says it drifted.
    pub drifted: bool,
}

/// Every comparison of the report: the reference cohort against each other, and each other
/// pair, on `y_prob` and every feature both cohorts of a pair have.
pub fn pairwise(
    cohorts: &[&CohortActions],
    reference: usize,
    thresholds: &DriftThresholds,
    memo: Option<&dyn PairMemo>,
) -> Result<Vec<PairwiseDrift>, DriftError> {
    let mut pairs: Vec<(usize, usize)> =
        (0..cohorts.len()).filter(|&j| j != reference).map(|j| (reference, j)).collect();
    for i in 0..cohorts.len() {
        for j in i + 1..cohorts.len() {
            if i != reference && j != reference {
                pairs.push((i, j));
            }
        }
    }
    let pairs: Vec<(&CohortActions, &CohortActions)> =
        pairs.into_iter().map(|(i, j)| (cohorts[i], cohorts[j])).collect();
    compare(&pairs, thresholds, memo)
}

/// Each (reference, current) pair compared on `y_prob` and on every feature both have, in
/// the reference's feature order. Used within a run ([`pairwise`]) and against the cohorts of
/// a baseline run.
pub fn compare<'a>(
    pairs: &[(&'a CohortActions, &'a CohortActions)],
    thresholds: &DriftThresholds,
    memo: Option<&dyn PairMemo>,
) -> Result<Vec<PairwiseDrift>, DriftError> {
    // Every (pair, variable) in report order.
    let mut jobs: Vec<(&'a CohortActions, &'a CohortActions, &'a str)> = Vec::new();
    for &(r, c) in pairs {
        jobs.push((r, c, "y_prob"));
        for name in r.features.keys() {
            if c.features.contains_key(name) {
                jobs.push((r, c, name.as_str()));
            }
        }
    }
    // Each distinct sample is sorted once, however many pairs it is in (a cohort meets every
    // other one), on all cores, unless only itself meets it; then every pair's statistics, in
    // parallel, in order. Samples are told apart by address, then by content: cohorts trained
    // on one data instance carry equal copies of its features, and equal samples sort alike.
    let values = |a: &'a CohortActions, variable: &str| -> &'a [f64] {
        if variable == "y_prob" { &a.y_prob } else { a.features.get(variable).map_or(&[][..], Vec::as_slice) }
    };
    let same = |x: &[f64], y: &[f64]| {
        x.len() == y.len()
            && (std::ptr::eq(x.as_ptr(), y.as_ptr()) || x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits()))
    };
    // Each sample with its name in errors and, for probabilities, the cohort (whose labels and
    // ranking spare the sort).
    let mut samples: Vec<(&[f64], &'static str, Option<&CohortActions>)> = Vec::new();
    let mut sources: Vec<Option<&str>> = Vec::new();
    for &(r, c, variable) in &jobs {
        for (a, name) in [(r, "reference"), (c, "current")] {
            let v = values(a, variable);
            if !samples.iter().any(|(k, ..)| same(k, v)) {
                samples.push((v, name, (variable == "y_prob").then_some(a)));
                sources.push(a.sources.get(variable).map(String::as_str));
            }
        }
    }
    let index = |v: &[f64]| samples.iter().position(|(k, ..)| same(k, v)).unwrap_or(0);
    let job_pairs: Vec<(usize, usize)> =
        jobs.iter().map(|&(r, c, variable)| (index(values(r, variable)), index(values(c, variable)))).collect();
    // Each distinct pair of samples is compared once: cohorts of one data instance meet on
    // equal features in every pair, and the statistics are a function of the two samples; a
    // pair an earlier run compared, by the samples' sources, is taken from the memo.
    let mut distinct: Vec<(usize, usize)> = job_pairs.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let named = |(r, c): (usize, usize)| sources[r].zip(sources[c]);
    let remembered: Vec<Option<DriftStats>> =
        distinct.par_iter().map(|&pair| memo.zip(named(pair)).and_then(|(memo, (r, c))| memo.recall(r, c))).collect();
    let unknown = || distinct.iter().zip(&remembered).filter(|(_, known)| known.is_none()).map(|(&pair, _)| pair);
    // A sample is prepared when a pair it is in must be computed. One met only by itself (a
    // feature every cohort of one data instance shares) needs no sort: its statistics against
    // itself come from its deciles.
    let needed: Vec<bool> = (0..samples.len()).map(|i| unknown().any(|(r, c)| r == i || c == i)).collect();
    let met_by_another: Vec<bool> =
        (0..samples.len()).map(|i| unknown().any(|(r, c)| r != c && (r == i || c == i))).collect();
    // Collected whole, then the first error in order: the one a sequential pass would meet.
    let prepared: Vec<Result<Prepared, DriftError>> = samples
        .par_iter()
        .zip(&needed)
        .zip(&met_by_another)
        .map(|((&(v, name, cohort), &needed), &met)| match cohort {
            _ if !needed => Ok(Prepared::Remembered),
            _ if !met => drift_of_itself(name, v).map(Prepared::Itself),
            Some(a) => Sorted::ranked(name, v, &a.y_true, a.ranking.as_deref()).map(Prepared::Sorted),
            None => Sorted::new(name, v).map(Prepared::Sorted),
        })
        .collect();
    let prepared: Vec<Prepared> = prepared.into_iter().collect::<Result<_, _>>()?;
    let stats: Vec<Result<DriftStats, DriftError>> = distinct
        .par_iter()
        .zip(remembered)
        .map(|(&(r, c), known)| {
            if let Some(stats) = known {
                return Ok(stats);
            }
            let stats = match (&prepared[r], &prepared[c]) {
                (Prepared::Sorted(r), Prepared::Sorted(c)) => drift_between_sorted(r, c),
                // Only a sample met by no other is prepared so, and its one pair is with itself.
                (Prepared::Itself(stats), _) | (_, Prepared::Itself(stats)) => stats.clone(),
                // Not reached: a pair that was not remembered had both samples prepared.
                (Prepared::Remembered, _) | (_, Prepared::Remembered) => drift_between(samples[r].0, samples[c].0)?,
            };
            if let Some((memo, (r, c))) = memo.zip(named((r, c))) {
                memo.keep(r, c, &stats);
            }
            Ok(stats)
        })
        .collect();
    let stats: Vec<DriftStats> = stats.into_iter().collect::<Result<_, _>>()?;
    Ok(jobs
        .par_iter()
        .zip(&job_pairs)
        .map(|(&(r, c, variable), pair)| {
            let s = stats[distinct.binary_search(pair).unwrap_or(0)].clone();
            PairwiseDrift {
                reference: r.cohort.clone(),
                current: c.cohort.clone(),
                variable: variable.to_owned(),
                drifted: s.psi > thresholds.psi || s.ks_pvalue <= thresholds.ks_pvalue,
                psi: s.psi,
                ks_statistic: s.ks_statistic,
                ks_pvalue: s.ks_pvalue,
                ks_method: s.ks_method,
                js_distance: s.js_distance,
                wasserstein: s.wasserstein,
                bin_edges: s.edges,
            }
        })
        .collect())
}

/// A sample of [`compare`], ready for its pairs.
enum Prepared {
    /// Sorted, for pairs with other samples.
    Sorted(Sorted),
    /// Met only by itself: its one pair's statistics.
    Itself(DriftStats),
    /// Every pair it is in was taken from the memo.
    Remembered,
}

/// `drift_metrics` and `recommendations` of the report.
pub fn drift_metrics(
    profiles: &[CohortProfile],
    pairwise: &[PairwiseDrift],
    thresholds: &DriftThresholds,
) -> (Value, Vec<String>) {
    if profiles.len() < 2 && pairwise.is_empty() {
        return (
            json!({"has_drift": false, "message": "Insufficient cohorts for drift analysis", "cohort_count": profiles.len()}),
            vec!["No significant ethical drift detected across cohorts".to_owned()],
        );
    }
    let acted: Vec<&CohortProfile> = profiles.iter().filter(|p| p.action_count > 0).collect();
    let types: std::collections::BTreeSet<&String> =
        profiles.iter().flat_map(|p| p.violation_stats.by_type.keys()).collect();
    let mut has_drift = false;
    let mut violation_type_drift = BTreeMap::new();
    let mut recommendations = Vec::new();
    let mut type_drifts = Vec::new();
    for t in types {
        let rates = acted.iter().map(|p| {
            (p.cohort_id.as_str(), *p.violation_stats.by_type.get(t).unwrap_or(&0) as f64 / p.action_count as f64)
        });
        if let Some((max, min, rates)) = spread(rates) {
            let drift = max - min;
            type_drifts.push(drift);
            if drift > thresholds.violation_type {
                has_drift = true;
                let (hi, lo) = extremes(&rates);
                recommendations.push(format!(
                    "Significant drift in '{t}' violations ({:.2}%): {:.2}% of `{hi}`'s actions against {:.2}% of `{lo}`'s. Review policies for affected cohorts.",
                    drift * 100.0,
                    max * 100.0,
                    min * 100.0
                ));
            }
            violation_type_drift
                .insert(t.clone(), json!({"max_rate": max, "min_rate": min, "drift": drift, "cohort_rates": rates}));
        }
    }
    let severities: std::collections::BTreeSet<&String> =
        profiles.iter().flat_map(|p| p.violation_stats.by_severity.keys()).collect();
    let mut severity_drift = BTreeMap::new();
    let mut severity_notes = Vec::new();
    for s in severities {
        let rates = profiles.iter().filter(|p| p.violation_stats.total_count > 0).map(|p| {
            (
                p.cohort_id.as_str(),
                *p.violation_stats.by_severity.get(s).unwrap_or(&0) as f64 / p.violation_stats.total_count as f64,
            )
        });
        if let Some((max, min, _)) = spread(rates) {
            if max - min > thresholds.severity {
                severity_notes.push(format!(
                    "Uneven distribution of '{s}' severity violations ({:.2}% to {:.2}% of each cohort's violations). Investigate cohort-specific patterns.",
                    min * 100.0,
                    max * 100.0
                ));
            }
            severity_drift.insert(s.clone(), json!({"max_rate": max, "min_rate": min, "drift": max - min}));
        }
    }
    let risks = profiles.iter().map(|p| (p.cohort_id.as_str(), p.avg_risk_score));
    let (max_risk, min_risk, risk_by_cohort) = spread(risks).unwrap_or_default();
    let risk_drift = max_risk - min_risk;
    let avg_risk = profiles.iter().map(|p| p.avg_risk_score).sum::<f64>() / profiles.len() as f64;
    if risk_drift > thresholds.risk_score {
        has_drift = true;
        let (hi, lo) = extremes(&risk_by_cohort);
        recommendations.push(format!(
            "High risk score variance across cohorts ({:.2}%): `{hi}` averages {max_risk:.3}, `{lo}` {min_risk:.3}. Consider cohort-specific risk thresholds.",
            risk_drift * 100.0
        ));
    }
    recommendations.extend(severity_notes);
    let drift_score =
        if type_drifts.is_empty() { 0.0 } else { type_drifts.iter().sum::<f64>() / type_drifts.len() as f64 };
    if drift_score > thresholds.drift_score {
        recommendations.push(
            "High overall drift score detected. Conduct comprehensive fairness audit across all cohorts.".to_owned(),
        );
    }
    for p in pairwise.iter().filter(|p| p.drifted) {
        has_drift = true;
        let band = if p.psi > 0.25 {
            "significant"
        } else if p.psi >= 0.10 {
            "moderate"
        } else {
            "stable"
        };
        recommendations.push(format!(
            "Cohort `{}` drifted from `{}` on `{}`: PSI {:.3} ({band}), KS D = {:.3} (p = {:.3e}), Wasserstein-1 {:.4}. Compare the two cohorts' `{}` distributions{}.",
            p.current,
            p.reference,
            p.variable,
            p.psi,
            p.ks_statistic,
            p.ks_pvalue,
            p.wasserstein,
            p.variable,
            if p.variable == "y_prob" { " and the data and models behind them" } else { " in their input data" }
        ));
    }
    if !has_drift {
        recommendations = vec!["No significant ethical drift detected across cohorts".to_owned()];
    }
    let metrics = json!({
        "cohort_count": profiles.len(),
        "violation_type_drift": violation_type_drift,
        "severity_drift": severity_drift,
        "risk_score_drift": {"max_risk": max_risk, "min_risk": min_risk, "drift": risk_drift, "avg_risk": avg_risk},
        "has_drift": has_drift,
        "drift_score": drift_score,
        "pairwise": pairwise,
        "thresholds": thresholds,
    });
    (metrics, recommendations)
}

/// The cohorts with the highest and lowest value.
fn extremes(values: &BTreeMap<String, f64>) -> (String, String) {
    let hi = values.iter().max_by(|a, b| a.1.total_cmp(b.1)).map(|(k, _)| k.clone()).unwrap_or_default();
    let lo = values.iter().min_by(|a, b| a.1.total_cmp(b.1)).map(|(k, _)| k.clone()).unwrap_or_default();
    (hi, lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(name: &str, y: &[u8], p: &[f64]) -> CohortActions {
        CohortActions {
            cohort: name.to_owned(),
            agent: format!("model_{name}"),
            y_true: y.to_vec(),
            y_prob: p.to_vec(),
            threshold: 0.5,
            gate_violations: Vec::new(),
            features: Arc::default(),
            ranking: None,
            sources: BTreeMap::new(),
        }
    }

    #[test]
    fn profiles_count_real_actions_violations_and_tiers() {
        let mut c = cohort("a", &[1, 0, 1, 0], &[0.9, 0.95, 0.4, 0.1]);
        c.gate_violations.push(("low_accuracy".into(), "medium".into()));
        let p = profile(&c, "2023-11-14T22:00:00Z");
        assert_eq!((p.agent_count, p.action_count), (1, 4));
        // Row 2 is a confident false positive (risk 0.95), row 3 a false negative (risk 0.6).
        assert_eq!(p.violation_stats.by_type["false_positive"], 1);
        assert_eq!(p.violation_stats.by_type["false_negative"], 1);
        assert_eq!(p.violation_stats.by_type["low_accuracy"], 1);
        assert_eq!(p.violation_stats.by_severity["high"], 1);
        assert_eq!(p.violation_stats.by_severity["medium"], 2);
        assert_eq!(p.violation_stats.by_time["2023-11-14T22:00:00Z"], 3);
        assert!((p.avg_risk_score - (0.1 + 0.95 + 0.6 + 0.1) / 4.0).abs() < 1e-15);
        assert_eq!(p.risk_distribution["low"], 2);
        assert_eq!(p.risk_distribution["high"], 1);
        assert_eq!(p.risk_distribution["elevated"], 1);
    }

    #[test]
    fn one_cohort_is_insufficient_and_equal_cohorts_do_not_drift() {
        let a = profile(&cohort("a", &[1, 0], &[0.8, 0.3]), "h");
        let (m, r) = drift_metrics(std::slice::from_ref(&a), &[], &DriftThresholds::default());
        assert_eq!(m["has_drift"], false);
        assert_eq!(r, ["No significant ethical drift detected across cohorts"]);
        let mut b = a.clone();
        b.cohort_id = "b".into();
        let (m, r) = drift_metrics(&[a, b], &[], &DriftThresholds::default());
        assert_eq!(m["has_drift"], false);
        assert_eq!(m["cohort_count"], 2);
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn violation_rate_and_risk_gaps_are_drift_with_named_cohorts() {
        // Violation rates of 20% and 60%, risks 0.2 and 0.8 (the original's test had 20% and
        // 50%; 60% also takes the overall drift score past 0.3).
        let a = CohortProfile {
            cohort_id: "a".into(),
            agent_count: 1,
            action_count: 10,
            violation_stats: ViolationStats {
                total_count: 2,
                by_severity: BTreeMap::from([("medium".into(), 2)]),
                by_type: BTreeMap::from([("false_positive".into(), 2)]),
                by_time: BTreeMap::new(),
            },
            avg_risk_score: 0.2,
            risk_distribution: BTreeMap::new(),
        };
        let mut b = a.clone();
        b.cohort_id = "b".into();
        b.violation_stats.by_type.insert("false_positive".into(), 6);
        b.violation_stats.total_count = 6;
        b.violation_stats.by_severity.insert("medium".into(), 6);
        b.avg_risk_score = 0.8;
        let (m, r) = drift_metrics(&[a, b], &[], &DriftThresholds::default());
        assert_eq!(m["has_drift"], true);
        assert!(
            (m["violation_type_drift"]["false_positive"]["drift"].as_f64().unwrap_or_default() - 0.4).abs() < 1e-12
        );
        assert!(r[0].contains("'false_positive'") && r[0].contains("`b`") && r[0].contains("`a`"), "{r:?}");
        assert!(r[1].starts_with("High risk score variance across cohorts (60.00%)"), "{r:?}");
        assert!(r.iter().any(|x| x.starts_with("High overall drift score")), "{r:?}");
    }
    /// A memo in memory, counting what it was asked for and given.
    #[derive(Default)]
    struct Recorded {
        kept: std::sync::Mutex<BTreeMap<(String, String), DriftStats>>,
        recalls: std::sync::atomic::AtomicUsize,
    }

    impl PairMemo for Recorded {
        fn recall(&self, reference: &str, current: &str) -> Option<DriftStats> {
            self.recalls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.kept.lock().ok()?.get(&(reference.to_owned(), current.to_owned())).cloned()
        }

        fn keep(&self, reference: &str, current: &str, stats: &DriftStats) {
            if let Ok(mut kept) = self.kept.lock() {
                kept.insert((reference.to_owned(), current.to_owned()), stats.clone());
            }
        }
    }

    /// Cohorts of one data instance (two shared features), `y_prob` named by its values.
    fn named_cohorts(probabilities: &[&[f64]]) -> Vec<CohortActions> {
        let features = Arc::new(BTreeMap::from([
            ("f".to_owned(), (0..40).map(|i| f64::from(i % 7) / 3.0).collect::<Vec<_>>()),
            ("g".to_owned(), (0..40).map(|i| f64::from(i * i % 11)).collect()),
        ]));
        probabilities
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let y: Vec<u8> = (0..p.len()).map(|i| u8::from(i % 3 == 0)).collect();
                let mut c = cohort(&format!("c{k}"), &y, p);
                c.features = Arc::clone(&features);
                c.sources = BTreeMap::from([
                    ("y_prob".to_owned(), format!("{:?}", p.iter().map(|v| v.to_bits()).collect::<Vec<_>>())),
                    ("f".to_owned(), "data:f".to_owned()),
                    ("g".to_owned(), "data:g".to_owned()),
                ]);
                c
            })
            .collect()
    }

    #[test]
    fn pairs_an_earlier_run_compared_are_taken_from_the_memo_and_the_rest_computed() {
        let p = |shift: f64| -> Vec<f64> { (0..40).map(|i| (f64::from(i) * 0.37 + shift).fract()).collect() };
        let (a, b, c, d) = (p(0.0), p(0.1), p(0.25), p(0.6));
        let thresholds = DriftThresholds::default();
        let run = |cohorts: &[CohortActions], memo: Option<&dyn PairMemo>| {
            let refs: Vec<&CohortActions> = cohorts.iter().collect();
            serde_json::to_string(&pairwise(&refs, 0, &thresholds, memo).expect("valid")).expect("json")
        };
        let first = named_cohorts(&[&a, &b, &c]);
        let memo = Recorded::default();
        let fresh = run(&first, None);
        assert_eq!(run(&first, Some(&memo)), fresh, "keeping changes nothing");
        // Three y_prob pairs and the two features, each against itself.
        assert_eq!(memo.kept.lock().expect("lock").len(), 3 + 2);
        // Cohort c retrained: its two pairs are computed, the rest read.
        let second = named_cohorts(&[&a, &b, &d]);
        assert_eq!(run(&second, Some(&memo)), run(&second, None));
        assert_eq!(memo.kept.lock().expect("lock").len(), 5 + 2);
        // What is read is the memo's: an edited entry shows.
        for stats in memo.kept.lock().expect("lock").values_mut() {
            stats.wasserstein = 42.0;
        }
        assert!(run(&second, Some(&memo)).contains("\"wasserstein\":42.0"));
        // Samples without sources are always computed.
        let mut unnamed = named_cohorts(&[&a, &b, &d]);
        unnamed.iter_mut().for_each(|c| c.sources.clear());
        let before = memo.recalls.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(run(&unnamed, Some(&memo)), run(&second, None));
        assert_eq!(memo.recalls.load(std::sync::atomic::Ordering::Relaxed), before);
    }
}
