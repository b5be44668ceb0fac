//! Fixed inputs shared by the unit tests, and the script that produced the expected values.
//!
//! Every expected value in this module's siblings was printed (with `repr`) by the script below,
//! run with scikit-learn 1.9.1, fairlearn 0.15.0, numpy 2.4.6, Python 3.11.7. Inputs have ties,
//! probabilities exactly on bin edges (0.0, 0.1, 0.2, 0.3 next to the float edge
//! 0.30000000000000004, 0.5, 0.9, 1.0), one-class label sets and the extreme losses at p = 0 / 1.
//!
//! ```python
//! import warnings, numpy as np, sklearn, fairlearn
//! from sklearn import metrics as M
//! from sklearn.calibration import calibration_curve
//! from fairlearn.metrics import (MetricFrame, selection_rate, true_positive_rate,
//!     false_positive_rate, demographic_parity_difference, demographic_parity_ratio,
//!     equalized_odds_difference, equal_opportunity_difference)
//! warnings.simplefilter("ignore")
//! P_A, Y_A, FY, FP, F2Y, F2P = ...  # the constants below; FG, F2G = list("abc..."), list("abcd...")
//! CASES = {"A": (Y_A, P_A), "ALL_NEG": (Y_ALL_NEG, P_ALL_NEG), "ALL_POS": ..., "NO_PRED_POS": ...,
//!          "ALL_NEG_NO_PRED": ...}  # likewise
//! def safe(f):
//!     try: v = f(); return None if np.isnan(v) else float(v)
//!     except ValueError: return None  # roc_auc_score on one class
//! def classification(y, p, t):
//!     y, yh = np.array(y), (np.array(p) >= t).astype(int)
//!     tn, fp, fn, tp = M.confusion_matrix(y, yh, labels=[0, 1]).ravel()
//!     return dict(tp=tp, fp=fp, tn=tn, fn=fn, accuracy=M.accuracy_score(y, yh),
//!         precision=safe(lambda: M.precision_score(y, yh, zero_division=np.nan)),
//!         recall=safe(lambda: M.recall_score(y, yh, zero_division=np.nan)),
//!         f1=safe(lambda: M.f1_score(y, yh, zero_division=np.nan)),
//!         specificity=safe(lambda: M.recall_score(y, yh, pos_label=0, zero_division=np.nan)),
//!         fp_rate=safe(lambda: fp / (fp + tn) if fp + tn else np.nan),
//!         roc_auc=safe(lambda: M.roc_auc_score(y, p)),
//!         average_precision=safe(lambda: M.average_precision_score(y, p) if y.any() else np.nan),
//!         brier=M.brier_score_loss(y, p, labels=[0, 1]), log_loss=M.log_loss(y, p, labels=[0, 1]))
//! def binned(y, p, bins):  # the METRICS.md rule, checked against calibration_curve
//!     y, p = np.asarray(y, float), np.asarray(p, float)
//!     edges = np.linspace(0.0, 1.0, bins + 1)
//!     assert (edges[:-1] == np.arange(bins) * (1.0 / bins)).all() and edges[-1] == 1.0
//!     b = np.searchsorted(edges[1:-1], p, side="left")
//!     n = np.bincount(b, minlength=bins); sy = np.bincount(b, y, bins); sp = np.bincount(b, p, bins)
//!     ne = n > 0; fy, fp_ = sy[ne] / n[ne], sp[ne] / n[ne]
//!     if y.min() != y.max():
//!         pt, pp = calibration_curve(y, p, n_bins=bins, strategy="uniform")
//!         assert np.array_equal(pt, fy) and np.array_equal(pp, fp_)
//!     gaps = np.abs(fy - fp_)
//!     return float(np.sum(n[ne] / len(p) * gaps)), float(gaps.max()), n.tolist(), fp_.tolist(), fy.tolist()
//! def calibration(y, p, bins):
//!     p = np.asarray(p); conf = np.maximum(p, 1 - p); correct = (p >= 0.5).astype(int) == np.asarray(y)
//!     ece, mce, n, mp, fy = binned(y, p, bins)
//!     return dict(ece=ece, mce=mce, counts=n, mean_prob=mp, frac_pos=fy,
//!                 ece_top_label=binned(correct, conf, bins)[0])
//! for name, (y, p) in CASES.items(): print(name, classification(y, p, 0.5), calibration(y, p, 10))
//! print("A t=0.3", classification(Y_A, P_A, 0.3))
//! for bins in (5, 3, 1): print("A bins", bins, calibration(Y_A, P_A, bins))
//! def fair(y, yh, g):
//!     y, yh, g = map(np.asarray, (y, yh, g)); kw = dict(y_true=y, y_pred=yh, sensitive_features=g)
//!     mf = MetricFrame(metrics={"sel": selection_rate, "tpr": true_positive_rate,
//!                               "fpr": false_positive_rate}, **kw)
//!     return dict(by_group=mf.by_group.to_dict(), dpd=demographic_parity_difference(**kw),
//!         dpr=demographic_parity_ratio(**kw), eod=equalized_odds_difference(**kw),
//!         eopp=equal_opportunity_difference(**kw))
//! print("F1", fair(FY, FP, FG)); print("F2 fairlearn", fair(F2Y, F2P, F2G))
//! # nethical excludes undefined rates from the gaps: the same gaps on the groups that have them
//! y, yh, g = map(np.asarray, (F2Y, F2P, F2G))
//! tpr_gap = equal_opportunity_difference(y_true=y[g != "c"], y_pred=yh[g != "c"],
//!                                        sensitive_features=g[g != "c"])
//! fpr_gap = MetricFrame(metrics=false_positive_rate, y_true=y[g != "d"], y_pred=yh[g != "d"],
//!                       sensitive_features=g[g != "d"]).difference()
//! print("F2 excluding undefined", repr(tpr_gap), repr(fpr_gap), repr(max(tpr_gap, fpr_gap)))
//! ```

