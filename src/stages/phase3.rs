//! `phase3`: the original's Phase 3 integrated governance over the cohorts of the `train`
//! instances it needs, on measured signals. Writes the original's storage layout under
//! `storage_dir` (default: the stage's name) in the run folder:
//!
//! - `drift_reports/drift_<clock>.json`: the ethical drift report (as the `drift` stage);
//! - `fairness_samples/job_<clock>_<nnnn>.json`: a stratified sample of validation rows by
//!   cohort and group, with each cohort's fairness metrics;
//! - `risk_profiles.json`: each cohort's risk score and tier, carried across runs, with the
//!   findings of the detectors its tier unlocked;
//! - `correlations.json`: cross-cohort (and cross-run) patterns;
//! - `performance.json`: which detectors ran where (deterministic), and
//!   `performance_timings.json`: their CPU times against an ungated pass (measured, so the one
//!   file that differs between runs);
//! - `status.json`: the original's `get_system_status()` components;
//! - `history.json`: what the next run of the pipeline carries over (risk profiles and
//!   accuracies), published to `runs/<pipeline>/history/<instance>.json` when the run completes.

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::cohorts::{Cohort, gather};
use super::drift::{DriftReportFile, build_report};
use super::history_error::HistoryError;
use super::phase3_files::{
    self, CohortRisk, Components, CorrelationEngineStatus, CorrelationsFile, CoverageStats, DriftReporterStatus,
    FairnessJobFile, FairnessSamplerStatus, OptimizerStatus, PHASE3_FILES_FORMAT, RiskEngineStatus, RiskProfilesFile,
    RiskWeights, StatusFile,
};
use super::stage::Stage;
use super::{
    AuditEvent, AuditInput, AuditInputError, KeptState, StageContext, StageError, StateInput, json_bytes, write,
};
use crate::governance::correlation_engine::{
    AccuracyPoint, CorrelationInputs, DriftObservation, ErrorSet, GateOutcome, Pattern, correlations,
};
use crate::governance::detectors::{DETECTORS, DetectorInput};
use crate::governance::drift_report::PairwiseDrift;
use crate::governance::fairness_sampler::{Stratum, allocate, draw};
use crate::governance::performance_optimizer::{DetectorDecisions, PerformanceLedger, Timings, timed};
use crate::governance::risk_engine::{RiskEngine, RiskProfile, RiskSignals, RiskTier};
use crate::manifest::params::Phase3Params;
use crate::store::{EntryMeta, Staging};

/// Format of `history.json`.
const HISTORY_VERSION: u32 = 1;
/// Runs of accuracy kept per cohort in the history.
const HISTORY_RUNS: usize = 100;

/// What one run hands to the next.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct History {
    format_version: u32,
    /// The latest risk profile of every cohort ever seen.
    risk_profiles: Vec<RiskProfile>,
    /// Each run's accuracy per cohort, oldest first.
    accuracy: Vec<HistoryPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryPoint {
    run: String,
    cohort: String,
    accuracy: f64,
}

fn read_history(ctx: &StageContext<'_>, params: &Phase3Params) -> Result<(History, Option<String>), StageError> {
    let (true, Some(state)) = (params.history, ctx.state_dir) else { return Ok((History::default(), None)) };
    let path = crate::plan::history_path(state, ctx.instance.id());
    let shown = path.display().to_string();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((History::default(), None)),
        Err(source) => return Err(StageError::Io { what: format!("read the history `{shown}`"), source }),
    };
    let history: History =
        serde_json::from_slice(&bytes).map_err(|reason| HistoryError::Malformed { path: shown.clone(), reason })?;
    if history.format_version != HISTORY_VERSION {
        return Err(
            HistoryError::Version { path: shown, found: history.format_version, expected: HISTORY_VERSION }.into()
        );
    }
    Ok((history, Some(shown)))
}

