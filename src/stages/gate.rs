//! `gate`: the original's promotion gate on a `train` instance's validation metrics, and the
//! optional criteria beyond it (METRICS.md "Promotion gate").
//!
//! Promote iff accuracy ≥ `min_accuracy` and, per `ece_policy`, ECE ≤ `max_ece`, and every
//! optional criterion that is set passes: ROC-AUC ≥ `min_roc_auc`, accuracy − majority-class
//! rate ≥ `min_accuracy_lift`, demographic-parity difference ≤
//! `max_demographic_parity_difference` and equalized-odds difference ≤
//! `max_equalized_odds_difference` (the gaps of `metrics.json`, over the groups of at least
//! `min_group_size` validation rows). A criterion that is set but cannot be measured (one
//! class only, no group column, an undefined gap) fails and says why: a gate that passed a
//! model on a fairness criterion nobody could check would certify nothing.
//!
//! Writes `cohorts/<cohort>/gate.json` with each criterion, its value and verdict, and the
//! validation rows' majority-class rate, and copies the model and its metrics to
//! `models/current/` (promoted) or `models/candidates/` (not), as `<cohort>_model.json` and
//! `<cohort>_metrics.json`.

use super::{StageContext, StageError, json_bytes, write};
use crate::artifacts::{CohortFairness, GATE_FORMAT, GateCriterion, GateRecord, MetricsFile, Violation};
use crate::manifest::StageKind;
use crate::manifest::params::{EcePolicy, GateParams};
use crate::metrics::compare::BootstrapEstimate;
use crate::store::{EntryMeta, Staging};

/// The decision on one model.
#[derive(Debug, Clone, PartialEq)]
pub struct GateDecision {
    /// The criteria: accuracy, ECE, then the optional ones that are set.
    pub criteria: Vec<GateCriterion>,
    /// Whether the model is promoted.
    pub promoted: bool,
    /// Violations, recorded when it is not promoted.
    pub violations: Vec<Violation>,
}

/// What the gate decides on, measured on the validation rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Measured {
    pub accuracy: Option<f64>,
    pub ece: Option<f64>,
    pub roc_auc: Option<f64>,
    /// Why `roc_auc` is undefined, when it is.
    pub roc_auc_undefined: Option<String>,
    /// The accuracy of always predicting the validation rows' most frequent class.
    pub majority_class_rate: Option<f64>,
    /// `None` when the data has no group column.
    pub fairness: Option<CohortFairness>,
}

impl Measured {
    fn of(m: &MetricsFile) -> Self {
        Self {
            accuracy: m.report.accuracy,
            ece: m.report.ece,
            roc_auc: m.report.roc_auc,
            roc_auc_undefined: m.report.undefined.get("roc_auc").cloned(),
            majority_class_rate: m.majority_class_rate(),
            fairness: m.fairness.clone(),
        }
    }
}

fn criterion(metric: &str, operator: &str, threshold: f64, value: Option<f64>, passed: bool) -> GateCriterion {
    GateCriterion {
        metric: metric.to_owned(),
        operator: operator.to_owned(),
        threshold,
        value,
        applied: true,
        passed,
        note: None,
    }
}

/// A gap criterion (`<=`) read from the fairness figures: its value, the interval that sets
/// its violation's severity, and why it is missing when it is.
fn gap_criterion(
    metric: &str,
    threshold: f64,
    fairness: Option<&CohortFairness>,
    pick: impl Fn(&CohortFairness) -> (Option<f64>, Option<&BootstrapEstimate>),
) -> (GateCriterion, bool) {
    let Some(f) = fairness else {
        let mut c = criterion(metric, "<=", threshold, None, false);
        c.note = Some("the data has no group column; set `group` in the load stage's csv source".to_owned());
        return (c, false);
    };
    let (value, interval) = pick(f);
    let passed = value.is_some_and(|v| v <= threshold);
    let mut c = criterion(metric, "<=", threshold, value, passed);
    let groups = format!("groups of at least {} rows by `{}`", f.report.min_group_size, f.group_column);
    c.note = Some(match (value, interval.and_then(|i| i.ci)) {
        (Some(_), Some(ci)) => format!("over {groups}; 95% CI {:.3}–{:.3}", ci.lo, ci.hi),
        (Some(_), None) => format!("over {groups}"),
        (None, _) => {
            let why = f.report.undefined.get(metric).map_or("undefined", String::as_str);
            format!("{why}; over {groups}")
        }
    });
    // Severity `high` when even the interval's low end is above the limit: the gap exceeds it
    // at 95% confidence, not only in this sample.
    let high = interval.and_then(|i| i.ci).is_some_and(|ci| ci.lo > threshold);
    (c, high)
}

