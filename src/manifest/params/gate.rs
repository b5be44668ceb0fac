//! A `gate` stage's parameters: the promotion contract a trained model is held to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::range_issue::{RangeIssue, issue};

/// Parameters of a `gate` stage: the original's promotion contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateParams {
    /// Promote only at or above this validation accuracy (`--promotion-min-accuracy`).
    #[serde(default = "default_min_accuracy")]
    pub min_accuracy: f64,
    /// Promote only at or below this ECE, per `ece_policy` (`--promotion-max-ece`).
    #[serde(default = "default_max_ece")]
    pub max_ece: f64,
    /// Whether the ECE criterion applies (`--ece-policy`).
    #[serde(default)]
    pub ece_policy: EcePolicy,
    /// Whether a rejected model fails the run (exit code 1) instead of being kept as a
    /// candidate.
    #[serde(default)]
    pub fail_on_reject: bool,
    /// Promote only at or above this validation ROC-AUC. Off unless set; an undefined ROC-AUC
    /// (one class only) fails it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_roc_auc: Option<f64>,
    /// Promote only when accuracy minus the validation rows' majority-class rate (the accuracy
    /// of always predicting the most frequent class) is at least this. Off unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_accuracy_lift: Option<f64>,
    /// Promote only at or below this demographic-parity difference, over the groups of at
    /// least `min_group_size` validation rows. Off unless set; without a group column, or with
    /// the gap undefined, it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_demographic_parity_difference: Option<f64>,
    /// Promote only at or below this equalized-odds difference (the larger of the TPR and FPR
    /// gaps), over the groups of at least `min_group_size` validation rows. Off unless set;
    /// without a group column, or with the gap undefined, it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_equalized_odds_difference: Option<f64>,
}

/// The original's `--ece-policy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EcePolicy {
    /// The ECE criterion always applies; an undefined ECE fails it.
    #[default]
    Strict,
    /// The ECE criterion applies when the model outputs probabilities.
    ProbsOnly,
    /// Accuracy alone decides.
    Disable,
}

impl EcePolicy {
    /// Every policy, in the original's order.
    pub const ALL: [Self; 3] = [Self::Strict, Self::ProbsOnly, Self::Disable];

    /// Its name in a manifest and on `nethical train`'s command line, as the original spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::ProbsOnly => "probs_only",
            Self::Disable => "disable",
        }
    }

    /// One line on what it does, for `--help`.
    pub fn summary(self) -> &'static str {
        match self {
            Self::Strict => "ECE always applies",
            Self::ProbsOnly => "ECE applies when the model outputs probabilities",
            Self::Disable => "Accuracy alone",
        }
    }

    /// The policy named `name` ([`EcePolicy::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The keys' defaults when a manifest leaves them out, for gates built in code.
impl Default for GateParams {
    fn default() -> Self {
        Self {
            min_accuracy: default_min_accuracy(),
            max_ece: default_max_ece(),
            ece_policy: EcePolicy::default(),
            fail_on_reject: false,
            min_roc_auc: None,
            min_accuracy_lift: None,
            max_demographic_parity_difference: None,
            max_equalized_odds_difference: None,
        }
    }
}

impl GateParams {
    /// Checks value ranges serde cannot express.
    pub fn range_issues(&self) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        if !(0.0..=1.0).contains(&self.min_accuracy) {
            out.push(issue(&["min_accuracy"], "a number between 0 and 1"));
        }
        if !(0.0..=1.0).contains(&self.max_ece) {
            out.push(issue(&["max_ece"], "a number between 0 and 1"));
        }
        let optional = [
            ("min_roc_auc", self.min_roc_auc, "a number between 0 and 1"),
            (
                "min_accuracy_lift",
                self.min_accuracy_lift,
                "a number between 0 and 1 (accuracy minus the majority-class rate)",
            ),
            ("max_demographic_parity_difference", self.max_demographic_parity_difference, "a number between 0 and 1"),
            ("max_equalized_odds_difference", self.max_equalized_odds_difference, "a number between 0 and 1"),
        ];
        for (key, value, expected) in optional {
            if value.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                out.push(issue(&[key], expected));
            }
        }
        out
    }
}

fn default_min_accuracy() -> f64 {
    0.85
}

fn default_max_ece() -> f64 {
    0.08
}

impl super::KindParams for GateParams {
    const FAN_IN: bool = false;
    const REQUIRED_UPSTREAM: Option<super::StageKind> = Some(super::StageKind::Train);
    const WRITES_COHORT: bool = true;

    fn range_issues(&self) -> Vec<RangeIssue> {
        GateParams::range_issues(self)
    }
}
