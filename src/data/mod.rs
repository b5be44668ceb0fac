//! Tabular data as the pipeline stages pass it between each other: the in-memory [`Dataset`],
//! its CSV hand-off form, the synthetic generator, train/validation/calibration splits and the
//! feature standardizer fitted on training rows.

mod data_error;
mod dataset;
mod dataset_csv;
pub mod sampling;
pub mod split;
mod standardizer;
pub mod synthetic;
pub mod synthetic_correlation;

pub use data_error::DataError;
pub use dataset::Dataset;
pub use split::{SplitConfig, SplitStrategy, Splits, split};
pub use standardizer::Standardizer;
