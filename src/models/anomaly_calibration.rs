//! The map from an anomaly score to P(y = 1): a one-feature logistic regression of the
//! training labels on the score, fitted by Newton's method.
//!
//! Anomaly scores (a log-likelihood ratio, a surprise, an isolation score) are not
//! probabilities; the original reported a clamped heuristic score as if it were one. Fitting
//! `P(y = 1 | s) = σ(a · t + b)` with `t` the standardized score turns the score into a
//! probability whose reliability the calibration metrics can judge.

use serde::{Deserialize, Serialize};

use super::log_loss::sigmoid;
use super::portable_exp::exp_non_positive;

/// Ridge penalty `(λ/2)(a² + b²)` on the standardized slope and the intercept. It keeps both
/// finite when the score separates the classes perfectly (the noise-free anomaly family) or
/// when only one class is present, and is negligible against thousands of rows otherwise.
const RIDGE: f64 = 1e-2;

/// Newton iterations never needed more than a dozen in practice; this only bounds a
/// pathological case.
const MAX_ITERATIONS: usize = 100;

/// A step this small relative to the parameters ends the iteration.
const TOLERANCE: f64 = 1e-12;

/// `P(y = 1) = σ(slope · (score − score_mean) / score_std + intercept)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnomalyCalibration {
    pub score_mean: f64,
    pub score_std: f64,
    pub slope: f64,
    pub intercept: f64,
}

impl AnomalyCalibration {
    /// Fits the calibration to `scores` and their 0/1 `labels` (same length, finite scores).
    ///
    /// Each Newton step solves the 2 × 2 system exactly and is halved until the penalised
    /// log-loss decreases, so the iteration converges from the zero start even where plain
    /// Newton would overshoot. Sums run in row order: the result is deterministic.
    pub fn fit(scores: &[f64], labels: &[u8]) -> Self {
        let rows = scores.len().max(1) as f64;
        let score_mean = scores.iter().sum::<f64>() / rows;
        let variance = scores.iter().map(|s| (s - score_mean) * (s - score_mean)).sum::<f64>() / rows;
        let score_std = if variance > 0.0 && variance.is_finite() { variance.sqrt() } else { 1.0 };
        let standardized: Vec<f64> = scores.iter().map(|s| (s - score_mean) / score_std).collect();

        let objective = |slope: f64, intercept: f64| {
            let mut loss = 0.5 * RIDGE * (slope * slope + intercept * intercept);
            for (&t, &label) in standardized.iter().zip(labels) {
                let z = slope * t + intercept;
                // ln(1 + e^z) − y z, computed without overflow.
                loss += z.max(0.0) - f64::from(label) * z + exp_non_positive(-z.abs()).ln_1p();
            }
            loss
        };
        let (mut slope, mut intercept) = (0.0, 0.0);
        let mut current = objective(slope, intercept);
        for _ in 0..MAX_ITERATIONS {
            let (mut g_slope, mut g_intercept) = (RIDGE * slope, RIDGE * intercept);
            let (mut h_ss, mut h_si, mut h_ii) = (RIDGE, 0.0, RIDGE);
            for (&t, &label) in standardized.iter().zip(labels) {
                let p = sigmoid(slope * t + intercept);
                let residual = p - f64::from(label);
                let weight = p * (1.0 - p);
                g_slope += residual * t;
                g_intercept += residual;
                h_ss += weight * t * t;
                h_si += weight * t;
                h_ii += weight;
            }
            let determinant = h_ss * h_ii - h_si * h_si;
            if !(determinant > 0.0 && determinant.is_finite()) {
                break;
            }
            let step_slope = (h_ii * g_slope - h_si * g_intercept) / determinant;
            let step_intercept = (h_ss * g_intercept - h_si * g_slope) / determinant;
            let mut scale = 1.0;
            let mut accepted = false;
            while scale > 1e-10 {
                let candidate = (slope - scale * step_slope, intercept - scale * step_intercept);
                let value = objective(candidate.0, candidate.1);
                if value <= current {
                    (slope, intercept, current) = (candidate.0, candidate.1, value);
                    accepted = true;
                    break;
                }
                scale *= 0.5;
            }
            let size = (scale * step_slope).abs().max((scale * step_intercept).abs());
            if !accepted || size <= TOLERANCE * (1.0 + slope.abs().max(intercept.abs())) {
                break;
            }
        }
        Self { score_mean, score_std, slope, intercept }
    }

    /// P(y = 1) for one score.
    pub fn probability(&self, score: f64) -> f64 {
        sigmoid(self.slope * ((score - self.score_mean) / self.score_std) + self.intercept)
    }

    /// Whether every number is finite and the std positive, as [`AnomalyCalibration::fit`]
    /// leaves them.
    pub fn is_valid(&self) -> bool {
        [self.score_mean, self.slope, self.intercept].iter().all(|v| v.is_finite())
            && self.score_std > 0.0
            && self.score_std.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_logistic_relation() {
        // Scores on a grid, labels assigned in proportion to σ(2 s − 1): with many rows per
        // score the fit must find slope 2 (in raw-score units) and intercept −1.
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for step in 0..=40 {
            let score = -2.0 + 0.1 * f64::from(step);
            let positives = (1000.0 * sigmoid(2.0 * score - 1.0)).round() as usize;
            for row in 0..1000 {
                scores.push(score);
                labels.push(u8::from(row < positives));
            }
        }
        let fitted = AnomalyCalibration::fit(&scores, &labels);
        let raw_slope = fitted.slope / fitted.score_std;
        let raw_intercept = fitted.intercept - raw_slope * fitted.score_mean;
        assert!((raw_slope - 2.0).abs() < 0.01, "{raw_slope}");
        assert!((raw_intercept + 1.0).abs() < 0.01, "{raw_intercept}");
        assert!((fitted.probability(0.5) - 0.5).abs() < 0.005);
    }

    #[test]
    fn separable_scores_give_a_finite_steep_map() {
        let scores = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9];
        let labels = [0, 0, 0, 1, 1, 1];
        let fitted = AnomalyCalibration::fit(&scores, &labels);
        assert!(fitted.is_valid());
        assert!(fitted.probability(0.1) < 0.05 && fitted.probability(0.9) > 0.95);
        assert!(fitted.probability(0.4) < fitted.probability(0.6));
    }

    #[test]
    fn degenerate_inputs_stay_finite() {
        let constant = AnomalyCalibration::fit(&[3.0, 3.0, 3.0, 3.0], &[0, 1, 1, 1]);
        assert!(constant.is_valid());
        assert!((constant.probability(3.0) - 0.75).abs() < 0.01);
        let one_class = AnomalyCalibration::fit(&[0.1, 0.5, 0.9], &[0, 0, 0]);
        assert!(one_class.is_valid() && one_class.probability(0.5) < 0.05);
        let empty = AnomalyCalibration::fit(&[], &[]);
        assert!(empty.is_valid());
        assert_eq!(empty.probability(1.0), 0.5);
    }
}
