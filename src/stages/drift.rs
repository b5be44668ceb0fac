//! `drift`: the ethical drift report across the cohorts of the `train` instances it needs
//! (see [`super::cohorts`] for what each cohort contributes), and against a baseline run's
//! cohorts when `baseline_run` is set. Writes `drift_reports/<report_id>.json` (the original's
//! layout and fields, see [`crate::governance::drift_report`]).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::cohorts::{Cohort, drift_comparisons, gather};
use super::{StageContext, StageError, json_bytes, write};
use crate::governance::drift_report::{DriftThresholds, PairwiseDrift, drift_metrics, profile};
use crate::manifest::params::DriftParams;
use crate::store::{EntryMeta, Staging};

/// A drift report and what its summary line needs.
pub(super) struct DriftReport {
    /// `drift_<clock>[_<instance>]`.
    pub report_id: String,
    /// The report, field for field the original's plus `reference_cohort` and `pairwise`.
    pub report: Value,
    /// Every comparison made.
    pub pairs: Vec<PairwiseDrift>,
    /// Whether the report says drift.
    pub has_drift: bool,
}

/// The report over `cohorts`.
pub(super) fn build_report(
    ctx: &StageContext<'_>,
    cohorts: &[Cohort],
    params: &DriftParams,
) -> Result<DriftReport, StageError> {
    let hour = {
        let t = ctx.clock.timestamp();
        format!("{}:00:00Z", t.get(..13).unwrap_or(&t))
    };
    let thresholds = DriftThresholds {
        violation_type: params.violation_type_threshold,
        risk_score: params.risk_score_threshold,
        psi: params.psi_threshold,
        ks_pvalue: params.ks_pvalue,
        ..DriftThresholds::default()
    };
    let (reference, pairs) = drift_comparisons(ctx, cohorts, params, &thresholds)?;
    let profiles: Vec<_> = cohorts.iter().map(|c| profile(&c.actions, &hour)).collect();
    let (metrics, recommendations) = drift_metrics(&profiles, &pairs, &thresholds);
    let suffix = if matches!(ctx.instance.id(), "drift" | "phase3") {
        String::new()
    } else {
        format!(
            "_{}",
            ctx.instance.id().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>()
        )
    };
    let report_id = format!("drift_{}{suffix}", ctx.clock.compact().replace('T', "_").trim_end_matches('Z'));
    let now = ctx.clock.timestamp();
    let by_id: BTreeMap<&str, &_> = profiles.iter().map(|p| (p.cohort_id.as_str(), p)).collect();
    let mut report = json!({
        "report_id": report_id,
        "start_time": now,
        "end_time": now,
        "cohorts": by_id,
        "reference_cohort": cohorts[reference].name(),
        "drift_metrics": metrics,
        "recommendations": recommendations,
        "generated_at": now,
    });
    if let (Some(run), Value::Object(fields)) = (&params.baseline_run, &mut report) {
        fields.insert("baseline_run".into(), json!(run));
    }
    let has_drift = report["drift_metrics"]["has_drift"] == true;
    Ok(DriftReport { report_id, report, pairs, has_drift })
}

pub(super) fn run(ctx: &StageContext<'_>, params: &DriftParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let cohorts = gather(ctx)?;
    let r = build_report(ctx, &cohorts, params)?;
    write(out, &format!("drift_reports/{}.json", r.report_id), &json_bytes(&r.report)?)?;
    let drifted = r.pairs.iter().filter(|p| p.drifted).count();
    let summary = format!(
        "{}: {} cohorts, drift {}; {drifted} of {} comparisons drifted",
        r.report_id,
        cohorts.len(),
        if r.has_drift { "DETECTED" } else { "none" },
        r.pairs.len()
    );
    Ok(EntryMeta { summary, failure: None, volatile: None, warnings: Vec::new() })
}

/// The `drift` kind.
pub(crate) struct Drift;

impl super::stage::Stage for Drift {
    type Params = crate::manifest::params::DriftParams;

    fn run(
        &self,
        ctx: &StageContext<'_>,
        params: &crate::manifest::params::DriftParams,
        out: &mut Staging,
    ) -> Result<EntryMeta, StageError> {
        run(ctx, params, out)
    }

    /// one `drift_report` per report written.
    fn audit_events(
        &self,
        _params: &Self::Params,
        at: &super::AuditInput<'_>,
    ) -> Result<Vec<super::AuditEvent>, super::AuditInputError> {
        use super::AuditEvent;
        use serde_json::json;
        let mut events = Vec::new();
        for rel in at.outputs.keys().filter(|p| p.starts_with("drift_reports/")) {
            let d = at.read_json(rel)?;
            let m = &d["drift_metrics"];
            let drifted = m["pairwise"].as_array().map_or(0, |a| a.iter().filter(|p| p["drifted"] == true).count());
            events.push(AuditEvent::plain(json!({
                "event": "drift_report",
                "id": at.instance.id(),
                "path": rel,
                "report_id": d["report_id"],
                "cohorts": m["cohort_count"],
                "has_drift": m["has_drift"],
                "drift_score": m["drift_score"],
                "drifted_comparisons": drifted,
                "recommendations": d["recommendations"],
            })));
        }
        Ok(events)
    }
}
