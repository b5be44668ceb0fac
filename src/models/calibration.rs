//! Post-hoc calibration: maps a fitted model's P(y = 1) to better-calibrated probabilities,
//! fitted on a calibration split the model never trained on.
//!
//! [`Platt`] is a two-parameter sigmoid of the model's logit: smooth, data-frugal, but it can
//! only fix a miscalibration of logistic shape. [`Isotonic`] is any non-decreasing map: it
//! fixes any monotone distortion, but needs more rows and gives a step-like output. Both keep
//! the ranking of the model's probabilities (isotonic up to ties), so ROC-AUC barely moves.

mod calibration_error;
mod calibration_method;
mod calibrator;
mod inputs;
mod isotonic;
mod platt;

pub use calibration_error::CalibrationError;
pub use calibration_method::CalibrationMethod;
pub use calibrator::Calibrator;
pub use isotonic::Isotonic;
pub use platt::Platt;
