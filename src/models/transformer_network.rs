//! The transformer encoder as a function of one flat parameter vector: its tensor layout,
//! initialisation, forward pass and hand-written backward pass.
//!
//! FT-Transformer's tokenizer (Gorishniy et al., 2021): each input token `t` is one original
//! column. A numeric token's value `z` (already standardized) becomes
//! `z · value_weight[k] + position_embedding[t]`; a categorical token's embedding row `id`
//! becomes `token_embedding[id] + position_embedding[t]` (one table holding every categorical
//! token's rows; the caller maps each token's categories to its own rows). The per-token
//! `position_embedding` is FT-Transformer's per-feature bias, and tells the encoder which column
//! a token is. A learned `cls_token` is put before them; its output is what the head reads.
//! Each encoder layer is post-norm, as in Vaswani et al.:
//!
//! `H₁ = LN(H + MultiHead(H))`, `H₂ = LN(H₁ + W₂ act(W₁ H₁ + b₁) + b₂)`,
//!
//! with scaled dot-product attention over the row's tokens. A linear head on the CLS token's
//! output gives the logit of P(y = 1).
//!
//! The loss is the mean log-loss of a batch plus `(l2/2) ‖θ‖²` over the decayed tensors.
//! A batch is cut into chunks of [`ROW_CHUNK`] rows whose gradients are computed in parallel
//! (rayon), each into its own buffer, and added in chunk order: the chunks depend on the
//! batch alone, never on the thread count, so every sum still runs in one fixed order. The
//! forward and backward passes use no libm function (only `sqrt`, which IEEE 754 rounds
//! exactly, and the portable exponential; libm's `ln_1p` enters only the reported loss
//! value), so the weights are bit-identical across runs, machines and thread counts. A row's
//! output depends only on that row, so predictions do not depend on how rows are batched.

use std::ops::Range;

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::activation::Activation;
use super::dense::{affine, dot};
use super::log_loss::sigmoid;
use super::portable_exp::exp_non_positive;
use crate::data::sampling::unit_f64;

mod backward;

/// Added to the variance in layer normalisation, as in the usual implementations.
const LAYER_NORM_EPSILON: f64 = 1e-5;

/// Rows of a batch whose gradient one parallel task computes. Fixed, so the order of the
/// gradient's sums does not depend on the thread count; 16 rows keep a task well above
/// rayon's overhead (about 1 ms of work at adult's 14 tokens) while a batch of 64 still
/// feeds four tasks.
pub const ROW_CHUNK: usize = 16;

/// How a column enters the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Numeric,
    Categorical,
}

/// Everything that fixes the tensor layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Architecture {
    /// One entry per input token, in column order (the CLS token comes on top).
    pub kinds: Vec<TokenKind>,
    /// Rows of the token embedding table, over all categorical tokens; 0 when no token is
    /// categorical.
    pub embedding_rows: usize,
    /// Rows of the embedding table that start at zero: those of unseen or missing
    /// categories, which training may never update, so they contribute nothing but the
    /// token's bias.
    pub unknown_rows: Vec<usize>,
    pub layers: usize,
    pub heads: usize,
    pub head_dim: usize,
    pub ff_dim: usize,
    pub activation: Activation,
}

/// How a tensor starts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Init {
    /// Glorot and Bengio's uniform initialisation for a map from `fan_in` to `fan_out`
    /// units: U(−a, a) with a = √(6 / (fan_in + fan_out)).
    Xavier {
        fan_in: usize,
        fan_out: usize,
    },
    Zeros,
    Ones,
}

/// One named tensor of the flat parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    /// Whether the L2 penalty applies.
    pub decay: bool,
    pub range: Range<usize>,
    init: Init,
}

/// Where one encoder layer's tensors live in the parameter vector.
#[derive(Debug, Clone, PartialEq)]
struct LayerTensors {
    qkv_weight: Range<usize>,
    qkv_bias: Range<usize>,
    output_weight: Range<usize>,
    output_bias: Range<usize>,
    norm1_gain: Range<usize>,
    norm1_bias: Range<usize>,
    inner_weight: Range<usize>,
    inner_bias: Range<usize>,
    outer_weight: Range<usize>,
    outer_bias: Range<usize>,
    norm2_gain: Range<usize>,
    norm2_bias: Range<usize>,
}

