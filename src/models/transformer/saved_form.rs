//! The transformer's saved form: its weights as named tensors in layout order behind the
//! version and type tag, and the checks a file passes before it becomes a model. Apart from
//! `transformer` because the format has a version of its own and a retired version to refuse.

use serde::{Deserialize, Serialize, Serializer};

use super::{
    KIND, OTHER_TENSORS, SimpleTransformer, TENSORS_PER_LAYER, TRANSFORMER_FORMAT_VERSION, architecture,
    numeric_columns,
};
use crate::data::Standardizer;
use crate::models::feature_tokens::{FeatureToken, FeatureTokens};
use crate::models::token_vocabulary::TokenVocabulary;
use crate::models::transformer_network::Network;
use crate::models::{LoadError, TransformerParams};

/// One named weight tensor of the saved form, row-major.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedTensor<V> {
    name: String,
    shape: [usize; 2],
    values: V,
}

/// The saved form as written: the model's fields behind a version and type tag, with the
/// weights as named tensors in layout order.
#[derive(Serialize)]
struct SavedTransformerRef<'a> {
    format_version: u32,
    model_type: &'static str,
    feature_names: &'a [String],
    tokens: &'a FeatureTokens,
    params: &'a TransformerParams,
    standardizer: Option<&'a Standardizer>,
    vocabulary: &'a TokenVocabulary,
    tensors: Vec<SavedTensor<&'a [f64]>>,
    history: &'a [f64],
}

/// The saved form as read, checked by `TryFrom` before it becomes a model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavedTransformer {
    format_version: u64,
    model_type: String,
    feature_names: Vec<String>,
    /// Absent in version 1, which the version check refuses first.
    #[serde(default)]
    tokens: Option<Vec<FeatureToken>>,
    params: TransformerParams,
    standardizer: Option<Standardizer>,
    vocabulary: TokenVocabulary,
    tensors: Vec<SavedTensor<Vec<f64>>>,
    history: Vec<f64>,
}

impl Serialize for SimpleTransformer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let tensors = self
            .network
            .tensors()
            .iter()
            .map(|spec| SavedTensor {
                name: spec.name.clone(),
                shape: [spec.rows, spec.cols],
                values: &self.parameters[spec.range.clone()],
            })
            .collect();
        SavedTransformerRef {
            format_version: TRANSFORMER_FORMAT_VERSION,
            model_type: KIND,
            feature_names: &self.feature_names,
            tokens: &self.tokens,
            params: &self.params,
            standardizer: self.standardizer.as_ref(),
            vocabulary: &self.vocabulary,
            tensors,
            history: &self.history,
        }
        .serialize(serializer)
    }
}

crate::models::saved::saved_model!(SimpleTransformer, SavedTransformer);

/// Refuses a saved form of another version, naming the fix for the retired version 1.
pub(crate) fn check_format_version(found: u64) -> Result<(), LoadError> {
    if found == 1 {
        return Err(LoadError::RetiredFormatVersion {
            model_type: KIND,
            found,
            supported: TRANSFORMER_FORMAT_VERSION,
            fix: "it was trained with one token per feature column, which this build's FT-Transformer \
                  encoder cannot lay out; retrain it with `nethical run --force <manifest>` (`--force`, or a \
                  cached model of the older build is reused)",
        });
    }
    Ok(())
}

/// A structural inconsistency that `LoadError` has no variant for, reported as a JSON error
/// with a precise message.
fn inconsistent(message: String) -> LoadError {
    LoadError::Json { source: serde::de::Error::custom(message) }
}

impl TryFrom<SavedTransformer> for SimpleTransformer {
    type Error = LoadError;

    fn try_from(saved: SavedTransformer) -> Result<Self, LoadError> {
        check_format_version(saved.format_version)?;
        crate::models::saved::check_header_of(
            saved.format_version,
            &saved.model_type,
            KIND,
            TRANSFORMER_FORMAT_VERSION,
        )?;
        if saved.feature_names.is_empty() {
            return Err(LoadError::LengthMismatch { what: "feature names", found: 0, expected: 1 });
        }
        saved.params.validate().map_err(|source| LoadError::InvalidParams { source })?;
        let tokens = saved.tokens.ok_or(LoadError::MissingField { field: "tokens" })?;
        let tokens = FeatureTokens::from_saved(tokens, saved.feature_names.len()).map_err(inconsistent)?;
        let numeric = numeric_columns(&tokens).len();
        match (&saved.standardizer, numeric) {
            (None, 0) => {}
            (Some(standardizer), _) => {
                for (what, found) in
                    [("standardizer means", standardizer.mean.len()), ("standardizer stds", standardizer.std.len())]
                {
                    if found != numeric {
                        return Err(LoadError::LengthMismatch { what, found, expected: numeric });
                    }
                }
                if !standardizer.mean.iter().all(|v| v.is_finite()) {
                    return Err(LoadError::InvalidNumber { what: "standardizer mean" });
                }
                if !standardizer.std.iter().all(|s| s.is_finite() && *s > 0.0) {
                    return Err(LoadError::InvalidNumber { what: "standardizer std" });
                }
            }
            (None, _) => return Err(LoadError::MissingField { field: "standardizer" }),
        }
        // Checked before the layout is built: its size grows with the saved layer count.
        let expected_tensors = saved.params.layers.get().checked_mul(TENSORS_PER_LAYER).map(|n| n + OTHER_TENSORS);
        if expected_tensors != Some(saved.tensors.len()) {
            return Err(inconsistent(format!(
                "saved model has {} weight tensors; {} encoder layers need {}",
                saved.tensors.len(),
                saved.params.layers,
                expected_tensors.map_or_else(|| "more".to_owned(), |n| n.to_string())
            )));
        }
        let network = Network::new(architecture(&tokens, &saved.vocabulary, &saved.params));
        let specs = network.tensors();
        // Every tensor is checked before anything is allocated for the layout, whose sizes
        // come from the (possibly edited) file.
        for (tensor, spec) in saved.tensors.iter().zip(specs) {
            if tensor.name != spec.name
                || tensor.shape != [spec.rows, spec.cols]
                || tensor.values.len() != spec.range.len()
            {
                return Err(inconsistent(format!(
                    "weight tensor `{}` of shape {:?} with {} values does not match the architecture's `{}` of \
                     shape [{}, {}]",
                    tensor.name,
                    tensor.shape,
                    tensor.values.len(),
                    spec.name,
                    spec.rows,
                    spec.cols
                )));
            }
            if !tensor.values.iter().all(|v| v.is_finite()) {
                return Err(LoadError::InvalidNumber { what: "weight" });
            }
        }
        let parameters = saved.tensors.into_iter().flat_map(|tensor| tensor.values).collect();
        Ok(Self {
            feature_names: saved.feature_names,
            tokens,
            params: saved.params,
            standardizer: saved.standardizer,
            vocabulary: saved.vocabulary,
            network,
            parameters,
            history: saved.history,
        })
    }
}
