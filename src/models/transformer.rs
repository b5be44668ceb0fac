//! A small transformer encoder classifier, trained by backpropagation with Adam.
//!
//! The original's "simple_transformer" was the additive z-score heuristic under another name
//! (§2.5, §3.1 of the spec): with synthetic data its metrics were identical to the heuristic's.
//! This is a real encoder (`transformer_network` has the architecture) with FT-Transformer's
//! tokenisation: one token per original column ([`FeatureTokens`]: a numeric column through a
//! learned vector and bias, a one-hot encoded text column or an `action_<i>` id column through
//! a learned embedding per category), plus a CLS token that the head reads; self-attention lets
//! each column's representation depend on the others. Numeric features are standardized with
//! statistics fitted on the training rows and saved in the model, so a loaded model scores raw
//! inputs. Training spreads each mini-batch over rayon's current pool in fixed chunks of rows,
//! so the weights do not depend on the thread count.

use std::f64::consts::LN_2;

use ndarray::{ArrayView2, Axis};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::adam::Adam;
use super::feature_tokens::{FeatureToken, FeatureTokens};
use super::fit_hooks::{EpochProgress, FitHooks};
use super::log_loss::{DIVERGENCE_LOSS_FACTOR, sigmoid};
use super::token_vocabulary::TokenVocabulary;
use super::training_data::check_training_data;
use super::transformer_network::{Architecture, Batch, Network, TokenKind, TrainingWorkspace, Workspace};
use super::{FitError, Model, TransformerParams};
use crate::data::Standardizer;
use crate::data::sampling::shuffle;

mod saved_form;
pub(crate) use saved_form::check_format_version;

/// The `model_type` of the saved form.
pub(crate) const KIND: &str = "simple_transformer";

/// The version of this model's training code, part of a `train` or `optimize` cache key: bump
/// it when the same data, parameters and seed give another model (or other bytes), and update
/// its golden file (`tests/golden/`).
pub(crate) const CODE_VERSION: u32 = 1;

/// Version of this model's saved form. Version 1 had one token per feature column and
/// mean-pooled outputs, with no CLS token: its weights cannot be laid out by this encoder.
pub(crate) const TRANSFORMER_FORMAT_VERSION: u32 = 2;

/// Weight tensors of one encoder layer, and of the embeddings, CLS token and head together.
const TENSORS_PER_LAYER: usize = 12;
const OTHER_TENSORS: usize = 6;

/// Rows scored per forward pass when predicting, and per parallel task: bounds the
/// workspace, and results do not depend on it.
const PREDICT_CHUNK: usize = 256;

/// A one-hot indicator above this is set (the preprocessor writes exactly 0 and 1).
const ONE_HOT_SET: f64 = 0.5;

/// A fitted transformer encoder: P(y = 1) = σ(head · encoder(CLS, tokens(x))[CLS]).
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleTransformer {
    feature_names: Vec<String>,
    tokens: FeatureTokens,
    params: TransformerParams,
    /// Fitted on the numeric tokens' columns only; `None` when there are none.
    standardizer: Option<Standardizer>,
    /// The values of the id columns seen in training; empty without id columns.
    vocabulary: TokenVocabulary,
    network: Network,
    parameters: Vec<f64>,
    history: Vec<f64>,
}

/// Where each categorical token's categories live in the embedding table: the id columns'
/// shared vocabulary first, then each one-hot token's categories, each followed by its
/// unknown row.
struct EmbeddingLayout {
    /// First row of each token (unused for numeric tokens).
    offsets: Vec<usize>,
    rows: usize,
    unknown_rows: Vec<usize>,
}

