//! `gate`: the original's promotion gate on a `train` instance's validation metrics.
//!
//! Promote iff accuracy ≥ `min_accuracy` and, per `ece_policy`, ECE ≤ `max_ece`
//! (METRICS.md). Writes `cohorts/<cohort>/gate.json` with each criterion, its value and
//! verdict, and copies the model and its metrics to `models/current/` (promoted) or
//! `models/candidates/` (not), as `<cohort>_model.json` and `<cohort>_metrics.json`.

use serde::Serialize;

use super::{StageContext, StageError, json_bytes, write};
use crate::manifest::StageKind;
use crate::manifest::params::{EcePolicy, GateParams};
use crate::store::{EntryMeta, Staging};

/// One criterion of the gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    /// The metric.
    pub metric: &'static str,
    /// `>=` or `<=`.
    pub operator: &'static str,
    /// The threshold.
    pub threshold: f64,
    /// The measured value (`null` when undefined).
    pub value: Option<f64>,
    /// Whether the policy applies it.
    pub applied: bool,
    /// Whether it passed (always true when not applied).
    pub passed: bool,
}

/// A recorded violation (the original's drift-tracker contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// `calibration_error` or `low_accuracy`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `high` or `medium`.
    pub severity: &'static str,
}

/// The decision on one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateDecision {
    /// The criteria, accuracy first.
    pub criteria: Vec<Criterion>,
    /// Whether the model is promoted.
    pub promoted: bool,
    /// Violations, recorded when it is not promoted.
    pub violations: Vec<Violation>,
}

/// Applies the gate to measured accuracy and ECE (`None` = undefined, which never passes).
pub fn decide(params: &GateParams, accuracy: Option<f64>, ece: Option<f64>) -> GateDecision {
    let apply_ece = match params.ece_policy {
        // Every model here outputs P(y = 1), so `probs_only` applies the criterion too.
        EcePolicy::Strict | EcePolicy::ProbsOnly => true,
        EcePolicy::Disable => false,
    };
    let acc_ok = accuracy.is_some_and(|a| a >= params.min_accuracy);
    let ece_ok = !apply_ece || ece.is_some_and(|e| e <= params.max_ece);
    let promoted = acc_ok && ece_ok;
    let mut violations = Vec::new();
    if !promoted {
        if let Some(e) = ece.filter(|e| *e > params.max_ece) {
            violations
                .push(Violation { kind: "calibration_error", severity: if e > 0.15 { "high" } else { "medium" } });
        }
        if let Some(a) = accuracy.filter(|a| *a < params.min_accuracy) {
            violations.push(Violation { kind: "low_accuracy", severity: if a < 0.70 { "high" } else { "medium" } });
        }
    }
    let criteria = vec![
        Criterion {
            metric: "accuracy",
            operator: ">=",
            threshold: params.min_accuracy,
            value: accuracy,
            applied: true,
            passed: acc_ok,
        },
        Criterion {
            metric: "ece",
            operator: "<=",
            threshold: params.max_ece,
            value: ece,
            applied: apply_ece,
            passed: ece_ok,
        },
    ];
    GateDecision { criteria, promoted, violations }
}

fn policy_name(p: EcePolicy) -> &'static str {
    match p {
        EcePolicy::Strict => "strict",
        EcePolicy::ProbsOnly => "probs_only",
        EcePolicy::Disable => "disable",
    }
}

