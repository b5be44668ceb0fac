//! The names of the search techniques, as a manifest writes them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A search technique. `bayesian`, declared but never implemented by the original, is not
/// offered.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Technique {
    /// Independent uniform samples of the space: [`random_search`](super::random_search).
    #[default]
    RandomSearch,
    /// Every point of the grid: [`grid_search`](super::grid_search).
    GridSearch,
    /// A genetic algorithm: [`evolutionary_search`](super::evolutionary_search).
    Evolutionary,
}

impl Technique {
    /// Every technique, in the original's order.
    pub const ALL: [Self; 3] = [Self::RandomSearch, Self::GridSearch, Self::Evolutionary];

    /// One line on what it does, for `--help`.
    pub fn summary(self) -> &'static str {
        match self {
            Self::RandomSearch => "Random search",
            Self::GridSearch => "Grid search",
            Self::Evolutionary => "Evolutionary search",
        }
    }

    /// The technique spelled `name` ([`Technique::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RandomSearch => "random_search",
            Self::GridSearch => "grid_search",
            Self::Evolutionary => "evolutionary",
        }
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_spellings_round_trip() {
        for technique in Technique::ALL {
            assert_eq!(Technique::from_name(technique.as_str()), Some(technique));
            let json = serde_json::to_string(&technique).expect("serialises");
            assert_eq!(json, format!("\"{technique}\""));
            assert_eq!(serde_json::from_str::<Technique>(&json).expect("parses"), technique);
        }
        assert!(serde_json::from_str::<Technique>("\"bayesian\"").is_err());
    }
}
