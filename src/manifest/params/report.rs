//! A `report` stage's parameters: the bootstrap size and how many pairs of cohorts are tested.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::range_issue::{RangeIssue, issue};

/// Parameters of a `report` stage: the comparison report across the cohorts of the `train`
/// stages it needs (add their `gate` stages for the gate outcomes, and `drift`, `phase3` and
/// `optimize` stages for their summaries).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Bootstrap resamples behind each 95% interval.
    #[serde(default = "default_resamples")]
    pub resamples: u32,
    /// The most pairs of cohorts tested against each other (default 1,225: every pair of 50
    /// cohorts). Beyond it, each cohort is tested against the first only, and the report says
    /// how many pairs it left out: 1,000 cohorts would otherwise make 499,500 tests and a
    /// report of gigabytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pairs: Option<u32>,
}

/// `max_pairs` when a report sets none.
pub const DEFAULT_MAX_PAIRS: u32 = 1_225;

impl ReportParams {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        if self.resamples < 100 {
            out.push(issue(&["resamples"], "at least 100, so the 2.5% and 97.5% percentiles exist"));
        }
        if self.max_pairs == Some(0) {
            out.push(issue(&["max_pairs"], "at least 1"));
        }
        out
    }

    /// The most pairs tested.
    pub fn max_pairs(&self) -> usize {
        self.max_pairs.unwrap_or(DEFAULT_MAX_PAIRS) as usize
    }
}

fn default_resamples() -> u32 {
    1000
}

impl super::KindParams for ReportParams {
    const FAN_IN: bool = true;
    const COMPARES_COHORTS: bool = true;

    fn range_issues(&self) -> Vec<RangeIssue> {
        ReportParams::range_issues(self)
    }
}
