//! DeLong's variance of the ROC-AUC, for one classifier (a confidence interval) and for two on
//! the same rows (a paired test of their difference).
//!
//! DeLong, DeLong & Clarke-Pearson (1988): with m positives X and n negatives Y, the AUC is the
//! mean of `ψ(X_i, Y_j)` (1 if X_i > Y_j, ½ if tied, 0 otherwise) — sklearn's `roc_auc_score`,
//! ties at half credit. Its structural components are `V10_i = mean_j ψ(X_i, Y_j)` per positive
//! and `V01_j = mean_i ψ(X_i, Y_j)` per negative, and `Var(AUC) = S10/m + S01/n` with S10, S01
//! the sample (m − 1, n − 1) variances of the components; for two classifiers the same with
//! covariances, so `Var(AUC_B − AUC_A)` uses the components' differences.
//!
//! Sun & Xu (2014, "Fast implementation of DeLong's algorithm") compute the components from
//! midranks instead of the O(m·n) pairs: `V10_i = (T_Z(X_i) − T_X(X_i)) / n` and
//! `V01_j = 1 − (T_Z(Y_j) − T_Y(Y_j)) / m` with `T` the midranks within the pooled sample Z,
//! the positives and the negatives. The midrank difference `T_Z(X_i) − T_X(X_i)` is exactly
//! "negatives below X_i plus half the negatives tied with it", so one sort of the pooled scores
//! and one walk over its runs of tied scores give every component as a ratio of integers:
//! O((m + n) log(m + n)), and exact up to one rounding per component.
//!
//! Components are stored per row, in row order, so two classifiers scored on the same rows can
//! be paired without sorting again.

use serde::{Deserialize, Serialize};

use super::interval::Interval;
use super::normal::{Z_975, two_sided_p};
use super::{CompareError, validate};
use crate::metrics::ranking;

/// One classifier's AUC and its DeLong structural components.
#[derive(Debug, Clone, PartialEq)]
pub struct AucComponents {
    positives: u64,
    negatives: u64,
    auc: f64,
    /// `V10` for a positive row, `V01` for a negative row, in row order.
    components: Vec<f64>,
    /// The labels the components belong to: pairing needs them, and checks them.
    labels: Vec<u8>,
}

/// A single AUC with its DeLong standard error and 95% normal interval (clamped to [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DelongAuc {
    pub auc: f64,
    pub se: f64,
    pub ci: Interval,
}

/// DeLong's paired test of `AUC_B − AUC_A` on the same rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DelongComparison {
    pub auc_a: f64,
    pub auc_b: f64,
    /// `auc_b − auc_a`.
    pub difference: f64,
    pub se: f64,
    /// `difference ± 1.96 · se` (not clamped: a difference can be anywhere in [−1, 1]).
    pub ci: Interval,
    /// Two-sided, from `z = difference / se` against N(0, 1); 1 when both are 0, and 0 when
    /// only the standard error is (the limit of the test as se → 0).
    pub p_value: f64,
}

/// The DeLong interval of one classifier's AUC.
pub fn delong_auc(y_true: &[u8], y_prob: &[f64]) -> Result<DelongAuc, CompareError> {
    Ok(AucComponents::new(y_true, y_prob)?.interval())
}

/// DeLong's test of the AUCs of A and B on the same rows.
pub fn delong_test(y_true: &[u8], prob_a: &[f64], prob_b: &[f64]) -> Result<DelongComparison, CompareError> {
    validate::labels("y_true", y_true)?;
    validate::probabilities("y_prob_a", y_true.len(), prob_a)?;
    validate::probabilities("y_prob_b", y_true.len(), prob_b)?;
    let a = AucComponents::unchecked(y_true, prob_a)?;
    let b = AucComponents::unchecked(y_true, prob_b)?;
    a.compare(&b)
}

/// The rows ranked once by probability, then label: what DeLong's components and the ROC
/// curve both walk, so a cohort is sorted once for the two.
#[derive(Debug, Clone)]
pub(crate) struct Ranked {
    /// `(key, row)` ascending. Keys as in `metrics::ranking`: for p in [0, 1] the bits of
    /// `p + 0.0` order like the value (and merge -0.0 with 0.0, as numpy compares them); the
    /// label sits in the low bit. Rows that tie keep row order.
    keys: Vec<(u64, u32)>,
    positives: u64,
    negatives: u64,
}

impl Ranked {
    /// Expects validated input.
    pub(crate) fn new(y_true: &[u8], y_prob: &[f64]) -> Self {
        Self::of_pairs(y_true, ranking::ranked_pairs(y_true, y_prob))
    }