/// One row-block of inputs: `rows` rows of standardized numeric values (row-major, one per
/// numeric token) and embedding rows (one per categorical token), each in token order.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub rows: usize,
    pub numeric: &'a [f64],
    pub tokens: &'a [usize],
}

impl<'a> Batch<'a> {
    /// Rows `range` of the batch.
    fn rows(&self, range: Range<usize>, network: &Network) -> Batch<'a> {
        let (numeric, categorical) = (network.numeric_columns, network.categorical_columns);
        Batch {
            rows: range.len(),
            numeric: &self.numeric[range.start * numeric..range.end * numeric],
            tokens: &self.tokens[range.start * categorical..range.end * categorical],
        }
    }
}

/// The encoder's shape and the layout of its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    arch: Architecture,
    d_model: usize,
    numeric_columns: usize,
    categorical_columns: usize,
    tensors: Vec<TensorSpec>,
    value_weight: Range<usize>,
    token_embedding: Range<usize>,
    position_embedding: Range<usize>,
    cls_token: Range<usize>,
    layers: Vec<LayerTensors>,
    head_weight: Range<usize>,
    head_bias: Range<usize>,
}

impl Network {
    pub fn new(arch: Architecture) -> Self {
        // Saturating sizes: absurd settings from a file then fail the shape checks instead
        // of overflowing.
        let d = arch.heads.saturating_mul(arch.head_dim);
        let ff = arch.ff_dim;
        let numeric_columns = arch.kinds.iter().filter(|&&kind| kind == TokenKind::Numeric).count();
        let categorical_columns = arch.kinds.len() - numeric_columns;
        let mut tensors = Vec::new();
        let mut add = |name: String, rows: usize, cols: usize, decay: bool, init: Init| {
            let start = tensors.last().map_or(0, |last: &TensorSpec| last.range.end);
            let range = start..start.saturating_add(rows.saturating_mul(cols));
            tensors.push(TensorSpec { name, rows, cols, decay, range: range.clone(), init });
            range
        };
        let embedding = Init::Xavier { fan_in: 1, fan_out: d };
        let value_weight = add("value_weight".into(), numeric_columns, d, true, embedding);
        let token_embedding = add("token_embedding".into(), arch.embedding_rows, d, true, embedding);
        let position_embedding = add("position_embedding".into(), arch.kinds.len(), d, false, embedding);
        let cls_token = add("cls_token".into(), 1, d, false, embedding);
        let square = Init::Xavier { fan_in: d, fan_out: d };
        let layers = (0..arch.layers)
            .map(|layer| {
                let mut add_layer = |part: &str, rows, cols, decay, init| {
                    add(format!("layers.{layer}.{part}"), rows, cols, decay, init)
                };
                LayerTensors {
                    // Q, K and V side by side; each block is initialised as its own d × d map.
                    qkv_weight: add_layer("attention.qkv_weight", d, d.saturating_mul(3), true, square),
                    qkv_bias: add_layer("attention.qkv_bias", 1, d.saturating_mul(3), false, Init::Zeros),
                    output_weight: add_layer("attention.output_weight", d, d, true, square),
                    output_bias: add_layer("attention.output_bias", 1, d, false, Init::Zeros),
                    norm1_gain: add_layer("norm1.gain", 1, d, false, Init::Ones),
                    norm1_bias: add_layer("norm1.bias", 1, d, false, Init::Zeros),
                    inner_weight: add_layer(
                        "feed_forward.inner_weight",
                        d,
                        ff,
                        true,
                        Init::Xavier { fan_in: d, fan_out: ff },
                    ),
                    inner_bias: add_layer("feed_forward.inner_bias", 1, ff, false, Init::Zeros),
                    outer_weight: add_layer(
                        "feed_forward.outer_weight",
                        ff,
                        d,
                        true,
                        Init::Xavier { fan_in: ff, fan_out: d },
                    ),
                    outer_bias: add_layer("feed_forward.outer_bias", 1, d, false, Init::Zeros),
                    norm2_gain: add_layer("norm2.gain", 1, d, false, Init::Ones),
                    norm2_bias: add_layer("norm2.bias", 1, d, false, Init::Zeros),
                }
            })
            .collect();
        let head_weight = add("head.weight".into(), d, 1, true, Init::Xavier { fan_in: d, fan_out: 1 });
        let head_bias = add("head.bias".into(), 1, 1, false, Init::Zeros);
        Self {
            arch,
            d_model: d,
            numeric_columns,
            categorical_columns,
            tensors,
            value_weight,
            token_embedding,
            position_embedding,
            cls_token,
            layers,
            head_weight,
            head_bias,
        }
    }

