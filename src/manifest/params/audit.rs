//! An `audit` stage's parameters: the log's name and whether cached runs are recorded.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::range_issue::{RangeIssue, issue};

/// Parameters of an `audit` stage, which seals the events and artifact digests of the stages it
/// needs (and theirs) into the pipeline's append-only log, `runs/<pipeline>/audit/`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// The checkpoint's origin line, naming the log (default `nethical/<pipeline name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Whether a run that computes nothing appends one `run_cached` event naming the reused
    /// results (default: it appends nothing, and the audit stage is cached like any other).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_cached_runs: bool,
}

impl AuditParams {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        match &self.origin {
            Some(o) if o.trim().is_empty() || o.chars().any(char::is_control) => {
                vec![issue(&["origin"], "a non-empty name on one line")]
            }
            _ => Vec::new(),
        }
    }
}

impl super::KindParams for AuditParams {
    const FAN_IN: bool = true;

    fn range_issues(&self) -> Vec<RangeIssue> {
        AuditParams::range_issues(self)
    }
}
