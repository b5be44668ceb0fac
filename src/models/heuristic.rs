//! A transparent baseline: a signed, normalised sum of clipped z-scores, turned into P(y = 1)
//! by a Platt fit.
//!
//! The original's "heuristic" (also its "logistic" and "simple_transformer") used the same
//! idea but with weights `|Δmean| + 0.01` in raw units, a hand-set `σ(4(s − 0.5))` squash that
//! is not a probability, and a confidence reported as one. Here the weights are the class-mean
//! differences in z units, signed, normalised to `Σ|w| = 1`, and the squash is fitted: a
//! logistic regression of the label on the score over the training rows (Platt scaling), so
//! the output is an estimate of P(y = 1) rather than a score.
//!
//! Fitting is one pass over the data with no iterations, step size or randomness: the
//! pipeline's `epochs` and `batch_size` mean nothing for this model and are ignored, and it
//! needs no seed. Its value is as a yardstick: a real model that cannot beat it on a task has
//! learnt nothing but per-feature shifts.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize, Serializer};

use super::calibration::Platt;
use super::training_data::check_training_data;
use super::{FORMAT_VERSION, FitError, LoadError, Model};
use crate::data::Standardizer;

/// The `model_type` of the saved form.
const KIND: &str = "heuristic";

/// The version of this model's training code, part of a `train` or `optimize` cache key: bump
/// it when the same data, parameters and seed give another model (or other bytes), and update
/// its golden file (`tests/golden/`).
/// 2: its Platt fit on more than 65,536 rows starts from a sample's fit (see
/// `calibration::platt`), which can change the last bits of `a` and `b`.
pub(crate) const CODE_VERSION: u32 = 2;

/// z-scores are clipped to ±this before weighting, as in the original, so one extreme value
/// cannot outvote every other feature.
pub const Z_CLIP: f64 = 3.0;

/// A fitted heuristic: `score = Σ_j w_j · clip(z_j, −3, 3)` with `z = standardize(x)`, and
/// P(y = 1) = σ(a · score + b).
#[derive(Debug, Clone, PartialEq)]
pub struct Heuristic {
    feature_names: Vec<String>,
    standardizer: Standardizer,
    weights: Vec<f64>,
    platt: Platt,
}

impl Heuristic {
    /// Fits on raw features `x` (rows × features) and 0/1 labels `y`.
    ///
    /// `w_j ∝ mean(z_j | y = 1) − mean(z_j | y = 0)`, normalised so `Σ|w| = 1`; the
    /// standardizer's statistics are the training rows' (population std, 1 for a constant
    /// column). With only one class in `y`, or no feature whose class means differ, every
    /// weight is 0 and every row gets the same probability: the share of positives, smoothed
    /// by Platt's targets so it is never exactly 0 or 1. Sums run in row order on this
    /// thread, so the same data gives the same bits.
    pub fn fit(x: ArrayView2<'_, f64>, y: &[u8], feature_names: &[String]) -> Result<Self, FitError> {
        let label_counts = check_training_data(x, y, feature_names)?;
        let standardizer = Standardizer::fit(x).map_err(|_| FitError::EmptyTrainingSet)?;
        let inverse_std = standardizer.inverse_std();

        let width = x.ncols();
        let mut class_sums = [vec![0.0; width], vec![0.0; width]];
        for (row, &label) in x.outer_iter().zip(y) {
            let sums = &mut class_sums[usize::from(label)];
            for (j, (value, sum)) in row.iter().zip(sums.iter_mut()).enumerate() {
                *sum += (value - standardizer.mean[j]) * inverse_std[j];
            }
        }
        let mut weights = vec![0.0; width];
        if label_counts[0] > 0 && label_counts[1] > 0 {
            let [negative, positive] = label_counts.map(|count| count as f64);
            for (j, weight) in weights.iter_mut().enumerate() {
                *weight = class_sums[1][j] / positive - class_sums[0][j] / negative;
            }
            let total: f64 = weights.iter().map(|w| w.abs()).sum();
            if total > 0.0 {
                weights.iter_mut().for_each(|w| *w /= total);
            }
        }

        let mut model =
            Self { feature_names: feature_names.to_vec(), standardizer, weights, platt: Platt { a: 0.0, b: 0.0 } };
        let scores = model.scores(x);
        model.platt = Platt::fit_checked(&scores, y, label_counts[1]);
        Ok(model)
    }

    /// The uncalibrated score `Σ w · clip(z, −3, 3)` of each row, in [−3, 3]: the model's
    /// whole reasoning, before the Platt map.
    ///
    /// # Panics
    /// If `x` does not have one column per feature.
    pub fn scores(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        assert_eq!(x.ncols(), self.weights.len(), "heuristic model expects one column per feature");
        let inverse_std = self.standardizer.inverse_std();
        x.outer_iter()
            .map(|row| {
                let mut score = 0.0;
                for (j, value) in row.iter().enumerate() {
                    let z = (value - self.standardizer.mean[j]) * inverse_std[j];
                    score += self.weights[j] * z.clamp(-Z_CLIP, Z_CLIP);
                }
                score
            })
            .collect()
    }