/// Share of a cohort's comparisons with a reference (the run's reference cohort, or its
/// namesake in a baseline run) that drifted. Comparisons between two other cohorts are left
/// out: when one of them shifted, the other did not drift.
fn drift_share(pairs: &[PairwiseDrift], reference: &str, cohort: &str) -> Option<f64> {
    let mine: Vec<&PairwiseDrift> = pairs
        .iter()
        .filter(|p| p.current == cohort && (p.reference == reference || p.reference.contains('/')))
        .collect();
    (!mine.is_empty()).then(|| mine.iter().filter(|p| p.drifted).count() as f64 / mine.len() as f64)
}

/// Input features aligned with the predictions (a feature with missing cells is left out).
fn aligned_features(c: &Cohort) -> BTreeMap<String, Vec<f64>> {
    let n = c.actions.y_true.len();
    c.actions.features.iter().filter(|(_, v)| v.len() == n).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A stable seed per cohort, from the instance's seed and the cohort's name.
fn cohort_seed(base: u64, cohort: &str) -> u64 {
    cohort.bytes().fold(base ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

struct DetectorRun {
    findings: BTreeMap<String, BTreeMap<String, Value>>,
    decisions: BTreeMap<String, DetectorDecisions>,
    timings: Timings,
}

/// The gated pass (whose findings are kept), then the ungated baseline pass (timed only).
fn run_detectors(
    ctx: &StageContext<'_>,
    cohorts: &[Cohort],
    risk: &BTreeMap<String, f64>,
    target: f64,
) -> Result<DetectorRun, StageError> {
    let features: Vec<BTreeMap<String, Vec<f64>>> = cohorts.iter().map(aligned_features).collect();
    let inputs: Vec<DetectorInput<'_>> = cohorts
        .iter()
        .zip(&features)
        .map(|(c, f)| DetectorInput {
            y_true: &c.actions.y_true,
            y_prob: &c.actions.y_prob,
            threshold: c.actions.threshold,
            features: f,
            seed: cohort_seed(ctx.instance.seed, c.name()),
        })
        .collect();
    let mut ledger = PerformanceLedger::default();
    let mut findings: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for (c, input) in cohorts.iter().zip(&inputs) {
        let score = risk.get(c.name()).copied().unwrap_or(0.0);
        for d in &DETECTORS {
            if ctx.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(StageError::Cancelled);
            }
            if d.tier.runs_at(score) {
                let (found, ns) = timed(|| (d.run)(input));
                findings.entry(c.name().to_owned()).or_default().insert(d.name.to_owned(), found);
                ledger.gated(d.name, d.tier, c.name(), Some(ns));
            } else {
                ledger.gated(d.name, d.tier, c.name(), None);
            }
        }
    }
    for input in &inputs {
        for d in &DETECTORS {
            let (found, ns) = timed(|| (d.run)(input));
            drop(found);
            ledger.ungated(d.name, ns);
        }
    }
    let (decisions, timings) = ledger.finish(cohorts.len(), target);
    Ok(DetectorRun { findings, decisions, timings })
}

/// The fairness job: strata, sampled rows and each cohort's fairness metrics.
fn fairness_job(ctx: &StageContext<'_>, cohorts: &[Cohort], target: u64) -> (String, FairnessJobFile, u64, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.instance.seed);
    let job_id = format!(
        "job_{}_{}",
        ctx.clock.compact().replace('T', "_").trim_end_matches('Z'),
        rng.random_range(1000..=9999u32)
    );
    // Strata: (cohort, group) in cohort order, groups sorted; positions of their rows.
    let mut strata: Vec<(usize, Option<String>, Vec<usize>)> = Vec::new();
    for (ci, c) in cohorts.iter().enumerate() {
        match &c.groups {
            Some((_, groups)) => {
                let mut by_group: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
                for (i, g) in groups.iter().enumerate() {
                    by_group.entry(g.as_str()).or_default().push(i);
                }
                strata.extend(by_group.into_iter().map(|(g, rows)| (ci, Some(g.to_owned()), rows)));
            }
            None => strata.push((ci, None, (0..c.actions.y_true.len()).collect())),
        }
    }
    let sizes = allocate(&strata.iter().map(|s| s.2.len() as u64).collect::<Vec<_>>(), target);
    let now = ctx.clock.timestamp();
    let mut samples = Vec::new();
    let mut coverage: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_violation: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, u64> = BTreeMap::new();
    let mut strata_doc = Vec::new();
    for ((ci, group, rows), &k) in strata.iter().zip(&sizes) {
        let c = &cohorts[*ci];
        strata_doc.push(Stratum {
            cohort: c.name().to_owned(),
            group: group.clone(),
            population: rows.len() as u64,
            sample_size: k,
        });
        let picked = draw(&mut rng, rows.len(), usize::try_from(k).unwrap_or(usize::MAX));
        for at in picked {
            let i = rows[at];
            let (y, p) = (c.actions.y_true[i], c.actions.y_prob[i]);
            let yhat = u8::from(p >= c.actions.threshold);
            let (violation, severity) = if yhat == y {
                (None, None)
            } else {
                let kind = if yhat == 1 { "false_positive" } else { "false_negative" };
                (Some(kind), Some(if (f64::from(y) - p).abs() >= 0.75 { "high" } else { "medium" }))
            };
            *coverage.entry(c.name()).or_default() += 1;
            if let (Some(v), Some(s)) = (violation, severity) {
                *by_violation.entry(v.to_owned()).or_default() += 1;
                *by_severity.entry(s.to_owned()).or_default() += 1;
            }
            samples.push(json!({
                "sample_id": format!("{job_id}_{}", samples.len()),
                "agent_id": c.actions.agent,
                "action_id": format!("row_{}", c.rows.get(i).copied().unwrap_or(i as u64)),
                "cohort": c.name(),
                "violation_type": violation,
                "severity": severity,
                "timestamp": now,
                "metadata": {
                    "row": c.rows.get(i),
                    "group": group,
                    "y_true": y,
                    "y_prob": p,
                },
            }));
        }
    }
    let total = samples.len() as u64;
    let cohort_coverage: BTreeMap<&str, Value> = coverage
        .iter()
        .map(|(c, &n)| {
            (*c, json!({"count": n, "percentage": if total == 0 { 0.0 } else { n as f64 / total as f64 * 100.0 }}))
        })
        .collect();
    let fairness: BTreeMap<&str, Value> = cohorts
        .iter()
        .map(|c| {
            let v = match (&c.groups, c.metrics.fairness.as_ref()) {
                (Some((column, _)), Some(f)) => json!({"group_column": column, "metrics": f}),
                (Some((column, _)), None) => json!({"group_column": column, "metrics": null}),
                (None, _) => json!({"group_column": null, "reason": "the data has no group column"}),
            };
            (c.name(), v)
        })
        .collect();
    let strata_count = strata_doc.len();
    let doc = FairnessJobFile {
        format_version: PHASE3_FILES_FORMAT,
        job_id: job_id.clone(),
        strategy: "stratified".to_owned(),
        allocation: "proportional, largest remainder, at least one row per stratum".to_owned(),
        target_sample_size: target,
        cohorts: cohorts.iter().map(|c| c.name().to_owned()).collect(),
        start_time: now.clone(),
        end_time: now,
        strata: json!(strata_doc),
        samples,
        coverage: coverage.into_iter().map(|(c, n)| (c.to_owned(), n)).collect(),
        coverage_stats: CoverageStats {
            job_id: job_id.clone(),
            total_samples: total,
            target_samples: target,
            completion_rate: if target == 0 { 0.0 } else { total as f64 / target as f64 },
            cohort_coverage: cohort_coverage.into_iter().map(|(c, v)| (c.to_owned(), v)).collect(),
            violation_distribution: by_violation,
            severity_distribution: by_severity,
        },
        fairness_metrics: fairness.into_iter().map(|(c, v)| (c.to_owned(), v)).collect(),
        metadata: json!({"seed": ctx.instance.seed.to_string()}),
    };
    (job_id, doc, total, strata_count)
}

#[expect(clippy::too_many_lines, reason = "the five components in the original's order, sharing their inputs")]
pub(super) fn run(ctx: &StageContext<'_>, params: &Phase3Params, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let dir = params.storage_dir.clone().unwrap_or_else(|| ctx.instance.id().to_owned());
    let cohorts = gather(ctx)?;
    let run_id = ctx.clock.compact();
    let now = ctx.clock.timestamp();

    // Ethical drift reporter.
    let drift = build_report(ctx, &cohorts, &params.drift)?;
    write(out, &format!("{dir}/drift_reports/{}.json", drift.report_id), &drift.report.to_bytes()?)?;

    // Risk engine, continuing the pipeline's history.
    let (history, history_from) = read_history(ctx, params)?;
    let mut engine = RiskEngine::new(history.risk_profiles);
    let mut risk = BTreeMap::new();
    for c in &cohorts {
        let profile = engine.observe(RiskSignals {
            cohort: c.name().to_owned(),
            agent: c.actions.agent.clone(),
            at_unix: ctx.clock.unix_seconds(),
            accuracy: c.metrics.report.accuracy,
            ece: c.metrics.report.ece,
            violations: c.actions.gate_violations.clone(),
            drift: drift_share(&drift.pairs, &drift.report.reference_cohort, c.name()),
        });
        risk.insert(c.name().to_owned(), profile.current_score);
    }

    // Performance optimizer: the detectors, gated by those scores.
    let detectors = run_detectors(ctx, &cohorts, &risk, params.target_cpu_reduction_pct)?;

    // Correlation engine: this run's gates, drift and errors, and the accuracy history.
    let gates: Vec<GateOutcome> = cohorts
        .iter()
        .filter_map(|c| {
            c.promoted.map(|promoted| GateOutcome {
                cohort: c.name().to_owned(),
                promoted,
                violations: c.actions.gate_violations.iter().map(|(t, _)| t.clone()).collect(),
            })
        })
        .collect();
    let drift_obs: Vec<DriftObservation> = drift
        .pairs
        .iter()
        .map(|p| DriftObservation {
            reference: p.reference.clone(),
            current: p.current.clone(),
            variable: p.variable.clone(),
            drifted: p.drifted,
        })
        .collect();
    let errors: Vec<ErrorSet> = cohorts
        .iter()
        .map(|c| ErrorSet {
            cohort: c.name().to_owned(),
            rows: c.rows.clone(),
            errors: c
                .rows
                .iter()
                .zip(c.actions.y_true.iter().zip(&c.actions.y_prob))
                .filter(|(_, (y, p))| u8::from(**p >= c.actions.threshold) != **y)
                .map(|(r, _)| *r)
                .collect(),
        })
        .collect();
    let mut accuracy = history.accuracy;
    for c in &cohorts {
        if let Some(a) = c.metrics.report.accuracy {
            // The same run clock twice (SOURCE_DATE_EPOCH) is the same observation.
            accuracy.retain(|p| !(p.run == run_id && p.cohort == c.name()));
            accuracy.push(HistoryPoint { run: run_id.clone(), cohort: c.name().to_owned(), accuracy: a });
        }
    }
    let mut kept: BTreeMap<&str, usize> = BTreeMap::new();
    let mut trimmed: Vec<HistoryPoint> = Vec::new();
    for p in accuracy.iter().rev() {
        let n = kept.entry(p.cohort.as_str()).or_default();
        if *n < HISTORY_RUNS {
            *n += 1;
            trimmed.push(p.clone());
        }
    }
    trimmed.reverse();
    let points: Vec<AccuracyPoint> = trimmed
        .iter()
        .map(|p| AccuracyPoint { run_id: p.run.clone(), cohort: p.cohort.clone(), accuracy: p.accuracy })
        .collect();
    let patterns: Vec<Pattern> =
        correlations(&CorrelationInputs { gates: &gates, drift: &drift_obs, errors: &errors, accuracy: &points });
    let agents: std::collections::BTreeSet<&str> = cohorts.iter().map(|c| c.actions.agent.as_str()).collect();
    write(
        out,
        &format!("{dir}/correlations.json"),
        &phase3_files::to_bytes(&CorrelationsFile {
            format_version: PHASE3_FILES_FORMAT,
            generated_at: now.clone(),
            cohorts: cohorts.iter().map(|c| c.name().to_owned()).collect(),
            runs_in_history: points.iter().map(|p| p.run_id.as_str()).collect::<std::collections::BTreeSet<_>>().len(),
            patterns: patterns.clone(),
        })?,
    )?;

    // Fairness sampler.
    let (job_id, job, sampled, strata) = fairness_job(ctx, &cohorts, params.fairness_sample_size);
    write(out, &format!("{dir}/fairness_samples/{job_id}.json"), &phase3_files::to_bytes(&job)?)?;

    // Risk profiles with what the detectors found.
    let profiles: Vec<RiskProfile> = engine.profiles().cloned().collect();
    let this_run: Vec<CohortRisk> = cohorts
        .iter()
        .filter_map(|c| engine.profile(c.name()))
        .map(|p| CohortRisk {
            profile: p.clone(),
            advanced_detectors: p.should_invoke_advanced_detectors(),
            detections: detectors.findings.get(&p.cohort).cloned(),
        })
        .collect();
    write(
        out,
        &format!("{dir}/risk_profiles.json"),
        &phase3_files::to_bytes(&RiskProfilesFile {
            format_version: PHASE3_FILES_FORMAT,
            generated_at: now.clone(),
            weights: RiskWeights {
                error: crate::governance::risk_engine::WEIGHT_ERROR,
                calibration: crate::governance::risk_engine::WEIGHT_CALIBRATION,
                violations: crate::governance::risk_engine::WEIGHT_VIOLATIONS,
                drift: crate::governance::risk_engine::WEIGHT_DRIFT,
            },
            half_life_hours: crate::governance::risk_engine::HALF_LIFE_HOURS,
            history: history_from,
            profiles: this_run,
        })?,
    )?;

    // Performance: the deterministic decisions, and the measured times apart.
    let tiers: BTreeMap<&str, Value> =
        DETECTORS.iter().map(|d| (d.name, json!({"tier": d.tier, "threshold": d.tier.threshold()}))).collect();
    write(
        out,
        &format!("{dir}/performance.json"),
        &json_bytes(&json!({
            "detectors": tiers,
            "decisions": detectors.decisions,
            "risk_scores": risk,
            "target_cpu_reduction_pct": params.target_cpu_reduction_pct,
            "timings": "performance_timings.json",
        }))?,
    )?;
    write(out, &format!("{dir}/performance_timings.json"), &json_bytes(&detectors.timings)?)?;

    // Status: the original's components (the measured `meeting_target` is in the timings).
    let status = StatusFile {
        format_version: PHASE3_FILES_FORMAT,
        timestamp: now.clone(),
        components: Components {
            risk_engine: RiskEngineStatus { active_profiles: profiles.len(), enabled: true },
            correlation_engine: CorrelationEngineStatus { tracked_agents: agents.len(), enabled: true },
            fairness_sampler: FairnessSamplerStatus { active_jobs: 1, enabled: true },
            ethical_drift_reporter: DriftReporterStatus { tracked_cohorts: cohorts.len(), enabled: true },
            performance_optimizer: OptimizerStatus {
                enabled: true,
                meeting_target: "performance_timings.json".to_owned(),
            },
        },
    };
    write(out, &format!("{dir}/status.json"), &phase3_files::to_bytes(&status)?)?;
    if params.history {
        let next = History { format_version: HISTORY_VERSION, risk_profiles: profiles, accuracy: trimmed };
        write(out, &format!("{dir}/history.json"), &json_bytes(&next)?)?;
    }

    let mut tiers_seen: BTreeMap<RiskTier, usize> = BTreeMap::new();
    for c in &cohorts {
        if let Some(p) = engine.profile(c.name()) {
            *tiers_seen.entry(p.current_tier).or_default() += 1;
        }
    }
    let tiers_text: Vec<String> = tiers_seen
        .iter()
        .map(|(t, n)| {
            format!(
                "{n} {}",
                serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_uppercase)).unwrap_or_default()
            )
        })
        .collect();
    let summary = format!(
        "risk {}; {} pattern{}; {job_id}: {sampled} rows in {strata} strata; drift {}; CPU {:.1}% below ungated (target {}%: {})",
        tiers_text.join(", "),
        patterns.len(),
        if patterns.len() == 1 { "" } else { "s" },
        if drift.has_drift { "DETECTED" } else { "none" },
        detectors.timings.cpu_reduction_pct,
        params.target_cpu_reduction_pct,
        if detectors.timings.meeting_target { "met" } else { "not met" },
    );
    Ok(EntryMeta { summary, failure: None, volatile: None, warnings: Vec::new() })
}