    /// The named tensors, in parameter-vector order.
    pub fn tensors(&self) -> &[TensorSpec] {
        &self.tensors
    }

    pub fn parameter_count(&self) -> usize {
        self.tensors.last().map_or(0, |last| last.range.end)
    }

    pub fn numeric_columns(&self) -> usize {
        self.numeric_columns
    }

    pub fn categorical_columns(&self) -> usize {
        self.categorical_columns
    }

    /// Tokens of a row: the CLS token, then one per input token.
    fn sequence_len(&self) -> usize {
        self.arch.kinds.len() + 1
    }

    /// Fresh parameters drawn from `rng`, tensor by tensor in layout order. The unknown rows
    /// of the embedding start at zero: training may never update them, so an unseen category
    /// contributes only its token's bias.
    pub fn initialize(&self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let mut parameters = vec![0.0; self.parameter_count()];
        for spec in &self.tensors {
            let values = &mut parameters[spec.range.clone()];
            match spec.init {
                Init::Xavier { fan_in, fan_out } => {
                    let bound = (6.0 / (fan_in as f64 + fan_out as f64)).sqrt();
                    for value in values.iter_mut() {
                        *value = (2.0 * unit_f64(rng) - 1.0) * bound;
                    }
                }
                Init::Zeros => values.fill(0.0),
                Init::Ones => values.fill(1.0),
            }
        }
        for &unknown in &self.arch.unknown_rows {
            let start = self.token_embedding.start + unknown * self.d_model;
            parameters[start..start + self.d_model].fill(0.0);
        }
        parameters
    }

    /// The logit of P(y = 1) for each row of `batch`, on the calling thread.
    pub fn logits<'w>(&self, parameters: &[f64], batch: Batch<'_>, workspace: &'w mut Workspace) -> &'w [f64] {
        self.forward(parameters, batch, workspace);
        &workspace.logits
    }

    /// The batch objective (mean log-loss plus the L2 penalty) at `parameters`; its gradient
    /// is written to `gradient` (one entry per parameter).
    ///
    /// The rows are cut into chunks of [`ROW_CHUNK`], each chunk's gradient computed on rayon's
    /// current pool into its own buffer, and the buffers added in chunk order.
    pub fn loss_and_gradient(
        &self,
        parameters: &[f64],
        batch: Batch<'_>,
        labels: &[u8],
        l2: f64,
        workspace: &mut TrainingWorkspace,
        gradient: &mut [f64],
    ) -> f64 {
        let scale = 1.0 / batch.rows.max(1) as f64;
        let chunks = batch.rows.div_ceil(ROW_CHUNK);
        workspace.chunks.resize_with(chunks, ChunkWorkspace::default);
        workspace.chunks[..chunks].par_iter_mut().enumerate().for_each(|(c, chunk)| {
            let rows = c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(batch.rows);
            chunk.gradient.clear();
            chunk.gradient.resize(gradient.len(), 0.0);
            chunk.loss = self.chunk_loss_and_gradient(
                parameters,
                batch.rows(rows.clone(), self),
                &labels[rows],
                scale,
                &mut chunk.workspace,
                &mut chunk.gradient,
            );
        });
        gradient.fill(0.0);
        let mut data_loss = 0.0;
        for chunk in &workspace.chunks[..chunks] {
            for (sum, &part) in gradient.iter_mut().zip(&chunk.gradient) {
                *sum += part;
            }
            data_loss += chunk.loss;
        }

        let mut penalty = 0.0;
        for spec in self.tensors.iter().filter(|spec| spec.decay) {
            for (grad, &value) in gradient[spec.range.clone()].iter_mut().zip(&parameters[spec.range.clone()]) {
                *grad += l2 * value;
                penalty += value * value;
            }
        }
        data_loss * scale + 0.5 * l2 * penalty
    }

