//! A small transformer encoder classifier, trained by backpropagation with Adam.
//!
//! The original's "simple_transformer" was the additive z-score heuristic under another name
//! (§2.5, §3.1 of the spec): with synthetic data its metrics were identical to the heuristic's.
//! This is a real encoder (`transformer_network` has the architecture): every
//! feature is a token, numeric features through a learned per-feature linear map, token
//! columns (`action_<i>`) through a learned embedding table, with a learned per-feature
//! position embedding; self-attention lets each feature's representation depend on the
//! others. Numeric features are standardized with statistics fitted on the training rows and
//! saved in the model, so a loaded model scores raw inputs.

use std::f64::consts::LN_2;

use ndarray::{ArrayView2, Axis};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::adam::Adam;
use super::log_loss::{DIVERGENCE_LOSS_FACTOR, sigmoid};
use super::token_vocabulary::{TokenVocabulary, is_token_column};
use super::training_data::check_training_data;
use super::transformer_network::{Architecture, Batch, Network, TokenKind, Workspace};
use super::{FORMAT_VERSION, FitError, LoadError, Model, TransformerParams};
use crate::data::Standardizer;
use crate::data::sampling::shuffle;

/// The `model_type` of the saved form.
const KIND: &str = "simple_transformer";

/// Weight tensors of one encoder layer, and of the embeddings and head together.
const TENSORS_PER_LAYER: usize = 12;
const OTHER_TENSORS: usize = 5;

/// Rows scored per forward pass when predicting: bounds the workspace, and results do not
/// depend on it.
const PREDICT_CHUNK: usize = 256;

/// A fitted transformer encoder: P(y = 1) = σ(head · mean-pool(encoder(tokens(x)))).
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleTransformer {
    feature_names: Vec<String>,
    params: TransformerParams,
    /// Fitted on the numeric columns only; `None` when every column is a token column.
    standardizer: Option<Standardizer>,
    /// The values of the token columns seen in training; empty without token columns.
    vocabulary: TokenVocabulary,
    network: Network,
    parameters: Vec<f64>,
    history: Vec<f64>,
}

/// Which columns are numeric and which are tokens, and how each is encoded.
struct Encoder<'a> {
    numeric: Vec<usize>,
    tokens: Vec<usize>,
    mean: &'a [f64],
    inverse_std: Vec<f64>,
    vocabulary: &'a TokenVocabulary,
}

impl<'a> Encoder<'a> {
    fn new(kinds: &[TokenKind], standardizer: Option<&'a Standardizer>, vocabulary: &'a TokenVocabulary) -> Self {
        let columns_of = |wanted| kinds.iter().enumerate().filter(move |&(_, &kind)| kind == wanted).map(|(j, _)| j);
        Self {
            numeric: columns_of(TokenKind::Numeric).collect(),
            tokens: columns_of(TokenKind::Categorical).collect(),
            mean: standardizer.map_or(&[], |s| &s.mean),
            inverse_std: standardizer.map_or_else(Vec::new, Standardizer::inverse_std),
            vocabulary,
        }
    }

    /// Appends the encoded `rows` of `x` to `numeric` and `tokens`.
    fn encode(
        &self,
        x: ArrayView2<'_, f64>,
        rows: impl Iterator<Item = usize>,
        numeric: &mut Vec<f64>,
        tokens: &mut Vec<usize>,
    ) {
        for row in rows {
            let values = x.row(row);
            for ((&column, mean), scale) in self.numeric.iter().zip(self.mean).zip(&self.inverse_std) {
                numeric.push((values[column] - mean) * scale);
            }
            tokens.extend(self.tokens.iter().map(|&column| self.vocabulary.index(values[column])));
        }
    }
}

fn kinds_of(feature_names: &[String]) -> Vec<TokenKind> {
    let kind = |name: &String| if is_token_column(name) { TokenKind::Categorical } else { TokenKind::Numeric };
    feature_names.iter().map(kind).collect()
}

fn architecture(kinds: Vec<TokenKind>, vocabulary: &TokenVocabulary, params: &TransformerParams) -> Architecture {
    let has_tokens = kinds.contains(&TokenKind::Categorical);
    Architecture {
        kinds,
        embedding_rows: if has_tokens { vocabulary.len() + 1 } else { 0 },
        layers: params.layers.get(),
        heads: params.heads.get(),
        head_dim: params.head_dim.get(),
        ff_dim: params.ff_dim.get(),
        activation: params.activation,
    }
}

