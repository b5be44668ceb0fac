//! Training settings of [`super::LogisticRegression`].

use serde::{Deserialize, Serialize};

use super::{ClassWeight, FitError};

/// Mini-batch gradient descent settings, saved with the model so a run can be repeated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticParams {
    /// Full passes over the training rows, each in a fresh random order.
    pub epochs: u32,
    /// Rows per gradient step; the last batch of an epoch may be smaller.
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Strength of the `(l2/2) ‖w‖²` penalty on the weights (not the bias).
    pub l2: f64,
    pub class_weight: Option<ClassWeight>,
    /// How the weights are fitted (models saved before solvers existed used `sgd`).
    pub solver: LogisticSolver,
}

/// The optimiser of a logistic regression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogisticSolver {
    /// Mini-batch gradient descent for `epochs` passes (the original's knobs mean something).
    #[default]
    Sgd,
    /// Full-batch L-BFGS to convergence, scikit-learn's default: `epochs`, `batch_size` and
    /// `learning_rate` do not apply, and `l2` is scikit-learn's `1/C`.
    Lbfgs,
}

impl Default for LogisticParams {
    /// Settings that fit standardized features of a few thousand rows well.
    fn default() -> Self {
        Self {
            epochs: 20,
            batch_size: 32,
            learning_rate: 0.1,
            l2: 0.0,
            class_weight: None,
            solver: LogisticSolver::Sgd,
        }
    }
}

impl LogisticParams {
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
        let base = LogisticParams::default();
        let cases = [
            LogisticParams { epochs: 0, ..base.clone() },
            LogisticParams { batch_size: 0, ..base.clone() },
            LogisticParams { learning_rate: 0.0, ..base.clone() },
            LogisticParams { learning_rate: f64::INFINITY, ..base.clone() },
            LogisticParams { l2: -1.0, ..base.clone() },
            LogisticParams { l2: f64::NAN, ..base.clone() },
        ];
        let messages: Vec<String> =
            cases.iter().map(|p| p.validate().map_or_else(|e| e.to_string(), |()| "ok".to_owned())).collect();
        assert_eq!(
            messages,
            [
                "epochs must be at least 1, got 0",
                "batch size must be at least 1, got 0",
                "learning rate must be positive and finite, got 0",
                "learning rate must be positive and finite, got inf",
                "l2 penalty must be non-negative and finite, got -1",
                "l2 penalty must be non-negative and finite, got NaN",
            ]
        );
        assert_eq!(base.validate(), Ok(()));
    }

    #[test]
    fn missing_fields_take_defaults() -> Result<(), serde_json::Error> {
        let params: LogisticParams = serde_json::from_str(r#"{"epochs": 3, "class_weight": "balanced"}"#)?;
        assert_eq!(
            params,
            LogisticParams { epochs: 3, class_weight: Some(ClassWeight::Balanced), ..LogisticParams::default() }
        );
        Ok(())
    }
}