    /// The summed log-loss of `batch`'s rows; adds `scale ×` its gradient to `gradient`.
    fn chunk_loss_and_gradient(
        &self,
        parameters: &[f64],
        batch: Batch<'_>,
        labels: &[u8],
        scale: f64,
        workspace: &mut Workspace,
        gradient: &mut [f64],
    ) -> f64 {
        self.forward(parameters, batch, workspace);
        let (rows, tokens, d) = (batch.rows, self.sequence_len(), self.d_model);

        let mut data_loss = 0.0;
        let ws = workspace;
        ws.d_output.clear();
        ws.d_output.resize(rows * tokens * d, 0.0);
        let head_weight = &parameters[self.head_weight.clone()];
        let output = &ws.io[self.arch.layers];
        for (row, (&z, &label)) in ws.logits.iter().zip(labels).enumerate() {
            let y = f64::from(label);
            let t = exp_non_positive(-z.abs());
            data_loss += z.max(0.0) - y * z + t.ln_1p();
            let d_logit = (sigmoid(z) - y) * scale;
            let cls = &output[row * tokens * d..][..d];
            for (grad, &value) in gradient[self.head_weight.clone()].iter_mut().zip(cls) {
                *grad += d_logit * value;
            }
            gradient[self.head_bias.start] += d_logit;
            // Only the CLS token reaches the head; the other tokens' output gradients stay 0.
            for (value, &weight) in ws.d_output[row * tokens * d..][..d].iter_mut().zip(head_weight) {
                *value = d_logit * weight;
            }
        }

        for layer in (0..self.arch.layers).rev() {
            self.layer_backward(layer, parameters, rows, ws, gradient);
        }
        self.embedding_backward(batch, &ws.d_output, gradient);
        data_loss
    }

    fn forward(&self, parameters: &[f64], batch: Batch<'_>, ws: &mut Workspace) {
        let (rows, tokens, d) = (batch.rows, self.sequence_len(), self.d_model);
        ws.prepare(&self.arch, rows);
        let value_weight = &parameters[self.value_weight.clone()];
        let token_embedding = &parameters[self.token_embedding.clone()];
        let position_embedding = &parameters[self.position_embedding.clone()];
        let cls_token = &parameters[self.cls_token.clone()];
        let embedded = &mut ws.io[0];
        for row in 0..rows {
            embedded[row * tokens * d..][..d].copy_from_slice(cls_token);
            let (mut numeric, mut categorical) = (0, 0);
            for (position, kind) in self.arch.kinds.iter().enumerate() {
                let out = &mut embedded[(row * tokens + 1 + position) * d..][..d];
                let base = &position_embedding[position * d..][..d];
                let (source, factor) = match kind {
                    TokenKind::Numeric => {
                        let value = batch.numeric[row * self.numeric_columns + numeric];
                        let weight = &value_weight[numeric * d..][..d];
                        numeric += 1;
                        (weight, value)
                    }
                    TokenKind::Categorical => {
                        let id = batch.tokens[row * self.categorical_columns + categorical];
                        categorical += 1;
                        (&token_embedding[id * d..][..d], 1.0)
                    }
                };
                for ((out, &weight), &position_value) in out.iter_mut().zip(source).zip(base) {
                    *out = factor * weight + position_value;
                }
            }
        }
        for layer in 0..self.arch.layers {
            self.layer_forward(layer, parameters, rows, ws);
        }
        let output = &ws.io[self.arch.layers];
        let head_weight = &parameters[self.head_weight.clone()];
        let head_bias = parameters[self.head_bias.start];
        for row in 0..rows {
            ws.logits[row] = dot(&output[row * tokens * d..][..d], head_weight) + head_bias;
        }
    }

