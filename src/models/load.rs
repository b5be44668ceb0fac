//! Loading a saved model of any known type from its JSON form.

use serde_json::Value;

use super::anomaly::{Anomaly, SavedAnomaly};
use super::correlation::SavedCorrelation;
use super::heuristic::SavedHeuristic;
use super::logistic::SavedLogistic;
use super::transformer::{self, SavedTransformer, SimpleTransformer, TRANSFORMER_FORMAT_VERSION};
use super::{Calibrated, Correlation, Heuristic};
use super::{LoadError, LogisticRegression, Model};

/// Version of the saved JSON layout written by this build; bumped on any incompatible change.
/// A model type whose own layout changed alone carries its own version (the transformer's
/// `TRANSFORMER_FORMAT_VERSION`), so files of the other types stay readable.
pub const FORMAT_VERSION: u32 = 1;

/// The `model_type` values [`load_model`] understands, for error messages.
const KNOWN_TYPES: &str = "logistic, anomaly, heuristic, correlation, simple_transformer";

/// Checks a saved model's header: the format version this build reads, and the type the
/// loading code expects (a file of another type is refused rather than misread).
pub(crate) fn check_header(format_version: u64, model_type: &str, kind: &'static str) -> Result<(), LoadError> {
    check_header_of(format_version, model_type, kind, FORMAT_VERSION)
}

/// [`check_header`] for a type with a version of its own.
pub(crate) fn check_header_of(
    format_version: u64,
    model_type: &str,
    kind: &'static str,
    supported: u32,
) -> Result<(), LoadError> {
    if format_version != u64::from(supported) {
        return Err(LoadError::UnsupportedFormatVersion { found: format_version.to_string(), supported });
    }
    if model_type != kind {
        return Err(LoadError::UnknownModelType { found: format!("{model_type:?}"), known: kind });
    }
    Ok(())
}

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
        Some("logistic") => {
            let saved: SavedLogistic = serde_json::from_value(value).map_err(|source| LoadError::Json { source })?;
            Ok(Box::new(LogisticRegression::try_from(saved)?))
        }
        Some("anomaly") => {
            let saved: SavedAnomaly = serde_json::from_value(value).map_err(|source| LoadError::Json { source })?;
            Ok(Box::new(Anomaly::try_from(saved)?))
        }
        Some("simple_transformer") => {
            let saved: SavedTransformer = serde_json::from_value(value).map_err(|source| LoadError::Json { source })?;
            Ok(Box::new(SimpleTransformer::try_from(saved)?))
        }
        Some("heuristic") => {
            let saved: SavedHeuristic = serde_json::from_value(value).map_err(|source| LoadError::Json { source })?;
            Ok(Box::new(Heuristic::try_from(saved)?))
        }
        Some("correlation") => {
            let saved: SavedCorrelation = serde_json::from_value(value).map_err(|source| LoadError::Json { source })?;
            Ok(Box::new(Correlation::try_from(saved)?))
        }
        _ => Err(LoadError::UnknownModelType { found: model_type.to_string(), known: KNOWN_TYPES }),
    }
}
