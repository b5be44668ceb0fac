//! Loading a saved model of any known type from its JSON form.

use serde_json::Value;

use super::anomaly::Anomaly;
use super::saved::from_value;
use super::transformer::{self, SimpleTransformer, TRANSFORMER_FORMAT_VERSION};
use super::{Calibrated, Correlation, Heuristic};
use super::{LoadError, LogisticRegression, Model};

/// Version of the saved JSON layout written by this build; bumped on any incompatible change.
/// A model type whose own layout changed alone carries its own version (the transformer's
/// `TRANSFORMER_FORMAT_VERSION`), so files of the other types stay readable.
pub const FORMAT_VERSION: u32 = 1;

/// The `model_type` values [`load_model`] understands, for error messages.
const KNOWN_TYPES: &str = "logistic, anomaly, heuristic, correlation, simple_transformer";

/// Reads a saved model, dispatching on its `model_type` after checking `format_version`.
pub fn load_model(json: &str) -> Result<Box<dyn Model>, LoadError> {
    let value: Value = serde_json::from_str(json).map_err(|source| LoadError::Json { source })?;
    let version = value.get("format_version").ok_or(LoadError::MissingField { field: "format_version" })?;
    let model_type = value.get("model_type").ok_or(LoadError::MissingField { field: "model_type" })?;
    let own_version = model_type.as_str() == Some(transformer::KIND) && !Calibrated::is_saved_form(&value);
    let supported = if own_version {
        transformer::check_format_version(version.as_u64().unwrap_or(0))?;
        TRANSFORMER_FORMAT_VERSION
    } else {
        FORMAT_VERSION
    };
    if version.as_u64() != Some(u64::from(supported)) {
        return Err(LoadError::UnsupportedFormatVersion { found: version.to_string(), supported });
    }
    match model_type.as_str() {
        // A calibrated model carries its base model's type; its nested base sends it here.
        Some(_) if Calibrated::is_saved_form(&value) => Ok(Box::new(Calibrated::from_saved(value)?)),
        Some("logistic") => Ok(Box::new(from_value::<LogisticRegression>(value)?)),
        Some("anomaly") => Ok(Box::new(from_value::<Anomaly>(value)?)),
        Some("simple_transformer") => Ok(Box::new(from_value::<SimpleTransformer>(value)?)),
        Some("heuristic") => Ok(Box::new(from_value::<Heuristic>(value)?)),
        Some("correlation") => Ok(Box::new(from_value::<Correlation>(value)?)),
        _ => Err(LoadError::UnknownModelType { found: model_type.to_string(), known: KNOWN_TYPES }),
    }
}
