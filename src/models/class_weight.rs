//! Reweighting of the two classes in a training loss.

use serde::{Deserialize, Serialize};

/// How much each class's rows count in the training loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Each row of class c counts `n / (2 * n_c)`, so both classes carry equal total weight
    /// and the average row weight stays 1, which keeps the learning rate's meaning.
    Balanced,
}

impl ClassWeight {
    /// Row weights for labels 0 and 1 given the label counts.
    pub fn weights(weight: Option<Self>, counts: [usize; 2]) -> [f64; 2] {
        match weight {
            None => [1.0, 1.0],
            Some(Self::Balanced) => {
                let total = (counts[0] + counts[1]) as f64;
                // An absent class has no rows to weigh; 1.0 keeps the value finite.
                counts.map(|count| if count == 0 { 1.0 } else { total / (2.0 * count as f64) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_weights_equalise_classes() {
        assert_eq!(ClassWeight::weights(None, [3, 1]), [1.0, 1.0]);
        assert_eq!(ClassWeight::weights(Some(ClassWeight::Balanced), [3, 1]), [4.0 / 6.0, 2.0]);
        assert_eq!(ClassWeight::weights(Some(ClassWeight::Balanced), [0, 5]), [1.0, 0.5]);
    }
}