    /// [`Ranked::new`] from a ranking handed on with the rows ([`crate::metrics::rank_rows`]),
    /// when `order` is that ranking; sorted as by [`Ranked::new`] otherwise. The same value
    /// either way. Expects validated input.
    pub(crate) fn with_order(y_true: &[u8], y_prob: &[f64], order: Option<&[u32]>) -> Self {
        match order.and_then(|order| ranking::ranked_pairs_from(y_true, y_prob, order)) {
            Some(pairs) => Self::of_pairs(y_true, pairs),
            None => Self::new(y_true, y_prob),
        }
    }

    fn of_pairs(y_true: &[u8], keys: Vec<(u64, u32)>) -> Self {
        let positives = y_true.iter().filter(|&&y| y == 1).count() as u64;
        let negatives = y_true.len() as u64 - positives;
        Self { keys, positives, negatives }
    }

    /// The runs of rows with equal probability, lowest first; within a run, the negatives
    /// come first (the label is the key's low bit).
    fn runs(&self) -> impl DoubleEndedIterator<Item = &[(u64, u32)]> {
        self.keys.chunk_by(|a, b| a.0 >> 1 == b.0 >> 1)
    }

    /// The ROC curve: (FPR, TPR) at 0 and after each distinct probability from the highest
    /// down (sklearn's `roc_curve` points with `drop_intermediate=False`), thinned to at most
    /// 101 points, the last always kept. Empty when a class is missing.
    pub(crate) fn roc_curve(&self) -> Vec<[f64; 2]> {
        if self.positives == 0 || self.negatives == 0 {
            return Vec::new();
        }
        let (positives, negatives) = (self.positives as f64, self.negatives as f64);
        let mut points = vec![[0.0, 0.0]];
        let (mut tp, mut fp) = (0_u64, 0_u64);
        for run in self.runs().rev() {
            let run_negatives = run.partition_point(|key| key.0 & 1 == 0) as u64;
            fp += run_negatives;
            tp += run.len() as u64 - run_negatives;
            points.push([fp as f64 / negatives, tp as f64 / positives]);
        }
        let step = points.len().div_ceil(100).max(1);
        let last = points.len() - 1;
        points.iter().enumerate().filter(|(i, _)| i % step == 0 || *i == last).map(|(_, p)| *p).collect()
    }
}

impl AucComponents {
    /// Validates and prepares one classifier's scores, for pairing with others later.
    pub fn new(y_true: &[u8], y_prob: &[f64]) -> Result<Self, CompareError> {
        validate::labels("y_true", y_true)?;
        validate::probabilities("y_prob", y_true.len(), y_prob)?;
        Self::unchecked(y_true, y_prob)
    }

    /// Expects validated input. Fails when a class has fewer than 2 rows: the components'
    /// sample variance is then 0/0.
    pub(crate) fn unchecked(y_true: &[u8], y_prob: &[f64]) -> Result<Self, CompareError> {
        Self::from_ranked(y_true, &Ranked::new(y_true, y_prob))
    }

    /// The components from the rows ranked once ([`Ranked`]), which the ROC curve shares.
    pub(crate) fn from_ranked(y_true: &[u8], ranked: &Ranked) -> Result<Self, CompareError> {
        let (positives, negatives) = (ranked.positives, ranked.negatives);
        if positives < 2 || negatives < 2 {
            return Err(CompareError::TooFewPerClass { positives, negatives });
        }
        let mut components = vec![0.0; y_true.len()];
        let (twice_m, twice_n) = (2 * positives, 2 * negatives);
        let (mut negatives_below, mut positives_below) = (0_u64, 0_u64);
        // Σ over positives of (2 · negatives below + tied negatives) = 2 · U, exact in integers.
        let mut twice_u: u128 = 0;
        for run in ranked.runs() {
            let run_negatives = run.partition_point(|key| key.0 & 1 == 0) as u64;
            let run_positives = run.len() as u64 - run_negatives;
            let positives_above = positives - positives_below - run_positives;
            let v10 = (2 * negatives_below + run_negatives) as f64 / twice_n as f64;
            let v01 = (2 * positives_above + run_positives) as f64 / twice_m as f64;
            for &(key, row) in run {
                components[row as usize] = if key & 1 == 1 { v10 } else { v01 };
            }
            twice_u += u128::from(run_positives) * u128::from(2 * negatives_below + run_negatives);
            negatives_below += run_negatives;
            positives_below += run_positives;
        }
        let auc = twice_u as f64 / (u128::from(twice_m) * u128::from(negatives)) as f64;
        Ok(Self { positives, negatives, auc, components, labels: y_true.to_vec() })
    }

