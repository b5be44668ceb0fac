//! Group fairness of hard predictions across a sensitive column.
//!
//! Reference: fairlearn (`MetricFrame` with `selection_rate`, `true_positive_rate`,
//! `false_positive_rate`; `demographic_parity_difference` / `_ratio`,
//! `equalized_odds_difference(agg="worst_case")`, `equal_opportunity_difference`, all with
//! `method="between_groups"`). One deliberate difference, from METRICS.md: a group without
//! positive labels has no TPR (and one without negatives no FPR). fairlearn reports 0 for it,
//! which can invent or hide a gap; here it is `None`, left out of the gap, and listed in
//! [`FairnessReport::undefined`]. When every group has both labels the numbers equal fairlearn's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::undefined::Undefined;
use super::{ConfusionCounts, MetricsError, validate};

/// Rates of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRates {
    pub n: u64,
    pub counts: ConfusionCounts,
    pub selection_rate: f64,
    pub tpr: Option<f64>,
    pub fpr: Option<f64>,
}

/// Each gap is `max_g − min_g` over the groups where the rate is defined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FairnessReport {
    pub by_group: BTreeMap<String, GroupRates>,
    pub demographic_parity_difference: f64,
    /// `min / max` selection rate; `None` when no group selects anyone.
    pub demographic_parity_ratio: Option<f64>,
    /// `max(TPR gap, FPR gap)`; `None` when either gap is.
    pub equalized_odds_difference: Option<f64>,
    /// The TPR gap.
    pub equal_opportunity_difference: Option<f64>,
    /// The FPR gap, the other half of equalized odds.
    pub false_positive_rate_difference: Option<f64>,
    /// Metric (or `by_group.<group>.<rate>`) -> why it is `None` or what it leaves out.
    pub undefined: BTreeMap<String, String>,
}

/// Compares groups on hard predictions; for probabilities, derive `y_pred` with
/// [`predict`](super::predict) so the decision threshold is the one the metrics use.
pub fn fairness<G: AsRef<str>>(y_true: &[u8], y_pred: &[u8], groups: &[G]) -> Result<FairnessReport, MetricsError> {
    validate::labels("y_true", y_true)?;
    validate::same_length("y_pred", y_true.len(), y_pred.len())?;
    validate::labels("y_pred", y_pred)?;
    validate::same_length("groups", y_true.len(), groups.len())?;

    let mut counts: BTreeMap<&str, ConfusionCounts> = BTreeMap::new();
    for ((&y, &y_hat), group) in y_true.iter().zip(y_pred).zip(groups) {
        counts.entry(group.as_ref()).or_default().add(y == 1, y_hat == 1);
    }

    let mut undefined = BTreeMap::new();
    let mut by_group = BTreeMap::new();
    for (name, counts) in counts {
        let tpr = counts.recall().map_err(|reason| {
            let note = format!("{reason}; left out of the TPR gap (fairlearn reports 0 here)");
            undefined.insert(format!("by_group.{name}.tpr"), note);
        });
        let fpr = counts.fp_rate().map_err(|reason| {
            let note = format!("{reason}; left out of the FPR gap (fairlearn reports 0 here)");
            undefined.insert(format!("by_group.{name}.fpr"), note);
        });
        let rates = GroupRates {
            n: counts.n(),
            counts,
            selection_rate: (counts.tp + counts.fp) as f64 / counts.n() as f64,
            tpr: tpr.ok(),
            fpr: fpr.ok(),
        };
        by_group.insert(name.to_owned(), rates);
    }

    let selection = Spread::of(by_group.values().map(|g| Some(g.selection_rate)));
    let tpr_gap = Spread::of(by_group.values().map(|g| g.tpr)).map(|s| s.gap()).ok_or(Undefined::NoGroupWithPositives);
    let fpr_gap = Spread::of(by_group.values().map(|g| g.fpr)).map(|s| s.gap()).ok_or(Undefined::NoGroupWithNegatives);
    let dp_ratio = match selection {
        Some(s) if s.max > 0.0 => Ok(s.min / s.max),
        _ => Err(Undefined::NoSelections),
    };
    let equalized_odds = tpr_gap.and_then(|tpr| fpr_gap.map(|fpr| tpr.max(fpr)));

    let mut record = |name: &str, value: Result<f64, Undefined>| {
        value.map_err(|reason| undefined.insert(name.to_owned(), reason.to_string())).ok()
    };
    Ok(FairnessReport {
        demographic_parity_difference: selection.map_or(0.0, |s| s.gap()),
        demographic_parity_ratio: record("demographic_parity_ratio", dp_ratio),
        equalized_odds_difference: record("equalized_odds_difference", equalized_odds),
        equal_opportunity_difference: record("equal_opportunity_difference", tpr_gap),
        false_positive_rate_difference: record("false_positive_rate_difference", fpr_gap),
        by_group,
        undefined,
    })
}

/// Smallest and largest of the defined rates.
#[derive(Debug, Clone, Copy)]
struct Spread {
    min: f64,
    max: f64,
}

impl Spread {
    /// `None` when no rate is defined.
    fn of(rates: impl Iterator<Item = Option<f64>>) -> Option<Self> {
        rates.flatten().fold(None, |spread, rate| {
            Some(match spread {
                None => Self { min: rate, max: rate },
                Some(Self { min, max }) => Self { min: min.min(rate), max: max.max(rate) },
            })
        })
    }

