//! The original's Phase 8–9 optimisation lines (`Top 3 Configurations`, the promotion gate's
//! reasons), printed from an `optimize` stage's folder by `nethical run` and `nethical train
//! --enable-phase89 --optimize-config`.

use std::path::Path;

use super::out::outln;
use serde_json::Value;

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// Prints the search's size, its top 3 and the gate's decision with every reason.
pub(super) fn print_optimization(dir: &Path) {
    let Some(candidates) = read_json(&dir.join("candidates.json")) else { return };
    outln!("Optimization completed. Evaluated {} configurations", candidates["evaluations"]);
    outln!("Top 3 Configurations:");
    for (i, c) in candidates["candidates"].as_array().into_iter().flatten().take(3).enumerate() {
        let m = &c["outcome"]["metrics"];
        outln!("  {}. {}", i + 1, c["config_id"].as_str().unwrap_or("?"));
        outln!("     Fitness: {:.4}", num(&m["fitness"]["value"]));
        outln!("     Recall: {:.3}, Precision: {:.3}", num(&m["recall"]), num(&m["precision"]));
        outln!("     FP Rate: {:.3}", num(&m["fp_rate"]));
    }
    let Some(gate) = read_json(&dir.join("gate.json")) else { return };
    outln!("Checking promotion gate for best configuration...");
    outln!("Promotion gate: {}", gate["decision"].as_str().unwrap_or("?"));
    // The original's texts; a failed criterion is marked ✗ (passed ones carry their ✓).
    for c in gate["criteria"].as_array().into_iter().flatten() {
        let reason = c["reason"].as_str().unwrap_or_default();
        let mark = if c["passed"] == false { "✗ " } else { "" };
        outln!("  - {mark}{reason}");
    }
    if let Some(dest) = gate["destination"].as_str() {
        outln!("Promoted configuration {}: model saved to {dest}", gate["candidate"].as_str().unwrap_or("?"));
    }
}
