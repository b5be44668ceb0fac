//! Settings of [`super::Anomaly`].

use std::num::NonZeroUsize;

use serde::{Deserialize, Serialize};

use super::PseudoCount;

/// What the anomaly model learns; saved with it so a run can be repeated.
///
/// There are no `epochs`, `batch_size` or learning rate: counting n-grams, growing trees and
/// the Newton fit of the calibration are not iterative over epochs, so the pipeline's
/// training settings of those names do not apply. Invalid values are unrepresentable (zero
/// counts and a non-positive pseudo-count are refused when the value is built or read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnomalyParams {
    /// Sequence mode: the n of the n-gram model (2: each action given the previous one, with
    /// unigram back-off).
    pub ngram_order: NonZeroUsize,
    /// Sequence mode: the additive-smoothing pseudo-count α.
    pub smoothing: PseudoCount,
    /// Sequence mode: also model the anomalous (label 1) training sequences and score by the
    /// log-likelihood ratio; `false` scores by the surprise under the normal model alone.
    pub contrastive: bool,
    /// Numeric mode: trees in the isolation forest.
    pub n_trees: NonZeroUsize,
    /// Numeric mode: rows each tree is grown on (ψ).
    pub subsample: NonZeroUsize,
}

impl Default for AnomalyParams {
    /// Liu et al.'s recommended forest (100 trees of 256 rows); a bigram with α = 0.1, which
    /// lets the thousands of rows of a typical run outweigh the prior.
    fn default() -> Self {
        Self {
            ngram_order: const { nonzero(2) },
            smoothing: const { PseudoCount::new(0.1).expect("0.1 is a valid pseudo-count") },
            contrastive: true,
            n_trees: const { nonzero(100) },
            subsample: const { nonzero(256) },
        }
    }
}

/// A nonzero constant; evaluated at compile time, so it cannot fail at run time.
const fn nonzero(value: usize) -> NonZeroUsize {
    NonZeroUsize::new(value).expect("constant is nonzero")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_values() {
        let params = AnomalyParams::default();
        assert_eq!(params.ngram_order.get(), 2);
        assert_eq!(params.smoothing.get(), 0.1);
        assert!(params.contrastive);
        assert_eq!((params.n_trees.get(), params.subsample.get()), (100, 256));
    }

    #[test]
    fn reads_partial_settings_and_refuses_invalid_ones() -> Result<(), serde_json::Error> {
        let params: AnomalyParams = serde_json::from_str(r#"{"ngram_order": 3, "contrastive": false}"#)?;
        assert_eq!(params.ngram_order.get(), 3);
        assert!(!params.contrastive);
        assert_eq!(params.n_trees.get(), 100);
        assert!(serde_json::from_str::<AnomalyParams>(r#"{"ngram_order": 0}"#).is_err());
        assert!(serde_json::from_str::<AnomalyParams>(r#"{"smoothing": -1.0}"#).is_err());
        assert!(serde_json::from_str::<AnomalyParams>(r#"{"epochs": 3}"#).is_err());
        Ok(())
    }
}
