//! The transformer encoder's hand-written backward pass: the gradient of one encoder layer, of
//! its attention and of the embeddings, from the gradient of their outputs. Kept apart from the
//! layout and forward pass in `transformer_network` because it is read and checked on its own
//! (against central differences, in the parent's tests).

use super::{Batch, Network, TokenKind, Workspace, pair_mut};
use crate::models::dense::{affine_input_gradient, affine_parameter_gradient, dot};

impl Network {
    /// Backpropagates `ws.d_output` (the gradient of the layer's output) through one layer,
    /// leaving the gradient of its input in `ws.d_output` and adding the parameter gradients.
    pub(super) fn layer_backward(
        &self,
        layer: usize,
        p: &[f64],
        rows: usize,
        ws: &mut Workspace,
        gradient: &mut [f64],
    ) {
        let t = &self.layers[layer];
        let (d, ff) = (self.d_model, self.arch.ff_dim);
        let input = &ws.io[layer];
        let cache = &ws.caches[layer];
        let n = rows * self.sequence_len();

        // H₂ = LN(H₁ + F): the gradient of the residual sum goes to H₁ and to F.
        ws.d_hidden.resize(n * d, 0.0);
        let (gain_grad, bias_grad) = pair_mut(gradient, &t.norm2_gain, &t.norm2_bias);
        layer_norm_backward(
            &ws.d_output,
            &cache.norm2_hat,
            &cache.norm2_inverse_std,
            &p[t.norm2_gain.clone()],
            d,
            gain_grad,
            bias_grad,
            &mut ws.d_hidden,
        );
        let (weight_grad, bias_grad) = pair_mut(gradient, &t.outer_weight, &t.outer_bias);
        affine_parameter_gradient(&cache.activated, &ws.d_hidden, ff, d, weight_grad, bias_grad);
        ws.d_inner.clear();
        ws.d_inner.resize(n * ff, 0.0);
        affine_input_gradient(&ws.d_hidden, &p[t.outer_weight.clone()], ff, d, &mut ws.d_inner, &mut ws.transposed);
        for (d_inner, &inner) in ws.d_inner.iter_mut().zip(&cache.inner) {
            *d_inner *= self.arch.activation.derivative(inner);
        }
        let (weight_grad, bias_grad) = pair_mut(gradient, &t.inner_weight, &t.inner_bias);
        affine_parameter_gradient(&cache.hidden, &ws.d_inner, d, ff, weight_grad, bias_grad);
        affine_input_gradient(&ws.d_inner, &p[t.inner_weight.clone()], d, ff, &mut ws.d_hidden, &mut ws.transposed);

        // H₁ = LN(H + A): the gradient of the residual sum goes to H and to A.
        let (gain_grad, bias_grad) = pair_mut(gradient, &t.norm1_gain, &t.norm1_bias);
        layer_norm_backward(
            &ws.d_hidden,
            &cache.norm1_hat,
            &cache.norm1_inverse_std,
            &p[t.norm1_gain.clone()],
            d,
            gain_grad,
            bias_grad,
            &mut ws.d_output,
        );
        let (weight_grad, bias_grad) = pair_mut(gradient, &t.output_weight, &t.output_bias);
        affine_parameter_gradient(&cache.context, &ws.d_output, d, d, weight_grad, bias_grad);
        ws.d_context.clear();
        ws.d_context.resize(n * d, 0.0);
        affine_input_gradient(&ws.d_output, &p[t.output_weight.clone()], d, d, &mut ws.d_context, &mut ws.transposed);
        ws.d_qkv.clear();
        ws.d_qkv.resize(n * 3 * d, 0.0);
        self.attention_backward(rows, &cache.qkv, &cache.probabilities, &ws.d_context, &mut ws.d_qkv, &mut ws.d_scores);
        let (weight_grad, bias_grad) = pair_mut(gradient, &t.qkv_weight, &t.qkv_bias);
        affine_parameter_gradient(input, &ws.d_qkv, d, 3 * d, weight_grad, bias_grad);
        affine_input_gradient(&ws.d_qkv, &p[t.qkv_weight.clone()], d, 3 * d, &mut ws.d_output, &mut ws.transposed);
    }

