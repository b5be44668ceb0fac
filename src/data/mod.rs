//! Tabular data as the pipeline stages pass it between each other: the in-memory [`Dataset`],
//! its binary (`.npy`) and CSV hand-off forms, the synthetic generator, train/validation/calibration splits and the
//! feature standardizer fitted on training rows.

mod columns;
mod csv_chunks;
pub mod csv_source;
mod data_error;
pub mod data_file;
mod dataset;
mod dataset_csv;
pub mod float_text;
pub mod guards;
pub mod huge_page_buffer;
pub mod kaggle;
pub mod located_value;
pub mod memory;
pub mod preprocess;
pub mod row_filter;
pub mod sampling;
pub mod split;
pub mod split_strategy_name;
mod standardizer;
pub mod synthetic;
pub mod synthetic_anomaly;
pub mod synthetic_correlation;
pub mod table;
pub mod table_npy;

pub use columns::{Columns, FeatureSource, Features};
pub use data_error::DataError;
pub use dataset::Dataset;
pub use split::{PartIndices, SplitConfig, SplitStrategy, Splits, split, split_indices};
pub use standardizer::Standardizer;
