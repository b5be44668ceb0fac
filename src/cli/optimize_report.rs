//! The original's Phase 8–9 optimisation lines (`Top 3 Configurations`, the promotion gate's
//! reasons), printed from an `optimize` stage's folder by `nethical run` and `nethical train
//! --enable-phase89 --optimize-config`.

use std::path::Path;

use super::out::outln;
use crate::stages::{CandidateOutcome, CandidatesSummary, OptimizeGateFile, StageError};

/// Reads one of the stage's files through its type: `None`, after a warning naming the file,
/// when it is malformed; `None` silently when it is absent (a failed stage writes none).
fn read<T>(path: &Path, parse: impl Fn(&[u8], &str) -> Result<T, StageError>) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    parse(&bytes, &format!("`{}`", path.display())).map_err(|e| tracing::warn!("{e}")).ok()
}

fn num(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// Prints the search's size, its top 3 and the gate's decision with every reason.
pub(super) fn print_optimization(dir: &Path) {
    let Some(candidates) = read(&dir.join("candidates.json"), CandidatesSummary::from_bytes) else { return };
    outln!("Optimization completed. Evaluated {} configurations", candidates.evaluations);
    outln!("Top 3 Configurations:");
    for (i, c) in candidates.candidates.iter().take(3).enumerate() {
        let m = match &c.outcome {
            Some(CandidateOutcome::Measured { metrics }) => Some(metrics),
            _ => None,
        };
        outln!("  {}. {}", i + 1, c.config_id);
        outln!("     Fitness: {:.4}", num(m.and_then(|m| m.fitness.value)));
        outln!("     Recall: {:.3}, Precision: {:.3}", num(m.and_then(|m| m.recall)), num(m.and_then(|m| m.precision)));
        outln!("     FP Rate: {:.3}", num(m.and_then(|m| m.fp_rate)));
    }
    let Some(gate) = read(&dir.join("gate.json"), OptimizeGateFile::from_bytes) else { return };
    outln!("Checking promotion gate for best configuration...");
    outln!("Promotion gate: {}", gate.decision);
    // The original's texts; a failed criterion is marked ✗ (passed ones carry their ✓).
    for c in &gate.criteria {
        let mark = if c.passed == Some(false) { "✗ " } else { "" };
        outln!("  - {mark}{}", c.reason);
    }
    if let Some(dest) = &gate.destination {
        outln!("Promoted configuration {}: model saved to {dest}", gate.candidate);
    }
}
