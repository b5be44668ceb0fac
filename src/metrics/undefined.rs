//! Why a metric has no value on otherwise valid input.
//!
//! METRICS.md: a ratio with a zero denominator is reported as `null` with a reason, never NaN
//! (strict JSON parsers reject NaN) and never a made-up 0 (which reads as a real result).

/// The reason a metric is undefined; its `Display` text is what reports record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Undefined {
    #[error("no rows")]
    NoRows,

    #[error("no predicted positives (tp + fp = 0)")]
    NoPredictedPositives,

    #[error("no positive labels (tp + fn = 0)")]
    NoPositiveLabels,

    #[error("no negative labels (tn + fp = 0)")]
    NoNegativeLabels,

    #[error("no positive labels and no predicted positives (tp + fp + fn = 0)")]
    NoPositivesAtAll,

    #[error("y_true holds only one class, so no positive can be ranked against a negative")]
    SingleClass,

    #[error("no group has any predicted positives (largest selection rate is 0)")]
    NoSelections,

    #[error("fewer than two groups have at least min_group_size rows")]
    FewerThanTwoGroups,

    #[error("fewer than two compared groups have positive labels, so there is no true positive rate gap")]
    FewerThanTwoGroupsWithPositives,

    #[error("fewer than two compared groups have negative labels, so there is no false positive rate gap")]
    FewerThanTwoGroupsWithNegatives,
}

/// `num / den`, or `reason` when `den` is zero.
pub(crate) fn ratio(num: u64, den: u64, reason: Undefined) -> Result<f64, Undefined> {
    if den == 0 { Err(reason) } else { Ok(num as f64 / den as f64) }
}
