//! Platt scaling: a one-feature logistic regression of the label on a model's score.
//!
//! Fitted as in Platt (1999), "Probabilistic Outputs for Support Vector Machines", with the
//! Newton method and backtracking line search of Lin, Lin & Weng (2007), "A Note on Platt's
//! Probabilistic Outputs for Support Vector Machines": targets smoothed to
//! `(N+ + 1) / (N+ + 2)` for positives and `1 / (N− + 2)` for negatives, which keeps the fit
//! finite on separable data, and a `1e-12` ridge on the Hessian's diagonal so a constant score
//! cannot make it singular. Unlike that paper we iterate until the parameters stop moving
//! (to rounding), not until the gradient is below `1e-5`, so the result is the optimum to
//! about machine precision and can be checked against an independent implementation.
//!
//! The fit is deterministic on one machine; across machines its last bits may differ, since
//! the logit and the line search's objective use libm's `ln` and `ln_1p`.

use serde::{Deserialize, Serialize};

use super::CalibrationError;
use super::inputs::{check_inputs, check_probabilities};
use crate::models::log_loss::{sigmoid, sigmoid_from_tail};
use crate::models::portable_exp::exp_non_positive;

/// Lin, Lin & Weng's `sigma`, added to the Hessian's diagonal.
const RIDGE: f64 = 1e-12;
const MAX_ITERATIONS: usize = 100;
/// Lin, Lin & Weng's `minstep`: the line search gives up below this step.
const MIN_STEP: f64 = 1e-10;
/// Armijo's sufficient-decrease constant, as in the paper.
const SUFFICIENT_DECREASE: f64 = 1e-4;
/// Relative objective changes below this are treated as rounding noise (see [`newton`]).
const OBJECTIVE_NOISE: f64 = 1e-10;
/// Scores at least this large in magnitude are divided by their maximum before fitting, as
/// scikit-learn's `_sigmoid_calibration` does: the optimum is the same (the slope is scaled
/// back), but `exp` stays far from overflow and the Hessian well-conditioned.
const RESCALE_THRESHOLD: f64 = 30.0;
/// Above twice this many rows, Newton's method starts from the fit on an evenly spaced sample
/// of about this many rows rather than from the base rate. Each step costs a pass over every
/// row; from the sample's optimum the full data's is a few quadratically converging steps
/// away instead of a dozen (a heuristic on 800,000 training rows spent most of its fit here).
/// The optimum is the same; only the path to it is shorter.
const WARM_START_ROWS: usize = 1 << 15;
/// Probabilities are clipped to `[ε, 1 − ε]` before taking the logit (ε = `f64::EPSILON`,
/// the log-loss clipping of METRICS.md), so a model's hard 0 or 1 maps to ±36, not ±∞.
const PROBABILITY_EPS: f64 = f64::EPSILON;

/// P(y = 1) = σ(a·s + b) for a score `s`.
///
/// The sign convention is the usual logistic one, so a useful score has `a > 0`; Platt's
/// paper writes `1 / (1 + exp(A·s + B))`, i.e. `A = −a`, `B = −b`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PlattFields")]
pub struct Platt {
    pub a: f64,
    pub b: f64,
}

/// The saved fields of a [`Platt`], checked to be finite when deserialized.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlattFields {
    a: f64,
    b: f64,
}

impl TryFrom<PlattFields> for Platt {
    type Error = &'static str;

    fn try_from(fields: PlattFields) -> Result<Self, Self::Error> {
        if !(fields.a.is_finite() && fields.b.is_finite()) {
            return Err("platt parameters must be finite");
        }
        Ok(Self { a: fields.a, b: fields.b })
    }
}

impl Platt {
    /// Fits `a` and `b` on raw scores (any finite values) and their 0/1 labels.
    pub fn fit_scores(scores: &[f64], labels: &[u8]) -> Result<Self, CalibrationError> {
        let positives = check_inputs(scores, labels)?;
        Ok(Self::fit_checked(scores, labels, positives))
    }

