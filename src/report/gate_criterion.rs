//! One criterion of a promotion gate, as `gate.json` records it and `comparison.json` repeats
//! it: the metric, the comparison, the threshold, the measured value and the verdict.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A criterion and how the model did on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateCriterion {
    /// The metric (`accuracy`, `ece`, `roc_auc`, `accuracy_lift`,
    /// `demographic_parity_difference`, `equalized_odds_difference`).
    pub metric: String,
    /// `>=` or `<=`.
    pub operator: String,
    /// The threshold.
    pub threshold: f64,
    /// The measured value (`null` when undefined, which never passes).
    pub value: Option<f64>,
    /// Whether the policy applies it.
    pub applied: bool,
    /// Whether it passed (always true when not applied).
    pub passed: bool,
    /// What the value was measured on, or why it is undefined (absent for accuracy and ECE,
    /// and in reports written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl GateCriterion {
    /// `✓ accuracy 0.912 >= 0.850`, `✗ roc_auc undefined >= 0.800 (why)`, or `– ece ...
    /// (not applied)`: the line the report views show.
    pub fn line(&self) -> String {
        let mark = self.mark();
        let value = self.value.map_or_else(|| "undefined".to_owned(), |v| format!("{v:.3}"));
        let mut line = format!("{mark} {} {value} {} {}", self.metric, self.operator, threshold(self.threshold));
        if !self.applied {
            line.push_str(" (not applied)");
        } else if let (None, Some(note)) = (self.value, &self.note) {
            line.push_str(&format!(" ({note})"));
        }
        line
    }

    /// `✓ <= 0.100` or `✗ <= 0.100`: the verdict beside a value the view already shows.
    pub fn verdict(&self) -> String {
        format!("{} {} {}", self.mark(), self.operator, threshold(self.threshold))
    }

    /// ✓ passed, ✗ failed, – not applied.
    fn mark(&self) -> &'static str {
        match (self.applied, self.passed) {
            (false, _) => "–",
            (true, true) => "✓",
            (true, false) => "✗",
        }
    }

    /// `roc_auc 0.7123 not >= 0.800`: a failed criterion in the gate's one-line summary, with
    /// why it is undefined when it is.
    pub fn failure(&self) -> String {
        let value = self.value.map_or_else(|| "undefined".to_owned(), |v| format!("{v:.4}"));
        let mut text = format!("{} {value} not {} {}", self.metric, self.operator, threshold(self.threshold));
        if let (None, Some(note)) = (self.value, &self.note) {
            text.push_str(&format!(" ({note})"));
        }
        text
    }
}

/// A threshold as the gate has always printed it (`0.850`), or in full when three decimals
/// would change it (`0.9999`, not `1.000`).
fn threshold(t: f64) -> String {
    let short = format!("{t:.3}");
    if short.parse::<f64>() == Ok(t) { short } else { t.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(value: Option<f64>, applied: bool, passed: bool, note: Option<&str>) -> GateCriterion {
        GateCriterion {
            metric: "roc_auc".to_owned(),
            operator: ">=".to_owned(),
            threshold: 0.8,
            value,
            applied,
            passed,
            note: note.map(str::to_owned),
        }
    }

    #[test]
    fn lines_mark_the_verdict_and_say_why_a_value_is_missing() {
        assert_eq!(criterion(Some(0.91234), true, true, None).line(), "✓ roc_auc 0.912 >= 0.800");
        assert_eq!(criterion(Some(0.7), true, false, Some("on 151 rows")).line(), "✗ roc_auc 0.700 >= 0.800");
        assert_eq!(
            criterion(None, true, false, Some("one class only")).line(),
            "✗ roc_auc undefined >= 0.800 (one class only)"
        );
        assert_eq!(criterion(Some(0.5), false, true, None).line(), "– roc_auc 0.500 >= 0.800 (not applied)");
        assert_eq!(criterion(Some(0.71234), true, false, None).failure(), "roc_auc 0.7123 not >= 0.800");
        assert_eq!(criterion(None, true, false, Some("why")).failure(), "roc_auc undefined not >= 0.800 (why)");
        let strict = GateCriterion { threshold: 0.9999, ..criterion(Some(0.95), true, false, None) };
        assert_eq!(strict.failure(), "roc_auc 0.9500 not >= 0.9999", "three decimals would print 1.000");
    }

    #[test]
    fn criteria_written_before_notes_still_read() {
        let old = r#"{"metric":"ece","operator":"<=","threshold":0.08,"value":0.1,"applied":true,"passed":false}"#;
        let c: GateCriterion = serde_json::from_str(old).expect("old criterion");
        assert_eq!(c.note, None);
        assert_eq!(serde_json::to_string(&c).ok().as_deref(), Some(old), "no note, no key");
    }
}