    pub fn auc(&self) -> f64 {
        self.auc
    }

    /// The DeLong interval of this AUC.
    pub fn interval(&self) -> DelongAuc {
        let se = self.variance(None).sqrt();
        DelongAuc { auc: self.auc, se, ci: Interval::normal(self.auc, se, Z_975).clamp(0.0, 1.0) }
    }

    /// DeLong's paired test of `other − self`; both must be scored on the same labelled rows.
    pub fn compare(&self, other: &Self) -> Result<DelongComparison, CompareError> {
        if self.labels != other.labels {
            return Err(CompareError::DifferentRows);
        }
        let difference = other.auc - self.auc;
        let se = self.variance(Some(other)).sqrt();
        let z = difference / se;
        let p_value = if z.is_nan() { 1.0 } else { two_sided_p(z) };
        Ok(DelongComparison {
            auc_a: self.auc,
            auc_b: other.auc,
            difference,
            se,
            ci: Interval::normal(difference, se, Z_975),
            p_value,
        })
    }

    /// Sample variance (ddof 1) of the components of each class, of `self` or of
    /// `other − self`, divided by the class size and summed.
    fn variance(&self, other: Option<&Self>) -> f64 {
        let component = |row: usize| match other {
            Some(other) => other.components[row] - self.components[row],
            None => self.components[row],
        };
        let mut sum = [0.0_f64; 2];
        for (row, &y) in self.labels.iter().enumerate() {
            sum[usize::from(y)] += component(row);
        }
        let mean = [sum[0] / self.negatives as f64, sum[1] / self.positives as f64];
        let mut squares = [0.0_f64; 2];
        for (row, &y) in self.labels.iter().enumerate() {
            squares[usize::from(y)] += (component(row) - mean[usize::from(y)]).powi(2);
        }
        let s01 = squares[0] / (self.negatives - 1) as f64;
        let s10 = squares[1] / (self.positives - 1) as f64;
        s10 / self.positives as f64 + s01 / self.negatives as f64
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// Reference values from a direct O(m·n) numpy implementation of DeLong et al. (1988),
    /// numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1:
    ///
    /// ```python
    /// import numpy as np; from scipy.stats import norm; from sklearn.metrics import roc_auc_score
    /// rng = np.random.default_rng(17); n = 30; y = rng.integers(0, 2, n)
    /// pa = np.round(np.clip(0.5 + 0.25 * (2 * y - 1) + rng.normal(0, 0.25, n), 0, 1), 1)
    /// pb = np.round(np.clip(0.5 + 0.15 * (2 * y - 1) + rng.normal(0, 0.25, n), 0, 1), 2)
    /// def psi(x, yy): return (x > yy) + 0.5 * (x == yy)
    /// def components(p):
    ///     X, Y = p[y == 1], p[y == 0]; P = psi(X[:, None], Y[None, :])
    ///     return P.mean(), P.mean(axis=1), P.mean(axis=0)
    /// aa, v10a, v01a = components(pa); ab, v10b, v01b = components(pb); m, k = len(v10a), len(v01a)
    /// var_a = np.var(v10a, ddof=1) / m + np.var(v01a, ddof=1) / k
    /// S10 = np.cov(np.vstack([v10a, v10b])); S01 = np.cov(np.vstack([v01a, v01b])); L = np.array([-1., 1.])
    /// se = np.sqrt(L @ S10 @ L / m + L @ S01 @ L / k); d = ab - aa; p = 2 * norm.sf(abs(d / se))
    /// # roc_auc_score(y, pa) and roc_auc_score(y, pb) equal aa and ab.
    /// ```
    const Y: [u8; 30] = [1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1];
    const PA: [f64; 30] = [
        0.9, 0.6, 0.6, 0.3, 0.4, 0.8, 1.0, 0.5, 0.0, 0.1, 0.3, 0.2, 0.2, 0.8, 0.2, 0.2, 0.0, 0.9, 0.7, 0.2, 0.7, 0.3,
        0.2, 0.8, 0.0, 0.4, 0.8, 0.1, 0.7, 0.8,
    ];
    const PB: [f64; 30] = [
        0.79, 0.45, 0.02, 0.11, 0.49, 0.44, 0.46, 0.64, 0.15, 0.13, 0.33, 0.4, 0.91, 0.13, 0.26, 0.62, 0.51, 0.28,
        0.23, 0.43, 0.71, 0.37, 0.29, 0.45, 0.12, 0.64, 0.37, 0.96, 0.32, 1.0,
    ];

    fn close(name: &str, got: f64, want: f64) {
        assert!((got - want).abs() <= 1e-12, "{name}: got {got}, want {want}");
    }

    #[test]
    fn single_auc_matches_direct_delong_and_sklearn() {
        let got = delong_auc(&Y, &PA).expect("valid input");
        close("auc (sklearn roc_auc_score)", got.auc, 0.7700892857142857);
        close("se", got.se, 0.09207107983591105);
        close("ci lo", got.ci.lo, 0.589633285218188);
        close("ci hi", got.ci.hi, 0.9505452862103834);
        close("auc b", delong_auc(&Y, &PB).expect("valid input").auc, 0.7745535714285714);
        close("se b", delong_auc(&Y, &PB).expect("valid input").se, 0.0854448006340342);
    }

    #[test]
    fn paired_test_matches_direct_delong() {
        let got = delong_test(&Y, &PA, &PB).expect("valid input");
        close("auc a", got.auc_a, 0.7700892857142857);
        close("auc b", got.auc_b, 0.7745535714285714);
        close("difference", got.difference, 0.004464285714285698);
        close("se", got.se, 0.13363941618040015);
        close("ci lo", got.ci.lo, -0.25746415691425795);
        close("ci hi", got.ci.hi, 0.26639272834282934);
        close("p", got.p_value, 0.9733512583729664);
    }

    /// The O(m·n) definition, in Rust, on inputs with many ties.
    fn direct(y: &[u8], pa: &[f64], pb: &[f64]) -> (f64, f64, f64) {
        let comps = |p: &[f64]| {
            let xs: Vec<f64> = (0..y.len()).filter(|&i| y[i] == 1).map(|i| p[i]).collect();
            let ys: Vec<f64> = (0..y.len()).filter(|&i| y[i] == 0).map(|i| p[i]).collect();
            let psi = |x: f64, v: f64| {
                if x > v {
                    1.0
                } else if x == v {
                    0.5
                } else {
                    0.0
                }
            };
            let v10: Vec<f64> =
                xs.iter().map(|&x| ys.iter().map(|&v| psi(x, v)).sum::<f64>() / ys.len() as f64).collect();
            let v01: Vec<f64> =
                ys.iter().map(|&v| xs.iter().map(|&x| psi(x, v)).sum::<f64>() / xs.len() as f64).collect();
            (v10.iter().sum::<f64>() / v10.len() as f64, v10, v01)
        };
        let var = |v: &[f64]| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64
        };
        let (auc_a, v10a, v01a) = comps(pa);
        let (auc_b, v10b, v01b) = comps(pb);
        let d10: Vec<f64> = v10a.iter().zip(&v10b).map(|(a, b)| b - a).collect();
        let d01: Vec<f64> = v01a.iter().zip(&v01b).map(|(a, b)| b - a).collect();
        let se_a = (var(&v10a) / v10a.len() as f64 + var(&v01a) / v01a.len() as f64).sqrt();
        let se_d = (var(&d10) / d10.len() as f64 + var(&d01) / d01.len() as f64).sqrt();
        (auc_a, se_a, (auc_b - auc_a) / se_d)
    }