/// Applies the gate to what was measured (an undefined value never passes).
pub(crate) fn decide(params: &GateParams, m: &Measured) -> GateDecision {
    let apply_ece = match params.ece_policy {
        // Every model here outputs P(y = 1), so `probs_only` applies the criterion too.
        EcePolicy::Strict | EcePolicy::ProbsOnly => true,
        EcePolicy::Disable => false,
    };
    let acc_ok = m.accuracy.is_some_and(|a| a >= params.min_accuracy);
    let ece_ok = !apply_ece || m.ece.is_some_and(|e| e <= params.max_ece);
    let mut criteria = vec![
        criterion("accuracy", ">=", params.min_accuracy, m.accuracy, acc_ok),
        GateCriterion { applied: apply_ece, ..criterion("ece", "<=", params.max_ece, m.ece, ece_ok) },
    ];
    // The optional criteria, each with whether its violation is severe.
    let mut optional: Vec<(GateCriterion, &str, bool)> = Vec::new();
    if let Some(min) = params.min_roc_auc {
        let mut c = criterion("roc_auc", ">=", min, m.roc_auc, m.roc_auc.is_some_and(|a| a >= min));
        c.note = m.roc_auc.is_none().then(|| m.roc_auc_undefined.clone().unwrap_or_else(|| "undefined".to_owned()));
        // No better than chance.
        let high = m.roc_auc.is_some_and(|a| a <= 0.5);
        optional.push((c, "low_roc_auc", high));
    }
    if let Some(min) = params.min_accuracy_lift {
        let lift = m.accuracy.zip(m.majority_class_rate).map(|(a, r)| a - r);
        let mut c = criterion("accuracy_lift", ">=", min, lift, lift.is_some_and(|l| l >= min));
        c.note = Some(match (m.accuracy, m.majority_class_rate) {
            (Some(a), Some(r)) => format!("accuracy {a:.4} − majority-class rate {r:.4}"),
            _ => "accuracy undefined".to_owned(),
        });
        // No better than always predicting the most frequent class.
        let high = lift.is_some_and(|l| l <= 0.0);
        optional.push((c, "low_accuracy_lift", high));
    }
    let fairness = m.fairness.as_ref();
    if let Some(max) = params.max_demographic_parity_difference {
        let (c, high) = gap_criterion("demographic_parity_difference", max, fairness, |f| {
            let interval = f.report.intervals.as_ref().map(|i| &i.demographic_parity_difference);
            (f.report.demographic_parity_difference, interval)
        });
        optional.push((c, "demographic_parity", high));
    }
    if let Some(max) = params.max_equalized_odds_difference {
        let (c, high) = gap_criterion("equalized_odds_difference", max, fairness, |f| {
            let interval = f.report.intervals.as_ref().map(|i| &i.equalized_odds_difference);
            (f.report.equalized_odds_difference, interval)
        });
        optional.push((c, "equalized_odds", high));
    }
    let promoted = acc_ok && ece_ok && optional.iter().all(|(c, _, _)| c.passed);
    let mut violations = Vec::new();
    if !promoted {
        if let Some(e) = m.ece.filter(|e| *e > params.max_ece) {
            violations.push(Violation::new("calibration_error", e > 0.15));
        }
        if let Some(a) = m.accuracy.filter(|a| *a < params.min_accuracy) {
            violations.push(Violation::new("low_accuracy", a < 0.70));
        }
        violations
            .extend(optional.iter().filter(|(c, _, _)| !c.passed).map(|(_, kind, high)| Violation::new(kind, *high)));
    }
    criteria.extend(optional.into_iter().map(|(c, _, _)| c));
    GateDecision { criteria, promoted, violations }
}

fn policy_name(p: EcePolicy) -> &'static str {
    match p {
        EcePolicy::Strict => "strict",
        EcePolicy::ProbsOnly => "probs_only",
        EcePolicy::Disable => "disable",
    }
}

