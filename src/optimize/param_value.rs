//! One value a search parameter can take, as it appears in a manifest and in a configuration.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A parameter value: the scalar kinds a TOML manifest can write.
///
/// Serialised untagged so a configuration reads as plain JSON (`{"lr": 0.01, "depth": 3}`).
/// Integers and floats stay distinct (`3` and `3.0` are different values with different
/// configuration ids), because a model may treat them differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A boolean switch.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string, e.g. a model or optimiser name.
    Str(String),
}

impl ParamValue {
    /// The value as an `f64` when it is numeric, so objectives can read ints and floats alike.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int(value) => Some(*value as f64),
            Self::Float(value) => Some(*value),
            Self::Bool(_) | Self::Str(_) => None,
        }
    }

    /// The value as JSON, with a non-finite float as `null` (JSON has no NaN) so rendering
    /// never fails.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Bool(value) => serde_json::Value::Bool(*value),
            Self::Int(value) => serde_json::Value::from(*value),
            Self::Float(value) => {
                serde_json::Number::from_f64(*value).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            Self::Str(value) => serde_json::Value::String(value.clone()),
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

impl From<bool> for ParamValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<i64> for ParamValue {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for ParamValue {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<&str> for ParamValue {
    fn from(value: &str) -> Self {
        Self::Str(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_and_floats_stay_distinct_through_json() {
        let values: Vec<ParamValue> = serde_json::from_str(r#"[3, 3.0, true, "adam"]"#).expect("valid json");
        assert_eq!(
            values,
            vec![ParamValue::Int(3), ParamValue::Float(3.0), ParamValue::Bool(true), ParamValue::from("adam")]
        );
        assert_eq!(ParamValue::Int(3).to_string(), "3");
        assert_eq!(ParamValue::Float(3.0).to_string(), "3.0");
    }

    #[test]
    fn non_finite_float_renders_as_null() {
        assert_eq!(ParamValue::Float(f64::NAN).to_json(), serde_json::Value::Null);
    }
}