    fn gap(self) -> f64 {
        self.max - self.min
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_reference::*;
    use super::*;

    fn rates(report: &FairnessReport) -> Vec<(&str, f64, Option<f64>, Option<f64>)> {
        report.by_group.iter().map(|(name, g)| (name.as_str(), g.selection_rate, g.tpr, g.fpr)).collect()
    }

    // reference: fairlearn 0.15.0 (scikit-learn 1.9.1) MetricFrame(selection_rate,
    // true_positive_rate, false_positive_rate).by_group, demographic_parity_difference,
    // demographic_parity_ratio, equalized_odds_difference, equal_opportunity_difference.
    #[test]
    fn matches_fairlearn_when_every_rate_is_defined() {
        let report = fairness(&FY, &FP, &groups(FG)).expect("valid input");
        assert_eq!(
            rates(&report),
            [
                ("a", 0.8, Some(1.0), Some(0.5)),
                ("b", 0.2, Some(0.25), Some(0.16666666666666666)),
                ("c", 0.4, Some(0.42857142857142855), Some(0.3333333333333333)),
            ]
        );
        assert!(report.by_group.values().all(|g| g.n == 10));
        assert_eq!(report.demographic_parity_difference, 0.6000000000000001);
        assert_eq!(report.demographic_parity_ratio, Some(0.25));
        assert_eq!(report.equalized_odds_difference, Some(0.75));
        assert_eq!(report.equal_opportunity_difference, Some(0.75));
        assert!(report.undefined.is_empty());
    }

    // reference: fairlearn 0.15.0 on F2 reports tpr[c] = 0, fpr[d] = 0, dpd 0.5, dpr
    // 0.3333333333333333, equal_opportunity_difference 1.0 (0.5 vs c's invented 0) and
    // equalized_odds_difference 1.0; the gaps without the undefined rates, from fairlearn on the
    // rows of the groups that have them: TPR gap 0.5, FPR gap 1.0, equalized odds 1.0.
    #[test]
    fn leaves_undefined_rates_out_of_the_gaps() {
        let report = fairness(&F2Y, &F2P, &groups(F2G)).expect("valid input");
        assert_eq!(
            rates(&report),
            [
                ("a", 0.75, Some(0.5), Some(1.0)),
                ("b", 0.25, Some(1.0), Some(0.0)),
                ("c", 0.75, None, Some(0.75)),
                ("d", 0.5, Some(0.5), None),
            ]
        );
        assert_eq!(report.demographic_parity_difference, 0.5);
        assert_eq!(report.demographic_parity_ratio, Some(0.3333333333333333));
        assert_eq!(report.equal_opportunity_difference, Some(0.5));
        assert_eq!(report.false_positive_rate_difference, Some(1.0));
        assert_eq!(report.equalized_odds_difference, Some(1.0));
        let keys: Vec<&str> = report.undefined.keys().map(String::as_str).collect();
        assert_eq!(keys, ["by_group.c.tpr", "by_group.d.fpr"]);
        assert_eq!(
            report.undefined["by_group.c.tpr"],
            "no positive labels (tp + fn = 0); left out of the TPR gap (fairlearn reports 0 here)"
        );
    }

    #[test]
    fn gaps_without_any_defined_rate_are_undefined() {
        let report = fairness(&[0, 0, 0], &[0, 0, 0], &["x", "y", "x"]).expect("valid input");
        assert_eq!(report.demographic_parity_difference, 0.0);
        assert_eq!(report.demographic_parity_ratio, None);
        assert_eq!(report.equal_opportunity_difference, None);
        assert_eq!(report.equalized_odds_difference, None);
        assert_eq!(report.false_positive_rate_difference, Some(0.0));
        assert_eq!(report.undefined["equalized_odds_difference"], Undefined::NoGroupWithPositives.to_string());
        assert_eq!(report.undefined["demographic_parity_ratio"], Undefined::NoSelections.to_string());
    }

    #[test]
    fn serialises_groups_in_name_order_without_nan() {
        let report = fairness(&[1, 0, 1], &[1, 1, 0], &["z", "a", "m"]).expect("valid input");
        let json = serde_json::to_string(&report).expect("serialisable");
        let (a, m, z) = (json.find("\"a\""), json.find("\"m\""), json.find("\"z\""));
        assert!(a < m && m < z, "{json}");
        assert!(!json.contains("NaN"), "{json}");
        let back: FairnessReport = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back, report);
    }

    #[test]
    fn rejects_invalid_input() {
        let no_groups: [&str; 0] = [];
        assert_eq!(fairness(&[], &[], &no_groups), Err(MetricsError::Empty));
        assert_eq!(
            fairness(&[0, 1], &[0, 1], &["a"]),
            Err(MetricsError::LengthMismatch { name: "groups", expected: 2, actual: 1 })
        );
        assert!(matches!(
            fairness(&[0, 1], &[0], &["a", "b"]),
            Err(MetricsError::LengthMismatch { name: "y_pred", .. })
        ));
        assert_eq!(
            fairness(&[0, 1], &[0, 2], &["a", "b"]),
            Err(MetricsError::InvalidLabel { name: "y_pred", index: 1, value: 2 })
        );
        assert!(matches!(
            fairness(&[5, 1], &[0, 1], &["a", "b"]),
            Err(MetricsError::InvalidLabel { name: "y_true", .. })
        ));
    }
}
