//! The plain-language sentence for an A/B result, as a reviewer reads it in a pull request:
//! "B is more accurate than A by 2.1 points (95% CI 0.8–3.4), p = 0.002".
//!
//! Rules:
//! - significant means `p < ALPHA` (0.05); then the better-scoring cohort is the subject and
//!   the difference and its interval are stated as positive amounts (the interval mirrored when
//!   A scores higher). Otherwise: "no significant difference in accuracy between A and B
//!   (B − A = 0.3 points, 95% CI −0.5 to 1.1), p = 0.41".
//! - "Higher" is only a direction: the wording says "has a higher false-positive rate", never
//!   "is better", because which direction is better is the reviewer's call for some metrics.
//! - Amounts: proportions in percentage points with one decimal; ROC-AUC and ECE as raw
//!   differences with three decimals; more decimals when the interval is narrower than that
//!   shows (two significant figures of its width, at most six).
//! - In a family of tests (a report's pairs), the verdict follows the Holm-adjusted p-value,
//!   printed beside the raw one. An interval is written `lo–hi` when both ends are
//!   non-negative, `lo to hi` otherwise (an en dash next to a minus sign misreads).
//!   Negative numbers use the minus sign U+2212.
//! - p-values (see [`format_p`]): "p < 0.001" below 0.001; three decimals below 0.1; two
//!   decimals from 0.1 on; and more decimals (up to six) whenever rounding would move p across
//!   0.05, so the printed value never contradicts the verdict (0.0496 prints "p = 0.0496",
//!   not "p = 0.050").

use super::interval::Interval;

/// The significance level of the verdict.
pub const ALPHA: f64 = 0.05;

/// How a metric is named and its amounts written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wording {
    /// "accuracy", as in "no significant difference in accuracy".
    pub noun: &'static str,
    /// "is more accurate", as in "B is more accurate than A".
    pub higher: &'static str,
    pub scale: Scale,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// A proportion written as percentage points with one decimal.
    Points,
    /// A proportion written as percentage points with this many decimals (a narrow interval).
    PointsWith(usize),
    /// A number written with this many decimals.
    Decimals(usize),
}

pub const ACCURACY: Wording = Wording { noun: "accuracy", higher: "is more accurate", scale: Scale::Points };
pub const PRECISION: Wording = Wording { noun: "precision", higher: "has a higher precision", scale: Scale::Points };
pub const RECALL: Wording = Wording { noun: "recall", higher: "has a higher recall", scale: Scale::Points };
pub const F1: Wording = Wording { noun: "F1", higher: "has a higher F1", scale: Scale::Points };
pub const FP_RATE: Wording =
    Wording { noun: "false-positive rate", higher: "has a higher false-positive rate", scale: Scale::Points };
pub const ROC_AUC: Wording = Wording { noun: "ROC-AUC", higher: "has a higher ROC-AUC", scale: Scale::Decimals(3) };
pub const ECE: Wording = Wording { noun: "ECE", higher: "has a higher ECE", scale: Scale::Decimals(3) };

/// The sentence for `difference = B − A` with its 95% interval and p-value (one test alone).
pub fn ab_sentence(a: &str, b: &str, wording: &Wording, difference: f64, ci: Interval, p_value: f64) -> String {
    ab_sentence_in_family(a, b, wording, difference, ci, p_value, None)
}

/// [`ab_sentence`] for one test of a family: the verdict follows the Holm-adjusted p-value,
/// printed beside the raw one ("p = 0.014, Holm-adjusted p = 0.14 over 10 tests").
pub fn ab_sentence_in_family(
    a: &str,
    b: &str,
    wording: &Wording,
    difference: f64,
    ci: Interval,
    p_value: f64,
    adjusted: Option<(f64, usize)>,
) -> String {
    let verdict_p = adjusted.map_or(p_value, |(p, _)| p);
    let p = match adjusted {
        Some((adj, tests)) if tests > 1 => {
            format!("{}, Holm-adjusted {} over {tests} tests", format_p(p_value), format_p(adj))
        }
        _ => format_p(p_value),
    };
    let scale = precise(wording.scale, ci);
    if verdict_p < ALPHA && difference != 0.0 {
        let (winner, loser, amount, ci) = if difference > 0.0 {
            (b, a, difference, ci)
        } else {
            (a, b, -difference, Interval { lo: -ci.hi, hi: -ci.lo })
        };
        let amount = amount_with_unit(amount, scale);
        let range = range(ci, scale);
        format!("{winner} {} than {loser} by {amount} (95% CI {range}), {p}", wording.higher)
    } else {
        let amount = amount_with_unit(difference, scale);
        let range = range(ci, scale);
        format!(
            "no significant difference in {} between {a} and {b} ({b} − {a} = {amount}, 95% CI {range}), {p}",
            wording.noun
        )
    }
}

/// The scale with enough decimals that the interval's width shows: two significant figures of
/// the width (an AUC difference of 0.0004 with CI 0.0001–0.0008 prints as such, not as
/// "0.000 (95% CI 0.000–0.000)"), never fewer than the scale's own, at most six.
fn precise(scale: Scale, ci: Interval) -> Scale {
    let width = (ci.hi - ci.lo).abs();
    let needed = |unit: f64| -> usize {
        if width > 0.0 && width.is_finite() {
            ((-(width * unit).log10()).ceil() + 1.0).clamp(0.0, 6.0) as usize
        } else {
            0
        }
    };
    match scale {
        Scale::Points => match needed(100.0) {
            0 | 1 => Scale::Points,
            d => Scale::PointsWith(d),
        },
        Scale::PointsWith(d) => Scale::PointsWith(d.max(needed(100.0))),
        Scale::Decimals(d) => Scale::Decimals(d.max(needed(1.0))),
    }
}