impl EmbeddingLayout {
    fn new(tokens: &FeatureTokens, vocabulary: &TokenVocabulary) -> Self {
        let has_ids = tokens.tokens().iter().any(|token| matches!(token, FeatureToken::Id { .. }));
        let (mut rows, mut unknown_rows) =
            if has_ids { (vocabulary.len() + 1, vec![vocabulary.unknown()]) } else { (0, Vec::new()) };
        let offsets = tokens
            .tokens()
            .iter()
            .map(|token| match token {
                FeatureToken::Numeric { .. } | FeatureToken::Id { .. } => 0,
                FeatureToken::OneHot { columns } => {
                    let offset = rows;
                    unknown_rows.push(offset + columns.len());
                    rows += columns.len() + 1;
                    offset
                }
            })
            .collect();
        Self { offsets, rows, unknown_rows }
    }
}

/// Turns rows of features into the network's inputs: standardized values of the numeric
/// tokens and embedding rows of the categorical ones.
struct Encoder<'a> {
    tokens: &'a [FeatureToken],
    offsets: Vec<usize>,
    mean: &'a [f64],
    inverse_std: Vec<f64>,
    vocabulary: &'a TokenVocabulary,
}

impl<'a> Encoder<'a> {
    fn new(tokens: &'a FeatureTokens, standardizer: Option<&'a Standardizer>, vocabulary: &'a TokenVocabulary) -> Self {
        Self {
            tokens: tokens.tokens(),
            offsets: EmbeddingLayout::new(tokens, vocabulary).offsets,
            mean: standardizer.map_or(&[], |s| &s.mean),
            inverse_std: standardizer.map_or_else(Vec::new, Standardizer::inverse_std),
            vocabulary,
        }
    }

    /// Appends the encoded `rows` of `x` to `numeric` and `ids`.
    fn encode(
        &self,
        x: ArrayView2<'_, f64>,
        rows: impl Iterator<Item = usize>,
        numeric: &mut Vec<f64>,
        ids: &mut Vec<usize>,
    ) {
        for row in rows {
            let values = x.row(row);
            let mut k = 0;
            for (token, &offset) in self.tokens.iter().zip(&self.offsets) {
                match token {
                    FeatureToken::Numeric { column } => {
                        numeric.push((values[*column] - self.mean[k]) * self.inverse_std[k]);
                        k += 1;
                    }
                    FeatureToken::Id { column } => ids.push(self.vocabulary.index(values[*column])),
                    FeatureToken::OneHot { columns } => {
                        let set = columns.clone().position(|column| values[column] > ONE_HOT_SET);
                        ids.push(offset + set.unwrap_or(columns.len()));
                    }
                }
            }
        }
    }
}

fn kinds_of(tokens: &FeatureTokens) -> Vec<TokenKind> {
    let kind = |token: &FeatureToken| match token {
        FeatureToken::Numeric { .. } => TokenKind::Numeric,
        FeatureToken::Id { .. } | FeatureToken::OneHot { .. } => TokenKind::Categorical,
    };
    tokens.tokens().iter().map(kind).collect()
}

/// The columns of the numeric tokens, in token order.
fn numeric_columns(tokens: &FeatureTokens) -> Vec<usize> {
    let column = |token: &FeatureToken| match token {
        FeatureToken::Numeric { column } => Some(*column),
        FeatureToken::Id { .. } | FeatureToken::OneHot { .. } => None,
    };
    tokens.tokens().iter().filter_map(column).collect()
}

fn architecture(tokens: &FeatureTokens, vocabulary: &TokenVocabulary, params: &TransformerParams) -> Architecture {
    let layout = EmbeddingLayout::new(tokens, vocabulary);
    Architecture {
        kinds: kinds_of(tokens),
        embedding_rows: layout.rows,
        unknown_rows: layout.unknown_rows,
        layers: params.layers.get(),
        heads: params.heads.get(),
        head_dim: params.head_dim.get(),
        ff_dim: params.ff_dim.get(),
        activation: params.activation,
    }
}

