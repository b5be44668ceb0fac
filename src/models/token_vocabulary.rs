//! Token columns and the vocabulary that maps their values to dense indices.
//!
//! [`crate::data::Dataset`] is numeric, so categorical sequences (the anomaly family's
//! actions) arrive as columns named `action_<i>` holding ids as `f64`. The ids are labels,
//! not quantities: models that understand tokens map each distinct value seen in training
//! to a dense index and every other value to one shared "unknown" index, so an id the model
//! never saw is scored, not rejected.

use serde::{Deserialize, Serialize};

use crate::data::synthetic_anomaly::ACTION_COLUMN_PREFIX;

/// Whether a column holds categorical tokens rather than a numeric feature.
pub fn is_token_column(name: &str) -> bool {
    name.starts_with(ACTION_COLUMN_PREFIX)
}

/// The distinct token values seen in training, sorted; value `values[i]` has index `i` and
/// anything else has index [`TokenVocabulary::unknown`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct TokenVocabulary {
    values: Vec<f64>,
}

impl TokenVocabulary {
    /// Collects the distinct finite values; `-0.0` counts as `0.0`, non-finite values are
    /// left to the unknown index.
    pub fn fit(values: impl IntoIterator<Item = f64>) -> Self {
        let mut values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).map(|v| v + 0.0).collect();
        values.sort_unstable_by(f64::total_cmp);
        values.dedup();
        Self { values }
    }

    /// Number of known tokens.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The index shared by every value not in the vocabulary; one past the known ones.
    pub fn unknown(&self) -> usize {
        self.values.len()
    }

    /// The dense index of a token value.
    pub fn index(&self, value: f64) -> usize {
        let value = value + 0.0;
        self.values.binary_search_by(|known| known.total_cmp(&value)).unwrap_or(self.unknown())
    }

    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

impl TryFrom<Vec<f64>> for TokenVocabulary {
    type Error = &'static str;

    /// Accepts only what [`TokenVocabulary::fit`] produces, so a hand-edited file cannot give
    /// two values the same index or make lookups miss.
    fn try_from(values: Vec<f64>) -> Result<Self, Self::Error> {
        let canonical = values.iter().all(|v| v.is_finite() && v.to_bits() != (-0.0f64).to_bits());
        let increasing = values.windows(2).all(|pair| pair[0] < pair[1]);
        if !canonical || !increasing {
            return Err("token vocabulary must be finite, strictly increasing values");
        }
        Ok(Self { values })
    }
}

impl From<TokenVocabulary> for Vec<f64> {
    fn from(vocabulary: TokenVocabulary) -> Self {
        vocabulary.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_token_columns_by_name() {
        assert!(is_token_column("action_0"));
        assert!(is_token_column("action_12"));
        assert!(!is_token_column("violation_count"));
        assert!(!is_token_column("actions"));
    }

    #[test]
    fn maps_seen_values_densely_and_the_rest_to_unknown() {
        let vocabulary = TokenVocabulary::fit([7.0, 3.0, 7.0, -0.0, f64::NAN, 42.5]);
        assert_eq!(vocabulary.values(), [0.0, 3.0, 7.0, 42.5]);
        assert_eq!(vocabulary.index(0.0), 0);
        assert_eq!(vocabulary.index(-0.0), 0);
        assert_eq!(vocabulary.index(7.0), 2);
        assert_eq!(vocabulary.index(42.5), 3);
        for unseen in [1.0, -7.0, f64::NAN, f64::INFINITY] {
            assert_eq!(vocabulary.index(unseen), vocabulary.unknown());
        }
        assert_eq!(vocabulary.unknown(), 4);
    }

    #[test]
    fn saved_form_is_a_list_and_is_checked() -> Result<(), serde_json::Error> {
        let vocabulary = TokenVocabulary::fit([2.0, 1.0]);
        let json = serde_json::to_string(&vocabulary)?;
        assert_eq!(json, "[1.0,2.0]");
        assert_eq!(serde_json::from_str::<TokenVocabulary>(&json)?, vocabulary);
        let rejected = serde_json::from_str::<TokenVocabulary>("[2.0,1.0]").map_err(|e| e.to_string());
        assert_eq!(rejected, Err("token vocabulary must be finite, strictly increasing values".to_owned()));
        Ok(())
    }
}
