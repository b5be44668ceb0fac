//! The error type shared by dataset construction, CSV reading and writing, splitting and
//! standardization.

use thiserror::Error;

use super::csv_source::CsvRole;

/// Why a dataset could not be built, read, written, split or standardized.
#[derive(Debug, Error)]
pub enum DataError {
    #[error("dataset has no features")]
    NoFeatures,

    #[error("feature name {index} is empty")]
    EmptyFeatureName { index: usize },

    #[error("feature name `{name}` appears more than once")]
    DuplicateFeatureName { name: String },

    #[error("{names} feature names were given for {columns} feature columns")]
    FeatureCountMismatch { names: usize, columns: usize },

    #[error("{labels} labels were given for {rows} rows")]
    LabelCountMismatch { labels: usize, rows: usize },

    #[error("{ids} row ids were given for {rows} rows")]
    RowIdCountMismatch { ids: usize, rows: usize },

    #[error("label of row {row} is {value}, but labels must be 0 or 1")]
    InvalidLabel { row: usize, value: u8 },

    #[error("row id {id} appears more than once")]
    DuplicateRowId { id: u64 },

    #[error("feature `{feature}` of row {row} is not finite")]
    NonFiniteFeature { row: usize, feature: String },

    #[error("build the feature matrix")]
    Shape {
        #[source]
        source: ndarray::ShapeError,
    },

    #[error("read or write dataset csv")]
    Csv {
        #[source]
        source: csv::Error,
    },

    #[error("{source_name}: {message}")]
    CsvSchema { source_name: String, message: String },

    #[error("{source_name}: {role} `{name}` is not a column{hint}; the columns are {columns}")]
    UnknownColumn { source_name: String, role: CsvRole, name: String, columns: String, hint: String },

    #[error(
        "{source_name}: the {role} `{name}` is the name of columns {first} and {second}; set `dedupe_headers = true` to read them as `{name}` and `{name}_2`, or exclude it"
    )]
    DuplicateColumn { source_name: String, role: CsvRole, name: String, first: usize, second: usize },

    #[error(
        "{source_name}: column {column} `{name}` has no value in any of the {rows} rows read; exclude it with `exclude = [\"{name}\"]`"
    )]
    EmptyColumn { source_name: String, name: String, column: usize, rows: usize },

    #[error(
        "{source_name}: text column {column} `{name}` has {categories} distinct values, over `max_categories` = {max} for one-hot encoding; exclude it, use `encode = \"ordinal\"`, or raise `max_categories`"
    )]
    TooManyCategories { source_name: String, name: String, column: usize, categories: usize, max: usize },

    #[error(
        "invalid value `{value}` at line {line}, column {column} (`{name}`): filter `{condition}` compares numbers, and this is not one"
    )]
    FilterNotNumeric { line: u64, column: usize, name: String, value: String, condition: String },

    #[error("missing value in column `{column}` of row {row}, and the preprocessor has no value to fill it with")]
    MissingValue { column: String, row: u64 },

    #[error("`{file}`: {message}")]
    Npy { file: String, message: String },

    #[error("dataset csv is empty; expected a header `row,<features...>,label`")]
    CsvMissingHeader,

    #[error("dataset csv header is `{found}`; expected `row,<features...>,label`")]
    CsvBadHeader { found: String },

    #[error("line {line} of the dataset csv has {found} fields; the header has {expected}")]
    CsvFieldCount { line: u64, expected: usize, found: usize },

    #[error("invalid value `{value}` at line {line}, column {column} (`{name}`): {expected}")]
    CsvBadValue { line: u64, column: usize, name: String, value: String, expected: &'static str },

    #[error("train ratio {value} is outside (0, 1)")]
    InvalidTrainRatio { value: f64 },

    #[error("fold {fold} of {folds} folds: folds must be at least 2 and fold between 1 and folds")]
    InvalidFold { folds: u32, fold: u32 },

    #[error("calibration ratio {value} is outside (0, 1)")]
    InvalidCalibrationRatio { value: f64 },

    #[error(
        "train ratio {train} plus calibration ratio {calibration} leaves no room for validation; \
         their sum must be below 1"
    )]
    RatiosTooLarge { train: f64, calibration: f64 },

    #[error("splitting {rows} rows leaves the {part} part empty")]
    EmptySplitPart { part: &'static str, rows: usize },

    #[error("cannot fit a standardizer on zero rows")]
    EmptyStandardizerFit,

    #[error("standardizer was fitted on {expected} features but got {found}")]
    StandardizerFeatureCount { expected: usize, found: usize },
}
