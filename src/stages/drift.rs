//! `drift`: the ethical drift report across the cohorts of the `train` instances it needs.
//!
//! Each cohort contributes its validation predictions (`predictions.csv`), its model's
//! threshold, its gate's violations when a `gate` instance of the cohort is among the needs,
//! and the numeric input features of its validation rows when the `load` instance it trained on
//! is among the needs. Writes `drift_reports/<report_id>.json` (the original's layout and
//! fields, see [`crate::governance::drift_report`]).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{StageContext, StageError, UpstreamOutput, json_bytes, write};
use crate::data::table::Values;
use crate::governance::drift_report::{CohortActions, DriftThresholds, drift_metrics, pairwise, profile};
use crate::manifest::StageKind;
use crate::manifest::params::DriftParams;
use crate::predictions::{PredictionColumns, read_predictions};
use crate::store::{EntryMeta, Staging};
use crate::trained::read_raw_csv;

fn json_of(up: &UpstreamOutput, name: &str) -> Result<Value, StageError> {
    serde_json::from_slice(&up.read(name)?)
        .map_err(|e| StageError::MissingInput(format!("`{name}` of `{}` is not JSON: {e}", up.id)))
}

/// The numeric features of a `load` instance's validation rows, by name.
fn validation_features(load: &UpstreamOutput) -> Result<BTreeMap<String, Vec<f64>>, StageError> {
    let dataset = json_of(load, "dataset.json")?;
    let table = read_raw_csv(&load.read("validation.csv")?, b',', &[""])?;
    let mut out = BTreeMap::new();
    let features = dataset["schema"]["features"].as_array().cloned().unwrap_or_default();
    for feature in features {
        let (Some(name), Some(kind)) = (feature[0].as_str(), feature[1].as_str()) else { continue };
        if kind != "numeric" {
            continue;
        }
        let Some(column) = table.column(name) else { continue };
        let Values::Text(cells) = &column.values else { continue };
        let values: Vec<f64> = cells.iter().flatten().filter_map(|v| v.parse().ok()).collect();
        if !values.is_empty() {
            out.insert(name.to_owned(), values);
        }
    }
    Ok(out)
}

pub(super) fn run(ctx: &StageContext<'_>, params: &DriftParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let hour = {
        let t = ctx.clock.timestamp();
        format!("{}:00:00Z", t.get(..13).unwrap_or(&t))
    };
    let mut cohorts = Vec::new();
    for up in ctx.inputs.iter().filter(|u| u.kind == StageKind::Train) {
        let cohort = up.cohort.clone().unwrap_or_else(|| up.id.clone());
        let model = json_of(up, "model.json")?;
        let predictions = read_predictions(&up.read("predictions.csv")?, &up.id, &PredictionColumns::default())?;
        let gate_violations = ctx
            .inputs
            .iter()
            .filter(|g| g.kind == StageKind::Gate && g.cohort.as_deref() == Some(cohort.as_str()))
            .map(|g| json_of(g, "gate.json"))
            .collect::<Result<Vec<_>, _>>()?
            .iter()
            .flat_map(|g| g["violations"].as_array().cloned().unwrap_or_default())
            .map(|v| {
                (
                    v["type"].as_str().unwrap_or("unknown").to_owned(),
                    v["severity"].as_str().unwrap_or("medium").to_owned(),
                )
            })
            .collect();
        let data = model["data"].as_str().unwrap_or_default();
        let features = match ctx.inputs.iter().find(|l| l.kind == StageKind::Load && l.id == data) {
            Some(load) => validation_features(load)?,
            None => BTreeMap::new(),
        };
        cohorts.push(CohortActions {
            agent: format!("model_{}", model["model_type"].as_str().unwrap_or("unknown")),
            cohort,
            y_true: predictions.y_true,
            y_prob: predictions.y_prob,
            threshold: model["threshold"].as_f64().unwrap_or(0.5),
            gate_violations,
            features,
        });
    }
    if cohorts.is_empty() {
        return Err(StageError::MissingInput(format!(
            "`{}` needs at least one `train` stage: its cohorts are what it compares",
            ctx.instance.id()
        )));
    }
    let reference = match &params.reference {
        Some(name) => cohorts.iter().position(|c| &c.cohort == name).ok_or_else(|| {
            let known: Vec<&str> = cohorts.iter().map(|c| c.cohort.as_str()).collect();
            StageError::Invalid(format!(
                "reference cohort `{name}` is not among the cohorts compared: {}",
                known.join(", ")
            ))
        })?,
        None => 0,
    };
    let thresholds = DriftThresholds {
        violation_type: params.violation_type_threshold,
        risk_score: params.risk_score_threshold,
        psi: params.psi_threshold,
        ks_pvalue: params.ks_pvalue,
        ..DriftThresholds::default()
    };
    let profiles: Vec<_> = cohorts.iter().map(|c| profile(c, &hour)).collect();
    let pairs = pairwise(&cohorts, reference, &thresholds).map_err(|e| StageError::Invalid(e.to_string()))?;
    let (metrics, recommendations) = drift_metrics(&profiles, &pairs, &thresholds);
    let suffix = if ctx.instance.id() == "drift" {
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
    let report = json!({
        "report_id": report_id,
        "start_time": now,
        "end_time": now,
        "cohorts": by_id,
        "reference_cohort": cohorts[reference].cohort,
        "drift_metrics": metrics,
        "recommendations": recommendations,
        "generated_at": now,
    });
    write(out, &format!("drift_reports/{report_id}.json"), &json_bytes(&report)?)?;
    let drifted = pairs.iter().filter(|p| p.drifted).count();
    let summary = format!(
        "{report_id}: {} cohorts, drift {}; {drifted} of {} comparisons drifted",
        profiles.len(),
        if metrics["has_drift"] == true { "DETECTED" } else { "none" },
        pairs.len()
    );
    Ok(EntryMeta { summary, failure: None, volatile: None })
}