/// The original's condition text, with the optional criteria that are set.
fn conditions(params: &GateParams, apply_ece: bool) -> String {
    let mut parts = vec![format!("Accuracy >= {:.3}", params.min_accuracy)];
    if apply_ece {
        parts.push(format!("ECE <= {:.3}", params.max_ece));
    }
    let optional = [
        ("ROC-AUC >=", params.min_roc_auc),
        ("Accuracy lift >=", params.min_accuracy_lift),
        ("Demographic parity difference <=", params.max_demographic_parity_difference),
        ("Equalized odds difference <=", params.max_equalized_odds_difference),
    ];
    parts.extend(optional.iter().filter_map(|(text, v)| v.map(|v| format!("{text} {v:.3}"))));
    parts.join(" AND ")
}

pub(super) fn run(ctx: &StageContext<'_>, params: &GateParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let cohort = ctx.cohort()?;
    let trained = ctx.upstream(StageKind::Train)?;
    let metrics_bytes = trained.read("metrics.json")?;
    let model_bytes = trained.read("model.json")?;
    let metrics: MetricsFile = trained.read_artifact()?;
    let measured = Measured::of(&metrics);
    let d = decide(params, &measured);
    let dest = if d.promoted { "models/current" } else { "models/candidates" };
    write(out, &format!("{dest}/{cohort}_model.json"), &model_bytes)?;
    write(out, &format!("{dest}/{cohort}_metrics.json"), &metrics_bytes)?;
    let failed: Vec<String> = d.criteria.iter().filter(|c| !c.passed).map(GateCriterion::failure).collect();
    let record = GateRecord {
        format_version: GATE_FORMAT,
        cohort: cohort.to_owned(),
        model_type: metrics.model_type.clone(),
        trained_by: trained.id.clone(),
        policy: policy_name(params.ece_policy).to_owned(),
        conditions: conditions(params, d.criteria[1].applied),
        criteria: d.criteria,
        majority_class_rate: measured.majority_class_rate,
        promoted: d.promoted,
        decision: if d.promoted { "PASS" } else { "FAIL" }.to_owned(),
        violations: d.violations,
        destination: format!("{dest}/{cohort}_model.json"),
        decided_at: ctx.clock.timestamp(),
    };
    write(out, &format!("cohorts/{cohort}/gate.json"), &json_bytes(&record)?)?;
    let summary =
        if d.promoted { format!("PASS → {dest}") } else { format!("FAIL ({}) → {dest}", failed.join(", ")) };
    let failure =
        (!d.promoted && params.fail_on_reject).then(|| format!("gate rejected the model: {}", failed.join(", ")));
    Ok(EntryMeta { summary, failure, volatile: None, warnings: Vec::new() })
}

/// The `gate` kind.
pub(crate) struct Gate;

impl super::stage::Stage for Gate {
    type Params = crate::manifest::params::GateParams;

    fn run(
        &self,
        ctx: &StageContext<'_>,
        params: &crate::manifest::params::GateParams,
        out: &mut Staging,
    ) -> Result<EntryMeta, StageError> {
        run(ctx, params, out)
    }

