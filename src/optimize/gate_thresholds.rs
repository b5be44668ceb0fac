//! The promotion gate's thresholds.

use serde::{Deserialize, Serialize};

/// Thresholds of the promotion gate; the defaults are the original's `PromotionGate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GateThresholds {
    /// Fewest evaluated cases, for the candidate and for the baseline.
    pub min_sample_size: u64,
    /// Smallest recall gain over the baseline.
    pub min_recall_gain: f64,
    /// Largest false-positive-rate increase over the baseline.
    pub max_fp_increase: f64,
    /// Largest latency increase over the baseline, in milliseconds.
    pub max_latency_increase_ms: f64,
    /// Lowest human agreement of the candidate.
    pub min_human_agreement: f64,
    /// Whether a candidate without human agreement (no review labels) fails the gate. Off by
    /// default: see [`promotion_gate`](super::promotion_gate) for why.
    pub require_human_agreement: bool,
}

impl Default for GateThresholds {
    fn default() -> Self {
        Self {
            min_sample_size: 100,
            min_recall_gain: 0.03,
            max_fp_increase: 0.02,
            max_latency_increase_ms: 5.0,
            min_human_agreement: 0.85,
            require_human_agreement: false,
        }
    }
}
