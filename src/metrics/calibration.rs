//! Binned calibration: positive-class ECE (the promotion gate's), MCE, top-label ECE and the
//! reliability-diagram data.
//!
//! The binning is METRICS.md's, which is numpy's and therefore
//! `sklearn.calibration.calibration_curve(..., strategy="uniform")`'s: edges
//! `i * (1.0 / bins)` with the last forced to 1.0 (as `np.linspace` computes them, so the third
//! of ten edges is 0.30000000000000004, not 0.3), and a probability goes to the bin numbered by
//! how many inner edges lie strictly below it (`np.searchsorted(edges[1:-1], p, side="left")`):
//! bins are `(lo, hi]` and the first also holds 0.

use serde::{Deserialize, Serialize};

use super::{MetricsError, validate};

/// METRICS.md default, the original's `--ece-bins`.
pub const DEFAULT_BINS: usize = 10;

/// One bar of a reliability diagram. Empty bins are kept (count 0, means `None`) so every
/// report has the same `bins` rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliabilityBin {
    pub lo: f64,
    pub hi: f64,
    pub count: u64,
    pub mean_prob: Option<f64>,
    pub frac_positive: Option<f64>,
}

/// `Σ_b (n_b / N) · |mean(y in b) − mean(p in b)|` over non-empty bins.
pub fn ece(y_true: &[u8], y_prob: &[f64], bins: usize) -> Result<f64, MetricsError> {
    Ok(Binned::positive_class(y_true, y_prob, checked_edges(y_true, y_prob, bins)?).ece())
}

/// Largest `|mean(y in b) − mean(p in b)|` over non-empty bins.
pub fn mce(y_true: &[u8], y_prob: &[f64], bins: usize) -> Result<f64, MetricsError> {
    Ok(Binned::positive_class(y_true, y_prob, checked_edges(y_true, y_prob, bins)?).mce())
}

/// Guo et al. 2017 ("On Calibration of Modern Neural Networks"): confidence `max(p, 1 − p)`
/// against correctness of the argmax label, in the same bins.
///
/// The argmax label is `p >= 0.5` whatever the configured decision threshold: `max(p, 1 − p)`
/// is the confidence of that label and of no other.
pub fn ece_top_label(y_true: &[u8], y_prob: &[f64], bins: usize) -> Result<f64, MetricsError> {
    Ok(Binned::top_label(y_true, y_prob, checked_edges(y_true, y_prob, bins)?).ece())
}

/// Per-bin count, mean probability and fraction of positives, for drawing a reliability
/// diagram; the non-empty rows equal `calibration_curve`'s `prob_pred` / `prob_true`.
pub fn reliability(y_true: &[u8], y_prob: &[f64], bins: usize) -> Result<Vec<ReliabilityBin>, MetricsError> {
    Ok(Binned::positive_class(y_true, y_prob, checked_edges(y_true, y_prob, bins)?).reliability())
}

fn checked_edges(y_true: &[u8], y_prob: &[f64], bins: usize) -> Result<Vec<f64>, MetricsError> {
    validate::labels_and_probs(y_true, y_prob)?;
    validate::bins(bins)?;
    Ok(edges(bins))
}

/// `np.linspace(0, 1, bins + 1)`: `i * step` with the step computed once, last edge exactly 1.
pub(crate) fn edges(bins: usize) -> Vec<f64> {
    let step = 1.0 / bins as f64;
    (0..=bins).map(|i| if i == bins { 1.0 } else { i as f64 * step }).collect()
}

/// The inner edges `edges[1..bins]` between sentinels: `[-inf, inner..., +inf]`, so bin `b`
/// is exactly the `p` with `bounds[b] < p <= bounds[b + 1]`, 0 included in bin 0.
pub(crate) fn bounds(edges: &[f64]) -> Vec<f64> {
    let mut bounds = Vec::with_capacity(edges.len());
    bounds.push(f64::NEG_INFINITY);
    bounds.extend_from_slice(&edges[1..edges.len() - 1]);
    bounds.push(f64::INFINITY);
    bounds
}