    /// [`Platt::fit_scores`] for inputs the caller has already checked: as many finite scores
    /// as labels, at least one, labels 0 or 1, `positives` of them 1.
    pub(crate) fn fit_checked(scores: &[f64], labels: &[u8], positives: usize) -> Self {
        let negatives = labels.len() - positives;
        let (positives, negatives) = (positives as f64, negatives as f64);
        let high = (positives + 1.0) / (positives + 2.0);
        let low = 1.0 / (negatives + 2.0);
        let targets: Vec<f64> = labels.iter().map(|&label| if label == 1 { high } else { low }).collect();

        let largest = scores.iter().fold(0.0_f64, |m, s| m.max(s.abs()));
        let scale = if largest >= RESCALE_THRESHOLD { largest } else { 1.0 };
        let scaled: Vec<f64> = scores.iter().map(|s| s / scale).collect();

        let base_rate = (0.0, ((positives + 1.0) / (negatives + 1.0)).ln());
        let start = if scaled.len() > 2 * WARM_START_ROWS {
            let every = scaled.len() / WARM_START_ROWS;
            let sample: Vec<f64> = scaled.iter().step_by(every).copied().collect();
            let sample_targets: Vec<f64> = targets.iter().step_by(every).copied().collect();
            newton(&sample, &sample_targets, base_rate)
        } else {
            base_rate
        };
        let (a, b) = newton(&scaled, &targets, start);
        Self { a: a / scale, b }
    }

    /// Fits on probabilities in [0, 1] through their logit, the usual input of Platt scaling
    /// for a model that outputs probabilities.
    pub fn fit_probabilities(probabilities: &[f64], labels: &[u8]) -> Result<Self, CalibrationError> {
        check_probabilities(probabilities, labels)?;
        let logits: Vec<f64> = probabilities.iter().map(|&p| logit(p)).collect();
        Self::fit_scores(&logits, labels)
    }

    /// σ(a·s + b).
    pub fn probability_of_score(&self, score: f64) -> f64 {
        sigmoid(self.a * score + self.b)
    }

    /// The calibrated probability for a model probability `p`: σ(a·logit(p) + b).
    pub fn calibrate(&self, probability: f64) -> f64 {
        self.probability_of_score(logit(probability))
    }
}

/// `ln(p / (1 − p))` with `p` clipped to `[ε, 1 − ε]`.
fn logit(probability: f64) -> f64 {
    let p = probability.clamp(PROBABILITY_EPS, 1.0 - PROBABILITY_EPS);
    (p / (1.0 - p)).ln()
}

/// Minimises the cross-entropy `Σ ln(1 + e^z) − t·z`, `z = a·s + b`, from `start`.
fn newton(scores: &[f64], targets: &[f64], start: (f64, f64)) -> (f64, f64) {
    let (mut a, mut b) = start;
    let (mut value, mut here) = evaluate(scores, targets, a, b);
    for _ in 0..MAX_ITERATIONS {
        if here.gradient_norm() == 0.0 {
            break;
        }
        let (da, db) = here.newton_direction();
        let slope = here.ga * da + here.gb * db;

        let mut step = 1.0;
        let mut accepted = None;
        while step >= MIN_STEP {
            let (next_a, next_b) = (a + step * da, b + step * db);
            let (next, there) = evaluate(scores, targets, next_a, next_b);
            // A NaN `next` (from a singular Hessian) fails both tests and shrinks the step.
            if next < value + SUFFICIENT_DECREASE * step * slope {
                accepted = Some((next_a, next_b, next, there));
                break;
            }
            // Near the optimum the decrease is below the objective's rounding noise, but the
            // gradient still shows whether a full Newton step gets closer; without this the
            // fit would stop about √ε from the optimum.
            if step == 1.0 {
                if (next - value).abs() <= OBJECTIVE_NOISE * (1.0 + value.abs())
                    && there.gradient_norm() < here.gradient_norm()
                {
                    accepted = Some((next_a, next_b, next, there));
                    break;
                }
                // A full step this small that neither lowers the objective nor the gradient
                // is lost in rounding: the point is the optimum as far as the sums can tell.
                // Halving it down to `MIN_STEP` would cost 34 more passes over every row and
                // change nothing.
                if within_rounding(da, a) && within_rounding(db, b) {
                    break;
                }
            }
            step /= 2.0;
        }
        let Some((next_a, next_b, next, there)) = accepted else {
            break;
        };
        (a, b, value, here) = (next_a, next_b, next, there);
        let settled = |delta: f64, at: f64| (step * delta).abs() <= f64::EPSILON * (1.0 + at.abs());
        if settled(da, a) && settled(db, b) {
            break;
        }
    }
    (a, b)
}

/// Whether a Newton step `delta` from `at` is at the level of the sums' rounding: a relative
/// change of at most 1e-9, where quadratic convergence leaves the error at most ~1e-18 after
/// one more step, below what the objective's 1e-16 relative rounding can resolve.
fn within_rounding(delta: f64, at: f64) -> bool {
    delta.abs() <= 1e-9 * (1.0 + at.abs())
}

/// Gradient and (ridged) Hessian of the objective at one point.
#[derive(Debug, Clone, Copy)]
struct Derivatives {
    ga: f64,
    gb: f64,
    haa: f64,
    hab: f64,
    hbb: f64,
}

