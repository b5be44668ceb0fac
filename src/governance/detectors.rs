//! The governance detectors the performance optimizer gates by risk tier: real checks of a
//! cohort's model on its validation rows, each returning its findings as JSON.
//!
//! | detector | tier | what it finds | cost |
//! |---|---|---|---|
//! | `misclassification_scan` | fast | false positives and negatives, confident errors (|y − p| ≥ 0.75) | O(n) |
//! | `calibration_audit` | standard | ECE (15 bins) with a 95 % percentile bootstrap interval, reliability bins | O(B·n), B = 200 |
//! | `error_slices` | advanced | decile slices of each input feature whose error rate is ≥ 2× the cohort's, on ≥ 30 rows, z ≥ 3 | O(f·n log n) |
//! | `threshold_review` | premium | the F1-optimal and Youden-optimal thresholds against the one in use | O(n log n) |
//!
//! The tiers follow the original's idea that costlier, deeper checks are worth running only on
//! riskier models. Inputs are a cohort's labels, probabilities, threshold and (aligned) features.

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::performance_optimizer::DetectorTier;
use crate::metrics::{ece, reliability};

/// Bootstrap resamples of the calibration audit.
pub const CALIBRATION_RESAMPLES: usize = 200;
/// Bins of the calibration audit (METRICS.md's ECE).
pub const CALIBRATION_BINS: usize = 15;
/// A slice must hold this many rows to be reported.
pub const SLICE_MIN_ROWS: u64 = 30;
/// A slice's error rate must reach this multiple of the cohort's.
pub const SLICE_MIN_LIFT: f64 = 2.0;
/// A slice's error rate must exceed the cohort's by this many binomial standard errors.
pub const SLICE_MIN_Z: f64 = 3.0;

/// What a detector reads.
#[derive(Clone, Copy, Debug)]
pub struct DetectorInput<'a> {
    /// Labels.
    pub y_true: &'a [u8],
    /// P(y = 1).
    pub y_prob: &'a [f64],
    /// The decision threshold in use.
    pub threshold: f64,
    /// Input features aligned with the rows (others are left out).
    pub features: &'a BTreeMap<String, Vec<f64>>,
    /// Seed for the bootstrap.
    pub seed: u64,
}

