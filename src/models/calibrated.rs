//! A fitted model followed by a calibrator, usable and saveable like any other model.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::calibration::{CalibrationError, CalibrationMethod, Calibrator, Isotonic, Platt};
use super::{FORMAT_VERSION, LoadError, Model, load_model};
use crate::data::Dataset;

/// P(y = 1) = calibrator(base P(y = 1)).
///
/// It reports its base model's `kind`, so metrics and the promotion gate treat a calibrated
/// logistic model as a logistic model; the saved form says which calibration was applied.
#[derive(Debug)]
pub struct Calibrated {
    base: Box<dyn Model>,
    calibrator: Calibrator,
}

impl Calibrated {
    /// Fits a `method` calibrator on the base model's probabilities for the `calibration`
    /// rows, which must not be rows the base model was trained on (or its probabilities there
    /// are over-confident and the calibrator learns the wrong map).
    pub fn fit(
        base: Box<dyn Model>,
        calibration: &Dataset,
        method: CalibrationMethod,
    ) -> Result<Self, CalibrationError> {
        let probabilities = base.predict_dataset(calibration).map_err(|source| CalibrationError::Predict { source })?;
        let calibrator = Calibrator::fit(method, &probabilities, calibration.y())?;
        Ok(Self { base, calibrator })
    }

    pub fn new(base: Box<dyn Model>, calibrator: Calibrator) -> Self {
        Self { base, calibrator }
    }

    pub fn base(&self) -> &dyn Model {
        self.base.as_ref()
    }

    pub fn calibrator(&self) -> &Calibrator {
        &self.calibrator
    }

    /// Whether a saved model is this wrapper's form: a `calibration` method name and a nested
    /// `base` model. (Other types may have a `calibration` field of their own, such as the
    /// anomaly model's internal score map, but not as a string beside a `base`.)
    pub(crate) fn is_saved_form(value: &Value) -> bool {
        value.get("calibration").is_some_and(Value::is_string) && value.get("base").is_some_and(Value::is_object)
    }

    /// Reads the saved form written by [`Model::to_json`]; [`load_model`] sends every saved
    /// model that [`Calibrated::is_saved_form`] accepts here.
    pub(crate) fn from_saved(value: Value) -> Result<Self, LoadError> {
        let saved: SavedCalibrated = serde_json::from_value(value).map_err(|source| LoadError::Json { source })?;
        if saved.format_version != u64::from(FORMAT_VERSION) {
            return Err(LoadError::UnsupportedFormatVersion {
                found: saved.format_version.to_string(),
                supported: FORMAT_VERSION,
            });
        }
        let json = |source| LoadError::Json { source };
        let calibrator = match saved.calibration {
            CalibrationMethod::Platt => {
                Calibrator::Platt(serde_json::from_value::<Platt>(saved.calibrator).map_err(json)?)
            }
            CalibrationMethod::Isotonic => {
                Calibrator::Isotonic(serde_json::from_value::<Isotonic>(saved.calibrator).map_err(json)?)
            }
        };
        let base = load_model(&saved.base.to_string())?;
        if base.kind() != saved.model_type {
            return Err(LoadError::UnknownModelType { found: format!("{:?}", saved.model_type), known: base.kind() });
        }
        Ok(Self { base, calibrator })
    }
}

impl Model for Calibrated {
    fn kind(&self) -> &'static str {
        self.base.kind()
    }

    fn feature_names(&self) -> &[String] {
        self.base.feature_names()
    }

    /// The base model's, plus the calibrator's map (charged as one more sigmoid).
    fn ops_per_prediction(&self) -> u64 {
        self.base.ops_per_prediction() + super::model::EXP_OPS
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let mut probabilities = self.base.predict_proba(x);
        for p in &mut probabilities {
            *p = self.calibrator.calibrate(*p);
        }
        probabilities
    }

    fn to_json(&self) -> Result<Value, serde_json::Error> {
        let calibrator = match &self.calibrator {
            Calibrator::Platt(platt) => serde_json::to_value(platt)?,
            Calibrator::Isotonic(isotonic) => serde_json::to_value(isotonic)?,
        };
        serde_json::to_value(SavedCalibratedRef {
            format_version: FORMAT_VERSION,
            model_type: self.base.kind(),
            calibration: self.calibrator.method(),
            calibrator,
            base: self.base.to_json()?,
        })
    }
}