    fn layer_forward(&self, layer: usize, p: &[f64], rows: usize, ws: &mut Workspace) {
        let t = &self.layers[layer];
        let (d, ff) = (self.d_model, self.arch.ff_dim);
        let (before, after) = ws.io.split_at_mut(layer + 1);
        let (input, output) = (&before[layer], &mut after[0]);
        let cache = &mut ws.caches[layer];
        affine(input, &p[t.qkv_weight.clone()], &p[t.qkv_bias.clone()], d, 3 * d, &mut cache.qkv);
        self.attention_forward(rows, &cache.qkv, &mut cache.probabilities, &mut cache.context);
        affine(&cache.context, &p[t.output_weight.clone()], &p[t.output_bias.clone()], d, d, &mut cache.hidden);
        for (value, &residual) in cache.hidden.iter_mut().zip(input.iter()) {
            *value += residual;
        }
        layer_norm_forward(
            &mut cache.hidden,
            &p[t.norm1_gain.clone()],
            &p[t.norm1_bias.clone()],
            d,
            &mut cache.norm1_hat,
            &mut cache.norm1_inverse_std,
        );
        affine(&cache.hidden, &p[t.inner_weight.clone()], &p[t.inner_bias.clone()], d, ff, &mut cache.inner);
        for (activated, &inner) in cache.activated.iter_mut().zip(&cache.inner) {
            *activated = self.arch.activation.apply(inner);
        }
        affine(&cache.activated, &p[t.outer_weight.clone()], &p[t.outer_bias.clone()], ff, d, output);
        for (value, &residual) in output.iter_mut().zip(&cache.hidden) {
            *value += residual;
        }
        layer_norm_forward(
            output,
            &p[t.norm2_gain.clone()],
            &p[t.norm2_bias.clone()],
            d,
            &mut cache.norm2_hat,
            &mut cache.norm2_inverse_std,
        );
    }

    /// Softmax attention per row and head; `probabilities` keeps the weights for the
    /// backward pass.
    fn attention_forward(&self, rows: usize, qkv: &[f64], probabilities: &mut [f64], context: &mut [f64]) {
        let (tokens, heads, dh, d) = (self.sequence_len(), self.arch.heads, self.arch.head_dim, self.d_model);
        let scale = 1.0 / (dh as f64).sqrt();
        let width = 3 * d;
        for row in 0..rows {
            for head in 0..heads {
                for i in 0..tokens {
                    let query = &qkv[(row * tokens + i) * width + head * dh..][..dh];
                    let weights = &mut probabilities[((row * heads + head) * tokens + i) * tokens..][..tokens];
                    for (j, weight) in weights.iter_mut().enumerate() {
                        let key = &qkv[(row * tokens + j) * width + d + head * dh..][..dh];
                        *weight = scale * dot(query, key);
                    }
                    let max = weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for weight in weights.iter_mut() {
                        *weight = exp_non_positive(*weight - max);
                        sum += *weight;
                    }
                    for weight in weights.iter_mut() {
                        *weight /= sum;
                    }
                    let out = &mut context[(row * tokens + i) * d + head * dh..][..dh];
                    out.fill(0.0);
                    for (j, &weight) in weights.iter().enumerate() {
                        let value = &qkv[(row * tokens + j) * width + 2 * d + head * dh..][..dh];
                        for (out, &v) in out.iter_mut().zip(value) {
                            *out += weight * v;
                        }
                    }
                }
            }
        }
    }
}

/// Two disjoint tensors of one vector, the first before the second.
fn pair_mut<'a>(values: &'a mut [f64], first: &Range<usize>, second: &Range<usize>) -> (&'a mut [f64], &'a mut [f64]) {
    let (head, tail) = values.split_at_mut(second.start);
    (&mut head[first.clone()], &mut tail[..second.len()])
}

/// Normalises each `d`-wide row of `x` in place to `gain · x̂ + bias`, keeping `x̂` and
/// `1/σ` for the backward pass.
fn layer_norm_forward(x: &mut [f64], gain: &[f64], bias: &[f64], d: usize, hat: &mut [f64], inverse_std: &mut [f64]) {
    let inverse_d = 1.0 / d as f64;
    for ((row, hat_row), inverse) in x.chunks_exact_mut(d).zip(hat.chunks_exact_mut(d)).zip(inverse_std.iter_mut()) {
        let mean = row.iter().sum::<f64>() * inverse_d;
        let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() * inverse_d;
        *inverse = 1.0 / (variance + LAYER_NORM_EPSILON).sqrt();
        for (((value, normalised), &g), &b) in row.iter_mut().zip(hat_row.iter_mut()).zip(gain).zip(bias) {
            *normalised = (*value - mean) * *inverse;
            *value = *normalised * g + b;
        }
    }
}

