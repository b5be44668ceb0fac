//! Guards against leaks and accidents in a user's table, checked when it is loaded: what a
//! reviewer would ask about before trusting any metric trained on it.
//!
//! Each finding is a warning (printed, written to `dataset.json`, shown in the report); a
//! `strict` load turns them into errors. They are heuristics with stated thresholds, not
//! proofs: a column flagged as a possible leak may be a legitimately strong feature, which is
//! why the message gives the number and the user decides.
//!
//! - **ID-like columns**: a text column with a distinct value in every row, or an integer
//!   column that is distinct in every row or strictly increasing (row numbers, case numbers).
//!   A model can memorise them and they never generalise.
//! - **Possible label leak**: a single feature that alone separates the *training* labels with
//!   ROC-AUC ≥ `leak_auc` (or ≤ 1 − `leak_auc`). Numbers are scored by their value; a text
//!   column by its category's positive rate among the training rows. Columns recorded after the
//!   outcome (e.g. whether someone re-offended) look exactly like this.
//! - **One class**: every label is the same, so nothing can be learned and accuracy is the
//!   share of that class.
//! - **Fewer training rows than features** (after one-hot encoding): the fit is under-determined.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::table::{Table, Values, present};
use crate::metrics::roc_auc;

/// The fewest rows for which "distinct in every row" says anything about a column.
const MIN_ROWS_FOR_ID: usize = 20;

/// The fewest training rows per category for a text column's leak check to mean anything.
const MIN_ROWS_PER_CATEGORY: usize = 10;

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A column that looks like a row identifier.
    IdLike {
        /// The column.
        column: String,
        /// Why: `a distinct value in every row` or `strictly increasing integers`.
        reason: String,
    },
    /// A feature that alone separates the training labels.
    PossibleLeak {
        /// The column.
        column: String,
        /// Its single-feature ROC-AUC on the training rows, oriented to be ≥ 0.5.
        auc: f64,
    },
    /// Every label is the same.
    OneClass {
        /// The only class.
        class: u8,
        /// How many rows.
        rows: usize,
    },
    /// The training part has fewer rows than features.
    FewRows {
        /// Training rows.
        rows: usize,
        /// Features after encoding.
        features: usize,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::IdLike { column, reason } => {
                write!(f, "column `{column}` looks like an ID ({reason}); exclude it with `exclude = [\"{column}\"]`")
            }
            Self::PossibleLeak { column, auc } => write!(
                f,
                "possible label leak: `{column}` alone gives ROC-AUC {auc:.3} on the training rows; exclude it if it is recorded after the outcome"
            ),
            Self::OneClass { class, rows } => write!(
                f,
                "the label has one class (all {rows} rows are {class}): nothing can be learned, and accuracy is the share of that class"
            ),
            Self::FewRows { rows, features } => write!(
                f,
                "the training part has {rows} rows for {features} features (after encoding): expect overfitting; exclude columns or use `encode = \"ordinal\"`"
            ),
        }
    }
}

/// What the guards need to know.
#[derive(Debug, Clone, Copy)]
pub struct GuardOptions {
    /// The single-feature ROC-AUC at which a column is a possible leak.
    pub leak_auc: f64,
    /// Whether text columns are one-hot encoded (one feature per category) or ordinal.
    pub one_hot: bool,
}

/// Checks `features` and labels `y` (all rows), with `train` the training rows' indices.
pub fn check(features: &Table, y: &[u8], train: &[usize], opts: GuardOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in features.columns() {
        if let Some(reason) = id_like(&c.values) {
            out.push(Finding::IdLike { column: c.name.clone(), reason: reason.to_owned() });
        }
    }
    let train_y: Vec<u8> = train.iter().map(|&i| y[i]).collect();
    for c in features.columns() {
        if let Some(auc) = single_feature_auc(&c.values, train, &train_y)
            && auc >= opts.leak_auc
        {
            out.push(Finding::PossibleLeak { column: c.name.clone(), auc });
        }
    }
    let positives = y.iter().filter(|&&v| v == 1).count();
    if !y.is_empty() && (positives == 0 || positives == y.len()) {
        out.push(Finding::OneClass { class: u8::from(positives > 0), rows: y.len() });
    }
    let encoded: usize = features
        .columns()
        .iter()
        .map(|c| match &c.values {
            Values::Text(v) if opts.one_hot => {
                train.iter().filter_map(|&i| v[i].as_deref()).collect::<BTreeSet<&str>>().len().max(1)
            }
            _ => 1,
        })
        .sum();
    if train.len() < encoded {
        out.push(Finding::FewRows { rows: train.len(), features: encoded });
    }
    out
}