impl Derivatives {
    fn gradient_norm(&self) -> f64 {
        self.ga.abs().max(self.gb.abs())
    }

    /// `−H⁻¹ g`.
    fn newton_direction(&self) -> (f64, f64) {
        let determinant = self.haa * self.hbb - self.hab * self.hab;
        let da = -(self.hbb * self.ga - self.hab * self.gb) / determinant;
        let db = -(self.haa * self.gb - self.hab * self.ga) / determinant;
        (da, db)
    }
}

/// The objective `Σ ln(1 + e^z) − t·z` and its [`Derivatives`] at `(a, b)`, in one pass: both
/// need `z` and `e^-|z|`, so one exponential a row serves the value, the gradient and the
/// Hessian (a heuristic's Platt fit on 800,000 training rows took half its time in separate
/// passes). Each sum runs in row order, as separate passes would. The objective is written
/// as `max(z, 0) + ln(1 + e^-|z|) − t·z` so it neither overflows nor loses the small tail.
fn evaluate(scores: &[f64], targets: &[f64], a: f64, b: f64) -> (f64, Derivatives) {
    // `Sum` for f64 starts from −0.0; so does this, for the same bits.
    let mut value = -0.0;
    let mut d = Derivatives { ga: 0.0, gb: 0.0, haa: RIDGE, hab: 0.0, hbb: RIDGE };
    for (&s, &t) in scores.iter().zip(targets) {
        let z = a * s + b;
        let tail = exp_non_positive(-z.abs());
        value += z.max(0.0) + tail.ln_1p() - t * z;
        // p (1 − p) = e^-|z| / (1 + e^-|z|)², without the cancellation in 1 − p.
        let curvature = tail / ((1.0 + tail) * (1.0 + tail));
        let residual = sigmoid_from_tail(z, tail) - t;
        d.ga += residual * s;
        d.gb += residual;
        d.haa += curvature * s * s;
        d.hab += curvature * s;
        d.hbb += curvature;
    }
    (value, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Inputs and expected values from /work/scratch/models_a/ref/platt_ref.py. Reference: an
    // independent numpy 2.4.6 Newton solver (60 undamped steps from a = b = 0, the same
    // smoothed targets); scipy 1.17.1 `minimize(method="BFGS", gtol=1e-14)` agrees with it to
    // 8e-11 and scikit-learn 1.9.1's `sklearn.calibration._sigmoid_calibration` (L-BFGS with
    // its default tolerance; its (A, B) are our (−a, −b)) to 4e-8.
    const SCORES: [f64; 20] =
        [-2.3, -1.7, -1.2, -0.9, -0.6, -0.4, -0.2, -0.05, 0.0, 0.1, 0.3, 0.45, 0.6, 0.8, 1.1, 1.4, 1.9, 2.2, 2.8, 3.5];
    const SCORE_LABELS: [u8; 20] = [0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1];
    const PROBABILITIES: [f64; 20] = [
        0.02, 0.05, 0.11, 0.2, 0.26, 0.33, 0.41, 0.5, 0.52, 0.6, 0.64, 0.7, 0.77, 0.81, 0.9, 0.93, 0.97, 0.99, 1.0, 0.0,
    ];
    const PROBABILITY_LABELS: [u8; 20] = [0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0];

    fn assert_close(found: f64, expected: f64) {
        assert!((found - expected).abs() < 1e-9, "found {found}, expected {expected}");
    }

    #[test]
    fn fits_scores_like_the_reference() -> Result<(), CalibrationError> {
        let platt = Platt::fit_scores(&SCORES, &SCORE_LABELS)?;
        assert_close(platt.a, 0.6593747866211457);
        assert_close(platt.b, -0.23976114131839535);
        Ok(())
    }

    /// Scores of `rows` rows, `separation` apart by class, from a fixed linear congruential
    /// sequence (no RNG crate needed for a deterministic spread).
    fn large_scores(rows: usize, separation: f64) -> (Vec<f64>, Vec<u8>) {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut uniform = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..rows)
            .map(|_| {
                let label = u8::from(uniform() < 0.3);
                (f64::from(label) * separation + 2.0 * uniform() - 1.0, label)
            })
            .unzip()
    }

    #[test]
    fn a_large_fit_starts_from_a_sample_and_reaches_the_same_optimum() -> Result<(), CalibrationError> {
        // Overlapping classes and nearly separated ones: the warm start must not change where
        // Newton's method ends, only how many passes it takes to get there.
        for separation in [0.5, 1.9] {
            let (scores, labels) = large_scores(5 * WARM_START_ROWS, separation);
            let positives = labels.iter().filter(|&&l| l == 1).count();
            let warm = Platt::fit_scores(&scores, &labels)?;
            let negatives = labels.len() - positives;
            let (high, low) = ((positives as f64 + 1.0) / (positives as f64 + 2.0), 1.0 / (negatives as f64 + 2.0));
            let targets: Vec<f64> = labels.iter().map(|&l| if l == 1 { high } else { low }).collect();
            let cold = newton(&scores, &targets, (0.0, ((positives as f64 + 1.0) / (negatives as f64 + 1.0)).ln()));
            assert!((warm.a - cold.0).abs() <= 1e-9 * cold.0.abs(), "a: warm {} cold {}", warm.a, cold.0);
            assert!((warm.b - cold.1).abs() <= 1e-9 * (1.0 + cold.1.abs()), "b: warm {} cold {}", warm.b, cold.1);
            let (_, at) = evaluate(&scores, &targets, warm.a, warm.b);
            assert!(at.gradient_norm() <= 1e-6, "gradient at the warm fit: {}", at.gradient_norm());
        }
        Ok(())
    }

    #[test]
    fn fits_probabilities_through_the_clipped_logit() -> Result<(), CalibrationError> {
        // The hard 0 and 1 give logits of ±36, which also exercises the rescaling.
        let platt = Platt::fit_probabilities(&PROBABILITIES, &PROBABILITY_LABELS)?;
        assert_close(platt.a, 0.14645349282422146);
        assert_close(platt.b, 0.40723819412072754);
        let calibrated: Vec<f64> = [0.0, 0.03, 0.25, 0.5, 0.75, 0.999, 1.0].map(|p| platt.calibrate(p)).to_vec();
        let expected = [
            0.007603751415454191,
            0.4745598372890911,
            0.56127608318166,
            0.6004254650929287,
            0.6383324480657964,
            0.8051434095316332,
            0.9966181915452746,
        ];
        for (found, expected) in calibrated.into_iter().zip(expected) {
            assert_close(found, expected);
        }
        Ok(())
    }

    #[test]
    fn separable_scores_give_a_finite_fit() -> Result<(), CalibrationError> {
        let platt = Platt::fit_scores(&[-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], &[0, 0, 0, 1, 1, 1])?;
        assert_close(platt.a, 0.6214019550085678);
        assert_close(platt.b, 0.0);
        Ok(())
    }

    #[test]
    fn degenerate_inputs_give_the_smoothed_base_rate() -> Result<(), CalibrationError> {
        // A constant score carries no information: P is the mean target.
        // Targets 4/5 for the three positives, 1/3 for the negative.
        let platt = Platt::fit_scores(&[0.5; 4], &[1, 0, 1, 1])?;
        let mean_target = (3.0 * 0.8 + 1.0 / 3.0) / 4.0;
        assert!((platt.probability_of_score(0.5) - mean_target).abs() < 1e-9, "{platt:?}");
        // One class only: the targets still keep the fit finite.
        let platt = Platt::fit_scores(&[-1.0, 0.0, 2.0], &[0, 0, 0])?;
        assert!(platt.a.is_finite() && platt.b.is_finite());
        assert!(platt.probability_of_score(0.0) < 0.25);
        Ok(())
    }

    #[test]
    fn huge_scores_are_rescaled() -> Result<(), CalibrationError> {
        let scaled: Vec<f64> = SCORES.iter().map(|s| s * 1e6).collect();
        let platt = Platt::fit_scores(&scaled, &SCORE_LABELS)?;
        assert!((platt.a * 1e6 - 0.6593747866211457).abs() < 1e-9 && (platt.b + 0.23976114131839535).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn rejects_bad_inputs() {
        let message = |values: &[f64], labels: &[u8]| {
            Platt::fit_probabilities(values, labels).map_or_else(|e| e.to_string(), |_| "ok".to_owned())
        };
        assert_eq!(message(&[0.2, 0.8], &[0, 1]), "ok");
        assert_eq!(message(&[], &[]), "calibration set has no rows");
        assert_eq!(message(&[0.2], &[0, 1]), "2 labels were given for 1 calibration inputs");
        assert_eq!(message(&[0.2, 0.8], &[0, 2]), "label of row 1 is 2, but labels must be 0 or 1");
        assert_eq!(message(&[f64::NAN, 0.8], &[0, 1]), "calibration input of row 0 is NaN, but it must be finite");
        assert_eq!(message(&[0.2, 1.5], &[0, 1]), "probability of row 1 is 1.5, but probabilities must be in [0, 1]");
    }
}