/// Number of inner edges strictly below `p`, i.e. numpy's `searchsorted(edges[1:-1], p)`.
///
/// `p * bins` is only a first guess (it is 3 for p = 0.30000000000000004, which belongs to bin
/// 2); the loops then step to the exact bin by comparing with the stored edges. The sentinels
/// end the loops without index tests, so the usual no-step case is two predictable branches,
/// twice as fast as a binary search over ten edges.
pub(crate) fn bin_of(bounds: &[f64], p: f64) -> usize {
    let bins = bounds.len() - 1;
    let mut bin = ((p * bins as f64) as usize).min(bins - 1);
    while bounds[bin] >= p {
        bin -= 1;
    }
    while bounds[bin + 1] < p {
        bin += 1;
    }
    bin
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct BinTotals {
    count: u64,
    /// Exact, and equal to numpy's float sum of 0/1 outcomes (integers below 2^53).
    outcomes: u64,
    sum_prob: f64,
}

impl BinTotals {
    /// `|mean(outcome) − mean(prob)|`, for non-empty bins only.
    fn gap(&self) -> Option<f64> {
        (self.count > 0).then(|| {
            let n = self.count as f64;
            (self.outcomes as f64 / n - self.sum_prob / n).abs()
        })
    }
}

/// Rows accumulated into bins in input order (like `np.bincount` with weights), so the means
/// are bit-identical to numpy's and to `calibration_curve`'s.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Binned {
    edges: Vec<f64>,
    totals: Vec<BinTotals>,
}

impl Binned {
    /// Outcome `y`, probability `p`. Expects validated input and `edges` from [`edges`].
    pub(crate) fn positive_class(y_true: &[u8], y_prob: &[f64], edges: Vec<f64>) -> Self {
        let rows = y_true.iter().zip(y_prob).map(|(&y, &p)| (y == 1, p));
        Self::accumulate(rows, edges)
    }

    /// Outcome "argmax label is right", probability `max(p, 1 − p)`.
    pub(crate) fn top_label(y_true: &[u8], y_prob: &[f64], edges: Vec<f64>) -> Self {
        let rows = y_true.iter().zip(y_prob).map(|(&y, &p)| ((p >= 0.5) == (y == 1), p.max(1.0 - p)));
        Self::accumulate(rows, edges)
    }

    fn accumulate(rows: impl Iterator<Item = (bool, f64)>, edges: Vec<f64>) -> Self {
        let bins = edges.len() - 1;
        let mut totals = vec![BinTotals::default(); bins];
        let bounds = bounds(&edges);
        for (outcome, p) in rows {
            let bin = &mut totals[bin_of(&bounds, p)];
            bin.count += 1;
            bin.outcomes += u64::from(outcome);
            bin.sum_prob += p;
        }
        Self { edges, totals }
    }

    pub(crate) fn ece(&self) -> f64 {
        let n: u64 = self.totals.iter().map(|bin| bin.count).sum();
        let mut ece = 0.0;
        for bin in &self.totals {
            if let Some(gap) = bin.gap() {
                ece += bin.count as f64 / n as f64 * gap;
            }
        }
        ece
    }

    pub(crate) fn mce(&self) -> f64 {
        self.totals.iter().filter_map(BinTotals::gap).fold(0.0, f64::max)
    }