/// "p < 0.001", "p = 0.002", "p = 0.41", by the module's rules.
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        return "p < 0.001".to_owned();
    }
    let mut decimals: i32 = if p < 0.1 { 3 } else { 2 };
    let rounded = |d: i32| (p * 10_f64.powi(d)).round() / 10_f64.powi(d);
    while (rounded(decimals) < ALPHA) != (p < ALPHA) && decimals < 6 {
        decimals += 1;
    }
    format!("p = {:.*}", decimals as usize, p)
}

fn amount_with_unit(value: f64, scale: Scale) -> String {
    match scale {
        Scale::Points | Scale::PointsWith(_) => format!("{} points", number(value, scale)),
        Scale::Decimals(_) => number(value, scale),
    }
}

fn range(ci: Interval, scale: Scale) -> String {
    let (lo, hi) = (number(ci.lo, scale), number(ci.hi, scale));
    if lo.starts_with('−') || hi.starts_with('−') { format!("{lo} to {hi}") } else { format!("{lo}–{hi}") }
}

/// A number at the scale's precision, with a true minus sign and no "−0.0".
fn number(value: f64, scale: Scale) -> String {
    let text = match scale {
        Scale::Points => format!("{:.1}", value * 100.0),
        Scale::PointsWith(decimals) => format!("{:.decimals$}", value * 100.0),
        Scale::Decimals(decimals) => format!("{value:.decimals$}"),
    };
    match text.strip_prefix('-') {
        Some(magnitude) if magnitude.chars().all(|c| c == '0' || c == '.') => magnitude.to_owned(),
        Some(magnitude) => format!("−{magnitude}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_result_names_the_higher_cohort() {
        let ci = Interval { lo: 0.008, hi: 0.034 };
        assert_eq!(
            ab_sentence("A", "B", &ACCURACY, 0.021, ci, 0.002),
            "B is more accurate than A by 2.1 points (95% CI 0.8–3.4), p = 0.002"
        );
        let mirrored = Interval { lo: -0.034, hi: -0.008 };
        assert_eq!(
            ab_sentence("baseline", "candidate", &ACCURACY, -0.021, mirrored, 0.0004),
            "baseline is more accurate than candidate by 2.1 points (95% CI 0.8–3.4), p < 0.001"
        );
        assert_eq!(
            ab_sentence("A", "B", &ROC_AUC, 0.0123, Interval { lo: 0.0041, hi: 0.0205 }, 0.0031),
            "B has a higher ROC-AUC than A by 0.012 (95% CI 0.004–0.021), p = 0.003"
        );
    }

    #[test]
    fn non_significant_result_says_so_with_the_signed_difference() {
        let ci = Interval { lo: -0.005, hi: 0.011 };
        assert_eq!(
            ab_sentence("A", "B", &ACCURACY, 0.003, ci, 0.41),
            "no significant difference in accuracy between A and B (B − A = 0.3 points, 95% CI −0.5 to 1.1), p = 0.41"
        );
        let ci = Interval { lo: -0.00004, hi: 0.0 };
        assert_eq!(
            ab_sentence("A", "B", &FP_RATE, -0.00001, ci, 1.0),
            "no significant difference in false-positive rate between A and B (B − A = −0.0010 points, 95% CI −0.0040 to 0.0000), p = 1.00"
        );
    }

    #[test]
    fn narrow_intervals_get_the_decimals_they_need() {
        assert_eq!(
            ab_sentence("A", "B", &ROC_AUC, 0.0004, Interval { lo: 0.0001, hi: 0.0008 }, 0.014),
            "B has a higher ROC-AUC than A by 0.00040 (95% CI 0.00010–0.00080), p = 0.014"
        );
        assert_eq!(
            ab_sentence("A", "B", &ACCURACY, 0.0004, Interval { lo: 0.0001, hi: 0.0008 }, 0.014),
            "B is more accurate than A by 0.040 points (95% CI 0.010–0.080), p = 0.014"
        );
    }

    #[test]
    fn in_a_family_the_holm_adjusted_p_decides() {
        let ci = Interval { lo: 0.008, hi: 0.034 };
        assert_eq!(
            ab_sentence_in_family("A", "B", &ACCURACY, 0.021, ci, 0.014, Some((0.14, 10))),
            "no significant difference in accuracy between A and B (B − A = 2.1 points, 95% CI 0.8–3.4), p = 0.014, Holm-adjusted p = 0.14 over 10 tests"
        );
        assert_eq!(
            ab_sentence_in_family("A", "B", &ACCURACY, 0.021, ci, 0.002, Some((0.02, 10))),
            "B is more accurate than A by 2.1 points (95% CI 0.8–3.4), p = 0.002, Holm-adjusted p = 0.020 over 10 tests"
        );
    }

    #[test]
    fn p_values_never_round_across_the_threshold() {
        let cases = [
            (0.0, "p < 0.001"),
            (0.000999, "p < 0.001"),
            (0.001, "p = 0.001"),
            (0.0123, "p = 0.012"),
            (0.0496, "p = 0.0496"),
            (0.04996, "p = 0.04996"),
            (0.0504, "p = 0.050"),
            (0.05, "p = 0.050"),
            (0.0999, "p = 0.100"),
            (0.41, "p = 0.41"),
            (0.973, "p = 0.97"),
            (1.0, "p = 1.00"),
        ];
        for (p, want) in cases {
            assert_eq!(format_p(p), want, "p = {p}");
        }
    }
}