/// The forward values one layer keeps for its backward pass.
#[derive(Debug, Clone, Default)]
struct LayerCache {
    qkv: Vec<f64>,
    probabilities: Vec<f64>,
    context: Vec<f64>,
    /// `H₁`, after the first layer norm.
    hidden: Vec<f64>,
    norm1_hat: Vec<f64>,
    norm1_inverse_std: Vec<f64>,
    inner: Vec<f64>,
    activated: Vec<f64>,
    norm2_hat: Vec<f64>,
    norm2_inverse_std: Vec<f64>,
}

/// Buffers reused across batches, sized for the largest batch seen.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// The embedded tokens, then each layer's output.
    io: Vec<Vec<f64>>,
    caches: Vec<LayerCache>,
    logits: Vec<f64>,
    d_output: Vec<f64>,
    d_hidden: Vec<f64>,
    d_inner: Vec<f64>,
    d_context: Vec<f64>,
    d_qkv: Vec<f64>,
    d_scores: Vec<f64>,
    transposed: Vec<f64>,
}

/// One chunk's buffers, gradient and summed loss.
#[derive(Debug, Clone, Default)]
struct ChunkWorkspace {
    workspace: Workspace,
    gradient: Vec<f64>,
    loss: f64,
}

/// Buffers of [`Network::loss_and_gradient`], one set per chunk of a batch, reused across
/// batches.
#[derive(Debug, Clone, Default)]
pub struct TrainingWorkspace {
    chunks: Vec<ChunkWorkspace>,
}

