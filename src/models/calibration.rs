//! Post-hoc calibration: maps a fitted model's P(y = 1) to better-calibrated probabilities,
//! fitted on a calibration split the model never trained on.
//!
//! [`Platt`] is a two-parameter sigmoid of the model's logit: smooth, data-frugal, but it can
//! only fix a miscalibration of logistic shape. [`Isotonic`] is any non-decreasing map: it
//! fixes any monotone distortion, but needs more rows and gives a step-like output. Both keep
//! the ranking of the model's probabilities (isotonic up to ties), so ROC-AUC barely moves.

mod calibration_error;
mod inputs;
mod isotonic;
mod platt;

use serde::{Deserialize, Serialize};

pub use calibration_error::CalibrationError;
pub use isotonic::Isotonic;
pub use platt::Platt;

/// Which calibrator to fit; its name is the saved `calibration` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationMethod {
    Platt,
    Isotonic,
}

impl CalibrationMethod {
    pub fn name(self) -> &'static str {
        match self {
            Self::Platt => "platt",
            Self::Isotonic => "isotonic",
        }
    }
}

/// A fitted calibrator of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Calibrator {
    Platt(Platt),
    Isotonic(Isotonic),
}

impl Calibrator {
    /// Fits `method` on a model's probabilities for the calibration rows and their labels.
    pub fn fit(method: CalibrationMethod, probabilities: &[f64], labels: &[u8]) -> Result<Self, CalibrationError> {
        match method {
            CalibrationMethod::Platt => Platt::fit_probabilities(probabilities, labels).map(Self::Platt),
            CalibrationMethod::Isotonic => {
                inputs::check_probabilities(probabilities, labels)?;
                Isotonic::fit(probabilities, labels).map(Self::Isotonic)
            }
        }
    }

    pub fn method(&self) -> CalibrationMethod {
        match self {
            Self::Platt(_) => CalibrationMethod::Platt,
            Self::Isotonic(_) => CalibrationMethod::Isotonic,
        }
    }

    /// The calibrated probability for a model probability.
    pub fn calibrate(&self, probability: f64) -> f64 {
        match self {
            Self::Platt(platt) => platt.calibrate(probability),
            Self::Isotonic(isotonic) => isotonic.calibrate(probability),
        }
    }
}