    /// The gradient of Q, K and V from the gradient of the attention context.
    fn attention_backward(
        &self,
        rows: usize,
        qkv: &[f64],
        probabilities: &[f64],
        d_context: &[f64],
        d_qkv: &mut [f64],
        d_scores: &mut Vec<f64>,
    ) {
        let (tokens, heads, dh, d) = (self.sequence_len(), self.arch.heads, self.arch.head_dim, self.d_model);
        let scale = 1.0 / (dh as f64).sqrt();
        let width = 3 * d;
        d_scores.resize(tokens, 0.0);
        for row in 0..rows {
            for head in 0..heads {
                for i in 0..tokens {
                    let weights = &probabilities[((row * heads + head) * tokens + i) * tokens..][..tokens];
                    let d_out = &d_context[(row * tokens + i) * d + head * dh..][..dh];
                    // dP_ij = dO_i · V_j, and V_j receives P_ij dO_i.
                    for (j, (d_score, &weight)) in d_scores.iter_mut().zip(weights).enumerate() {
                        let v_start = (row * tokens + j) * width + 2 * d + head * dh;
                        *d_score = dot(d_out, &qkv[v_start..][..dh]);
                        for (d_v, &g) in d_qkv[v_start..][..dh].iter_mut().zip(d_out) {
                            *d_v += weight * g;
                        }
                    }
                    // Softmax: dS_ij = P_ij (dP_ij − Σ_k P_ik dP_ik).
                    let mean = dot(weights, d_scores);
                    for (d_score, &weight) in d_scores.iter_mut().zip(weights) {
                        *d_score = weight * (*d_score - mean) * scale;
                    }
                    let q_start = (row * tokens + i) * width + head * dh;
                    for (j, &d_score) in d_scores.iter().enumerate() {
                        let k_start = (row * tokens + j) * width + d + head * dh;
                        for e in 0..dh {
                            d_qkv[q_start + e] += d_score * qkv[k_start + e];
                            d_qkv[k_start + e] += d_score * qkv[q_start + e];
                        }
                    }
                }
            }
        }
    }

    pub(super) fn embedding_backward(&self, batch: Batch<'_>, d_embedded: &[f64], gradient: &mut [f64]) {
        let (tokens, d) = (self.sequence_len(), self.d_model);
        for row in 0..batch.rows {
            let d_cls = &d_embedded[row * tokens * d..][..d];
            for (grad, &g) in gradient[self.cls_token.clone()].iter_mut().zip(d_cls) {
                *grad += g;
            }
            let (mut numeric, mut categorical) = (0, 0);
            for (position, kind) in self.arch.kinds.iter().enumerate() {
                let d_token = &d_embedded[(row * tokens + 1 + position) * d..][..d];
                let position_start = self.position_embedding.start + position * d;
                for (grad, &g) in gradient[position_start..][..d].iter_mut().zip(d_token) {
                    *grad += g;
                }
                match kind {
                    TokenKind::Numeric => {
                        let value = batch.numeric[row * self.numeric_columns + numeric];
                        let start = self.value_weight.start + numeric * d;
                        for (grad, &g) in gradient[start..][..d].iter_mut().zip(d_token) {
                            *grad += value * g;
                        }
                        numeric += 1;
                    }
                    TokenKind::Categorical => {
                        let id = batch.tokens[row * self.categorical_columns + categorical];
                        let start = self.token_embedding.start + id * d;
                        for (grad, &g) in gradient[start..][..d].iter_mut().zip(d_token) {
                            *grad += g;
                        }
                        categorical += 1;
                    }
                }
            }
        }
    }
}

/// The gradient of layer normalisation's input, written to `d_x`, from that of its output;
/// adds the gain and bias gradients.
#[expect(clippy::too_many_arguments, reason = "the cached forward values and the three gradient outputs")]
fn layer_norm_backward(
    d_out: &[f64],
    hat: &[f64],
    inverse_std: &[f64],
    gain: &[f64],
    d: usize,
    gain_grad: &mut [f64],
    bias_grad: &mut [f64],
    d_x: &mut [f64],
) {
    let inverse_d = 1.0 / d as f64;
    let rows = d_out.chunks_exact(d).zip(hat.chunks_exact(d)).zip(inverse_std).zip(d_x.chunks_exact_mut(d));
    for (((d_out_row, hat_row), &inverse), d_x_row) in rows {
        let mut sum = 0.0;
        let mut sum_with_hat = 0.0;
        for (i, d_hat) in d_x_row.iter_mut().enumerate() {
            gain_grad[i] += d_out_row[i] * hat_row[i];
            bias_grad[i] += d_out_row[i];
            *d_hat = d_out_row[i] * gain[i];
            sum += *d_hat;
            sum_with_hat += *d_hat * hat_row[i];
        }
        let (mean, mean_with_hat) = (sum * inverse_d, sum_with_hat * inverse_d);
        for (d_value, &normalised) in d_x_row.iter_mut().zip(hat_row) {
            *d_value = inverse * (*d_value - mean - normalised * mean_with_hat);
        }
    }
}
