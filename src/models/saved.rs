//! The saved form every model type shares: a JSON object with a `format_version` and a
//! `model_type` tag in front of the type's own fields, read into a `Saved*` struct and checked
//! by `TryFrom` before it becomes a model.
//!
//! Each model type used to repeat the header check, its `Deserialize` impl and its arm of
//! [`super::load_model`]; they live here once, so a sixth model type declares its saved struct
//! with [`saved_model!`] and gets all three.

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_json::Value;

use super::LoadError;
use super::load::FORMAT_VERSION;

/// A model type with a checked saved form.
pub(crate) trait SavedModel: Sized + TryFrom<Self::Saved, Error = LoadError> {
    /// The saved form as read, before its consistency checks.
    type Saved: DeserializeOwned;
}

/// Declares `$saved` as the saved form of `$model`, and implements `Deserialize` for the model
/// through it, so reading a file with serde runs the same checks as [`super::load_model`].
macro_rules! saved_model {
    ($model:ty, $saved:ty) => {
        impl $crate::models::saved::SavedModel for $model {
            type Saved = $saved;
        }

        impl<'de> serde::Deserialize<'de> for $model {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::models::saved::deserialize(deserializer)
            }
        }
    };
}
pub(crate) use saved_model;

/// Reads a model of type `M` from its saved form, checked.
pub(crate) fn from_value<M: SavedModel>(value: Value) -> Result<M, LoadError> {
    let saved: M::Saved = serde_json::from_value(value).map_err(|source| LoadError::Json { source })?;
    M::try_from(saved)
}

/// `Deserialize` for a model type through its saved form; a failed check becomes the
/// deserializer's error with the check's message.
pub(crate) fn deserialize<'de, M: SavedModel, D: Deserializer<'de>>(deserializer: D) -> Result<M, D::Error>
where
    M::Saved: Deserialize<'de>,
{
    let saved = M::Saved::deserialize(deserializer)?;
    M::try_from(saved).map_err(serde::de::Error::custom)
}

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