    #[test]
    fn fast_algorithm_agrees_with_definition_on_random_tied_inputs() {
        let mut rng = ChaCha8Rng::seed_from_u64(23);
        for case in 0..20 {
            let n = 20 + case * 13;
            let y: Vec<u8> = (0..n).map(|i| u8::from(i % 3 == 0 || rng.random::<f64>() < 0.3)).collect();
            let levels = [4.0, 10.0, 1000.0][case % 3];
            let pa: Vec<f64> = (0..n)
                .map(|i| ((rng.random::<f64>() + 0.3 * f64::from(y[i])) / 1.3 * levels).round() / levels)
                .collect();
            let pb: Vec<f64> = (0..n).map(|_| (rng.random::<f64>() * levels).round() / levels).collect();
            let (auc, se, z) = direct(&y, &pa, &pb);
            let got = delong_test(&y, &pa, &pb).expect("valid input");
            close("auc", got.auc_a, auc);
            close("se", delong_auc(&y, &pa).expect("valid input").se, se);
            assert!((got.difference / got.se - z).abs() <= 1e-9 * z.abs().max(1.0), "case {case}");
        }
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(
            delong_auc(&[1, 0, 0], &[0.2, 0.3, 0.4]),
            Err(CompareError::TooFewPerClass { positives: 1, negatives: 2 })
        );
        // Two identical classifiers: difference 0 with standard error 0, p = 1.
        let same = delong_test(&Y, &PA, &PA).expect("valid input");
        assert_eq!((same.difference, same.se, same.p_value), (0.0, 0.0, 1.0));
        // Perfect separation: AUC 1 with no variance, the interval is the point.
        let perfect = delong_auc(&[0, 0, 1, 1], &[0.1, 0.2, 0.8, 0.9]).expect("valid input");
        assert_eq!((perfect.auc, perfect.se, perfect.ci), (1.0, 0.0, Interval { lo: 1.0, hi: 1.0 }));
        let a = AucComponents::unchecked(&[0, 0, 1, 1], &[0.1, 0.2, 0.8, 0.9]).expect("two per class");
        let b = AucComponents::unchecked(&[0, 1, 0, 1], &[0.1, 0.2, 0.8, 0.9]).expect("two per class");
        assert_eq!(a.compare(&b), Err(CompareError::DifferentRows));
    }