    pub(crate) fn reliability(&self) -> Vec<ReliabilityBin> {
        self.totals
            .iter()
            .zip(self.edges.windows(2))
            .map(|(bin, lo_hi)| {
                let n = bin.count as f64;
                let mean = |sum: f64| (bin.count > 0).then(|| sum / n);
                ReliabilityBin {
                    lo: lo_hi[0],
                    hi: lo_hi[1],
                    count: bin.count,
                    mean_prob: mean(bin.sum_prob),
                    frac_positive: mean(bin.outcomes as f64),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_reference::*;
    use super::*;

    type BinnedMetric = fn(&[u8], &[f64], usize) -> Result<f64, MetricsError>;

    struct Expected<'a> {
        ece: f64,
        mce: f64,
        ece_top_label: f64,
        counts: &'a [u64],
        mean_prob: &'a [f64],
        frac_positive: &'a [f64],
    }

    fn check(name: &str, y: &[u8], p: &[f64], bins: usize, want: Expected) {
        let got = |f: BinnedMetric| f(y, p, bins).expect("valid input");
        assert_close(&format!("{name} ece"), got(ece), want.ece, TOL);
        assert_close(&format!("{name} mce"), got(mce), want.mce, TOL);
        let top = got(ece_top_label);
        assert_close(&format!("{name} ece_top_label"), top, want.ece_top_label, TOL);

        let rows = reliability(y, p, bins).expect("valid input");
        let counts: Vec<u64> = rows.iter().map(|row| row.count).collect();
        assert_eq!(counts, want.counts, "{name} counts");
        // Same additions in the same order as np.bincount: bit-identical.
        let mean_prob: Vec<f64> = rows.iter().filter_map(|row| row.mean_prob).collect();
        assert_eq!(mean_prob, want.mean_prob, "{name} mean_prob");
        let frac: Vec<f64> = rows.iter().filter_map(|row| row.frac_positive).collect();
        assert_eq!(frac, want.frac_positive, "{name} frac_positive");
        let edges = edges(bins);
        for (row, lo_hi) in rows.iter().zip(edges.windows(2)) {
            assert_eq!((row.lo, row.hi), (lo_hi[0], lo_hi[1]), "{name} edges");
            assert_eq!(row.mean_prob.is_none(), row.count == 0, "{name} empty bin");
        }
    }

    // reference: numpy 2.4.6 per METRICS.md (np.linspace edges, np.searchsorted(edges[1:-1], p,
    // side="left"), np.bincount), checked in the script to equal scikit-learn 1.9.1
    // sklearn.calibration.calibration_curve(y, p, n_bins=bins, strategy="uniform")
    // prob_true / prob_pred exactly (np.array_equal).
    #[test]
    fn matches_numpy_and_calibration_curve_on_mixed_rows() {
        let ten = Expected {
            ece: 0.15562499999999996,
            mce: 0.382,
            ece_top_label: 0.13729166666666665,
            counts: &[5, 3, 5, 5, 5, 5, 7, 4, 4, 5],
            mean_prob: &[
                0.05,
                0.15666666666666665,
                0.274,
                0.358,
                0.48599999999999993,
                0.5700000000000001,
                0.6757142857142858,
                0.78,
                0.8825,
                0.982,
            ],
            frac_positive: &[0.4, 0.0, 0.4, 0.6, 0.4, 0.6, 0.7142857142857143, 0.75, 0.75, 0.6],
        };
        check("A bins=10", &Y_A, &P_A, 10, ten);
        let five = Expected {
            ece: 0.12479166666666665,
            mce: 0.2711111111111111,
            ece_top_label: 0.13729166666666667,
            counts: &[8, 10, 10, 11, 9],
            mean_prob: &[0.09000000000000001, 0.316, 0.5279999999999999, 0.7136363636363636, 0.9377777777777777],
            frac_positive: &[0.25, 0.5, 0.5, 0.7272727272727273, 0.6666666666666666],
        };
        check("A bins=5", &Y_A, &P_A, 5, five);
        let three = Expected {
            ece: 0.10979166666666665,
            mce: 0.1513333333333333,
            ece_top_label: 0.1131249999999999,
            counts: &[15, 16, 17],
            mean_prob: &[0.18200000000000002, 0.5225, 0.8447058823529412],
            frac_positive: &[0.3333333333333333, 0.5625, 0.7058823529411765],
        };
        check("A bins=3", &Y_A, &P_A, 3, three);
        let one = Expected {
            ece: 0.01145833333333357,
            mce: 0.01145833333333357,
            ece_top_label: 0.07979166666666648,
            counts: &[48],
            mean_prob: &[0.5302083333333331],
            frac_positive: &[0.5416666666666666],
        };
        check("A bins=1", &Y_A, &P_A, 1, one);
    }

    // reference: numpy 2.4.6 per METRICS.md, as above (calibration_curve rejects one-class y).
    #[test]
    fn matches_numpy_on_small_and_one_class_inputs() {
        let all_neg = Expected {
            ece: 0.44000000000000006,
            mce: 0.9,
            ece_top_label: 0.24000000000000002,
            counts: &[1, 1, 0, 1, 0, 1, 0, 0, 1, 0],
            mean_prob: &[0.1, 0.2, 0.4, 0.6, 0.9],
            frac_positive: &[0.0; 5],
        };
        check("ALL_NEG", &Y_ALL_NEG, &P_ALL_NEG, 10, all_neg);
        let all_pos = Expected {
            ece: 0.375,
            mce: 0.8,
            ece_top_label: 0.375,
            counts: &[0, 1, 0, 0, 0, 0, 2, 0, 1, 0],
            mean_prob: &[0.2, 0.7, 0.9],
            frac_positive: &[1.0; 3],
        };
        check("ALL_POS", &Y_ALL_POS, &P_ALL_POS, 10, all_pos);
        let no_pred_pos = Expected {
            ece: 0.44999999999999996,
            mce: 0.8,
            ece_top_label: 0.45000000000000007,
            counts: &[1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
            mean_prob: &[0.1, 0.2, 0.3, 0.4],
            frac_positive: &[0.0, 1.0, 0.0, 1.0],
        };
        check("NO_PRED_POS", &Y_NO_PRED_POS, &P_NO_PRED_POS, 10, no_pred_pos);
        let all_neg_no_pred = Expected {
            ece: 0.2633333333333333,
            mce: 0.49,
            ece_top_label: 0.2633333333333333,
            counts: &[1, 1, 0, 0, 1, 0, 0, 0, 0, 0],
            mean_prob: &[0.1, 0.2, 0.49],
            frac_positive: &[0.0; 3],
        };
        let (y, p) = (&Y_ALL_NEG_NO_PRED, &P_ALL_NEG_NO_PRED);
        check("ALL_NEG_NO_PRED", y, p, 10, all_neg_no_pred);
    }

    #[test]
    fn edges_are_numpy_linspace() {
        assert_eq!(
            edges(10),
            [0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9, 1.0]
        );
        assert_eq!(edges(3), [0.0, 0.3333333333333333, 0.6666666666666666, 1.0]);
        assert_eq!(edges(1), [0.0, 1.0]);
    }

    #[test]
    fn bins_are_closed_on_the_right_and_the_first_holds_zero() {
        let bounds = bounds(&edges(10));
        let cases = [
            (0.0, 0),
            (-0.0, 0),
            (0.1, 0),
            (0.10000000000000002, 1),
            (0.2, 1),
            (0.3, 2),
            (0.30000000000000004, 2),
            (0.3000000000000001, 3),
            (0.5, 4),
            (0.6, 5),
            (0.7, 6),
            (0.9, 8),
            (1.0, 9),
        ];
        for (p, bin) in cases {
            assert_eq!(bin_of(&bounds, p), bin, "p = {p:?}");
        }
    }

    #[test]
    fn bin_of_counts_inner_edges_below_like_searchsorted() {
        for bins in 1..=40 {
            let edges = edges(bins);
            let (inner, bounds) = (&edges[1..bins], bounds(&edges));
            let mut probs = vec![0.0, 1.0];
            for &edge in &edges {
                probs.extend([edge, edge.next_down(), edge.next_up()]);
            }
            for i in 0..=1000 {
                probs.push(f64::from(i) / 1000.0);
            }
            for p in probs.into_iter().filter(|p| (0.0..=1.0).contains(p)) {
                let searchsorted = inner.partition_point(|&edge| edge < p);
                assert_eq!(bin_of(&bounds, p), searchsorted, "bins = {bins}, p = {p:?}");
            }
        }
    }

    #[test]
    fn rejects_invalid_input() {
        assert_eq!(ece(&[0, 1], &[0.2, 0.8], 0), Err(MetricsError::ZeroBins));
        assert_eq!(reliability(&[0, 1], &[0.2, 0.8], 0), Err(MetricsError::ZeroBins));
        assert_eq!(mce(&[], &[], 10), Err(MetricsError::Empty));
        assert!(matches!(ece_top_label(&[0, 1], &[0.2], 10), Err(MetricsError::LengthMismatch { .. })));
        assert!(matches!(ece(&[0, 1], &[0.2, 1.01], 10), Err(MetricsError::InvalidProbability { index: 1, .. })));
        assert!(matches!(mce(&[0, 9], &[0.2, 0.3], 10), Err(MetricsError::InvalidLabel { index: 1, .. })));
    }
}