impl SimpleTransformer {
    /// Fits the model on raw features `x` (rows × features) and 0/1 labels `y`.
    ///
    /// `rng` draws the initial weights, then each epoch's row order. `cancel` is polled before
    /// every epoch. Training stops with [`FitError::Diverged`] as soon as a batch loss is not
    /// finite, or after an epoch whose parameters are not finite or whose mean loss exceeds
    /// the divergence limit. The same inputs and generator state give bit-identical weights.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[u8],
        feature_names: &[String],
        params: &TransformerParams,
        rng: &mut ChaCha8Rng,
        cancel: &dyn Fn() -> bool,
    ) -> Result<Self, FitError> {
        params.validate()?;
        check_training_data(x, y, feature_names)?;
        let (rows, width) = x.dim();

        let kinds = kinds_of(feature_names);
        let numeric: Vec<usize> = (0..width).filter(|&j| kinds[j] == TokenKind::Numeric).collect();
        let standardizer = if numeric.is_empty() {
            None
        } else {
            let fitted =
                Standardizer::fit(x.select(Axis(1), &numeric).view()).map_err(|_| FitError::EmptyTrainingSet)?;
            let statistics = fitted.mean.iter().zip(&fitted.std);
            // Finite values can still overflow the variance.
            if let Some(k) = statistics.map(|(mean, std)| mean.is_finite() && std.is_finite()).position(|ok| !ok) {
                return Err(FitError::NonFiniteFeature { feature: feature_names[numeric[k]].clone() });
            }
            Some(fitted)
        };
        let token_values =
            (0..width).filter(|&j| kinds[j] == TokenKind::Categorical).flat_map(|j| x.column(j).to_vec());
        let vocabulary = TokenVocabulary::fit(token_values);
        let network = Network::new(architecture(kinds.clone(), &vocabulary, params));
        let mut parameters = network.initialize(rng);

        let encoder = Encoder::new(&kinds, standardizer.as_ref(), &vocabulary);
        let (mut all_numeric, mut all_tokens) = (Vec::new(), Vec::new());
        encoder.encode(x, 0..rows, &mut all_numeric, &mut all_tokens);
        let (numeric_width, token_width) = (network.numeric_columns(), network.categorical_columns());

        let loss_limit = DIVERGENCE_LOSS_FACTOR * LN_2;
        let mut adam = Adam::new(parameters.len());
        let mut gradient = vec![0.0; parameters.len()];
        let mut workspace = Workspace::default();
        let mut order: Vec<usize> = (0..rows).collect();
        let (mut batch_numeric, mut batch_tokens, mut batch_labels) = (Vec::new(), Vec::new(), Vec::new());
        let mut history = Vec::with_capacity(params.epochs as usize);
        for epoch in 1..=params.epochs {
            if cancel() {
                return Err(FitError::Cancelled);
            }
            shuffle(&mut order, rng);
            let mut loss_sum = 0.0;
            for chunk in order.chunks(params.batch_size) {
                batch_numeric.clear();
                batch_tokens.clear();
                batch_labels.clear();
                for &row in chunk {
                    batch_numeric.extend_from_slice(&all_numeric[row * numeric_width..(row + 1) * numeric_width]);
                    batch_tokens.extend_from_slice(&all_tokens[row * token_width..(row + 1) * token_width]);
                    batch_labels.push(y[row]);
                }
                let batch = Batch { rows: chunk.len(), numeric: &batch_numeric, tokens: &batch_tokens };
                let loss = network.loss_and_gradient(
                    &parameters,
                    batch,
                    &batch_labels,
                    params.l2,
                    &mut workspace,
                    &mut gradient,
                );
                if !loss.is_finite() {
                    return Err(FitError::Diverged { epoch });
                }
                loss_sum += loss * chunk.len() as f64;
                adam.step(&mut parameters, &gradient, params.learning_rate);
            }
            let epoch_loss = loss_sum / rows as f64;
            if !parameters.iter().all(|p| p.is_finite()) || !epoch_loss.is_finite() || epoch_loss > loss_limit {
                return Err(FitError::Diverged { epoch });
            }
            history.push(epoch_loss);
        }

        Ok(Self {
            feature_names: feature_names.to_vec(),
            params: params.clone(),
            standardizer,
            vocabulary,
            network,
            parameters,
            history,
        })
    }

    pub fn params(&self) -> &TransformerParams {
        &self.params
    }

    /// The standardizer of the numeric columns, in column order; `None` if there are none.
    pub fn standardizer(&self) -> Option<&Standardizer> {
        self.standardizer.as_ref()
    }

    /// Number of trained parameters.
    pub fn parameter_count(&self) -> usize {
        self.parameters.len()
    }

    /// Mean training objective of each epoch, averaged over the epoch's mini-batches (each
    /// evaluated just before its step, weighted by its row count).
    pub fn history(&self) -> &[f64] {
        &self.history
    }
}

