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

    /// `accuracy 0.828 < 0.850 (short by 0.022)` or `ece 0.054 > 0.030 (over by 0.024)`: a
    /// failed criterion with the number that failed it and by how much, the gate column of
    /// every view; `None` when it passed or was not applied. The value, threshold and margin
    /// get as many decimals (3 to 6) as it takes for the value and the threshold to print
    /// differently, so "0.030 > 0.030" never reads as a contradiction.
    pub fn shortfall(&self) -> Option<String> {
        if !self.applied || self.passed {
            return None;
        }
        let Some(value) = self.value else {
            let why = self.note.as_deref().map_or_else(String::new, |n| format!(" ({n})"));
            return Some(format!("{} undefined{why}", self.metric));
        };
        let d = (3..=6).find(|&d| format!("{value:.d$}") != format!("{:.d$}", self.threshold)).unwrap_or(6);
        let (sign, how) = if self.operator == "<=" { (">", "over") } else { ("<", "short") };
        let margin = (value - self.threshold).abs();
        Some(format!("{} {value:.d$} {sign} {:.d$} ({how} by {margin:.d$})", self.metric, self.threshold))
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
    fn a_shortfall_names_the_criterion_and_by_how_much() {
        assert_eq!(criterion(Some(0.91), true, true, None).shortfall(), None);
        assert_eq!(criterion(Some(0.5), false, true, None).shortfall(), None, "not applied");
        assert_eq!(
            criterion(Some(0.7123), true, false, None).shortfall().as_deref(),
            Some("roc_auc 0.712 < 0.800 (short by 0.088)")
        );
        let ece = GateCriterion {
            metric: "ece".to_owned(),
            operator: "<=".to_owned(),
            threshold: 0.03,
            ..criterion(Some(0.0302), true, false, None)
        };
        assert_eq!(ece.shortfall().as_deref(), Some("ece 0.0302 > 0.0300 (over by 0.0002)"), "never 0.030 > 0.030");
        assert_eq!(
            criterion(None, true, false, Some("one class only")).shortfall().as_deref(),
            Some("roc_auc undefined (one class only)")
        );
    }

    #[test]
    fn criteria_written_before_notes_still_read() {
        let old = r#"{"metric":"ece","operator":"<=","threshold":0.08,"value":0.1,"applied":true,"passed":false}"#;
        let c: GateCriterion = serde_json::from_str(old).expect("old criterion");
        assert_eq!(c.note, None);
        assert_eq!(serde_json::to_string(&c).ok().as_deref(), Some(old), "no note, no key");
    }
}
