//! The convention parameters a caller may choose; everything else is fixed by METRICS.md.

use serde::{Deserialize, Serialize};

use super::{DEFAULT_BINS, DEFAULT_THRESHOLD};

/// Decision threshold (class 1 iff `p >= threshold`) and number of equal-width calibration
/// bins. Missing fields take the METRICS.md defaults, 0.5 and 10.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub threshold: f64,
    pub bins: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { threshold: DEFAULT_THRESHOLD, bins: DEFAULT_BINS }
    }
}