/// The saved form as written: the base model's own saved form, nested whole under `base`,
/// so it loads exactly as it would alone.
#[derive(Serialize)]
struct SavedCalibratedRef {
    format_version: u32,
    model_type: &'static str,
    calibration: CalibrationMethod,
    calibrator: Value,
    base: Value,
}

/// The saved form as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCalibrated {
    format_version: u64,
    model_type: String,
    calibration: CalibrationMethod,
    calibrator: Value,
    base: Value,
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use ndarray::Array2;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::data::sampling::unit_f64;
    use crate::data::synthetic_correlation::correlation_family;
    use crate::data::{SplitConfig, SplitStrategy, Splits, split};
    use crate::metrics::{ece, roc_auc};
    use crate::models::log_loss::sigmoid;
    use crate::models::{Correlation, CorrelationParams, Heuristic};

    /// The true log-odds of the noisy task below.
    fn true_margin(a: f64, b: f64) -> f64 {
        3.0 * a - 2.0 * b
    }

    /// A deliberately miscalibrated model of the noisy task: it ranks rows perfectly but is
    /// four times over-confident and biased towards 1.
    #[derive(Debug)]
    struct Overconfident {
        names: Vec<String>,
    }

    impl Model for Overconfident {
        fn kind(&self) -> &'static str {
            "overconfident"
        }

        fn feature_names(&self) -> &[String] {
            &self.names
        }

        fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
            x.outer_iter().map(|row| sigmoid(4.0 * true_margin(row[0], row[1]) + 1.0)).collect()
        }

        fn to_json(&self) -> Result<Value, serde_json::Error> {
            Ok(Value::Null)
        }
    }

    /// Rows with features uniform in [−1, 1]² and labels drawn from σ(3a − 2b): no model can
    /// be certain, so calibration is visible.
    fn noisy_splits(rows: usize, seed: u64) -> Result<Splits, Box<dyn Error>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((rows, 2), |_| 2.0 * unit_f64(&mut rng) - 1.0);
        let y = x.outer_iter().map(|row| u8::from(unit_f64(&mut rng) < sigmoid(true_margin(row[0], row[1])))).collect();
        let data = Dataset::new(vec!["a".to_owned(), "b".to_owned()], x, y)?;
        let config =
            SplitConfig { strategy: SplitStrategy::Stratified, train_ratio: 0.2, calibration_ratio: Some(0.4) };
        Ok(split(&data, &config, &mut rng)?)
    }

    #[test]
    fn calibration_reduces_held_out_ece() -> Result<(), Box<dyn Error>> {
        let splits = noisy_splits(10_000, 4)?;
        let calibration = splits.calibration.as_ref().ok_or("no calibration part")?;
        let validation = &splits.validation;
        let names = vec!["a".to_owned(), "b".to_owned()];
        let raw = Overconfident { names: names.clone() }.predict_dataset(validation)?;
        let raw_ece = ece(validation.y(), &raw, 10)?;
        for method in [CalibrationMethod::Platt, CalibrationMethod::Isotonic] {
            let model = Calibrated::fit(Box::new(Overconfident { names: names.clone() }), calibration, method)?;
            assert_eq!(model.kind(), "overconfident");
            let calibrated = model.predict_dataset(validation)?;
            let calibrated_ece = ece(validation.y(), &calibrated, 10)?;
            println!("{}: held-out ece {raw_ece:.4} -> {calibrated_ece:.4}", method.name());
            assert!(raw_ece > 0.1 && calibrated_ece < 0.03, "{method:?}: {raw_ece} -> {calibrated_ece}");
            // Both maps are monotone, so the ranking (and ROC-AUC) barely moves.
            let (before, after) = (roc_auc(validation.y(), &raw)?, roc_auc(validation.y(), &calibrated)?);
            assert!(before.zip(after).is_some_and(|(b, a)| (b - a).abs() < 0.01), "{before:?} {after:?}");
        }
        Ok(())
    }

    fn fit_base(kind: &str, train: &Dataset) -> Result<Box<dyn Model>, Box<dyn Error>> {
        let (x, y, names) = (train.x(), train.y(), train.feature_names());
        Ok(match kind {
            "heuristic" => Box::new(Heuristic::fit(x, y, names)?),
            _ => {
                let params = CorrelationParams { n_trees: 20, ..CorrelationParams::default() };
                Box::new(Correlation::fit(x, y, names, &params, &mut ChaCha8Rng::seed_from_u64(1), &|| false)?)
            }
        })
    }

    #[test]
    fn saved_models_score_identically_after_loading() -> Result<(), Box<dyn Error>> {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let data = correlation_family(3_000, 0.15, &mut rng)?;
        let config = SplitConfig { strategy: SplitStrategy::Random, train_ratio: 0.5, calibration_ratio: Some(0.25) };
        let splits = split(&data, &config, &mut rng)?;
        let (train, calibration) = (&splits.train, splits.calibration.as_ref().ok_or("no calibration part")?);
        for kind in ["heuristic", "correlation"] {
            for method in [CalibrationMethod::Platt, CalibrationMethod::Isotonic] {
                let model = Calibrated::fit(fit_base(kind, train)?, calibration, method)?;
                let json = serde_json::to_string(&model.to_json()?)?;
                let value: Value = serde_json::from_str(&json)?;
                assert_eq!(model.kind(), kind);
                assert_eq!(value["calibration"], method.name());
                assert_eq!(value["model_type"], model.base().kind());
                assert_eq!(value["base"]["model_type"], model.base().kind());

                let loaded = load_model(&json)?;
                assert_eq!(loaded.kind(), model.kind());
                let bits = |p: Vec<f64>| p.into_iter().map(f64::to_bits).collect::<Vec<_>>();
                let x = splits.validation.x();
                assert_eq!(bits(loaded.predict_proba(x)), bits(model.predict_proba(x)));
                // Saving the loaded model gives the same file.
                assert_eq!(serde_json::to_string(&loaded.to_json()?)?, json);
            }
        }
        Ok(())
    }

    #[test]
    fn loading_rejects_inconsistent_files() -> Result<(), Box<dyn Error>> {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let data = correlation_family(500, 0.2, &mut rng)?;
        let base = Heuristic::fit(data.x(), data.y(), data.feature_names())?;
        let saved = Calibrated::fit(Box::new(base), &data, CalibrationMethod::Isotonic)?.to_json()?;
        let edit = |path: &str, value: Value| {
            let mut edited = saved.clone();
            if let Some(slot) = edited.pointer_mut(path) {
                *slot = value;
            }
            load_model(&edited.to_string()).map_or_else(
                |e| match Error::source(&e) {
                    Some(source) => format!("{e}: {source}"),
                    None => e.to_string(),
                },
                |_| "ok".to_owned(),
            )
        };
        assert_eq!(edit("/format_version", serde_json::json!(1)), "ok");
        assert_eq!(
            edit("/model_type", serde_json::json!("correlation")),
            "saved model type \"correlation\" is not known; known types: heuristic"
        );
        assert_eq!(
            edit("/calibrator/values/0", serde_json::json!(5.0)),
            "parse saved model json: isotonic values must be finite and non-decreasing"
        );
        assert_eq!(
            edit("/calibration", serde_json::json!("beta")),
            "parse saved model json: unknown variant `beta`, expected `platt` or `isotonic`"
        );
        assert_eq!(edit("/base/weights", serde_json::json!([1.0])), "saved model has 1 weights for 5 features");
        Ok(())
    }

    #[test]
    fn fit_checks_the_calibration_columns() -> Result<(), Box<dyn Error>> {
        let splits = noisy_splits(200, 1)?;
        let base = Overconfident { names: vec!["b".to_owned(), "a".to_owned()] };
        let calibration = splits.calibration.as_ref().ok_or("no calibration part")?;
        let error = Calibrated::fit(Box::new(base), calibration, CalibrationMethod::Platt).map(|_| ());
        assert_eq!(error.map_err(|e| e.to_string()), Err("score the calibration set with the base model".to_owned()));
        Ok(())
    }
}