    /// The ROC curve by definition, as sklearn's `roc_curve(y, p, drop_intermediate=False)`
    /// draws it: (0, 0), then for each distinct score t from the highest down, the rates of
    /// rows with `p >= t` (numpy's comparisons, so -0.0 and 0.0 are one score).
    fn roc_by_definition(y: &[u8], p: &[f64]) -> Vec<[f64; 2]> {
        let mut scores: Vec<f64> = p.iter().map(|&v| v + 0.0).collect();
        scores.sort_by(|a, b| b.total_cmp(a));
        scores.dedup();
        let positives = y.iter().filter(|&&v| v == 1).count() as f64;
        let negatives = y.len() as f64 - positives;
        let rate = |t: f64, label: u8| {
            y.iter().zip(p).filter(|&(&l, &v)| l == label && v >= t).count() as f64
                / if label == 1 { positives } else { negatives }
        };
        std::iter::once([0.0, 0.0]).chain(scores.iter().map(|&t| [rate(t, 0), rate(t, 1)])).collect()
    }

    #[test]
    fn the_roc_curve_from_the_ranking_is_the_definition() {
        // 60 rows, 37 distinct scores with ties across labels and both signed zeros: under the
        // 101 points, so nothing is thinned.
        let p: Vec<f64> = (0..60).map(|i| if i % 11 == 0 { -0.0 } else { f64::from((i * 7) % 37) / 36.0 }).collect();
        let y: Vec<u8> = (0..60).map(|i| u8::from((i * 31) % 7 < 3)).collect();
        let curve = Ranked::new(&y, &p).roc_curve();
        assert_eq!(curve, roc_by_definition(&y, &p));
        assert_eq!((curve.first(), curve.last()), (Some(&[0.0, 0.0]), Some(&[1.0, 1.0])));
        // Thinned: every `step`-th point and the last, at most 101.
        let p: Vec<f64> = (0..5_000).map(|i| f64::from((i * 7919) % 613) / 613.0).collect();
        let y: Vec<u8> = (0..5_000).map(|i| u8::from((i * 31) % 7 < 3)).collect();
        let full = roc_by_definition(&y, &p);
        let step = full.len().div_ceil(100);
        let thinned: Vec<[f64; 2]> =
            full.iter().enumerate().filter(|(i, _)| i % step == 0 || *i == full.len() - 1).map(|(_, q)| *q).collect();
        let curve = Ranked::new(&y, &p).roc_curve();
        assert!(curve.len() <= 101);
        assert_eq!(curve, thinned);
        // One class only: no curve.
        assert!(Ranked::new(&[1, 1], &[0.2, 0.7]).roc_curve().is_empty());
    }

    #[test]
    fn a_ranking_handed_on_gives_the_sorted_ranking_and_a_wrong_one_is_sorted() {
        let p: Vec<f64> = (0..500).map(|i| if i % 11 == 0 { -0.0 } else { f64::from((i * 7) % 37) / 36.0 }).collect();
        let y: Vec<u8> = (0..500).map(|i| u8::from((i * 31) % 7 < 3)).collect();
        let sorted = Ranked::new(&y, &p);
        let ranking = crate::metrics::rank_rows(&y, &p);
        let mut wrong = ranking.clone();
        wrong.swap(0, 499);
        for order in [Some(&ranking[..]), Some(&wrong[..]), Some(&ranking[1..]), None] {
            let taken = Ranked::with_order(&y, &p, order);
            assert_eq!(taken.keys, sorted.keys);
            assert_eq!((taken.positives, taken.negatives), (sorted.positives, sorted.negatives));
        }
    }
}
