//! The measurements of one configuration that the fitness and the promotion gate read.

use serde::{Deserialize, Serialize};

use super::{Fitness, calculate_fitness};

/// What was measured for one configuration (a candidate or the baseline) on the validation
/// split. Every field comes from that configuration's own predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateMetrics {
    /// TP / (TP + FN).
    pub recall: f64,
    /// The false-positive rate FP / (FP + TN) (not the original's `1 − precision`).
    pub fp_rate: f64,
    /// Latency per prediction in milliseconds.
    pub latency_ms: f64,
    /// Share of reviewed cases where the prediction matches the human label; `None` when no
    /// review labels were supplied.
    pub human_agreement: Option<f64>,
    /// Cases the metrics were measured on.
    pub total_cases: u64,
}

impl CandidateMetrics {
    /// The Phase 8–9 fitness of these measurements.
    pub fn fitness(&self) -> Fitness {
        calculate_fitness(self.recall, self.fp_rate, self.latency_ms, self.human_agreement)
    }
}
