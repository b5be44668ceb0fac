//! Group fairness of hard predictions across a sensitive column.
//!
//! Reference: fairlearn (`MetricFrame` with `selection_rate`, `true_positive_rate`,
//! `false_positive_rate`; `demographic_parity_difference` / `_ratio`,
//! `equalized_odds_difference(agg="worst_case")`, `equal_opportunity_difference`, all with
//! `method="between_groups"`), on the groups that are compared. Differences from fairlearn, all
//! from METRICS.md and all recorded in the report:
//!
//! - Groups with fewer than `min_group_size` rows (default 30) are listed in
//!   [`FairnessReport::small_groups`] with their size and left out of every gap, or pooled into
//!   one group `other` when asked, so one row never decides a gap (a single validation row of
//!   a group makes its TPR 0 or 1, and the equalized-odds difference with it).
//! - A group without positive labels has no TPR (one without negatives no FPR). fairlearn
//!   reports 0 for it, which can invent or hide a gap; here it is `None`, left out of the gap,
//!   and listed in [`FairnessReport::undefined`].
//! - A gap needs two groups that have the rate; over one group it is undefined, not 0.
//!
//! When every compared group has both labels the numbers equal fairlearn's on the compared
//! groups' rows. Every gap carries a 95% bootstrap interval (`fairness_bootstrap`).

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::fairness_bootstrap::{FairnessIntervals, intervals};
use super::fairness_gaps::{Counts, Defined, Gaps};
use super::fairness_options::{FairnessOptions, POOLED_GROUP, POOLED_GROUP_FALLBACK};
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

/// Each gap is `max_g − min_g` over the compared groups where the rate is defined.
///
/// Fields added after the first release read with defaults, so a `metrics.json` written
/// before them still loads: every group was compared then (`min_group_size` 1) and no
/// intervals were drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FairnessReport {
    /// Groups with fewer rows were not compared.
    #[serde(default = "every_group")]
    pub min_group_size: u64,
    /// Whether the small groups were pooled into one compared group.
    #[serde(default)]
    pub pool_small_groups: bool,
    /// The compared groups: those with at least `min_group_size` rows, and the pool of the
    /// small ones when it was asked for and reaches that size itself.
    pub by_group: BTreeMap<String, GroupRates>,
    /// Groups with fewer than `min_group_size` rows, with their row counts: left out of every
    /// gap, or pooled (see `notes`).
    #[serde(default)]
    pub small_groups: BTreeMap<String, u64>,
    /// Largest minus smallest selection rate; `None` with fewer than two compared groups.
    pub demographic_parity_difference: Option<f64>,
    /// `min / max` selection rate; `None` when no group selects anyone.
    pub demographic_parity_ratio: Option<f64>,
    /// `max(TPR gap, FPR gap)`; `None` when either gap is.
    pub equalized_odds_difference: Option<f64>,
    /// The TPR gap.
    pub equal_opportunity_difference: Option<f64>,
    /// The FPR gap, the other half of equalized odds.
    pub false_positive_rate_difference: Option<f64>,
    /// 95% bootstrap intervals of the gaps, rows resampled within each compared group.
    #[serde(default)]
    pub intervals: Option<FairnessIntervals>,
    /// Metric (or `by_group.<group>.<rate>`) -> why it is `None` or what it leaves out.
    pub undefined: BTreeMap<String, String>,
    /// What else a reader must know: small groups left out or pooled, an estimate outside its
    /// interval.
    #[serde(default)]
    pub notes: BTreeMap<String, String>,
}

fn every_group() -> u64 {
    1
}

/// [`fairness_with`] with METRICS.md's defaults (groups of at least 30 rows, small groups left
/// out, 1 000 resamples) and intervals drawn from a generator seeded with 0.
pub fn fairness<G: AsRef<str>>(y_true: &[u8], y_pred: &[u8], groups: &[G]) -> Result<FairnessReport, MetricsError> {
    fairness_with(y_true, y_pred, groups, &FairnessOptions::default(), &mut ChaCha8Rng::seed_from_u64(0))
}