pub(super) fn run(ctx: &StageContext<'_>, params: &GateParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let cohort = ctx.cohort()?;
    let trained = ctx.upstream(StageKind::Train)?;
    let metrics_bytes = trained.read("metrics.json")?;
    let model_bytes = trained.read("model.json")?;
    let metrics: serde_json::Value = serde_json::from_slice(&metrics_bytes)
        .map_err(|e| StageError::MissingInput(format!("metrics of `{}` are not JSON: {e}", trained.id)))?;
    let accuracy = metrics.get("accuracy").and_then(serde_json::Value::as_f64);
    let ece = metrics.get("ece").and_then(serde_json::Value::as_f64);
    let model_type = metrics.get("model_type").and_then(serde_json::Value::as_str).unwrap_or("unknown").to_owned();
    let d = decide(params, accuracy, ece);
    let dest = if d.promoted { "models/current" } else { "models/candidates" };
    write(out, &format!("{dest}/{cohort}_model.json"), &model_bytes)?;
    write(out, &format!("{dest}/{cohort}_metrics.json"), &metrics_bytes)?;
    let conditions = if d.criteria[1].applied {
        format!("Accuracy >= {:.3} AND ECE <= {:.3}", params.min_accuracy, params.max_ece)
    } else {
        format!("Accuracy >= {:.3}", params.min_accuracy)
    };
    let doc = serde_json::json!({
        "format_version": 1,
        "cohort": cohort,
        "model_type": model_type,
        "trained_by": trained.id,
        "policy": policy_name(params.ece_policy),
        "conditions": conditions,
        "criteria": d.criteria,
        "promoted": d.promoted,
        "decision": if d.promoted { "PASS" } else { "FAIL" },
        "violations": d.violations,
        "destination": format!("{dest}/{cohort}_model.json"),
        "decided_at": ctx.clock.timestamp(),
    });
    write(out, &format!("cohorts/{cohort}/gate.json"), &json_bytes(&doc)?)?;
    let failed: Vec<String> = d
        .criteria
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            let v = c.value.map_or_else(|| "undefined".to_owned(), |v| format!("{v:.4}"));
            format!("{} {v} not {} {:.3}", c.metric, c.operator, c.threshold)
        })
        .collect();
    let summary =
        if d.promoted { format!("PASS → {dest}") } else { format!("FAIL ({}) → {dest}", failed.join(", ")) };
    let failure =
        (!d.promoted && params.fail_on_reject).then(|| format!("gate rejected the model: {}", failed.join(", ")));
    Ok(EntryMeta { summary, failure, volatile: None, warnings: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(policy: EcePolicy) -> GateParams {
        GateParams { min_accuracy: 0.85, max_ece: 0.08, ece_policy: policy, fail_on_reject: false }
    }

    #[test]
    fn thresholds_are_inclusive() {
        assert!(decide(&params(EcePolicy::Strict), Some(0.85), Some(0.08)).promoted);
        assert!(!decide(&params(EcePolicy::Strict), Some(0.849_999), Some(0.08)).promoted);
        assert!(!decide(&params(EcePolicy::Strict), Some(0.9), Some(0.080_001)).promoted);
    }

    #[test]
    fn severities_follow_metrics_md() {
        let d = decide(&params(EcePolicy::Strict), Some(0.69), Some(0.16));
        assert_eq!(
            d.violations,
            vec![
                Violation { kind: "calibration_error", severity: "high" },
                Violation { kind: "low_accuracy", severity: "high" }
            ]
        );
        let d = decide(&params(EcePolicy::Strict), Some(0.80), Some(0.10));
        assert_eq!(
            d.violations,
            vec![
                Violation { kind: "calibration_error", severity: "medium" },
                Violation { kind: "low_accuracy", severity: "medium" }
            ]
        );
        assert!(decide(&params(EcePolicy::Strict), Some(0.9), Some(0.01)).violations.is_empty());
    }

    #[test]
    fn policy_disable_ignores_ece_and_undefined_ece_fails_strict() {
        assert!(decide(&params(EcePolicy::Disable), Some(0.9), Some(0.5)).promoted);
        assert!(decide(&params(EcePolicy::Disable), Some(0.9), None).promoted);
        assert!(!decide(&params(EcePolicy::Strict), Some(0.9), None).promoted);
        assert!(!decide(&params(EcePolicy::Strict), None, Some(0.01)).promoted);
    }
}
