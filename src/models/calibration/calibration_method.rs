//! The choice between the calibrators, as manifests and saved models name it.

use serde::{Deserialize, Serialize};

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