/// Tolerance for values that go through floating-point sums (numpy sums pairwise, we sum left to
/// right); plain ratios of counts are compared exactly. With these inputs every value is in fact
/// bit-identical to the reference except roc_auc, where sklearn's trapezoid lands 2 ulp below
/// the exact 96/143 that the integer Mann–Whitney count gives.
pub(crate) const TOL: f64 = 1e-12;

/// 48 rows: ties (0.0 ×2, 0.1 ×2, 0.3 ×2, 0.4 ×2, 0.5 ×3, 0.6 ×2, 0.7 ×4, 0.8 ×2, 0.9 ×2,
/// 1.0 ×2), bin edges, and confident mistakes at p = 0 and p = 1.
pub(crate) const P_A: [f64; 48] = [
    0.0,
    0.0,
    0.05,
    0.1,
    0.1,
    0.12,
    0.2,
    0.25,
    0.3,
    0.30000000000000004,
    0.3,
    0.31,
    0.35,
    0.4,
    0.4,
    0.45,
    0.5,
    0.5,
    0.5,
    0.55,
    0.6,
    0.6,
    0.62,
    0.65,
    0.7,
    0.7,
    0.7,
    0.7,
    0.75,
    0.8,
    0.8,
    0.85,
    0.9,
    0.9,
    0.95,
    0.99,
    1.0,
    1.0,
    0.15,
    0.22,
    0.33,
    0.48,
    0.52,
    0.58,
    0.66,
    0.77,
    0.88,
    0.97,
];
pub(crate) const Y_A: [u8; 48] = [
    0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0,
    0, 0, 1, 0, 1, 0, 1, 1, 0, 1,
];

/// Only negative labels, some predicted positive.
pub(crate) const Y_ALL_NEG: [u8; 5] = [0, 0, 0, 0, 0];
pub(crate) const P_ALL_NEG: [f64; 5] = [0.1, 0.6, 0.4, 0.9, 0.2];

/// Only positive labels, with a tie.
pub(crate) const Y_ALL_POS: [u8; 4] = [1, 1, 1, 1];
pub(crate) const P_ALL_POS: [f64; 4] = [0.2, 0.7, 0.7, 0.9];

/// Both classes, nothing predicted positive.
pub(crate) const Y_NO_PRED_POS: [u8; 4] = [0, 1, 0, 1];
pub(crate) const P_NO_PRED_POS: [f64; 4] = [0.1, 0.2, 0.3, 0.4];

/// Only negative labels and nothing predicted positive: f1 has no denominator either.
pub(crate) const Y_ALL_NEG_NO_PRED: [u8; 3] = [0, 0, 0];
pub(crate) const P_ALL_NEG_NO_PRED: [f64; 3] = [0.1, 0.2, 0.49];

/// Fairness case F1: three groups, every rate defined.
pub(crate) const FY: [u8; 30] =
    [1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0];
pub(crate) const FP: [u8; 30] =
    [1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0];
pub(crate) const FG: &str = "abcabcabcabcabcabcabcabcabcabc";

/// Fairness case F2: group "c" has no positive labels, group "d" no negative labels.
pub(crate) const F2Y: [u8; 16] = [1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
pub(crate) const F2P: [u8; 16] = [1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1];
pub(crate) const F2G: &str = "abcdabcdabcdabcd";

/// Fairness case F3 (`tests/reference/fairness_reference.py`): at `min_group_size` 5, `a` (12
/// rows) and `b` (10) are compared; `c` (3 rows, every positive missed) and `d` (2 rows, all
/// predicted positive) are not, or are pooled into `other` (5 rows).
pub(crate) const F3Y: [u8; 27] = [1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0];
pub(crate) const F3P: [u8; 27] = [1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1];
pub(crate) const F3G: &str = "aaaaaaaaaaaabbbbbbbbbbcccdd";

/// One group name per character of `s`, as the Python script builds them with `list(s)`.
pub(crate) fn groups(s: &str) -> Vec<String> {
    s.chars().map(String::from).collect()
}

/// Asserts `actual` is within `tol` of `expected`, naming the quantity on failure.
pub(crate) fn assert_close(what: &str, actual: f64, expected: f64, tol: f64) {
    assert!((actual - expected).abs() <= tol, "{what}: got {actual:?}, expected {expected:?} (tolerance {tol:e})");
}

/// As [`assert_close`], for metrics that may be undefined.
pub(crate) fn assert_close_opt(what: &str, actual: Option<f64>, expected: Option<f64>, tol: f64) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert_close(what, a, e, tol),
        (None, None) => {}
        _ => panic!("{what}: got {actual:?}, expected {expected:?}"),
    }
}
