//! The original's Phase 3 system status block, printed from a `phase3` stage's folder by
//! `nethical run` and `nethical train --enable-phase3`.

use std::path::Path;

use super::out::outln;
use serde_json::{Value, json};

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
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
    let status = read_json(&dir.join("status.json")).unwrap_or(Value::Null);
    let timings = read_json(&dir.join("performance_timings.json")).unwrap_or(Value::Null);
    outln!("Phase3 System Status:");
    let c = &status["components"];
    // In the original's key order (a Python dict keeps insertion order).
    let components: [(&str, [(&str, Value); 2]); 5] = [
        ("risk_engine", [("active_profiles", c["risk_engine"]["active_profiles"].clone()), ("enabled", json!(true))]),
        (
            "correlation_engine",
            [("tracked_agents", c["correlation_engine"]["tracked_agents"].clone()), ("enabled", json!(true))],
        ),
        ("fairness_sampler", [("active_jobs", c["fairness_sampler"]["active_jobs"].clone()), ("enabled", json!(true))]),
        (
            "ethical_drift_reporter",
            [("tracked_cohorts", c["ethical_drift_reporter"]["tracked_cohorts"].clone()), ("enabled", json!(true))],
        ),
        ("performance_optimizer", [("enabled", json!(true)), ("meeting_target", timings["meeting_target"].clone())]),
    ];
    for (name, info) in components {
        let fields: Vec<String> = info.iter().map(|(k, v)| format!("'{k}': {}", python_repr(v))).collect();
        outln!("  ✓ {name}: {{{}}}", fields.join(", "));
    }
    if let Some(r) = timings["cpu_reduction_pct"].as_f64() {
        outln!(
            "  CPU reduction by risk gating: {r:.1}% of {:.3} ms measured ungated (target {}%)",
            timings["baseline_cpu_ms"].as_f64().unwrap_or(0.0),
            timings["target_cpu_reduction_pct"]
        );
    }
}