/// A detector: its name, tier, and check.
#[derive(Clone, Copy, Debug)]
pub struct Detector {
    /// Its name in reports.
    pub name: &'static str,
    /// Its tier.
    pub tier: DetectorTier,
    /// The check.
    pub run: fn(&DetectorInput<'_>) -> Value,
}

/// Every detector, cheapest tier first.
pub const DETECTORS: [Detector; 4] = [
    Detector { name: "misclassification_scan", tier: DetectorTier::Fast, run: misclassification_scan },
    Detector { name: "calibration_audit", tier: DetectorTier::Standard, run: calibration_audit },
    Detector { name: "error_slices", tier: DetectorTier::Advanced, run: error_slices },
    Detector { name: "threshold_review", tier: DetectorTier::Premium, run: threshold_review },
];

fn predicted(p: f64, threshold: f64) -> u8 {
    u8::from(p >= threshold)
}

/// False positives, false negatives and confident errors.
pub fn misclassification_scan(input: &DetectorInput<'_>) -> Value {
    let (mut fp, mut fn_, mut confident) = (0u64, 0u64, 0u64);
    for (&y, &p) in input.y_true.iter().zip(input.y_prob) {
        let yhat = predicted(p, input.threshold);
        if yhat != y {
            if yhat == 1 {
                fp += 1;
            } else {
                fn_ += 1;
            }
            if (f64::from(y) - p).abs() >= 0.75 {
                confident += 1;
            }
        }
    }
    let n = input.y_true.len() as u64;
    json!({
        "rows": n,
        "false_positives": fp,
        "false_negatives": fn_,
        "confident_errors": confident,
        "error_rate": if n == 0 { Value::Null } else { json!((fp + fn_) as f64 / n as f64) },
    })
}

/// ECE with a percentile bootstrap interval and the reliability bins.
pub fn calibration_audit(input: &DetectorInput<'_>) -> Value {
    let (y, p) = (input.y_true, input.y_prob);
    let Ok(point) = ece(y, p, CALIBRATION_BINS) else {
        return json!({"ece": null, "reason": "no rows"});
    };
    let mut rng = ChaCha8Rng::seed_from_u64(input.seed);
    let (mut ys, mut ps) = (Vec::with_capacity(y.len()), Vec::with_capacity(y.len()));
    let mut draws: Vec<f64> = Vec::with_capacity(CALIBRATION_RESAMPLES);
    for _ in 0..CALIBRATION_RESAMPLES {
        ys.clear();
        ps.clear();
        for _ in 0..y.len() {
            let i = rng.random_range(0..y.len());
            ys.push(y[i]);
            ps.push(p[i]);
        }
        if let Ok(e) = ece(&ys, &ps, CALIBRATION_BINS) {
            draws.push(e);
        }
    }
    draws.sort_by(f64::total_cmp);
    let at = |q: f64| draws.get(((draws.len() as f64 - 1.0) * q).round() as usize).copied();
    let bins = reliability(y, p, CALIBRATION_BINS).unwrap_or_default();
    json!({
        "ece": point,
        "ece_ci95": [at(0.025), at(0.975)],
        "resamples": CALIBRATION_RESAMPLES,
        "bins": bins.iter().filter(|b| b.count > 0).map(|b| json!({
            "lo": b.lo, "hi": b.hi, "count": b.count, "mean_prob": b.mean_prob, "frac_positive": b.frac_positive,
        })).collect::<Vec<_>>(),
    })
}

/// Decile slices of each feature where the model errs far more often than on the cohort.
pub fn error_slices(input: &DetectorInput<'_>) -> Value {
    let n = input.y_true.len();
    let errors: Vec<bool> =
        input.y_true.iter().zip(input.y_prob).map(|(&y, &p)| predicted(p, input.threshold) != y).collect();
    let overall = if n == 0 { 0.0 } else { errors.iter().filter(|&&e| e).count() as f64 / n as f64 };
    let mut flagged = Vec::new();
    let mut checked = Vec::new();
    for (name, values) in input.features {
        if values.len() != n || n == 0 {
            continue;
        }
        checked.push(name.clone());
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
        // Ten slices of (nearly) equal size; ties may straddle a boundary, which only moves
        // rows between neighbouring slices.
        for decile in 0..10 {
            let (lo_at, hi_at) = (decile * n / 10, (decile + 1) * n / 10);
            if hi_at <= lo_at {
                continue;
            }
            let slice = &order[lo_at..hi_at];
            let rows = slice.len() as u64;
            let wrong = slice.iter().filter(|&&i| errors[i]).count() as u64;
            let rate = wrong as f64 / rows as f64;
            let se = (overall * (1.0 - overall) / rows as f64).sqrt();
            let z = if se > 0.0 { (rate - overall) / se } else { 0.0 };
            if rows >= SLICE_MIN_ROWS && overall > 0.0 && rate >= SLICE_MIN_LIFT * overall && z >= SLICE_MIN_Z {
                flagged.push(json!({
                    "feature": name,
                    "decile": decile + 1,
                    "lo": values[slice[0]],
                    "hi": values[slice[slice.len() - 1]],
                    "rows": rows,
                    "error_rate": rate,
                    "lift": rate / overall,
                    "z": z,
                }));
            }
        }
    }
    json!({"overall_error_rate": overall, "features_checked": checked, "slices": flagged})
}

/// The thresholds that would maximise F1 and Youden's J, against the one in use.
pub fn threshold_review(input: &DetectorInput<'_>) -> Value {
    let (y, p) = (input.y_true, input.y_prob);
    let positives = y.iter().filter(|&&v| v == 1).count() as f64;
    let negatives = y.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return json!({"reason": "y_true holds only one class"});
    }
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    let (mut tp, mut fp) = (0.0, 0.0);
    let (mut best_f1, mut best_f1_at) = (0.0, 1.0);
    let (mut best_j, mut best_j_at) = (f64::NEG_INFINITY, 1.0);
    let mut k = 0;
    while k < order.len() {
        // Every row with this probability is predicted positive at threshold = it.
        let t = p[order[k]];
        while k < order.len() && p[order[k]].total_cmp(&t).is_eq() {
            if y[order[k]] == 1 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            k += 1;
        }
        let f1 = 2.0 * tp / (2.0 * tp + fp + (positives - tp));
        if f1 > best_f1 {
            (best_f1, best_f1_at) = (f1, t);
        }
        let j = tp / positives - fp / negatives;
        if j > best_j {
            (best_j, best_j_at) = (j, t);
        }
    }
    let (mut ctp, mut cfp) = (0.0, 0.0);
    for (&yv, &pv) in y.iter().zip(p) {
        if pv >= input.threshold {
            if yv == 1 {
                ctp += 1.0;
            } else {
                cfp += 1.0;
            }
        }
    }
    let current_f1 = 2.0 * ctp / (2.0 * ctp + cfp + (positives - ctp));
    json!({
        "threshold": input.threshold,
        "f1": current_f1,
        "best_f1_threshold": best_f1_at,
        "best_f1": best_f1,
        "youden_threshold": best_j_at,
        "youden_j": best_j,
        "f1_gain_available": best_f1 - current_f1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(y: &'a [u8], p: &'a [f64], features: &'a BTreeMap<String, Vec<f64>>) -> DetectorInput<'a> {
        DetectorInput { y_true: y, y_prob: p, threshold: 0.5, features, seed: 1 }
    }

    #[test]
    fn misclassifications_are_counted_by_kind() {
        let none = BTreeMap::new();
        let v = misclassification_scan(&input(&[0, 1, 0, 1], &[0.9, 0.1, 0.2, 0.6], &none));
        assert_eq!(v["false_positives"], 1);
        assert_eq!(v["false_negatives"], 1);
        assert_eq!(v["confident_errors"], 2, "0.9 on a 0 and 0.1 on a 1");
        assert_eq!(v["error_rate"], 0.5);
    }

    #[test]
    fn calibration_interval_brackets_the_point_estimate() {
        let none = BTreeMap::new();
        let y: Vec<u8> = (0..300).map(|i| u8::from(i % 3 == 0)).collect();
        let p: Vec<f64> = (0..300).map(|i| if i % 3 == 0 { 0.7 } else { 0.2 }).collect();
        let v = calibration_audit(&input(&y, &p, &none));
        let (e, lo, hi) =
            (v["ece"].as_f64().unwrap(), v["ece_ci95"][0].as_f64().unwrap(), v["ece_ci95"][1].as_f64().unwrap());
        // ECE = (1/3)·|1 − 0.7| + (2/3)·|0 − 0.2| = 0.2333…
        assert!((e - 0.7 / 3.0).abs() < 1e-12, "{e}");
        assert!(lo <= e && e <= hi && hi - lo < 0.1, "{lo} {e} {hi}");
        assert_eq!(v, calibration_audit(&input(&y, &p, &none)), "seeded");
    }

    #[test]
    fn an_error_slice_is_found_where_the_errors_are() {
        // 1000 rows; the model is wrong on every row whose feature is in the top decile and
        // right elsewhere except every 20th row.
        let n = 1000;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let y: Vec<u8> = vec![1; n];
        let p: Vec<f64> = (0..n).map(|i| if i >= 900 || i % 20 == 0 { 0.1 } else { 0.9 }).collect();
        let features = BTreeMap::from([("x".to_owned(), x)]);
        let v = error_slices(&input(&y, &p, &features));
        let slices = v["slices"].as_array().unwrap();
        assert_eq!(slices.len(), 1, "{v}");
        assert_eq!(slices[0]["decile"], 10);
        assert_eq!(slices[0]["error_rate"], 1.0);
    }

    #[test]
    fn threshold_review_finds_the_separating_threshold() {
        let none = BTreeMap::new();
        // Positives score 0.3–0.4, negatives 0.1–0.2: at 0.5 nothing is predicted positive,
        // at 0.3 everything is right.
        let y = [1, 1, 0, 0];
        let p = [0.4, 0.3, 0.2, 0.1];
        let v = threshold_review(&input(&y, &p, &none));
        assert_eq!(v["best_f1_threshold"], 0.3);
        assert_eq!(v["best_f1"], 1.0);
        assert_eq!(v["youden_j"], 1.0);
        assert_eq!(v["f1"], 0.0);
    }
}