/// Compares groups on hard predictions; for probabilities, derive `y_pred` with
/// [`predict`](super::predict) so the decision threshold is the one the metrics use. The
/// intervals' resamples are drawn from `rng`, so the same data, options and seed give the same
/// report.
pub fn fairness_with<G: AsRef<str>>(
    y_true: &[u8],
    y_pred: &[u8],
    groups: &[G],
    options: &FairnessOptions,
    rng: &mut ChaCha8Rng,
) -> Result<FairnessReport, MetricsError> {
    validate::labels("y_true", y_true)?;
    validate::same_length("y_pred", y_true.len(), y_pred.len())?;
    validate::labels("y_pred", y_pred)?;
    validate::same_length("groups", y_true.len(), groups.len())?;
    options.validate()?;

    let mut counts: BTreeMap<&str, ConfusionCounts> = BTreeMap::new();
    for ((&y, &y_hat), group) in y_true.iter().zip(y_pred).zip(groups) {
        counts.entry(group.as_ref()).or_default().add(y == 1, y_hat == 1);
    }
    let Compared { groups: compared, small_groups, mut notes } = compare_groups(counts, options);

    let mut undefined = BTreeMap::new();
    let mut by_group = BTreeMap::new();
    for (name, counts) in &compared {
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
            counts: *counts,
            selection_rate: (counts.tp + counts.fp) as f64 / counts.n() as f64,
            tpr: tpr.ok(),
            fpr: fpr.ok(),
        };
        by_group.insert(name.clone(), rates);
    }

    let cells: Vec<Counts> = compared.values().map(|c| [c.tp, c.fp, c.tn, c.r#fn]).collect();
    let defined: Vec<Defined> = cells.iter().map(|&c| Defined::of(c)).collect();
    let gaps = Gaps::of(&cells, &defined);
    let intervals = intervals(&cells, &defined, &gaps, options.resamples, rng);
    for (name, estimate) in intervals.by_name() {
        if let (Some(e), Some(ci)) = (estimate.estimate, estimate.ci)
            && !ci.contains(e)
        {
            let side = if e < ci.lo { "below" } else { "above" };
            notes.insert(
                format!("intervals.{name}"),
                format!(
                    "the estimate {e:.4} lies {side} its 95% percentile interval ({:.4}–{:.4}): resampling biases a \
                     max − min gap upward when the groups' rates are close; the interval is reported as drawn",
                    ci.lo, ci.hi
                ),
            );
        }
    }

    let mut record = |name: &str, value: Result<f64, Undefined>| {
        value.map_err(|reason| undefined.insert(name.to_owned(), reason.to_string())).ok()
    };
    Ok(FairnessReport {
        min_group_size: options.min_group_size,
        pool_small_groups: options.pool_small_groups,
        demographic_parity_difference: record("demographic_parity_difference", gaps.demographic_parity_difference),
        demographic_parity_ratio: record("demographic_parity_ratio", gaps.demographic_parity_ratio),
        equalized_odds_difference: record("equalized_odds_difference", gaps.equalized_odds_difference),
        equal_opportunity_difference: record("equal_opportunity_difference", gaps.equal_opportunity_difference),
        false_positive_rate_difference: record("false_positive_rate_difference", gaps.false_positive_rate_difference),
        by_group,
        small_groups,
        intervals: Some(intervals),
        undefined,
        notes,
    })
}

/// The groups that enter the gaps, the small ones, and what was done with them.
struct Compared {
    groups: BTreeMap<String, ConfusionCounts>,
    small_groups: BTreeMap<String, u64>,
    notes: BTreeMap<String, String>,
}

/// Splits groups at `min_group_size`, pooling the small ones when asked.
fn compare_groups(counts: BTreeMap<&str, ConfusionCounts>, options: &FairnessOptions) -> Compared {
    let min = options.min_group_size;
    let (large, small): (Vec<_>, Vec<_>) = counts.into_iter().partition(|(_, c)| c.n() >= min);
    let mut groups: BTreeMap<String, ConfusionCounts> = large.into_iter().map(|(g, c)| (g.to_owned(), c)).collect();
    let small_groups: BTreeMap<String, u64> = small.iter().map(|(g, c)| ((*g).to_owned(), c.n())).collect();
    let mut notes = BTreeMap::new();
    if small.is_empty() {
        return Compared { groups, small_groups, notes };
    }
    let listed: Vec<String> = small_groups.iter().map(|(g, n)| format!("`{g}` ({n} rows)")).collect();
    let listed = listed.join(", ");
    let note = if options.pool_small_groups {
        let mut pool = ConfusionCounts::default();
        for (_, c) in &small {
            pool = ConfusionCounts {
                tp: pool.tp + c.tp,
                fp: pool.fp + c.fp,
                tn: pool.tn + c.tn,
                r#fn: pool.r#fn + c.r#fn,
            };
        }
        let name = pool_name(&groups);
        let n = pool.n();
        if n >= min {
            groups.insert(name.clone(), pool);
            format!("{listed}: fewer than {min} rows each, pooled into `{name}` ({n} rows), which is compared")
        } else {
            format!(
                "{listed}: fewer than {min} rows each; pooled into `{name}` they make {n} rows, still fewer than \
                 {min}, so they are left out of every gap"
            )
        }
    } else {
        format!("{listed}: fewer than {min} rows; left out of every gap")
    };
    notes.insert("small_groups".to_owned(), note);
    Compared { groups, small_groups, notes }
}

/// `other`, or a variant of it no compared group already has.
fn pool_name(groups: &BTreeMap<String, ConfusionCounts>) -> String {
    let candidates = [POOLED_GROUP.to_owned(), POOLED_GROUP_FALLBACK.to_owned()];
    let mut extra = (2..).map(|i| format!("{POOLED_GROUP_FALLBACK} {i}"));
    candidates
        .into_iter()
        .chain(std::iter::from_fn(|| extra.next()))
        .find(|name| !groups.contains_key(name))
        .unwrap_or_else(|| POOLED_GROUP.to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::tests_reference::*;
    use super::*;
    use crate::metrics::compare::Interval;

    fn rates(report: &FairnessReport) -> Vec<(&str, f64, Option<f64>, Option<f64>)> {
        report.by_group.iter().map(|(name, g)| (name.as_str(), g.selection_rate, g.tpr, g.fpr)).collect()
    }

    /// Every group compared, as fairlearn does.
    fn every_group<G: AsRef<str>>(y: &[u8], p: &[u8], g: &[G]) -> FairnessReport {
        let options = FairnessOptions { min_group_size: 1, ..FairnessOptions::default() };
        fairness_with(y, p, g, &options, &mut ChaCha8Rng::seed_from_u64(1)).expect("valid input")
    }

    fn with(options: FairnessOptions, y: &[u8], p: &[u8], g: &[String]) -> FairnessReport {
        fairness_with(y, p, g, &options, &mut ChaCha8Rng::seed_from_u64(1)).expect("valid input")
    }

    // reference: fairlearn 0.15.0 (scikit-learn 1.9.1) MetricFrame(selection_rate,
    // true_positive_rate, false_positive_rate).by_group, demographic_parity_difference,
    // demographic_parity_ratio, equalized_odds_difference, equal_opportunity_difference.
    #[test]
    fn matches_fairlearn_when_every_rate_is_defined() {
        let report = every_group(&FY, &FP, &groups(FG));
        assert_eq!(
            rates(&report),
            [
                ("a", 0.8, Some(1.0), Some(0.5)),
                ("b", 0.2, Some(0.25), Some(0.16666666666666666)),
                ("c", 0.4, Some(0.42857142857142855), Some(0.3333333333333333)),
            ]
        );
        assert!(report.by_group.values().all(|g| g.n == 10));
        assert_eq!(report.demographic_parity_difference, Some(0.6000000000000001));
        assert_eq!(report.demographic_parity_ratio, Some(0.25));
        assert_eq!(report.equalized_odds_difference, Some(0.75));
        assert_eq!(report.equal_opportunity_difference, Some(0.75));
        assert!(report.undefined.is_empty());
        assert!(report.small_groups.is_empty() && report.notes.is_empty());
    }

    // reference: fairlearn 0.15.0 on F2 reports tpr[c] = 0, fpr[d] = 0, dpd 0.5, dpr
    // 0.3333333333333333, equal_opportunity_difference 1.0 (0.5 vs c's invented 0) and
    // equalized_odds_difference 1.0; the gaps without the undefined rates, from fairlearn on the
    // rows of the groups that have them: TPR gap 0.5, FPR gap 1.0, equalized odds 1.0.
    #[test]
    fn leaves_undefined_rates_out_of_the_gaps() {
        let report = every_group(&F2Y, &F2P, &groups(F2G));
        assert_eq!(
            rates(&report),
            [
                ("a", 0.75, Some(0.5), Some(1.0)),
                ("b", 0.25, Some(1.0), Some(0.0)),
                ("c", 0.75, None, Some(0.75)),
                ("d", 0.5, Some(0.5), None),
            ]
        );
        assert_eq!(report.demographic_parity_difference, Some(0.5));
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

    // reference: tests/reference/fairness_reference.py, "F3 excluded (min_group_size 5)":
    // fairlearn 0.15.0 on the rows of a and b. On every group it reports dpd, eod and the TPR
    // gap 1.0: c's 3 rows (every positive missed) and d's 2 decide them.
    #[test]
    fn small_groups_are_listed_with_their_size_and_left_out_of_every_gap() {
        let options = FairnessOptions { min_group_size: 5, ..FairnessOptions::default() };
        let report = with(options, &F3Y, &F3P, &groups(F3G));
        assert_eq!(
            rates(&report),
            [
                ("a", 0.5833333333333334, Some(0.8571428571428571), Some(0.2)),
                ("b", 0.3, Some(0.5), Some(0.16666666666666666)),
            ]
        );
        assert_eq!(report.small_groups, BTreeMap::from([("c".to_owned(), 3), ("d".to_owned(), 2)]));
        let close = |what, got, want| assert_close_opt(what, got, Some(want), TOL);
        close("dpd", report.demographic_parity_difference, 0.2833333333333334);
        close("dpr", report.demographic_parity_ratio, 0.5142857142857142);
        close("eod", report.equalized_odds_difference, 0.3571428571428571);
        close("eopp", report.equal_opportunity_difference, 0.3571428571428571);
        close("fpr gap", report.false_positive_rate_difference, 0.033333333333333354);
        assert_eq!(
            report.notes["small_groups"],
            "`c` (3 rows), `d` (2 rows): fewer than 5 rows; left out of every gap"
        );
        assert!(report.undefined.is_empty(), "c's undefined FPR is not reported: c is not compared");
        assert_eq!((report.min_group_size, report.pool_small_groups), (5, false));
    }

    // reference: tests/reference/fairness_reference.py, "F3 pooled (min_group_size 5,
    // pool_small_groups)": fairlearn 0.15.0 with c and d relabelled `other`.
    #[test]
    fn small_groups_pooled_into_other_are_compared_when_the_pool_is_large_enough() {
        let options = FairnessOptions { min_group_size: 5, pool_small_groups: true, ..FairnessOptions::default() };
        let report = with(options, &F3Y, &F3P, &groups(F3G));
        assert_eq!(
            rates(&report),
            [
                ("a", 0.5833333333333334, Some(0.8571428571428571), Some(0.2)),
                ("b", 0.3, Some(0.5), Some(0.16666666666666666)),
                ("other", 0.4, Some(0.25), Some(1.0)),
            ]
        );
        assert_eq!(report.by_group["other"].n, 5);
        let close = |what, got, want| assert_close_opt(what, got, Some(want), TOL);
        close("dpd", report.demographic_parity_difference, 0.2833333333333334);
        close("dpr", report.demographic_parity_ratio, 0.5142857142857142);
        close("eod", report.equalized_odds_difference, 0.8333333333333334);
        close("eopp", report.equal_opportunity_difference, 0.6071428571428571);
        close("fpr gap", report.false_positive_rate_difference, 0.8333333333333334);
        assert_eq!(report.small_groups.len(), 2, "the pooled groups are still listed with their sizes");
        assert_eq!(
            report.notes["small_groups"],
            "`c` (3 rows), `d` (2 rows): fewer than 5 rows each, pooled into `other` (5 rows), which is compared"
        );
    }

    #[test]
    fn a_pool_below_min_group_size_is_left_out_too() {
        let options = FairnessOptions { min_group_size: 6, pool_small_groups: true, ..FairnessOptions::default() };
        let report = with(options, &F3Y, &F3P, &groups(F3G));
        assert_eq!(report.by_group.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert!(
            report.notes["small_groups"].ends_with(
                "pooled into `other` they make 5 rows, still fewer than 6, so they are left out of every gap"
            ),
            "{}",
            report.notes["small_groups"]
        );
    }

    #[test]
    fn the_pool_never_takes_the_name_of_a_compared_group() {
        let mut g = groups(F3G);
        for name in g.iter_mut().filter(|n| *n == "a") {
            *name = POOLED_GROUP.to_owned();
        }
        let options = FairnessOptions { min_group_size: 5, pool_small_groups: true, ..FairnessOptions::default() };
        let report = with(options, &F3Y, &F3P, &g);
        assert_eq!(report.by_group.keys().collect::<Vec<_>>(), ["b", "other", POOLED_GROUP_FALLBACK]);
        assert_eq!((report.by_group["other"].n, report.by_group[POOLED_GROUP_FALLBACK].n), (12, 5));
    }

    #[test]
    fn gaps_need_two_groups_with_the_rate() {
        let report = every_group(&[0, 0, 0], &[0, 0, 0], &["x", "y", "x"]);
        assert_eq!(report.demographic_parity_difference, Some(0.0));
        assert_eq!(report.demographic_parity_ratio, None);
        assert_eq!(report.equal_opportunity_difference, None);
        assert_eq!(report.equalized_odds_difference, None);
        assert_eq!(report.false_positive_rate_difference, Some(0.0));
        assert_eq!(
            report.undefined["equalized_odds_difference"],
            Undefined::FewerThanTwoGroupsWithPositives.to_string()
        );
        assert_eq!(report.undefined["demographic_parity_ratio"], Undefined::NoSelections.to_string());

        // With METRICS.md's 30 rows, these 3 rows compare nothing: every gap is undefined.
        let report = fairness(&[0, 1, 0], &[0, 1, 1], &["x", "y", "x"]).expect("valid input");
        assert!(report.by_group.is_empty());
        assert_eq!(report.demographic_parity_difference, None);
        assert_eq!(report.undefined["demographic_parity_difference"], Undefined::FewerThanTwoGroups.to_string());
        let intervals = report.intervals.expect("drawn");
        assert_eq!(intervals.demographic_parity_difference.ci, None);
    }

    #[test]
    fn the_simple_entry_point_is_the_metrics_md_defaults_with_seed_0() {
        let g = groups(&FG.repeat(4));
        let (y, p) = (FY.repeat(4), FP.repeat(4));
        let simple = fairness(&y, &p, &g).expect("valid input");
        let explicit = fairness_with(&y, &p, &g, &FairnessOptions::default(), &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(Ok(simple), explicit);
    }

    /// Groups `a` and `b` with the given selections out of `n` rows each (labels alternate).
    fn two_groups(n: usize, selected_a: usize, selected_b: usize) -> (Vec<u8>, Vec<u8>, Vec<&'static str>) {
        let mut y = Vec::new();
        let mut p = Vec::new();
        let mut g = Vec::new();
        for (name, selected) in [("a", selected_a), ("b", selected_b)] {
            for i in 0..n {
                y.push(u8::from(i % 2 == 0));
                p.push(u8::from(i < selected));
                g.push(name);
            }
        }
        (y, p, g)
    }

    /// P(|A − B| / n <= x) for independent A ~ Bin(n, pa), B ~ Bin(n, pb): the exact law of a
    /// resample's demographic-parity difference of two groups of n rows.
    fn exact_dpd_cdf(n: usize, pa: f64, pb: f64) -> Vec<(f64, f64)> {
        let pmf = |p: f64| -> Vec<f64> {
            let mut out = vec![0.0; n + 1];
            let mut c = 1.0_f64;
            for (k, slot) in out.iter_mut().enumerate() {
                if k > 0 {
                    c *= (n - k + 1) as f64 / k as f64;
                }
                *slot = c * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32);
            }
            out
        };
        let (a, b) = (pmf(pa), pmf(pb));
        let mut by_diff = vec![0.0; n + 1];
        for (i, pa) in a.iter().enumerate() {
            for (j, pb) in b.iter().enumerate() {
                by_diff[i.abs_diff(j)] += pa * pb;
            }
        }
        let mut total = 0.0;
        by_diff
            .iter()
            .enumerate()
            .map(|(d, p)| {
                total += p;
                (d as f64 / n as f64, total)
            })
            .collect()
    }

    /// The smallest value whose exact CDF reaches `q`.
    fn quantile(cdf: &[(f64, f64)], q: f64) -> f64 {
        cdf.iter().find(|(_, c)| *c >= q).map_or(1.0, |(x, _)| *x)
    }

    #[test]
    fn the_interval_is_the_percentile_interval_of_the_exact_within_group_bootstrap() {
        // a selects 24 of 40 rows, b 12 of 40: a resample's gap is |A − B| / 40 with A ~ Bin(40,
        // 0.6), B ~ Bin(40, 0.3), independent (rows resampled within each group).
        let (y, p, g) = two_groups(40, 24, 12);
        let options = FairnessOptions { resamples: 4_000, ..FairnessOptions::default() };
        let report = fairness_with(&y, &p, &g, &options, &mut ChaCha8Rng::seed_from_u64(11)).expect("valid");
        assert_eq!(report.demographic_parity_difference, Some(0.3));
        let dpd = report.intervals.expect("drawn").demographic_parity_difference;
        let Interval { lo, hi } = dpd.ci.expect("defined");
        let cdf = exact_dpd_cdf(40, 0.6, 0.3);
        // 4 000 replicates put the empirical 2.5% quantile within ±0.01 (4 standard errors) of
        // the exact one in probability.
        assert!((quantile(&cdf, 0.015)..=quantile(&cdf, 0.035)).contains(&lo), "lo {lo}, cdf {cdf:?}");
        assert!((quantile(&cdf, 0.965)..=quantile(&cdf, 0.985)).contains(&hi), "hi {hi}, cdf {cdf:?}");
        assert!(lo < 0.3 && 0.3 < hi);
        assert_eq!(dpd.undefined_resamples, 0);
    }

    #[test]
    fn a_gap_with_no_variation_has_a_point_interval() {
        // a selects every row and b none, in every resample: the gap is always 1.
        let (y, p, g) = two_groups(30, 30, 0);
        let report = fairness(&y, &p, &g).expect("valid");
        let intervals = report.intervals.expect("drawn");
        assert_eq!(intervals.demographic_parity_difference.ci, Some(Interval { lo: 1.0, hi: 1.0 }));
        assert_eq!((intervals.method.as_str(), intervals.level, intervals.resamples), ("percentile", 0.95, 1000));
    }

    #[test]
    fn an_estimate_outside_its_interval_is_reported_not_hidden() {
        // Equal selection rates: the gap is 0, but a resample's |A − B| / n is 0 only with
        // probability ≈ 1/√(π·n·p·q·2) ≈ 1.8%, so the percentile interval starts above 0.
        let (y, p, g) = two_groups(1_000, 500, 500);
        let report = fairness(&y, &p, &g).expect("valid");
        assert_eq!(report.demographic_parity_difference, Some(0.0));
        let ci = report.intervals.as_ref().and_then(|i| i.demographic_parity_difference.ci).expect("defined");
        assert!(ci.lo > 0.0, "{ci:?}");
        let note = &report.notes["intervals.demographic_parity_difference"];
        assert!(note.starts_with("the estimate 0.0000 lies below its 95% percentile interval ("), "{note}");
    }

    #[test]
    fn the_same_seed_gives_the_same_intervals_and_another_seed_others() {
        let (y, p, g) = two_groups(50, 30, 20);
        let draw = |seed| fairness_with(&y, &p, &g, &FairnessOptions::default(), &mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn serialises_groups_in_name_order_without_nan() {
        let report = every_group(&[1, 0, 1], &[1, 1, 0], &["z", "a", "m"]);
        let json = serde_json::to_string(&report).expect("serialisable");
        let (a, m, z) = (json.find("\"a\""), json.find("\"m\""), json.find("\"z\""));
        assert!(a < m && m < z, "{json}");
        assert!(!json.contains("NaN"), "{json}");
        let back: FairnessReport = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back, report);
    }

    #[test]
    fn a_report_written_before_min_group_size_still_reads() {
        let old = r#"{"by_group":{},"demographic_parity_difference":0.5,"demographic_parity_ratio":null,
            "equalized_odds_difference":null,"equal_opportunity_difference":null,
            "false_positive_rate_difference":null,"undefined":{}}"#;
        let report: FairnessReport = serde_json::from_str(old).expect("old report");
        assert_eq!((report.min_group_size, report.intervals), (1, None));
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
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let zero_size = FairnessOptions { min_group_size: 0, ..FairnessOptions::default() };
        assert_eq!(fairness_with(&[0], &[0], &["a"], &zero_size, &mut rng), Err(MetricsError::ZeroMinGroupSize));
        let zero_resamples = FairnessOptions { resamples: 0, ..FairnessOptions::default() };
        assert_eq!(fairness_with(&[0], &[0], &["a"], &zero_resamples, &mut rng), Err(MetricsError::ZeroResamples));
    }
}
