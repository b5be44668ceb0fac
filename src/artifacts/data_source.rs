//! Where a cohort's rows came from: `metrics.json`'s `data_source`, which `train` copies from
//! its `load` instance's `dataset.json` (whose `split` is the same [`SplitRecord`]), so the
//! report can say which data each number was measured on.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::split_strategy_name::SplitStrategyName;

/// `dataset.json`'s `split`: the strategy and the size of each part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitRecord {
    /// The strategy.
    pub strategy: SplitStrategyName,
    /// The training share; absent for k-fold, whose folds set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_ratio: Option<f64>,
    /// The calibration share (`null` without a calibration part).
    pub calibration_ratio: Option<f64>,
    /// Training rows.
    pub train_rows: u64,
    /// Validation rows.
    pub validation_rows: u64,
    /// Calibration rows (`null` without a calibration part).
    pub calibration_rows: Option<u64>,
    /// K-fold only: the number of folds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folds: Option<u32>,
    /// K-fold only: the fold whose rows are the validation part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fold: Option<u32>,
}

/// `metrics.json`'s `data_source`: the `load` instance a cohort trained on and what its
/// `dataset.json` says of the rows, so the report can say which data each number was
/// measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSourceRecord {
    /// The `load` instance.
    pub instance: String,
    /// Its `data`.
    pub source: Value,
    /// Its `rows`.
    pub rows: u64,
    /// Its `split`.
    pub split: SplitRecord,
}
