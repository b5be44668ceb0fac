//! The `lbfgs` solver of [`super::LogisticRegression`]: the penalised log-likelihood minimised to
//! convergence over all rows at once, as scikit-learn's `LogisticRegression(solver="lbfgs")`
//! does, so a user can reproduce its model (on the same standardized features, `l2` = 1/C).
//!
//! Objective: `Σᵢ cᵢ [log(1 + e^zᵢ) − yᵢ zᵢ] + (l2/2) ‖w‖²` with `zᵢ = w·x̃ᵢ + b`, `x̃` the
//! standardized row and `cᵢ` its class weight; the bias is not penalised. It is strictly convex
//! for `l2 > 0`, so the minimiser does not depend on the path to it. The gradient is summed in
//! fixed chunks of rows on the rayon pool and the chunks are added in order, so the iterates are
//! bit-identical at any thread count.

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::lbfgs::{LbfgsSettings, minimize};
use super::log_loss::sigmoid;
use super::{FitError, LogisticParams};
use crate::data::Standardizer;

/// Rows per chunk of the gradient sum: the unit of parallel work and of the fixed reduction.
const CHUNK_ROWS: usize = 4096;

/// The fitted state: standardizer, weights, bias, and the mean objective per iteration.
pub(super) struct LbfgsFit {
    pub standardizer: Standardizer,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub history: Vec<f64>,
}

/// `log(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() }
}

/// Fits on validated inputs (see [`super::LogisticRegression::fit`]).
pub(super) fn fit(
    x: ArrayView2<'_, f64>,
    y: &[u8],
    feature_names: &[String],
    params: &LogisticParams,
    row_weights: [f64; 2],
    cancel: &dyn Fn() -> bool,
) -> Result<LbfgsFit, FitError> {
    let (rows, width) = x.dim();
    let standardizer = Standardizer::fit(x).map_err(|_| FitError::EmptyTrainingSet)?;
    let statistics = standardizer.mean.iter().zip(&standardizer.std);
    if let Some(feature) = statistics.map(|(mean, std)| mean.is_finite() && std.is_finite()).position(|finite| !finite)
    {
        return Err(FitError::NonFiniteFeature { feature: feature_names[feature].clone() });
    }
    let inverse_std = standardizer.inverse_std();
    let mut z = Vec::with_capacity(rows * width);
    for row in x.outer_iter() {
        z.extend(row.iter().zip(&standardizer.mean).zip(&inverse_std).map(|((v, m), s)| (v - m) * s));
    }
    let l2 = params.l2;
    let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
        let (w, b) = theta.split_at(width);
        let b = b[0];
        let chunks: Vec<(f64, Vec<f64>)> = z
            .par_chunks(CHUNK_ROWS * width)
            .zip(y.par_chunks(CHUNK_ROWS))
            .map(|(rows, labels)| {
                let mut g = vec![0.0; width + 1];
                let mut loss = 0.0;
                for (row, &label) in rows.chunks_exact(width).zip(labels) {
                    let margin = row.iter().zip(w).map(|(a, c)| a * c).sum::<f64>() + b;
                    let c = row_weights[usize::from(label)];
                    loss += c * (softplus(margin) - f64::from(label) * margin);
                    let residual = c * (sigmoid(margin) - f64::from(label));
                    for (gj, a) in g.iter_mut().zip(row) {
                        *gj += residual * a;
                    }
                    g[width] += residual;
                }
                (loss, g)
            })
            .collect();
        grad.fill(0.0);
        let mut loss = 0.0;
        for (l, g) in chunks {
            loss += l;
            for (total, part) in grad.iter_mut().zip(g) {
                *total += part;
            }
        }
        for (gj, wj) in grad.iter_mut().zip(w) {
            *gj += l2 * wj;
        }
        loss + 0.5 * l2 * w.iter().map(|v| v * v).sum::<f64>()
    };
    // The objective is a sum over rows: scale the tolerance with it, as scipy's `pgtol` on
    // scikit-learn's averaged loss would, but far tighter (scikit-learn stops at 1e-4).
    let settings = LbfgsSettings { tolerance: 1e-9 * rows as f64, ..LbfgsSettings::default() };
    let result = minimize(objective, vec![0.0; width + 1], settings, cancel).ok_or(FitError::Cancelled)?;
    if !result.x.iter().all(|v| v.is_finite()) {
        return Err(FitError::Diverged { epoch: result.history.len() as u32 });
    }
    let history = result.history.iter().map(|v| v / rows as f64).collect();
    let (weights, bias) = result.x.split_at(width);
    Ok(LbfgsFit { standardizer, weights: weights.to_vec(), bias: bias[0], history })
}
