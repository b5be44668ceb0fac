//! Training settings and architecture of [`super::SimpleTransformer`].

use std::num::NonZeroUsize;

use serde::{Deserialize, Serialize};

use super::FitError;
use super::activation::Activation;

/// Adam settings and the encoder's shape, saved with the model so a run can be repeated and
/// the saved weights can be laid out again.
///
/// The model width is `heads × head_dim`, so every combination is valid; sizes are not
/// capped, and memory grows with `batch_size × features × max(heads × head_dim, ff_dim)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransformerParams {
    /// Full passes over the training rows, each in a fresh random order.
    pub epochs: u32,
    /// Rows per Adam step; the last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Weight decay, as the penalty `(l2/2) ‖θ‖²` added to the mean log-loss for every
    /// weight matrix and the token embedding (not biases, layer-norm parameters or the
    /// per-feature embeddings). Being part of the loss, it goes through Adam's scaling (the
    /// "L2" form, not AdamW's decoupled decay); the name matches the pipeline's `l2`.
    pub l2: f64,
    /// Encoder layers.
    pub layers: NonZeroUsize,
    /// Attention heads per layer.
    pub heads: NonZeroUsize,
    /// Width of each head; the model width is `heads × head_dim`.
    pub head_dim: NonZeroUsize,
    /// Hidden width of the position-wise feed-forward network.
    pub ff_dim: NonZeroUsize,
    pub activation: Activation,
}

impl Default for TransformerParams {
    /// A small encoder that reaches its accuracy on a few thousand rows of the default
    /// family in a handful of epochs: width 16 (2 heads of 8), one layer, feed-forward 32.
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 32,
            learning_rate: 3e-3,
            l2: 0.0,
            layers: const { nonzero(1) },
            heads: const { nonzero(2) },
            head_dim: const { nonzero(8) },
            ff_dim: const { nonzero(32) },
            activation: Activation::Gelu,
        }
    }
}

/// A nonzero constant; evaluated at compile time, so it cannot fail at run time.
const fn nonzero(value: usize) -> NonZeroUsize {
    NonZeroUsize::new(value).expect("constant is nonzero")
}

impl TransformerParams {
    /// The model width `heads × head_dim`.
    pub fn d_model(&self) -> usize {
        self.heads.get().saturating_mul(self.head_dim.get())
    }

    /// Checks the settings the types do not already guarantee.
    pub fn validate(&self) -> Result<(), FitError> {
        if self.epochs == 0 {
            return Err(FitError::InvalidEpochs { value: self.epochs });
        }
        if self.batch_size == 0 {
            return Err(FitError::InvalidBatchSize { value: self.batch_size });
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(FitError::InvalidLearningRate { value: self.learning_rate });
        }
        if !(self.l2 >= 0.0 && self.l2.is_finite()) {
            return Err(FitError::InvalidL2 { value: self.l2 });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_values() {
        let base = TransformerParams::default();
        let cases = [
            TransformerParams { epochs: 0, ..base.clone() },
            TransformerParams { batch_size: 0, ..base.clone() },
            TransformerParams { learning_rate: -1.0, ..base.clone() },
            TransformerParams { l2: f64::INFINITY, ..base.clone() },
        ];
        let messages: Vec<String> =
            cases.iter().map(|p| p.validate().map_or_else(|e| e.to_string(), |()| "ok".to_owned())).collect();
        assert_eq!(
            messages,
            [
                "epochs must be at least 1, got 0",
                "batch size must be at least 1, got 0",
                "learning rate must be positive and finite, got -1",
                "l2 penalty must be non-negative and finite, got inf",
            ]
        );
        assert_eq!(base.validate(), Ok(()));
        assert_eq!(base.d_model(), 16);
    }

    #[test]
    fn reads_partial_settings_and_refuses_invalid_ones() -> Result<(), serde_json::Error> {
        let params: TransformerParams = serde_json::from_str(r#"{"heads": 4, "activation": "relu"}"#)?;
        assert_eq!((params.heads.get(), params.activation), (4, Activation::Relu));
        assert_eq!(params.epochs, TransformerParams::default().epochs);
        assert!(serde_json::from_str::<TransformerParams>(r#"{"layers": 0}"#).is_err());
        assert!(serde_json::from_str::<TransformerParams>(r#"{"activation": "tanh"}"#).is_err());
        Ok(())
    }
}