    pub fn standardizer(&self) -> &Standardizer {
        &self.standardizer
    }

    /// Signed weights on the clipped z-scores, in feature order; `Σ|w|` is 1 (or every weight
    /// is 0).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The map from score to P(y = 1).
    pub fn platt(&self) -> &Platt {
        &self.platt
    }
}

impl Model for Heuristic {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Per feature: standardize (2), clip (2 comparisons), multiply-add (2); then Platt's
    /// affine map and sigmoid.
    fn ops_per_prediction(&self) -> u64 {
        6 * self.weights.len() as u64 + 2 + super::model::EXP_OPS
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let mut probabilities = self.scores(x);
        for p in &mut probabilities {
            *p = self.platt.probability_of_score(*p);
        }
        probabilities
    }

    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// The saved form as written: the model's fields behind a version and type tag.
#[derive(Serialize)]
struct SavedHeuristicRef<'a> {
    format_version: u32,
    model_type: &'static str,
    feature_names: &'a [String],
    standardizer: &'a Standardizer,
    weights: &'a [f64],
    platt: &'a Platt,
}

/// The saved form as read, checked by `TryFrom` before it becomes a model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavedHeuristic {
    format_version: u64,
    model_type: String,
    feature_names: Vec<String>,
    standardizer: Standardizer,
    weights: Vec<f64>,
    platt: Platt,
}

impl Serialize for Heuristic {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SavedHeuristicRef {
            format_version: FORMAT_VERSION,
            model_type: KIND,
            feature_names: &self.feature_names,
            standardizer: &self.standardizer,
            weights: &self.weights,
            platt: &self.platt,
        }
        .serialize(serializer)
    }
}

super::saved::saved_model!(Heuristic, SavedHeuristic);

impl TryFrom<SavedHeuristic> for Heuristic {
    type Error = LoadError;

