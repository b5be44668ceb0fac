//! The interface every model type offers to the pipeline.

use std::fmt::Debug;

use ndarray::ArrayView2;

use super::PredictError;
use crate::data::Dataset;

/// Operations charged for one `exp` (a sigmoid): about what libm's `exp` costs in
/// multiply-adds for its polynomial and range reduction.
pub const EXP_OPS: u64 = 20;

/// The numbers in a JSON value, recursively.
pub fn count_numbers(v: &serde_json::Value) -> u64 {
    match v {
        serde_json::Value::Number(_) => 1,
        serde_json::Value::Array(a) => a.iter().map(count_numbers).sum(),
        serde_json::Value::Object(o) => o.values().map(count_numbers).sum(),
        _ => 0,
    }
}

/// A fitted binary classifier.
///
/// Object-safe so the pipeline can hold any model as `Box<dyn Model>`; saving goes through
/// [`Model::to_json`] because `serde::Serialize` itself is not object-safe.
pub trait Model: Debug + Send + Sync {
    /// The `model_type` tag of the saved form, e.g. `"logistic"`.
    fn kind(&self) -> &'static str;

    /// The feature columns the model was trained on, in the order it expects them.
    fn feature_names(&self) -> &[String];

    /// P(y = 1) for each row of raw (unscaled) features; any preprocessing is part of the
    /// model.
    ///
    /// # Panics
    /// If `x` does not have one column per feature name. Untrusted input should go through
    /// [`Model::predict_dataset`], which checks the columns by name first.
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Vec<f64>;

    /// The saved form: a JSON object tagged with `format_version` and `model_type`, which
    /// [`super::load_model`] reads back. (A `Value` keeps keys sorted; serializing the
    /// concrete type directly keeps the documented order.)
    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error>;

    /// Arithmetic operations (additions, multiplications, comparisons; an exponential counts
    /// as [`EXP_OPS`]) one prediction performs: the deterministic cost behind the optimiser's
    /// default latency estimate. The default counts the numbers in the saved form, exact for
    /// dense models that read every parameter once per row (the transformer reads its weights
    /// once per token, so it undercounts there); models with a cheaper path override it.
    fn ops_per_prediction(&self) -> u64 {
        self.to_json().map_or(0, |v| count_numbers(&v))
    }

    /// P(y = 1) for each row of `data`, after checking that its columns are the model's
    /// features in the model's order, so a reordered file cannot be scored silently wrong.
    fn predict_dataset(&self, data: &Dataset) -> Result<Vec<f64>, PredictError> {
        if data.feature_names() != self.feature_names() {
            return Err(PredictError::FeatureMismatch {
                expected: self.feature_names().to_vec(),
                found: data.feature_names().to_vec(),
            });
        }
        Ok(self.predict_proba(data.x()))
    }
}