impl Model for SimpleTransformer {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        assert_eq!(x.ncols(), self.feature_names.len(), "transformer expects one column per feature");
        let kinds = kinds_of(&self.feature_names);
        let encoder = Encoder::new(&kinds, self.standardizer.as_ref(), &self.vocabulary);
        let mut workspace = Workspace::default();
        let (mut numeric, mut tokens) = (Vec::new(), Vec::new());
        let mut probabilities = Vec::with_capacity(x.nrows());
        for start in (0..x.nrows()).step_by(PREDICT_CHUNK) {
            let end = (start + PREDICT_CHUNK).min(x.nrows());
            numeric.clear();
            tokens.clear();
            encoder.encode(x, start..end, &mut numeric, &mut tokens);
            let batch = Batch { rows: end - start, numeric: &numeric, tokens: &tokens };
            let logits = self.network.logits(&self.parameters, batch, &mut workspace);
            probabilities.extend(logits.iter().map(|&z| sigmoid(z)));
        }
        probabilities
    }

    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

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
            format_version: FORMAT_VERSION,
            model_type: KIND,
            feature_names: &self.feature_names,
            params: &self.params,
            standardizer: self.standardizer.as_ref(),
            vocabulary: &self.vocabulary,
            tensors,
            history: &self.history,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SimpleTransformer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = SavedTransformer::deserialize(deserializer)?;
        Self::try_from(saved).map_err(serde::de::Error::custom)
    }
}

/// A structural inconsistency that `LoadError` has no variant for, reported as a JSON error
/// with a precise message.
fn inconsistent(message: String) -> LoadError {
    LoadError::Json { source: serde::de::Error::custom(message) }
}

impl TryFrom<SavedTransformer> for SimpleTransformer {
    type Error = LoadError;

