//! Classification, calibration and fairness metrics on labels and probabilities, with the
//! conventions of `spec/METRICS.md` and numbers checked against scikit-learn and fairlearn.
//!
//! A plain library: slices in, typed results out; it knows nothing of manifests or files.

mod calibration;
mod classification;
pub mod compare;
mod config;
mod confusion;
pub mod drift;
mod error;
mod fairness;
mod fairness_bootstrap;
mod fairness_gaps;
mod fairness_options;
mod ranking;
mod report;
mod scoring;
mod undefined;
mod validate;

#[cfg(test)]
mod tests_reference;

pub use calibration::{DEFAULT_BINS, ReliabilityBin, ece, ece_top_label, mce, reliability};
pub use classification::{accuracy, f1, fp_rate, precision, recall, specificity};
pub use config::MetricsConfig;
pub use confusion::{ConfusionCounts, DEFAULT_THRESHOLD, predict};
pub use error::MetricsError;
pub use fairness::{FairnessReport, GroupRates, fairness, fairness_with};
pub use fairness_bootstrap::{FAIRNESS_INTERVAL_METHOD, FairnessIntervals};
pub use fairness_options::{
    DEFAULT_FAIRNESS_RESAMPLES, DEFAULT_MIN_GROUP_SIZE, FairnessOptions, POOLED_GROUP, POOLED_GROUP_FALLBACK,
};
pub use ranking::{average_precision, rank_rows, roc_auc};
pub use report::{MetricsReport, evaluate};
pub use scoring::{LOG_LOSS_EPS, brier, log_loss};
pub use undefined::Undefined;