    /// `gate_decision` and, when the model was promoted, `promotion`, which vouches for the
    /// promoted copy of the cohort's model.
    fn audit_events(
        &self,
        _params: &Self::Params,
        at: &super::AuditInput<'_>,
    ) -> Result<Vec<super::AuditEvent>, super::AuditInputError> {
        use super::{AuditEvent, ModelLink};
        use crate::trail::model_content_sha256;
        use serde_json::json;
        let mut events = Vec::new();
        let Some(rel) = at.output("/gate.json") else { return Ok(Vec::new()) };
        let g: GateRecord = at.read_json(&rel)?;
        events.push(AuditEvent::plain(json!({
            "event": "gate_decision",
            "id": at.instance.id(),
            "cohort": at.instance.decl.cohort,
            "decision": g.decision,
            "promoted": g.promoted,
            "policy": g.policy,
            "criteria": g.criteria,
            "violations": g.violations,
        })));
        let dest = g.destination.as_str();
        let copy: serde_json::Value = at.read_json(dest)?;
        let promotion = json!({
            "event": "promotion",
            "id": at.instance.id(),
            "cohort": at.instance.decl.cohort,
            "promoted": g.promoted,
            "path": dest,
            "content_sha256": model_content_sha256(&copy)?,
        });
        events.push(AuditEvent { event: promotion, model: Some(ModelLink::Copied(dest.to_owned())) });
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{FairnessOptions, fairness_with};

    fn params(policy: EcePolicy) -> GateParams {
        GateParams {
            min_accuracy: 0.85,
            max_ece: 0.08,
            ece_policy: policy,
            fail_on_reject: false,
            min_roc_auc: None,
            min_accuracy_lift: None,
            max_demographic_parity_difference: None,
            max_equalized_odds_difference: None,
        }
    }

    fn measured(accuracy: Option<f64>, ece: Option<f64>) -> Measured {
        Measured { accuracy, ece, ..Measured::default() }
    }

    fn decide_on(params: &GateParams, accuracy: Option<f64>, ece: Option<f64>) -> GateDecision {
        decide(params, &measured(accuracy, ece))
    }

    fn violation(kind: &str, severity: &str) -> Violation {
        Violation { kind: kind.to_owned(), severity: severity.to_owned() }
    }

    #[test]
    fn thresholds_are_inclusive() {
        assert!(decide_on(&params(EcePolicy::Strict), Some(0.85), Some(0.08)).promoted);
        assert!(!decide_on(&params(EcePolicy::Strict), Some(0.849_999), Some(0.08)).promoted);
        assert!(!decide_on(&params(EcePolicy::Strict), Some(0.9), Some(0.080_001)).promoted);
    }

    #[test]
    fn severities_follow_metrics_md() {
        let d = decide_on(&params(EcePolicy::Strict), Some(0.69), Some(0.16));
        assert_eq!(d.violations, vec![violation("calibration_error", "high"), violation("low_accuracy", "high")]);
        let d = decide_on(&params(EcePolicy::Strict), Some(0.80), Some(0.10));
        assert_eq!(d.violations, vec![violation("calibration_error", "medium"), violation("low_accuracy", "medium")]);
        assert!(decide_on(&params(EcePolicy::Strict), Some(0.9), Some(0.01)).violations.is_empty());
    }

    #[test]
    fn policy_disable_ignores_ece_and_undefined_ece_fails_strict() {
        assert!(decide_on(&params(EcePolicy::Disable), Some(0.9), Some(0.5)).promoted);
        assert!(decide_on(&params(EcePolicy::Disable), Some(0.9), None).promoted);
        assert!(!decide_on(&params(EcePolicy::Strict), Some(0.9), None).promoted);
        assert!(!decide_on(&params(EcePolicy::Strict), None, Some(0.01)).promoted);
    }

    #[test]
    fn optional_criteria_are_off_unless_set() {
        let d = decide_on(&params(EcePolicy::Strict), Some(0.9), Some(0.01));
        let metrics: Vec<&str> = d.criteria.iter().map(|c| c.metric.as_str()).collect();
        assert_eq!(metrics, ["accuracy", "ece"]);
        assert_eq!(conditions(&params(EcePolicy::Strict), true), "Accuracy >= 0.850 AND ECE <= 0.080");
    }

    #[test]
    fn roc_auc_and_accuracy_lift_pass_and_fail_both_ways() {
        let p = GateParams { min_roc_auc: Some(0.8), min_accuracy_lift: Some(0.05), ..params(EcePolicy::Strict) };
        let m = Measured { roc_auc: Some(0.8), majority_class_rate: Some(0.85), ..measured(Some(0.9), Some(0.01)) };
        let d = decide(&p, &m);
        assert!(d.promoted, "{:?}", d.criteria);
        let lift = &d.criteria[3];
        assert_eq!((lift.metric.as_str(), lift.passed), ("accuracy_lift", true));
        assert!((lift.value.unwrap_or_default() - 0.05).abs() < 1e-12);
        assert_eq!(lift.note.as_deref(), Some("accuracy 0.9000 − majority-class rate 0.8500"));

        // 0.83 on an 83% majority: accurate-looking, no better than the majority class.
        let m = Measured { roc_auc: Some(0.5), majority_class_rate: Some(0.83), ..measured(Some(0.86), Some(0.01)) };
        let d = decide(&p, &m);
        assert!(!d.promoted);
        assert_eq!(d.violations, vec![violation("low_roc_auc", "high"), violation("low_accuracy_lift", "medium")]);
        let m = Measured { roc_auc: Some(0.7), majority_class_rate: Some(0.9), ..measured(Some(0.86), Some(0.01)) };
        let d = decide(&p, &m);
        assert_eq!(d.violations, vec![violation("low_roc_auc", "medium"), violation("low_accuracy_lift", "high")]);
        assert_eq!(
            conditions(&p, true),
            "Accuracy >= 0.850 AND ECE <= 0.080 AND ROC-AUC >= 0.800 AND Accuracy lift >= 0.050"
        );
    }

    #[test]
    fn an_undefined_roc_auc_fails_and_says_why() {
        let p = GateParams { min_roc_auc: Some(0.6), ..params(EcePolicy::Strict) };
        let m = Measured { roc_auc_undefined: Some("one class".to_owned()), ..measured(Some(0.9), Some(0.01)) };
        let d = decide(&p, &m);
        assert!(!d.promoted);
        assert_eq!(d.criteria[2].failure(), "roc_auc undefined not >= 0.600 (one class)");
        assert_eq!(d.violations, vec![violation("low_roc_auc", "medium")]);
    }

    /// Two groups of `n` rows; `a` selects `sa` of them and `b` `sb` (labels alternate).
    fn fairness(n: usize, sa: usize, sb: usize, min_group_size: u64) -> CohortFairness {
        let mut y = Vec::new();
        let mut p = Vec::new();
        let mut g = Vec::new();
        for (name, selected) in [("a", sa), ("b", sb)] {
            for i in 0..n {
                y.push(u8::from(i % 2 == 0));
                p.push(u8::from(i < selected));
                g.push(name);
            }
        }
        let options = FairnessOptions { min_group_size, ..FairnessOptions::default() };
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(5);
        let report = fairness_with(&y, &p, &g, &options, &mut rng).expect("valid");
        CohortFairness { group_column: "sex".to_owned(), report }
    }

    #[test]
    fn fairness_criteria_pass_and_fail_both_ways() {
        let p = GateParams {
            max_demographic_parity_difference: Some(0.1),
            max_equalized_odds_difference: Some(0.5),
            ..params(EcePolicy::Strict)
        };
        let ok = Measured { fairness: Some(fairness(40, 20, 18, 30)), ..measured(Some(0.9), Some(0.01)) };
        let d = decide(&p, &ok);
        assert!(d.promoted, "{:?}", d.criteria);
        let dp = &d.criteria[2];
        assert_eq!(dp.metric, "demographic_parity_difference");
        assert!(dp.note.as_deref().is_some_and(|n| n.starts_with("over groups of at least 30 rows by `sex`; 95% CI ")));

        // a selects 40 of 40, b 0: the gap is 1 in every resample, far above 0.1.
        let bad = Measured { fairness: Some(fairness(40, 40, 0, 30)), ..measured(Some(0.9), Some(0.01)) };
        let d = decide(&p, &bad);
        assert!(!d.promoted);
        assert_eq!(d.violations, vec![violation("demographic_parity", "high"), violation("equalized_odds", "high")]);
        assert_eq!(
            d.criteria.iter().filter(|c| !c.passed).map(GateCriterion::failure).collect::<Vec<_>>(),
            ["demographic_parity_difference 1.0000 not <= 0.100", "equalized_odds_difference 1.0000 not <= 0.500"]
        );
    }

    #[test]
    fn a_fairness_criterion_without_a_group_column_or_a_gap_fails_with_the_reason() {
        let p = GateParams { max_equalized_odds_difference: Some(0.2), ..params(EcePolicy::Strict) };
        let d = decide(&p, &measured(Some(0.9), Some(0.01)));
        assert!(!d.promoted);
        assert_eq!(
            d.criteria[2].failure(),
            "equalized_odds_difference undefined not <= 0.200 (the data has no group column; set `group` in the \
             load stage's csv source)"
        );
        assert_eq!(d.violations, vec![violation("equalized_odds", "medium")]);

        // Groups of 20 rows, below min_group_size 30: nothing is compared.
        let small = Measured { fairness: Some(fairness(20, 10, 10, 30)), ..measured(Some(0.9), Some(0.01)) };
        let d = decide(&p, &small);
        assert!(!d.promoted);
        assert_eq!(
            d.criteria[2].failure(),
            "equalized_odds_difference undefined not <= 0.200 (fewer than two groups have at least min_group_size \
             rows; over groups of at least 30 rows by `sex`)"
        );
    }

    #[test]
    fn gate_params_range_checks_the_optional_criteria() {
        let p = GateParams {
            min_roc_auc: Some(1.5),
            min_accuracy_lift: Some(-0.1),
            max_demographic_parity_difference: Some(0.1),
            max_equalized_odds_difference: Some(f64::NAN),
            ..params(EcePolicy::Strict)
        };
        let keys: Vec<String> = p.range_issues().iter().map(|i| i.key.join(".")).collect();
        assert_eq!(keys, ["min_roc_auc", "min_accuracy_lift", "max_equalized_odds_difference"]);
    }
}