    fn try_from(saved: SavedHeuristic) -> Result<Self, LoadError> {
        super::saved::check_header(saved.format_version, &saved.model_type, KIND)?;
        let expected = saved.feature_names.len();
        let lengths = [
            ("weights", saved.weights.len()),
            ("standardizer means", saved.standardizer.mean.len()),
            ("standardizer stds", saved.standardizer.std.len()),
        ];
        for (what, found) in lengths {
            if found != expected || found == 0 {
                return Err(LoadError::LengthMismatch { what, found, expected });
            }
        }
        if !saved.weights.iter().all(|w| w.is_finite()) {
            return Err(LoadError::InvalidNumber { what: "weight" });
        }
        if !saved.standardizer.mean.iter().all(|m| m.is_finite()) {
            return Err(LoadError::InvalidNumber { what: "standardizer mean" });
        }
        if !saved.standardizer.std.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(LoadError::InvalidNumber { what: "standardizer std" });
        }
        Ok(Self {
            feature_names: saved.feature_names,
            standardizer: saved.standardizer,
            weights: saved.weights,
            platt: saved.platt,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use ndarray::array;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::data::Dataset;
    use crate::data::synthetic::default_family;
    use crate::metrics::{accuracy, ece};
    use crate::models::load_model;
    use crate::models::log_loss::sigmoid;
    use crate::models::test_support::stratified;

    fn fit_on(data: &Dataset) -> Result<Heuristic, FitError> {
        Heuristic::fit(data.x(), data.y(), data.feature_names())
    }

    #[test]
    fn learns_signed_weights_and_calibrated_probabilities() -> Result<(), Box<dyn Error>> {
        let data = default_family(10_000, &mut ChaCha8Rng::seed_from_u64(42));
        let splits = stratified(&data, 42)?;
        let model = fit_on(&splits.train)?;
        let weights = model.weights();
        assert!((weights.iter().map(|w| w.abs()).sum::<f64>() - 1.0).abs() < 1e-12);
        // The label depends on the first two features only, both positively.
        assert!(weights[0] > 0.4 && weights[1] > 0.4, "{weights:?}");
        assert!(weights[2..].iter().all(|w| w.abs() < 0.02), "{weights:?}");

        let validation = &splits.validation;
        let probabilities = model.predict_dataset(validation)?;
        let accuracy = accuracy(validation.y(), &probabilities, 0.5)?;
        // The original squashed the same score with σ(4 · (0.5 + score/2 − 0.5)) = σ(2 · score).
        let raw: Vec<f64> = model.scores(validation.x()).into_iter().map(|s| sigmoid(2.0 * s)).collect();
        let (ece_platt, ece_raw) = (ece(validation.y(), &probabilities, 10)?, ece(validation.y(), &raw, 10)?);
        println!("heuristic on default_family: accuracy {accuracy:.4}, ece {ece_platt:.4} (raw squash {ece_raw:.4})");
        assert!(accuracy > 0.95, "{accuracy}");
        assert!(ece_platt < 0.5 * ece_raw, "platt {ece_platt} vs raw {ece_raw}");
        Ok(())
    }

    #[test]
    fn weights_follow_the_class_mean_difference() -> Result<(), FitError> {
        // Feature a: positives higher; b: positives lower by twice as much in z units;
        // c: constant.
        let x = array![[0.0, 1.0, 5.0], [0.0, 1.0, 5.0], [1.0, -1.0, 5.0], [1.0, -1.0, 5.0]];
        let names = ["a", "b", "c"].map(str::to_owned);
        let model = Heuristic::fit(x.view(), &[0, 0, 1, 1], &names)?;
        assert_eq!(model.weights(), [0.5, -0.5, 0.0]);
        let p = model.predict_proba(x.view());
        assert!(p[0] < 0.5 && p[2] > 0.5 && p[0] == p[1] && p[2] == p[3], "{p:?}");
        // Platt's smoothed targets keep P away from 0 and 1 on separable data.
        assert!(p[0] > 0.1 && p[2] < 0.9, "{p:?}");
        Ok(())
    }

    #[test]
    fn one_class_gives_a_constant_probability() -> Result<(), FitError> {
        let x = array![[0.0, 1.0], [0.5, 3.0], [1.0, 2.0]];
        let model = Heuristic::fit(x.view(), &[1, 1, 1], &["a".to_owned(), "b".to_owned()])?;
        assert_eq!(model.weights(), [0.0, 0.0]);
        let p = model.predict_proba(x.view());
        assert!(p.iter().all(|&v| v == p[0] && v > 0.5 && v < 1.0), "{p:?}");
        Ok(())
    }

    #[test]
    fn rejects_bad_inputs() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        let x = array![[0.0, 1.0], [2.0, 3.0]];
        let fit = |x: ArrayView2<'_, f64>, y: &[u8], names: &[String]| {
            Heuristic::fit(x, y, names).map_or_else(|e| e.to_string(), |_| "ok".to_owned())
        };
        assert_eq!(fit(x.view(), &[0, 1], &names), "ok");
        assert_eq!(fit(x.view(), &[0, 1], &names[..1]), "1 feature names were given for 2 feature columns");
        assert_eq!(fit(x.view(), &[0], &names), "1 labels were given for 2 rows");
        assert_eq!(fit(x.view(), &[0, 3], &names), "label of row 1 is 3, but labels must be 0 or 1");
        assert_eq!(fit(x.select(ndarray::Axis(0), &[]).view(), &[], &names), "training set has no rows");
        assert_eq!(
            fit(array![[0.0, f64::INFINITY], [1.0, 2.0]].view(), &[0, 1], &names),
            "feature `b` has non-finite values"
        );
    }

    #[test]
    fn saved_model_scores_identically_after_loading() -> Result<(), Box<dyn Error>> {
        let data = default_family(2_000, &mut ChaCha8Rng::seed_from_u64(6));
        let splits = stratified(&data, 6)?;
        let model = fit_on(&splits.train)?;
        assert_eq!(fit_on(&splits.train)?, model);
        let json = serde_json::to_string(&model.to_json()?)?;
        assert!(serde_json::to_string(&model)?.starts_with(r#"{"format_version":1,"model_type":"heuristic","#));
        assert_eq!(serde_json::from_str::<Heuristic>(&json)?, model);

        let loaded = load_model(&json)?;
        assert_eq!(loaded.kind(), "heuristic");
        let bits = |p: Vec<f64>| p.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        let x = splits.validation.x();
        assert_eq!(bits(loaded.predict_proba(x)), bits(model.predict_proba(x)));
        Ok(())
    }

    #[test]
    fn loading_rejects_inconsistent_files() -> Result<(), Box<dyn Error>> {
        let data = default_family(300, &mut ChaCha8Rng::seed_from_u64(2));
        let saved = fit_on(&data)?.to_json()?;
        let edit = |path: &str, value: serde_json::Value| {
            let mut edited = saved.clone();
            if let Some(slot) = edited.pointer_mut(path) {
                *slot = value;
            }
            load_model(&edited.to_string()).map_or_else(|e| e.to_string(), |_| "ok".to_owned())
        };
        assert_eq!(edit("/platt/a", serde_json::json!(2.0)), "ok");
        assert_eq!(edit("/weights", serde_json::json!([1.0])), "saved model has 1 weights for 5 features");
        assert_eq!(
            edit("/standardizer/std/0", serde_json::json!(-1.0)),
            "saved model has a non-finite or non-positive standardizer std"
        );
        assert_eq!(edit("/platt", serde_json::json!({"a": 1.0})), "parse saved model json");
        Ok(())
    }
}