    fn try_from(saved: SavedTransformer) -> Result<Self, LoadError> {
        super::load::check_header(saved.format_version, &saved.model_type, KIND)?;
        if saved.feature_names.is_empty() {
            return Err(LoadError::LengthMismatch { what: "feature names", found: 0, expected: 1 });
        }
        saved.params.validate().map_err(|source| LoadError::InvalidParams { source })?;
        let kinds = kinds_of(&saved.feature_names);
        let numeric = kinds.iter().filter(|&&kind| kind == TokenKind::Numeric).count();
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
        let network = Network::new(architecture(kinds, &saved.vocabulary, &saved.params));
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
            params: saved.params,
            standardizer: saved.standardizer,
            vocabulary: saved.vocabulary,
            network,
            parameters,
            history: saved.history,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::error::Error;
    use std::time::Instant;

    use ndarray::array;
    use rand::SeedableRng;

    use super::*;
    use crate::data::synthetic::default_family;
    use crate::data::synthetic_anomaly::anomaly_family;
    use crate::data::{Dataset, SplitConfig, SplitStrategy, Splits, split};
    use crate::models::load_model;

    fn never() -> bool {
        false
    }

    fn stratified(data: &Dataset, seed: u64) -> Result<Splits, Box<dyn Error>> {
        let config = SplitConfig { strategy: SplitStrategy::Stratified, train_ratio: 0.8, calibration_ratio: None };
        Ok(split(data, &config, &mut ChaCha8Rng::seed_from_u64(seed))?)
    }

    fn default_splits(rows: usize, seed: u64) -> Result<Splits, Box<dyn Error>> {
        stratified(&default_family(rows, &mut ChaCha8Rng::seed_from_u64(seed)), seed + 1)
    }

    fn fit_on(data: &Dataset, params: &TransformerParams, seed: u64) -> Result<SimpleTransformer, FitError> {
        SimpleTransformer::fit(
            data.x(),
            data.y(),
            data.feature_names(),
            params,
            &mut ChaCha8Rng::seed_from_u64(seed),
            &never,
        )
    }

    fn accuracy(probabilities: &[f64], labels: &[u8]) -> f64 {
        let correct = probabilities.iter().zip(labels).filter(|&(&p, &y)| u8::from(p >= 0.5) == y).count();
        correct as f64 / labels.len() as f64
    }

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    /// The issue's floor on the default family, with the default settings.
    #[test]
    fn learns_the_default_family() -> Result<(), Box<dyn Error>> {
        let splits = default_splits(10_000, 42)?;
        let started = Instant::now();
        let model = fit_on(&splits.train, &TransformerParams::default(), 1)?;
        let elapsed = started.elapsed();
        let accuracy = accuracy(&model.predict_dataset(&splits.validation)?, splits.validation.y());
        eprintln!(
            "default family: validation accuracy {accuracy:.4}, {} epochs in {elapsed:.2?}, history {:?}",
            model.history().len(),
            model.history()
        );
        assert!(accuracy >= 0.95, "validation accuracy {accuracy}");
        let history = model.history();
        assert!(history[history.len() - 1] < history[0]);
        Ok(())
    }

    #[test]
    fn learns_token_sequences_of_the_anomaly_family() -> Result<(), Box<dyn Error>> {
        let data = anomaly_family(3_000, 0.3, &mut ChaCha8Rng::seed_from_u64(3))?;
        let splits = stratified(&data, 4)?;
        let model = fit_on(&splits.train, &TransformerParams::default(), 2)?;
        assert!(model.standardizer().is_none());
        let accuracy = accuracy(&model.predict_dataset(&splits.validation)?, splits.validation.y());
        eprintln!("anomaly family, noise 0.3: validation accuracy {accuracy:.4}");
        assert!(accuracy >= 0.9, "validation accuracy {accuracy}");
        Ok(())
    }

    #[test]
    fn same_seed_gives_identical_bits() -> Result<(), Box<dyn Error>> {
        let splits = default_splits(600, 5)?;
        let params = TransformerParams { epochs: 2, l2: 1e-3, ..TransformerParams::default() };
        let first = fit_on(&splits.train, &params, 11)?;
        assert_eq!(bits(&fit_on(&splits.train, &params, 11)?.parameters), bits(&first.parameters));
        assert_ne!(bits(&fit_on(&splits.train, &params, 12)?.parameters), bits(&first.parameters));
        Ok(())
    }

    #[test]
    fn predictions_do_not_depend_on_batching() -> Result<(), Box<dyn Error>> {
        let splits = default_splits(1_000, 6)?;
        let params = TransformerParams { epochs: 1, ..TransformerParams::default() };
        let model = fit_on(&splits.train, &params, 1)?;
        let x = splits.validation.x();
        let all = model.predict_proba(x);
        let one_by_one: Vec<f64> =
            (0..x.nrows()).flat_map(|i| model.predict_proba(x.select(Axis(0), &[i]).view())).collect();
        assert_eq!(bits(&all), bits(&one_by_one));
        Ok(())
    }

    #[test]
    fn saved_models_score_identically_after_loading() -> Result<(), Box<dyn Error>> {
        let numeric = default_splits(600, 7)?;
        let tokens = stratified(&anomaly_family(600, 0.3, &mut ChaCha8Rng::seed_from_u64(8))?, 9)?;
        let params = TransformerParams {
            epochs: 2,
            layers: std::num::NonZeroUsize::MIN.saturating_add(1),
            ..TransformerParams::default()
        };
        for splits in [&numeric, &tokens] {
            let model = fit_on(&splits.train, &params, 3)?;
            let json = serde_json::to_string(&model)?;
            assert!(json.starts_with(r#"{"format_version":1,"model_type":"simple_transformer","#));
            let direct: SimpleTransformer = serde_json::from_str(&json)?;
            assert_eq!(direct, model);
            let loaded = load_model(&serde_json::to_string(&model.to_json()?)?)?;
            assert_eq!(loaded.kind(), "simple_transformer");
            let x = splits.validation.x();
            assert_eq!(bits(&loaded.predict_proba(x)), bits(&model.predict_proba(x)));
        }
        Ok(())
    }

    #[test]
    fn loading_rejects_inconsistent_files() -> Result<(), Box<dyn Error>> {
        let splits = default_splits(200, 2)?;
        let params = TransformerParams { epochs: 1, ..TransformerParams::default() };
        let saved = fit_on(&splits.train, &params, 1)?.to_json()?;
        let edit = |path: &str, value: serde_json::Value| {
            let mut edited = saved.clone();
            if let Some(slot) = edited.pointer_mut(path) {
                *slot = value;
            }
            load_model(&edited.to_string()).map_or_else(
                |e| e.source().map_or_else(|| e.to_string(), |source| format!("{e}: {source}")),
                |_| "ok".to_owned(),
            )
        };
        assert_eq!(edit("/tensors/0/values/0", serde_json::json!(0.5)), "ok");
        assert_eq!(
            edit("/params/heads", serde_json::json!(3)),
            "parse saved model json: weight tensor `value_weight` of shape [5, 16] with 80 values does not match \
             the architecture's `value_weight` of shape [5, 24]"
        );
        assert_eq!(
            edit("/tensors/3/name", serde_json::json!("renamed")),
            "parse saved model json: weight tensor `renamed` of shape [16, 48] with 768 values does not match \
             the architecture's `layers.0.attention.qkv_weight` of shape [16, 48]"
        );
        assert_eq!(
            edit("/standardizer/std", serde_json::json!([1.0])),
            "saved model has 1 standardizer stds for 5 features"
        );
        assert_eq!(edit("/standardizer", serde_json::Value::Null), "saved model has no `standardizer` field");
        assert_eq!(
            edit("/params/layers", serde_json::json!(1_000_000_000_000u64)),
            "parse saved model json: saved model has 17 weight tensors; 1000000000000 encoder layers need \
             12000000000005"
        );
        assert_eq!(
            edit("/params/learning_rate", serde_json::json!(0.0)),
            "saved model has invalid training parameters: learning rate must be positive and finite, got 0"
        );
        Ok(())
    }

    #[test]
    fn huge_learning_rate_is_reported_as_divergence() -> Result<(), Box<dyn Error>> {
        let splits = default_splits(400, 3)?;
        let params = TransformerParams { learning_rate: 1e6, epochs: 3, ..TransformerParams::default() };
        assert_eq!(fit_on(&splits.train, &params, 1), Err(FitError::Diverged { epoch: 1 }));
        Ok(())
    }

    #[test]
    fn rejects_bad_inputs_and_honours_cancel() -> Result<(), Box<dyn Error>> {
        let names = vec!["a".to_owned(), "action_0".to_owned()];
        let x = array![[0.0, 1.0], [2.0, 3.0]];
        let fit = |x: ArrayView2<'_, f64>, y: &[u8], names: &[String], cancel: &dyn Fn() -> bool| {
            let params = TransformerParams { epochs: 3, ..TransformerParams::default() };
            let result = SimpleTransformer::fit(x, y, names, &params, &mut ChaCha8Rng::seed_from_u64(1), cancel);
            result.map_or_else(|e| e.to_string(), |_| "ok".to_owned())
        };
        assert_eq!(fit(x.view(), &[0, 1], &names, &never), "ok");
        assert_eq!(fit(x.view(), &[0, 1], &names[..1], &never), "1 feature names were given for 2 feature columns");
        assert_eq!(fit(x.view(), &[0], &names, &never), "1 labels were given for 2 rows");
        assert_eq!(fit(x.view(), &[0, 5], &names, &never), "label of row 1 is 5, but labels must be 0 or 1");
        assert_eq!(fit(x.select(Axis(0), &[]).view(), &[], &names, &never), "training set has no rows");
        assert_eq!(
            fit(array![[f64::NAN, 1.0], [1.0, 2.0]].view(), &[0, 1], &names, &never),
            "feature `a` has non-finite values"
        );
        let polls = Cell::new(0);
        let cancel_on_third = || {
            polls.set(polls.get() + 1);
            polls.get() == 3
        };
        assert_eq!(fit(x.view(), &[0, 1], &names, &cancel_on_third), "training was cancelled");
        assert_eq!(polls.get(), 3);
        let invalid = TransformerParams { batch_size: 0, ..TransformerParams::default() };
        let result =
            SimpleTransformer::fit(x.view(), &[0, 1], &names, &invalid, &mut ChaCha8Rng::seed_from_u64(1), &never);
        assert_eq!(result, Err(FitError::InvalidBatchSize { value: 0 }));
        Ok(())
    }

    #[test]
    fn unseen_token_ids_are_scored() -> Result<(), Box<dyn Error>> {
        let data = anomaly_family(300, 0.3, &mut ChaCha8Rng::seed_from_u64(1))?;
        let params = TransformerParams { epochs: 1, ..TransformerParams::default() };
        let model = fit_on(&data, &params, 1)?;
        let probabilities = model.predict_proba(array![[1000.0, -3.5, 0.5]].view());
        assert!(probabilities[0].is_finite() && (0.0..=1.0).contains(&probabilities[0]));
        Ok(())
    }
}