impl Workspace {
    fn prepare(&mut self, arch: &Architecture, rows: usize) {
        let tokens = arch.kinds.len() + 1;
        let n = rows * tokens;
        let d = arch.heads * arch.head_dim;
        self.io.resize_with(arch.layers + 1, Vec::new);
        for buffer in &mut self.io {
            buffer.resize(n * d, 0.0);
        }
        self.caches.resize_with(arch.layers, LayerCache::default);
        for cache in &mut self.caches {
            cache.qkv.resize(n * 3 * d, 0.0);
            cache.probabilities.resize(n * arch.heads * tokens, 0.0);
            for buffer in [&mut cache.context, &mut cache.hidden, &mut cache.norm1_hat, &mut cache.norm2_hat] {
                buffer.resize(n * d, 0.0);
            }
            cache.norm1_inverse_std.resize(n, 0.0);
            cache.norm2_inverse_std.resize(n, 0.0);
            cache.inner.resize(n * arch.ff_dim, 0.0);
            cache.activated.resize(n * arch.ff_dim, 0.0);
        }
        self.logits.resize(rows, 0.0);
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    /// Two numeric and two token columns, two layers of two heads: every code path.
    fn tiny(activation: Activation) -> Network {
        Network::new(Architecture {
            kinds: vec![TokenKind::Numeric, TokenKind::Categorical, TokenKind::Numeric, TokenKind::Categorical],
            embedding_rows: 4,
            unknown_rows: vec![3],
            layers: 2,
            heads: 2,
            head_dim: 2,
            ff_dim: 3,
            activation,
        })
    }

    #[test]
    fn layout_names_every_tensor_in_order() {
        let network = tiny(Activation::Gelu);
        let names: Vec<&str> = network.tensors().iter().map(|spec| spec.name.as_str()).collect();
        assert_eq!(names.len(), 4 + 2 * 12 + 2);
        assert_eq!(
            names[..5],
            ["value_weight", "token_embedding", "position_embedding", "cls_token", "layers.0.attention.qkv_weight"]
        );
        assert_eq!(names[names.len() - 3..], ["layers.1.norm2.bias", "head.weight", "head.bias"]);
        let d = 4;
        let per_layer = d * 3 * d + 3 * d + d * d + d + 2 * d + d * 3 + 3 + 3 * d + d + 2 * d;
        assert_eq!(network.parameter_count(), 2 * d + 4 * d + 4 * d + d + 2 * per_layer + d + 1);
    }

    #[test]
    fn initialisation_is_seeded_and_leaves_the_unknown_token_at_zero() {
        let network = tiny(Activation::Gelu);
        let first = network.initialize(&mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(first, network.initialize(&mut ChaCha8Rng::seed_from_u64(1)));
        assert_ne!(first, network.initialize(&mut ChaCha8Rng::seed_from_u64(2)));
        let unknown = network.token_embedding.start + 3 * 4..network.token_embedding.end;
        assert!(first[unknown].iter().all(|&v| v == 0.0));
        let gains = &first[network.layers[0].norm1_gain.clone()];
        assert!(gains.iter().all(|&g| g == 1.0));
    }

    /// Every parameter tensor's analytic gradient against central finite differences.
    #[test]
    fn gradients_match_central_differences() {
        for activation in [Activation::Gelu, Activation::Relu] {
            let network = tiny(activation);
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let mut parameters = network.initialize(&mut rng);
            // Move every parameter off its initial value, so gains are not 1, biases and the
            // unknown-token row not 0, and no gradient vanishes by symmetry.
            for parameter in parameters.iter_mut() {
                *parameter += 0.3 * (2.0 * unit_f64(&mut rng) - 1.0);
            }
            // More rows than a chunk, so the chunks' gradients are added too.
            let rows = ROW_CHUNK + 3;
            let numeric: Vec<f64> = (0..2 * rows).map(|_| 4.0 * unit_f64(&mut rng) - 2.0).collect();
            // Token id 3 is the unknown row.
            let tokens: Vec<usize> = (0..2 * rows).map(|i| [0, 3, 1, 2, 3, 0][i % 6]).collect();
            let labels: Vec<u8> = (0..rows).map(|i| [1, 0, 1, 1][i % 4]).collect();
            let batch = Batch { rows, numeric: &numeric, tokens: &tokens };
            let l2 = 0.05;
            let mut workspace = TrainingWorkspace::default();
            let mut analytic = vec![0.0; parameters.len()];
            network.loss_and_gradient(&parameters, batch, &labels, l2, &mut workspace, &mut analytic);

            let mut scratch = vec![0.0; parameters.len()];
            let h = 1e-5;
            for spec in network.tensors() {
                let (mut difference, mut analytic_norm, mut numeric_norm) = (0.0, 0.0, 0.0);
                for i in spec.range.clone() {
                    let original = parameters[i];
                    parameters[i] = original + h;
                    let up = network.loss_and_gradient(&parameters, batch, &labels, l2, &mut workspace, &mut scratch);
                    parameters[i] = original - h;
                    let down = network.loss_and_gradient(&parameters, batch, &labels, l2, &mut workspace, &mut scratch);
                    parameters[i] = original;
                    let numeric_gradient = (up - down) / (2.0 * h);
                    difference += (analytic[i] - numeric_gradient).powi(2);
                    analytic_norm += analytic[i].powi(2);
                    numeric_norm += numeric_gradient.powi(2);
                }
                let relative = difference.sqrt() / analytic_norm.sqrt().max(numeric_norm.sqrt());
                assert!(analytic_norm > 0.0, "{activation:?} {}: zero gradient", spec.name);
                assert!(relative < 1e-5, "{activation:?} {}: relative error {relative:e}", spec.name);
            }
        }
    }

    #[test]
    fn a_row_scores_the_same_alone_or_in_a_batch() {
        let network = tiny(Activation::Gelu);
        let parameters = network.initialize(&mut ChaCha8Rng::seed_from_u64(3));
        let numeric = [0.5, -1.0, 2.0, 0.25];
        let tokens = [1, 2, 0, 3];
        let mut workspace = Workspace::default();
        let both = network.logits(&parameters, Batch { rows: 2, numeric: &numeric, tokens: &tokens }, &mut workspace);
        let both = both.to_vec();
        let second = Batch { rows: 1, numeric: &numeric[2..], tokens: &tokens[2..] };
        assert_eq!(network.logits(&parameters, second, &mut workspace)[0].to_bits(), both[1].to_bits());
    }
}
