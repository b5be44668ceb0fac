//! A cohort's fairness in `comparison.json`: each compared group's size and rates, the gaps
//! between them with their 95% intervals, the groups left out as too small, and the gate
//! criterion set on each gap with its verdict. Built from the `fairness` block of the cohort's
//! `metrics.json` (see `metrics::fairness`) and its `gate.json`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::GateCriterion;
use crate::metrics::FairnessReport;
use crate::metrics::compare::BootstrapEstimate;

/// One cohort's fairness by its data's group column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FairnessSection {
    /// The data's group column.
    pub group_column: String,
    /// Groups with fewer validation rows are left out of every gap (or pooled).
    pub min_group_size: u64,
    /// Whether the small groups were pooled into one compared group (`other`).
    pub pool_small_groups: bool,
    /// The compared groups, by name.
    pub groups: BTreeMap<String, FairnessGroup>,
    /// Groups with fewer than `min_group_size` validation rows, with their row counts.
    pub small_groups: BTreeMap<String, u64>,
    /// The gaps, in report order.
    pub gaps: Vec<FairnessGap>,
    /// How the intervals were computed (`percentile` bootstrap, rows resampled within each
    /// group); `null` when the metrics predate the intervals.
    pub interval_method: Option<String>,
    /// Resamples behind each interval.
    pub resamples: usize,
    /// Why a rate or gap is `null`, or what it leaves out.
    pub undefined: BTreeMap<String, String>,
    /// Small groups left out or pooled; an estimate outside its interval.
    pub notes: BTreeMap<String, String>,
}

/// One compared group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FairnessGroup {
    /// Validation rows.
    pub rows: u64,
    /// Share predicted positive.
    pub selection_rate: f64,
    /// True positive rate; `null` without positive labels.
    pub tpr: Option<f64>,
    /// False positive rate; `null` without negative labels.
    pub fpr: Option<f64>,
}

/// One gap with its interval and the gate's criterion on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FairnessGap {
    /// `demographic_parity_difference`, `equalized_odds_difference`,
    /// `equal_opportunity_difference` (the TPR gap) or `false_positive_rate_difference`.
    pub metric: String,
    /// The gap (`max − min` over the compared groups) with its 95% bootstrap interval.
    pub value: BootstrapEstimate,
    /// The gate criterion on this gap, when the cohort's gate sets one.
    pub criterion: Option<GateCriterion>,
}

/// The gaps a section lists, in order, with their labels in the views.
pub const GAPS: [(&str, &str); 4] = [
    ("demographic_parity_difference", "demographic parity difference"),
    ("equalized_odds_difference", "equalized odds difference"),
    ("equal_opportunity_difference", "TPR gap (equal opportunity)"),
    ("false_positive_rate_difference", "FPR gap"),
];

impl FairnessSection {
    /// The section of a cohort whose metrics have `report` by `group_column`; `criteria` are
    /// its gate's, when a gate of the cohort is in the report.
    pub fn new(group_column: &str, report: &FairnessReport, criteria: &[GateCriterion]) -> Self {
        let groups = report
            .by_group
            .iter()
            .map(|(name, g)| {
                let group = FairnessGroup { rows: g.n, selection_rate: g.selection_rate, tpr: g.tpr, fpr: g.fpr };
                (name.clone(), group)
            })
            .collect();
        let point = |metric: &str| match metric {
            "demographic_parity_difference" => report.demographic_parity_difference,
            "equalized_odds_difference" => report.equalized_odds_difference,
            "equal_opportunity_difference" => report.equal_opportunity_difference,
            _ => report.false_positive_rate_difference,
        };
        let gaps = GAPS
            .iter()
            .map(|(metric, _)| {
                let drawn = report
                    .intervals
                    .as_ref()
                    .and_then(|i| i.by_name().into_iter().find(|(name, _)| name == metric).map(|(_, e)| *e));
                let value = BootstrapEstimate { estimate: point(metric), ..drawn.unwrap_or_default() };
                let criterion = criteria.iter().find(|c| c.metric == *metric).cloned();
                FairnessGap { metric: (*metric).to_owned(), value, criterion }
            })
            .collect();
        Self {
            group_column: group_column.to_owned(),
            min_group_size: report.min_group_size,
            pool_small_groups: report.pool_small_groups,
            groups,
            small_groups: report.small_groups.clone(),
            gaps,
            interval_method: report.intervals.as_ref().map(|i| i.method.clone()),
            resamples: report.intervals.as_ref().map_or(0, |i| i.resamples),
            undefined: report.undefined.clone(),
            notes: report.notes.clone(),
        }
    }

    /// The line the views print about the groups left out, when there are any.
    pub fn small_groups_line(&self) -> Option<String> {
        if self.small_groups.is_empty() {
            return None;
        }
        let listed: Vec<String> = self.small_groups.iter().map(|(g, n)| format!("{g} ({n} rows)")).collect();
        let fate = if self.pool_small_groups { "pooled" } else { "left out of every gap" };
        Some(format!("Fewer than {} rows, {fate}: {}.", self.min_group_size, listed.join(", ")))
    }
}

/// The label of a gap in the views.
pub fn gap_label(metric: &str) -> &str {
    GAPS.iter().find(|(m, _)| *m == metric).map_or(metric, |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{FairnessOptions, fairness_with};

    #[test]
    fn the_section_lists_compared_groups_small_groups_gaps_and_their_criteria() {
        let mut y = Vec::new();
        let mut p = Vec::new();
        let mut g = Vec::new();
        for (name, n, selected) in [("a", 40, 30), ("b", 40, 10), ("c", 3, 3)] {
            for i in 0..n {
                y.push(u8::from(i % 2 == 0));
                p.push(u8::from(i < selected));
                g.push(name);
            }
        }
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(2);
        let report = fairness_with(&y, &p, &g, &FairnessOptions::default(), &mut rng).expect("valid");
        let criterion = GateCriterion {
            metric: "demographic_parity_difference".to_owned(),
            operator: "<=".to_owned(),
            threshold: 0.1,
            value: report.demographic_parity_difference,
            applied: true,
            passed: false,
            note: None,
        };
        let section = FairnessSection::new("sex", &report, std::slice::from_ref(&criterion));
        assert_eq!(section.groups.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(section.groups["a"].rows, 40);
        assert_eq!(
            section.small_groups_line().as_deref(),
            Some("Fewer than 30 rows, left out of every gap: c (3 rows).")
        );
        let dp = &section.gaps[0];
        assert_eq!(dp.value.estimate, Some(0.5));
        assert!(dp.value.ci.is_some_and(|ci| ci.contains(0.5)));
        assert_eq!(dp.criterion.as_ref(), Some(&criterion));
        assert_eq!(section.gaps[1].criterion, None);
        assert_eq!((section.interval_method.as_deref(), section.resamples), (Some("percentile"), 1000));
        assert_eq!(gap_label("equal_opportunity_difference"), "TPR gap (equal opportunity)");
    }
}
