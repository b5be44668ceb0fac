//! The original's Phase 3 system status block, printed from a `phase3` stage's folder by
//! `nethical run` and `nethical train --enable-phase3`.

use std::path::Path;

use super::out::outln;
use crate::governance::performance_optimizer::Timings;
use crate::stages::{StatusFile, read_phase3_file};
use serde_json::{Value, json};

/// Reads one of the stage's files through its type: `None`, after a warning naming the file,
/// when it is malformed; `None` silently when it is absent.
fn read<T>(path: &Path, parse: impl Fn(&[u8], &str) -> Result<T, crate::stages::StageError>) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    parse(&bytes, &format!("`{}`", path.display())).map_err(|e| tracing::warn!("{e}")).ok()
}

/// A JSON value as Python's `repr` prints it (the original's status lines are dict reprs).
fn python_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{s}'"),
        Value::Array(a) => format!("[{}]", a.iter().map(python_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => {
            format!(
                "{{{}}}",
                o.iter().map(|(k, v)| format!("'{k}': {}", python_repr(v))).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

/// Prints `Phase3 System Status:` and one `  ✓ <component>: {...}` line per component, as the
/// original did, with the measured `meeting_target` and CPU reduction from the timings file.
pub(super) fn print_status(dir: &Path) {
    let status: Option<StatusFile> = read(&dir.join("status.json"), read_phase3_file);
    let timings: Option<Timings> = read(&dir.join("performance_timings.json"), |bytes, what| {
        serde_json::from_slice(bytes)
            .map_err(|e| crate::stages::StageError::MissingInput(format!("{what} is not readable: {e}")))
    });
    outln!("Phase3 System Status:");
    let c = status.map(|s| s.components);
    let c = c.as_ref();
    let meeting_target = timings.as_ref().map(|t| t.meeting_target);
    // In the original's key order (a Python dict keeps insertion order).
    let components: [(&str, [(&str, Value); 2]); 5] = [
        (
            "risk_engine",
            [("active_profiles", json!(c.map(|c| c.risk_engine.active_profiles))), ("enabled", json!(true))],
        ),
        (
            "correlation_engine",
            [("tracked_agents", json!(c.map(|c| c.correlation_engine.tracked_agents))), ("enabled", json!(true))],
        ),
        (
            "fairness_sampler",
            [("active_jobs", json!(c.map(|c| c.fairness_sampler.active_jobs))), ("enabled", json!(true))],
        ),
        (
            "ethical_drift_reporter",
            [("tracked_cohorts", json!(c.map(|c| c.ethical_drift_reporter.tracked_cohorts))), ("enabled", json!(true))],
        ),
        ("performance_optimizer", [("enabled", json!(true)), ("meeting_target", json!(meeting_target))]),
    ];
    for (name, info) in components {
        let fields: Vec<String> = info.iter().map(|(k, v)| format!("'{k}': {}", python_repr(v))).collect();
        outln!("  ✓ {name}: {{{}}}", fields.join(", "));
    }
    if let Some(t) = &timings {
        outln!(
            "  CPU reduction by risk gating: {:.1}% of {:.3} ms measured ungated (target {}%)",
            t.cpu_reduction_pct,
            t.baseline_cpu_ms,
            Value::from(t.target_cpu_reduction_pct)
        );
    }
}