/// The `phase3` kind.
pub(crate) struct Phase3;

impl Stage for Phase3 {
    type Params = Phase3Params;

    fn run(&self, ctx: &StageContext<'_>, params: &Phase3Params, out: &mut Staging) -> Result<EntryMeta, StageError> {
        run(ctx, params, out)
    }

    /// `phase3_governance`: each cohort's risk tier, the patterns found, and which drift report
    /// and fairness sample the instance wrote.
    fn audit_events(&self, _params: &Phase3Params, at: &AuditInput<'_>) -> Result<Vec<AuditEvent>, AuditInputError> {
        let Some(status_rel) = at.output("/status.json") else { return Ok(Vec::new()) };
        let dir = status_rel.trim_end_matches("/status.json").to_owned();
        let risk: RiskProfilesFile = at.read_json(&format!("{dir}/risk_profiles.json"))?;
        let correlations: CorrelationsFile = at.read_json(&format!("{dir}/correlations.json"))?;
        let tiers: BTreeMap<String, Value> = risk
            .profiles
            .iter()
            .map(|p| {
                (p.profile.cohort.clone(), json!({"score": p.profile.current_score, "tier": p.profile.current_tier}))
            })
            .collect();
        let patterns: Vec<Value> = correlations
            .patterns
            .iter()
            .map(|p| json!({"name": p.name, "cohorts": p.cohorts, "variable": p.variable}))
            .collect();
        let drift_rel = at.outputs.keys().find(|p| p.starts_with(&format!("{dir}/drift_reports/")));
        let job_rel = at.outputs.keys().find(|p| p.starts_with(&format!("{dir}/fairness_samples/")));
        let job: Option<FairnessJobFile> = job_rel.map(|r| at.read_json(r)).transpose()?;
        let drift: Option<DriftReportFile> = drift_rel.map(|r| at.read_json(r)).transpose()?;
        Ok(vec![AuditEvent::plain(json!({
            "event": "phase3_governance",
            "id": at.instance.id(),
            "storage_dir": dir,
            "risk": tiers,
            "patterns": patterns,
            "drift_report": drift_rel,
            "has_drift": drift.as_ref().map(|d| d.drift_metrics.has_drift),
            "fairness_job": job.as_ref().map(|j| j.job_id.clone()),
            "fairness_samples": job.as_ref().map(|j| j.coverage_stats.total_samples),
            "risk_profiles_sha256": at.outputs.get(&format!("{dir}/risk_profiles.json")),
        }))])
    }

    /// Its `history.json`, kept as `runs/<pipeline>/history/<instance>.json` when the stage
    /// keeps a history.
    fn kept_state(&self, params: &Phase3Params, at: &StateInput<'_>) -> Vec<KeptState> {
        if !params.history {
            return Vec::new();
        }
        let Some(rel) = at.outputs.iter().find(|k| k.ends_with("/history.json")) else { return Vec::new() };
        let to = crate::plan::history_path(at.state_dir, at.instance.id());
        vec![KeptState { output: (*rel).to_owned(), to, what: "history" }]
    }
}
