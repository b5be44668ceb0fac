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
        let probabilities =
            base.predict_dataset(calibration).map_err(|source| CalibrationError::Predict { source })?;
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

    /// Reads the saved form written by [`Model::to_json`]; [`load_model`] sends every saved
    /// model with a `calibration` field here.
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
            CalibrationMethod::Platt => Calibrator::Platt(serde_json::from_value::<Platt>(saved.calibrator).map_err(json)?),
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
