//! Checks of a `load` stage's CSV file that need no training, made when the manifest is read
//! so that `validate` and `plan` report them at the manifest key they concern, with exit code
//! 2, before any run folder exists.
//!
//! The file is read by the same reader the stage uses (`data::csv_source`), so whatever the
//! stage would refuse is refused here, with the same words: the file exists and is a regular
//! file (a FIFO or a device is never opened), the named columns exist and are not repeated in
//! the header, label values map to 0/1, no feature column is empty, the filter's columns hold
//! numbers where it orders them, one-hot columns stay under `max_categories`, and the label has
//! two classes. It costs one
//! read of the file; Kaggle archives are checked when the stage fetches them.

use std::path::Path;

use super::limits::{Limits, exceeds};
use super::params::{CsvSource, DataSource, LoadParams};
use crate::data::DataError;
use crate::data::csv_source::read_labeled_csv;
use crate::data::data_file::read_data_file;
use crate::error_chain::error_chain;

/// A problem found in a data file, at a key of the stage table.
pub(super) struct DataIssue {
    /// Key path inside the stage table, most specific first: the first one written is used.
    pub keys: Vec<Vec<&'static str>>,
    /// The message.
    pub message: String,
    /// The label under the key.
    pub label: &'static str,
}

/// The problems of `params`' CSV file, resolved against `base`.
pub(super) fn load_issues(params: &LoadParams, base: &Path, limits: &Limits) -> Vec<DataIssue> {
    if let DataSource::Synthetic(s) = &params.source {
        let too_large = match limits.max_rows {
            Some(max) => (s.num_samples > max)
                .then(|| exceeds("`source.synthetic.num_samples`", s.num_samples, "max_rows", max)),
            None => crate::data::memory::total_memory()
                .and_then(|m| crate::data::memory::synthetic_rows_too_large(s.num_samples, m))
                .map(|m| {
                    format!("`source.synthetic.num_samples` is too large: {m} (limit `max_rows`: set it in [limits] to allow more)")
                }),
        };
        return too_large
            .map(|message| DataIssue {
                keys: vec![vec!["source", "synthetic", "num_samples"]],
                message,
                label: "too many rows",
            })
            .into_iter()
            .collect();
    }
    let DataSource::Csv(c) = &params.source else { return Vec::new() };
    // Standard input is read once, by the run: `validate` and `plan` leave it for it.
    if c.path == crate::data::data_file::STDIN {
        return Vec::new();
    }
    let at = |k: &'static str| vec!["source", "csv", k];
    let path_key = at("path");
    let file = match read_data_file(base, &c.path) {
        Ok(f) => f,
        Err(e) => {
            let message = error_chain(&e);
            return vec![DataIssue { keys: vec![path_key], message, label: "cannot read" }];
        }
    };
    let Ok(opts) = c.options() else { return Vec::new() };
    match read_labeled_csv(&file.bytes, &c.path, &opts) {
        Ok((table, _)) => one_class(&table.y, c).into_iter().collect(),
        Err(e) => {
            let key = key_of(&e, c);
            let mut keys = vec![at(key)];
            keys.push(path_key);
            // Errors that name a line and column say which file they are in.
            let message = match &e {
                DataError::CsvBadValue { .. } | DataError::FilterNotNumeric { .. } => {
                    format!("{}: {}", c.path, error_chain(&e))
                }
                _ => error_chain(&e),
            };
            vec![DataIssue { keys, message, label: "data check" }]
        }
    }
}

/// A label with one class: nothing can be learned, and every model would "train" to the
/// constant answer and report the class's share as its accuracy.
fn one_class(y: &[u8], c: &CsvSource) -> Option<DataIssue> {
    let first = *y.first()?;
    if y.iter().any(|&v| v != first) {
        return None;
    }
    let label = c.label.as_deref().map_or_else(|| "the label".to_owned(), |l| format!("label `{l}`"));
    Some(DataIssue {
        keys: vec![vec!["source", "csv", "label"], vec!["source", "csv", "path"]],
        message: format!(
            "{}: {label} has one class (all {} rows are {first}): nothing can be learned; name another label, or check `filter` and `label_map`",
            c.path,
            y.len()
        ),
        label: "one class",
    })
}

/// The key of the CSV source an error concerns.
fn key_of(e: &DataError, c: &CsvSource) -> &'static str {
    match e {
        DataError::UnknownColumn { role, .. } | DataError::DuplicateColumn { role, .. } => role.key(),
        DataError::FilterNotNumeric { .. } => "filter",
        DataError::TooManyCategories { .. } => "max_categories",
        DataError::EmptyColumn { name, .. } if c.features.as_ref().is_some_and(|f| f.contains(name)) => "features",
        // A feature's missing value says how to accept them; anything else is about the label.
        DataError::CsvBadValue { expected, .. } if expected.contains("`missing = ") => "missing",
        DataError::CsvBadValue { .. } if c.label_map.is_empty() => "label",
        DataError::CsvBadValue { .. } => "label_map",
        _ => "path",
    }
}
