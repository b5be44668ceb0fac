//! `drift`: the ethical drift report across the cohorts of the `train` instances it needs
//! (see [`super::cohorts`] for what each cohort contributes), and against a baseline run's
//! cohorts when `baseline_run` is set. Writes `drift_reports/<report_id>.json` (the original's
//! layout and fields, see [`crate::governance::drift_report`]), typed as [`DriftReportFile`]
//! so the `report` stage and `nethical train` read it through the same type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cohorts::{Cohort, drift_comparisons, gather};
use super::{StageContext, StageError, json_bytes, write};
use crate::governance::drift_report::{DriftThresholds, PairwiseDrift, drift_metrics, profile};
use crate::manifest::params::DriftParams;
use crate::store::{EntryMeta, Staging};

/// The version of [`DriftReportFile`] this build writes. Files written before the field existed
/// have the same fields and read as version 0.
pub const DRIFT_REPORT_FORMAT: u32 = 1;

/// `drift_reports/<report_id>.json`, written by `drift` and `phase3`, read back by the `report`
/// stage and `nethical train`. Field for field the original's drift report (a user-visible
/// contract: the names stay), plus `reference_cohort`, `baseline_run`, `drift_metrics.pairwise`
/// and `format_version`. It is written through a `Value`, so its keys are sorted as before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReportFile {
    /// [`DRIFT_REPORT_FORMAT`]; 0 for a file written before it was recorded.
    #[serde(default)]
    pub format_version: u32,
    /// `drift_<clock>[_<instance>]`.
    pub report_id: String,
    /// The run clock.
    pub start_time: String,
    /// The run clock.
    pub end_time: String,
    /// Each cohort's profile, by cohort id (the original's fields).
    pub cohorts: BTreeMap<String, Value>,
    /// The cohort the others are compared with.
    pub reference_cohort: String,
    /// The figures and the verdict.
    pub drift_metrics: DriftMetricsFile,
    /// What to do about it, most important first.
    pub recommendations: Vec<String>,
    /// The run clock.
    pub generated_at: String,
    /// The earlier run whose cohorts were compared too, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_run: Option<String>,
}

/// `drift_metrics` of a drift report: the verdict and the comparisons typed, the original's
/// other figures kept as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftMetricsFile {
    /// Whether any figure passed its threshold.
    pub has_drift: bool,
    /// How many cohorts were profiled.
    pub cohort_count: u64,
    /// The combined score; absent when there were too few cohorts to compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_score: Option<f64>,
    /// Every distribution comparison; absent when there were too few cohorts to compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairwise: Option<Vec<PairFile>>,
    /// The original's per-type, per-severity and risk figures, thresholds and counts.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// One comparison of `drift_metrics.pairwise` as read back: the fields readers use, the
/// statistics kept as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairFile {
    /// The reference cohort.
    pub reference: String,
    /// The compared cohort.
    pub current: String,
    /// `y_prob` or a feature's name.
    pub variable: String,
    /// Population stability index.
    pub psi: f64,
    /// Whether PSI or KS says it drifted.
    pub drifted: bool,
    /// KS, JS, Wasserstein and the bin edges.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl DriftReportFile {
    /// Reads a drift report's bytes; `what` names the file in the error.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self, StageError> {
        let report: Self = serde_json::from_slice(bytes)
            .map_err(|e| StageError::MissingInput(format!("{what} is not a drift report: {e}")))?;
        if report.format_version > DRIFT_REPORT_FORMAT {
            return Err(StageError::MissingInput(format!(
                "{what} has format version {}; this build reads up to {DRIFT_REPORT_FORMAT}",
                report.format_version
            )));
        }
        Ok(report)
    }

    /// The file's bytes: through a `Value`, so keys are sorted as the original's were.
    pub fn to_bytes(&self) -> Result<Vec<u8>, StageError> {
        json_bytes(&serde_json::to_value(self)?)
    }
}

/// A drift report and what its summary line needs.
pub(super) struct DriftReport {
    /// `drift_<clock>[_<instance>]`.
    pub report_id: String,
    /// The report.
    pub report: DriftReportFile,
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
    let cohorts_json = serde_json::to_value(&by_id).and_then(serde_json::from_value).map_err(StageError::DriftShape)?;
    let drift_metrics = serde_json::from_value(metrics).map_err(StageError::DriftShape)?;
    let report = DriftReportFile {
        format_version: DRIFT_REPORT_FORMAT,
        report_id: report_id.clone(),
        start_time: now.clone(),
        end_time: now.clone(),
        cohorts: cohorts_json,
        reference_cohort: cohorts[reference].name().to_owned(),
        drift_metrics,
        recommendations,
        generated_at: now,
        baseline_run: params.baseline_run.clone(),
    };
    let has_drift = report.drift_metrics.has_drift;
    Ok(DriftReport { report_id, report, pairs, has_drift })
}

pub(super) fn run(ctx: &StageContext<'_>, params: &DriftParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let cohorts = gather(ctx)?;
    let r = build_report(ctx, &cohorts, params)?;
    write(out, &format!("drift_reports/{}.json", r.report_id), &r.report.to_bytes()?)?;
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
            let d: DriftReportFile = at.read_json(rel)?;
            let m = &d.drift_metrics;
            let drifted = m.pairwise.iter().flatten().filter(|p| p.drifted).count();
            events.push(AuditEvent::plain(json!({
                "event": "drift_report",
                "id": at.instance.id(),
                "path": rel,
                "report_id": d.report_id,
                "cohorts": m.cohort_count,
                "has_drift": m.has_drift,
                "drift_score": m.drift_score,
                "drifted_comparisons": drifted,
                "recommendations": d.recommendations,
            })));
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn original() -> Value {
        json!({
            "report_id": "drift_20231114_221320",
            "start_time": "2023-11-14T22:13:20Z",
            "end_time": "2023-11-14T22:13:20Z",
            "cohorts": {"a": {"cohort_id": "a", "action_count": 3}},
            "reference_cohort": "a",
            "drift_metrics": {
                "has_drift": true,
                "cohort_count": 2,
                "drift_score": 0.5,
                "pairwise": [{"reference": "a", "current": "b", "variable": "y_prob", "psi": 0.3,
                              "ks_statistic": 0.2, "bin_edges": [0.5], "drifted": true}],
            },
            "recommendations": ["Review"],
            "generated_at": "2023-11-14T22:13:20Z",
        })
    }

    #[test]
    fn a_report_reads_and_writes_the_same_fields_plus_its_format_version() -> Result<(), StageError> {
        let before = original();
        let report = DriftReportFile::from_bytes(before.to_string().as_bytes(), "report")?;
        assert_eq!(report.format_version, 0, "a file from before the field reads as version 0");
        assert!(report.drift_metrics.has_drift);
        let written: Value = serde_json::from_slice(&report.to_bytes()?)?;
        let mut expected = before;
        if let Value::Object(fields) = &mut expected {
            fields.insert("format_version".to_owned(), json!(0));
        }
        assert_eq!(written, expected);
        Ok(())
    }

    #[test]
    fn a_report_of_a_later_format_is_refused() {
        let mut later = original();
        later["format_version"] = json!(DRIFT_REPORT_FORMAT + 1);
        let error = DriftReportFile::from_bytes(later.to_string().as_bytes(), "`r.json`").map(|_| ());
        assert!(matches!(error, Err(StageError::MissingInput(m)) if m.contains("format version 2")));
    }
}
