//! The names of the split strategies, as a manifest's `split.strategy`, `nethical train
//! --split-strategy` and `dataset.json`'s `split` write them: one enum for the parameter and
//! the artifact, in the data library so that the artifact types (`crate::artifacts`), which
//! import no manifest, can name it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Split strategies of the original (`--split-strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SplitStrategyName {
    /// The first `train_ratio` of rows train, the rest validate (the original's default).
    #[default]
    Temporal,
    /// A seeded shuffle, then the same cut.
    Random,
    /// The cut made within each class, so both parts keep the class balance.
    Stratified,
    /// Stratified k-fold cross-validation: one `load` instance per fold (matrix variable
    /// `fold`), each validating on its fold and training on the others.
    Kfold,
}

impl SplitStrategyName {
    /// Every strategy, in the order they are listed to users.
    pub const ALL: [Self; 4] = [Self::Temporal, Self::Random, Self::Stratified, Self::Kfold];

    /// The original trainer's strategies: what `nethical train --split-strategy` offers (a
    /// `kfold` split makes one cohort per fold, which the trainer's summary has no place for).
    pub const ORIGINAL: [Self; 3] = [Self::Temporal, Self::Random, Self::Stratified];

    /// The name used in manifests and on the command line (serde's, held equal by a test).
    pub fn name(self) -> &'static str {
        match self {
            Self::Temporal => "temporal",
            Self::Random => "random",
            Self::Stratified => "stratified",
            Self::Kfold => "kfold",
        }
    }

    /// One line for a list of the strategies, e.g. a command's help.
    pub fn summary(self) -> &'static str {
        match self {
            Self::Temporal => "First rows train.",
            Self::Random => "Shuffled, then cut.",
            Self::Stratified => "Cut within each class.",
            Self::Kfold => "One instance per fold, validating on its fold.",
        }
    }

    /// Looks a strategy up by its name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}
