//! The gaps between the compared groups' rates, from each group's confusion counts alone, so the
//! point estimate and every bootstrap resample go through the same arithmetic.

use super::undefined::Undefined;

/// One group's confusion counts, `[tp, fp, tn, fn]` (the order of `compare::Counts`).
pub(crate) type Counts = [u64; 4];

/// Which rates a group has on the original rows.
///
/// A resample compares the same groups as the estimate: when a group that has a TPR on the
/// original rows loses every positive in a resample, that resample's TPR gap is undefined
/// (and counted as such), rather than a gap over fewer groups, which would be another
/// statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Defined {
    pub tpr: bool,
    pub fpr: bool,
}

impl Defined {
    pub(crate) fn of([tp, fp, tn, fn_]: Counts) -> Self {
        Self { tpr: tp + fn_ > 0, fpr: fp + tn > 0 }
    }
}

/// METRICS.md's gaps, each `max_g − min_g` over the groups where the rate is defined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Gaps {
    pub demographic_parity_difference: Result<f64, Undefined>,
    /// `min / max` selection rate.
    pub demographic_parity_ratio: Result<f64, Undefined>,
    /// The TPR gap.
    pub equal_opportunity_difference: Result<f64, Undefined>,
    /// The FPR gap.
    pub false_positive_rate_difference: Result<f64, Undefined>,
    /// `max(TPR gap, FPR gap)`.
    pub equalized_odds_difference: Result<f64, Undefined>,
}

impl Gaps {
    /// The gaps over `groups` (`defined` aligned with it). A gap needs two groups with the
    /// rate: with one, `max − min` is 0 whatever the model does, and a gate would pass it.
    pub(crate) fn of(groups: &[Counts], defined: &[Defined]) -> Self {
        // Every group has rows, so its selection rate is always defined.
        let selection = Spread::of(groups.iter().map(|&[tp, fp, tn, fn_]| Some(ratio(tp + fp, tp + fp + tn + fn_))))
            .and_then(Result::ok);
        let tpr =
            Spread::of(groups.iter().zip(defined).map(|(&[tp, _, _, fn_], d)| d.tpr.then(|| ratio(tp, tp + fn_))));
        let fpr = Spread::of(groups.iter().zip(defined).map(|(&[_, fp, tn, _], d)| d.fpr.then(|| ratio(fp, fp + tn))));

        let demographic_parity_difference = selection.map(Spread::gap).ok_or(Undefined::FewerThanTwoGroups);
        let demographic_parity_ratio = selection
            .ok_or(Undefined::FewerThanTwoGroups)
            .and_then(|s| if s.max > 0.0 { Ok(s.min / s.max) } else { Err(Undefined::NoSelections) });
        let tpr_gap = match tpr {
            _ if selection.is_none() => Err(Undefined::FewerThanTwoGroups),
            Some(Ok(s)) => Ok(s.gap()),
            _ => Err(Undefined::FewerThanTwoGroupsWithPositives),
        };
        let fpr_gap = match fpr {
            _ if selection.is_none() => Err(Undefined::FewerThanTwoGroups),
            Some(Ok(s)) => Ok(s.gap()),
            _ => Err(Undefined::FewerThanTwoGroupsWithNegatives),
        };
        Self {
            demographic_parity_difference,
            demographic_parity_ratio,
            equal_opportunity_difference: tpr_gap,
            false_positive_rate_difference: fpr_gap,
            equalized_odds_difference: tpr_gap.and_then(|t| fpr_gap.map(|f| t.max(f))),
        }
    }
}

/// `num / den` for a group with rows (`den > 0` is checked by the caller's `defined`).
fn ratio(num: u64, den: u64) -> Result<f64, ()> {
    if den == 0 { Err(()) } else { Ok(num as f64 / den as f64) }
}

/// Smallest and largest of the rates, over at least two groups.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spread {
    min: f64,
    max: f64,
}

impl Spread {
    /// `None` when fewer than two groups have the rate on the original rows; `Some(Err)` when
    /// one of them has lost it in a resample.
    fn of(rates: impl Iterator<Item = Option<Result<f64, ()>>>) -> Option<Result<Self, ()>> {
        let mut count = 0;
        let mut spread: Result<Option<Self>, ()> = Ok(None);
        for rate in rates.flatten() {
            count += 1;
            spread = match (spread, rate) {
                (Ok(None), Ok(r)) => Ok(Some(Self { min: r, max: r })),
                (Ok(Some(s)), Ok(r)) => Ok(Some(Self { min: s.min.min(r), max: s.max.max(r) })),
                _ => Err(()),
            };
        }
        if count < 2 {
            return None;
        }
        Some(spread.and_then(|s| s.ok_or(())))
    }

    fn gap(self) -> f64 {
        self.max - self.min
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defined(groups: &[Counts]) -> Vec<Defined> {
        groups.iter().map(|&c| Defined::of(c)).collect()
    }

    #[test]
    fn one_group_has_no_gap() {
        let groups = [[3, 1, 4, 2]];
        let gaps = Gaps::of(&groups, &defined(&groups));
        assert_eq!(gaps.demographic_parity_difference, Err(Undefined::FewerThanTwoGroups));
        assert_eq!(gaps.equalized_odds_difference, Err(Undefined::FewerThanTwoGroups));
        assert_eq!(gaps.equal_opportunity_difference, Err(Undefined::FewerThanTwoGroups));
    }

    #[test]
    fn rates_a_group_lacks_are_left_out_and_two_are_needed() {
        // b has no positives: the TPR gap has one group left, so it is undefined.
        let groups = [[2, 1, 3, 2], [0, 1, 5, 0]];
        let gaps = Gaps::of(&groups, &defined(&groups));
        assert_eq!(gaps.equal_opportunity_difference, Err(Undefined::FewerThanTwoGroupsWithPositives));
        assert_eq!(gaps.equalized_odds_difference, Err(Undefined::FewerThanTwoGroupsWithPositives));
        assert_eq!(gaps.false_positive_rate_difference, Ok(0.25 - 1.0 / 6.0));
        assert_eq!(gaps.demographic_parity_difference, Ok(3.0 / 8.0 - 1.0 / 6.0));
    }

    #[test]
    fn a_resample_that_loses_a_rate_is_undefined_not_a_smaller_comparison() {
        let original = [[2, 1, 3, 2], [1, 1, 5, 1], [3, 0, 2, 1]];
        let d = defined(&original);
        let resample = [[2, 1, 3, 2], [0, 2, 6, 0], [3, 0, 2, 1]];
        let gaps = Gaps::of(&resample, &d);
        assert!(gaps.equal_opportunity_difference.is_err());
        assert!(gaps.equalized_odds_difference.is_err());
        assert!(gaps.false_positive_rate_difference.is_ok());
    }
}