fn id_like(values: &Values) -> Option<&'static str> {
    match values {
        Values::Text(v) => {
            let present: Vec<&str> = v.iter().flatten().map(String::as_str).collect();
            let distinct: BTreeSet<&str> = present.iter().copied().collect();
            (present.len() >= MIN_ROWS_FOR_ID && distinct.len() == present.len())
                .then_some("a distinct value in every row")
        }
        Values::Numeric(v) => {
            let present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            if present.len() < MIN_ROWS_FOR_ID || present.iter().any(|x| x.fract() != 0.0) {
                return None;
            }
            if present.windows(2).all(|w| w[0] < w[1]) {
                return Some("strictly increasing integers");
            }
            let distinct: BTreeSet<u64> = present.iter().map(|x| x.to_bits()).collect();
            (distinct.len() == present.len()).then_some("a distinct integer in every row")
        }
    }
}

/// The ROC-AUC of one column as a score for the training labels, oriented to be ≥ 0.5; `None`
/// when it is undefined (one class among the rows where the column is present).
fn single_feature_auc(values: &Values, train: &[usize], y: &[u8]) -> Option<f64> {
    let (scores, labels): (Vec<f64>, Vec<u8>) = match values {
        Values::Numeric(v) => train.iter().zip(y).filter_map(|(&i, &l)| present(v[i]).map(|x| (x, l))).unzip(),
        Values::Text(v) => {
            let mut rate: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for (&i, &l) in train.iter().zip(y) {
                if let Some(t) = v[i].as_deref() {
                    let e = rate.entry(t).or_default();
                    e.0 += usize::from(l);
                    e.1 += 1;
                }
            }
            // With few rows per category a category's own rate memorises its rows' labels
            // (an ID column would "separate" them perfectly): judge only columns with at
            // least `MIN_ROWS_PER_CATEGORY` rows per category on average.
            if rate.len() * MIN_ROWS_PER_CATEGORY > train.len() {
                return None;
            }
            train
                .iter()
                .zip(y)
                .filter_map(|(&i, &l)| {
                    let (pos, n) = rate.get(v[i].as_deref()?)?;
                    Some((*pos as f64 / *n as f64, l))
                })
                .unzip()
        }
    };
    // `roc_auc` takes probabilities; scaling into [0, 1] keeps the order, so the AUC.
    let (lo, hi) = scores.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    if hi <= lo || !hi.is_finite() || !lo.is_finite() {
        return None;
    }
    let scaled: Vec<f64> = scores.iter().map(|&x| ((x - lo) / (hi - lo)).clamp(0.0, 1.0)).collect();
    let auc = roc_auc(&labels, &scaled).ok()??;
    Some(auc.max(1.0 - auc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::Column;

    fn table(columns: Vec<(&str, Values)>) -> Table {
        let n = match &columns[0].1 {
            Values::Numeric(v) => v.len(),
            Values::Text(v) => v.len(),
        };
        let columns = columns.into_iter().map(|(name, values)| Column { name: name.to_owned(), values }).collect();
        Table::new(columns, (0..n as u64).collect()).expect("table")
    }

    #[test]
    fn finds_ids_leaks_and_one_class() {
        let n = 40;
        let y: Vec<u8> = (0..n).map(|i| u8::from(i % 3 == 0)).collect();
        let t = table(vec![
            ("row_id", Values::Numeric((0..n).map(f64::from).collect())),
            ("name", Values::Text((0..n).map(|i| Some(format!("person {i}"))).collect())),
            ("after", Values::Numeric(y.iter().map(|&l| f64::from(l) * 2.0 + 1.0).collect())),
            ("noise", Values::Numeric((0..n).map(|i| f64::from(i % 4)).collect())),
        ]);
        let train: Vec<usize> = (0..30).collect();
        let found = check(&t, &y, &train, GuardOptions { leak_auc: 0.98, one_hot: false });
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "column `row_id` looks like an ID (strictly increasing integers); exclude it with `exclude = [\"row_id\"]`",
                "column `name` looks like an ID (a distinct value in every row); exclude it with `exclude = [\"name\"]`",
                "possible label leak: `after` alone gives ROC-AUC 1.000 on the training rows; exclude it if it is recorded after the outcome",
            ]
        );
        let ones = vec![1; n as usize];
        let found = check(&t, &ones, &train, GuardOptions { leak_auc: 0.98, one_hot: true });
        assert!(found.contains(&Finding::OneClass { class: 1, rows: 40 }), "{found:?}");
        // One-hot `name` has 30 training categories: 33 features for 30 rows.
        assert!(found.contains(&Finding::FewRows { rows: 30, features: 33 }), "{found:?}");
    }
}
