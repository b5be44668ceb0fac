//! The version of each model type's training code, looked up by its `model_type` name.
//!
//! A cache key holds the stage kind's code version, which does not move when one model's
//! training changes; a `train` or `optimize` key adds the version of the model it trains, so a
//! build that trains a model differently recomputes it instead of reusing the old result.
//! Each model declares its `CODE_VERSION` beside its code; this maps names to them.

use super::{anomaly, correlation, heuristic, logistic, transformer};

/// The code version of the model type named `model_type` (`"logistic"`, ...), `None` for a
/// name no model has.
pub fn code_version(model_type: &str) -> Option<u32> {
    match model_type {
        "anomaly" => Some(anomaly::CODE_VERSION),
        "correlation" => Some(correlation::CODE_VERSION),
        "heuristic" => Some(heuristic::CODE_VERSION),
        "logistic" => Some(logistic::CODE_VERSION),
        transformer::KIND => Some(transformer::CODE_VERSION),
        _ => None,
    }
}