impl SimpleTransformer {
    /// Fits the model with one token per column (`action_<i>` columns as ids), no progress
    /// reports; see [`Self::fit_with`].
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[u8],
        feature_names: &[String],
        params: &TransformerParams,
        rng: &mut ChaCha8Rng,
        cancel: &dyn Fn() -> bool,
    ) -> Result<Self, FitError> {
        let tokens = FeatureTokens::per_column(feature_names);
        Self::fit_with(x, y, feature_names, &tokens, params, rng, &FitHooks { cancel, epoch_done: &|_| {} })
    }

    /// Fits the model on raw features `x` (rows × features) and 0/1 labels `y`, reading each
    /// row as `tokens`.
    ///
    /// `rng` draws the initial weights, then each epoch's row order. `hooks.cancel` is polled
    /// before every epoch and `hooks.epoch_done` told after it. Each mini-batch is computed on
    /// rayon's current pool. Training stops with [`FitError::Diverged`] as soon as a batch
    /// loss is not finite, or after an epoch whose parameters are not finite or whose mean
    /// loss exceeds the divergence limit. The same inputs and generator state give
    /// bit-identical weights at any thread count.
    pub fn fit_with(
        x: ArrayView2<'_, f64>,
        y: &[u8],
        feature_names: &[String],
        tokens: &FeatureTokens,
        params: &TransformerParams,
        rng: &mut ChaCha8Rng,
        hooks: &FitHooks<'_>,
    ) -> Result<Self, FitError> {
        params.validate()?;
        check_training_data(x, y, feature_names)?;
        let rows = x.nrows();
        if tokens.columns() != x.ncols() {
            return Err(FitError::TokenCoverage { covered: tokens.columns(), columns: x.ncols() });
        }

        let numeric = numeric_columns(tokens);
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
        let id_columns = tokens.tokens().iter().filter_map(|token| match token {
            FeatureToken::Id { column } => Some(*column),
            FeatureToken::Numeric { .. } | FeatureToken::OneHot { .. } => None,
        });
        let vocabulary = TokenVocabulary::fit(id_columns.flat_map(|j| x.column(j).to_vec()));
        let network = Network::new(architecture(tokens, &vocabulary, params));
        let mut parameters = network.initialize(rng);

        let encoder = Encoder::new(tokens, standardizer.as_ref(), &vocabulary);
        let (mut all_numeric, mut all_ids) = (Vec::new(), Vec::new());
        encoder.encode(x, 0..rows, &mut all_numeric, &mut all_ids);
        let (numeric_width, id_width) = (network.numeric_columns(), network.categorical_columns());

        let loss_limit = DIVERGENCE_LOSS_FACTOR * LN_2;
        let mut adam = Adam::new(parameters.len());
        let mut gradient = vec![0.0; parameters.len()];
        let mut workspace = TrainingWorkspace::default();
        let mut order: Vec<usize> = (0..rows).collect();
        let (mut batch_numeric, mut batch_ids, mut batch_labels) = (Vec::new(), Vec::new(), Vec::new());
        let mut history = Vec::with_capacity(params.epochs as usize);
        for epoch in 1..=params.epochs {
            if (hooks.cancel)() {
                return Err(FitError::Cancelled);
            }
            shuffle(&mut order, rng);
            let mut loss_sum = 0.0;
            for chunk in order.chunks(params.batch_size) {
                batch_numeric.clear();
                batch_ids.clear();
                batch_labels.clear();
                for &row in chunk {
                    batch_numeric.extend_from_slice(&all_numeric[row * numeric_width..(row + 1) * numeric_width]);
                    batch_ids.extend_from_slice(&all_ids[row * id_width..(row + 1) * id_width]);
                    batch_labels.push(y[row]);
                }
                let batch = Batch { rows: chunk.len(), numeric: &batch_numeric, tokens: &batch_ids };
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
            (hooks.epoch_done)(EpochProgress { epoch, epochs: params.epochs, loss: epoch_loss });
        }

        Ok(Self {
            feature_names: feature_names.to_vec(),
            tokens: tokens.clone(),
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

    /// How each row's feature columns become tokens.
    pub fn tokens(&self) -> &FeatureTokens {
        &self.tokens
    }

    /// The standardizer of the numeric tokens' columns, in token order; `None` if there are
    /// none.
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

    /// Scores chunks of [`PREDICT_CHUNK`] rows in parallel; a row's probability depends on
    /// that row alone.
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        assert_eq!(x.ncols(), self.feature_names.len(), "transformer expects one column per feature");
        let encoder = Encoder::new(&self.tokens, self.standardizer.as_ref(), &self.vocabulary);
        let starts: Vec<usize> = (0..x.nrows()).step_by(PREDICT_CHUNK).collect();
        let chunks: Vec<Vec<f64>> = starts
            .par_iter()
            .map_init(
                || (Workspace::default(), Vec::new(), Vec::new()),
                |(workspace, numeric, ids), &start| {
                    let end = (start + PREDICT_CHUNK).min(x.nrows());
                    numeric.clear();
                    ids.clear();
                    encoder.encode(x, start..end, numeric, ids);
                    let batch = Batch { rows: end - start, numeric, tokens: ids };
                    let logits = self.network.logits(&self.parameters, batch, workspace);
                    logits.iter().map(|&z| sigmoid(z)).collect()
                },
            )
            .collect();
        chunks.concat()
    }

    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
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
    use crate::data::{Dataset, Splits};
    use crate::models::load_model;
    use crate::models::test_support::{accuracy, bits, never, stratified};

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
            assert!(json.starts_with(r#"{"format_version":2,"model_type":"simple_transformer","#));
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
            edit("/tensors/4/name", serde_json::json!("renamed")),
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
            "parse saved model json: saved model has 18 weight tensors; 1000000000000 encoder layers need \
             12000000000006"
        );
        assert_eq!(
            edit("/params/learning_rate", serde_json::json!(0.0)),
            "saved model has invalid training parameters: learning rate must be positive and finite, got 0"
        );
        assert_eq!(
            edit("/tokens/1", serde_json::json!({"one_hot": {"columns": {"start": 1, "end": 3}}})),
            "parse saved model json: token over feature columns 2..3 does not continue at column 3 of 5"
        );
        assert_eq!(edit("/tokens", serde_json::Value::Null), "saved model has no `tokens` field");
        Ok(())
    }

    /// A file of the first layout (one token per column, no CLS token) names its fix.
    #[test]
    fn version_1_files_are_refused_with_the_fix() -> Result<(), Box<dyn Error>> {
        let splits = default_splits(200, 2)?;
        let params = TransformerParams { epochs: 1, ..TransformerParams::default() };
        let mut saved = fit_on(&splits.train, &params, 1)?.to_json()?;
        if let Some(object) = saved.as_object_mut() {
            object.insert("format_version".into(), serde_json::json!(1));
            object.remove("tokens");
        }
        let expected = "saved simple_transformer model has format version 1, which this build no longer reads (it \
                        reads version 2): it was trained with one token per feature column, which this build's \
                        FT-Transformer encoder cannot lay out; retrain it with `nethical run --force <manifest>` \
                        (`--force`, or a cached model of the older build is reused)";
        assert_eq!(load_model(&saved.to_string()).map(|_| ()).map_err(|e| e.to_string()), Err(expected.to_owned()));
        let direct = serde_json::from_value::<SimpleTransformer>(saved).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(direct, Err(expected.to_owned()));
        Ok(())
    }

    /// The default family with its numeric columns followed by a one-hot encoded category that
    /// carries part of the signal, and the grouping of those columns.
    fn with_one_hot(rows: usize, seed: u64) -> Result<(Dataset, FeatureTokens), Box<dyn Error>> {
        let base = default_family(rows, &mut ChaCha8Rng::seed_from_u64(seed));
        let width = base.feature_names().len();
        let categories = 4;
        let mut x = ndarray::Array2::zeros((rows, width + categories));
        for ((row, column), &value) in base.x().indexed_iter() {
            x[(row, column)] = value;
        }
        for (row, &label) in base.y().iter().enumerate() {
            // Category 3 (never active in class 0) marks half of class 1; the rest cycle.
            let category = if label == 1 && row % 2 == 0 { 3 } else { row % 3 };
            x[(row, width + category)] = 1.0;
        }
        let mut names = base.feature_names().to_vec();
        names.extend((0..categories).map(|k| format!("kind={k}")));
        let one_hot = std::iter::once(width..width + categories).collect::<Vec<_>>();
        let tokens = FeatureTokens::with_one_hot(&names, &one_hot)?;
        Ok((Dataset::new(names, x, base.y().to_vec())?, tokens))
    }

    fn fit_tokens(
        data: &Dataset,
        tokens: &FeatureTokens,
        params: &TransformerParams,
    ) -> Result<SimpleTransformer, FitError> {
        let hooks = FitHooks { cancel: &never, epoch_done: &|_| {} };
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        SimpleTransformer::fit_with(data.x(), data.y(), data.feature_names(), tokens, params, &mut rng, &hooks)
    }

    #[test]
    fn one_hot_columns_are_one_token_and_round_trip() -> Result<(), Box<dyn Error>> {
        let (data, tokens) = with_one_hot(3_000, 12)?;
        let splits = stratified(&data, 13)?;
        let params = TransformerParams { epochs: 4, ..TransformerParams::default() };
        let model = fit_tokens(&splits.train, &tokens, &params)?;
        assert_eq!(model.tokens().len(), data.feature_names().len() - 3);
        let accuracy = accuracy(&model.predict_dataset(&splits.validation)?, splits.validation.y());
        assert!(accuracy >= 0.95, "validation accuracy {accuracy}");
        let loaded = load_model(&serde_json::to_string(&model.to_json()?)?)?;
        let x = splits.validation.x();
        assert_eq!(bits(&loaded.predict_proba(x)), bits(&model.predict_proba(x)));
        // No indicator set (an unseen category) is scored through the group's own row.
        let mut unseen = x.select(Axis(0), &[0]);
        let width = unseen.ncols();
        for column in width - 4..width {
            unseen[(0, column)] = 0.0;
        }
        assert!(model.predict_proba(unseen.view())[0].is_finite());
        Ok(())
    }

    /// Each batch is spread over rayon's pool in fixed chunks: the same bytes on 1 or 2 threads.
    #[test]
    fn weights_do_not_depend_on_the_thread_count() -> Result<(), Box<dyn Error>> {
        let (data, tokens) = with_one_hot(700, 14)?;
        // Batches of 50 rows: three full chunks and a partial one, and a partial last batch.
        let params = TransformerParams { epochs: 2, batch_size: 50, ..TransformerParams::default() };
        let on = |threads: usize| -> Result<(String, Vec<u64>), Box<dyn Error>> {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
            let model = pool.install(|| fit_tokens(&data, &tokens, &params))?;
            let probabilities = pool.install(|| model.predict_proba(data.x()));
            Ok((serde_json::to_string(&model)?, bits(&probabilities)))
        };
        let one = on(1)?;
        assert!(one == on(2)?, "1 and 2 threads trained different models");
        assert!(one == on(3)?, "1 and 3 threads trained different models");
        Ok(())
    }

    #[test]
    fn reports_every_epoch() -> Result<(), Box<dyn Error>> {
        let splits = default_splits(300, 3)?;
        let params = TransformerParams { epochs: 3, ..TransformerParams::default() };
        let seen = std::sync::Mutex::new(Vec::new());
        let epoch_done = |progress: EpochProgress| seen.lock().map(|mut s| s.push(progress)).unwrap_or(());
        let hooks = FitHooks { cancel: &never, epoch_done: &epoch_done };
        let data = &splits.train;
        let tokens = FeatureTokens::per_column(data.feature_names());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let model =
            SimpleTransformer::fit_with(data.x(), data.y(), data.feature_names(), &tokens, &params, &mut rng, &hooks)?;
        let seen = seen.into_inner().unwrap_or_default();
        let expected: Vec<_> =
            model.history().iter().zip(1..).map(|(&loss, epoch)| EpochProgress { epoch, epochs: 3, loss }).collect();
        assert_eq!(seen, expected);
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
