//! A fitted calibrator of either kind, behind one interface.

use super::{CalibrationError, CalibrationMethod, Isotonic, Platt, inputs};

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
