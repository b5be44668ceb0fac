//! How a correlation model's trees choose their splits.

use serde::{Deserialize, Serialize};

/// The tree builder of a [`super::Correlation`] fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TreeAlgorithm {
    /// Features binned once on the training rows (at most 255 bins, from quantiles), splits
    /// searched on per-node gradient histograms, in parallel over features
    /// (`hist_tree_builder.rs`): what LightGBM and scikit-learn's
    /// `HistGradientBoostingClassifier` do, and tens of times faster than `Exact` on large data.
    #[default]
    Hist,
    /// Every threshold between two distinct values of a node's rows, on one thread
    /// (`tree_builder.rs`): scikit-learn's `GradientBoostingClassifier`'s search.
    Exact,
}

impl TreeAlgorithm {
    /// The algorithm of a saved model that names none: models were saved without it before
    /// histograms existed, and their trees were grown with exact splits.
    pub(super) fn of_older_models() -> Self {
        Self::Exact
    }
}
