//! Turning raw columns into model features: imputation and text encoding, fitted on the
//! training rows only and saved with the model, so validation rows never leak into it (the
//! original fitted min-max scaling on train and validation together and never saved it) and
//! a saved model scores raw input.

use std::collections::{BTreeMap, BTreeSet};

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::DataError;
use super::table::{Table, Values, present};

/// How text columns become numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// One 0/1 feature per training category (`name=category`); an unseen or missing category
    /// is all zeros.
    #[default]
    OneHot,
    /// One feature holding the category's index in sorted training categories; an unseen
    /// category is -1.
    Ordinal,
}

/// How one raw column becomes features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ColumnEncoder {
    /// A number, passed through; a missing value gets `fill` (the training median) if set.
    Numeric {
        /// Column name.
        name: String,
        /// Value for missing entries.
        fill: Option<f64>,
    },
    /// A text column.
    Categorical {
        /// Column name.
        name: String,
        /// Training categories, sorted.
        categories: Vec<String>,
        /// Value for missing entries (the most frequent training category) if set.
        fill: Option<String>,
        /// How it is encoded.
        encoding: Encoding,
    },
}

/// The fitted preprocessing of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    /// One encoder per raw column, in column order.
    pub columns: Vec<ColumnEncoder>,
}

/// The features one raw column became (see [`Preprocessor::feature_groups`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureGroup {
    /// The raw column's name.
    pub column: String,
    /// Its features' positions among [`Preprocessor::feature_names`]; empty for a text column
    /// with no training category.
    pub features: std::ops::Range<usize>,
    /// Whether the features are the 0/1 indicators of its categories.
    pub one_hot: bool,
}

/// numpy's median: the middle value, or the mean of the two middle values.
///
/// Selected in linear time rather than sorted: the middle values are the same either way.
fn median(mut v: Vec<f64>) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let (lower, &mut upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    let below = lower.iter().copied().max_by(f64::total_cmp)?;
    Some((below + upper) / 2.0)
}

/// A table's encoded features held as columns ([`Preprocessor::into_columns`]).
#[derive(Debug)]
pub struct EncodedColumns {
    /// The features' names.
    pub names: Vec<String>,
    /// One column per feature, in feature order.
    pub columns: Vec<Vec<f64>>,
    /// The table's row ids.
    pub row_ids: Vec<u64>,
}

impl Preprocessor {
    /// Fits on training rows; with `impute`, missing values get the training median (numeric)
    /// or most frequent value (text, ties broken by the smaller category).
    pub fn fit(train: &Table, encoding: Encoding, impute: bool) -> Self {
        let columns = train
            .columns()
            .iter()
            .map(|c| match &c.values {
                Values::Numeric(v) => ColumnEncoder::Numeric {
                    name: c.name.clone(),
                    fill: if impute { median(v.iter().copied().filter(|x| !x.is_nan()).collect()) } else { None },
                },
                Values::Text(v) => {
                    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                    for s in v.iter().flatten() {
                        *counts.entry(s.as_str()).or_default() += 1;
                    }
                    let fill = if impute {
                        counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, _)| (*k).to_owned())
                    } else {
                        None
                    };
                    ColumnEncoder::Categorical {
                        name: c.name.clone(),
                        categories: counts
                            .keys()
                            .map(|k| (*k).to_owned())
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect(),
                        fill,
                        encoding,
                    }
                }
            })
            .collect();
        Self { columns }
    }

    /// The names of the features it produces.
    pub fn feature_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.columns {
            match c {
                ColumnEncoder::Numeric { name, .. } => out.push(name.clone()),
                ColumnEncoder::Categorical { name, categories, encoding: Encoding::OneHot, .. } => {
                    out.extend(categories.iter().map(|k| format!("{name}={k}")));
                }
                ColumnEncoder::Categorical { name, encoding: Encoding::Ordinal, .. } => out.push(name.clone()),
            }
        }
        out
    }

    /// The feature columns each raw column produces, in column order: a one-hot column's
    /// categories are consecutive features, which a model that treats a text column as one
    /// input (the transformer's one token per column) needs to know without parsing names
    /// (a category may itself contain `=`).
    pub fn feature_groups(&self) -> Vec<FeatureGroup> {
        let mut at = 0;
        self.columns
            .iter()
            .map(|c| {
                let (name, width, one_hot) = match c {
                    ColumnEncoder::Numeric { name, .. } => (name, 1, false),
                    ColumnEncoder::Categorical { name, categories, encoding: Encoding::OneHot, .. } => {
                        (name, categories.len(), true)
                    }
                    ColumnEncoder::Categorical { name, encoding: Encoding::Ordinal, .. } => (name, 1, false),
                };
                let group = FeatureGroup { column: name.clone(), features: at..at + width, one_hot };
                at += width;
                group
            })
            .collect()
    }

    /// The names of the raw columns it reads.
    pub fn input_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .map(|c| match c {
                ColumnEncoder::Numeric { name, .. } | ColumnEncoder::Categorical { name, .. } => name.as_str(),
            })
            .collect()
    }

    /// Encodes a table whose columns include the fitted ones (found by name; extra columns are
    /// ignored, so a raw file with more columns can be scored).
    pub fn transform(&self, table: &Table) -> Result<(Vec<String>, Array2<f64>), DataError> {
        if let Some(done) = self.transform_numeric(table) {
            return Ok(done);
        }
        let names = self.feature_names();
        let rows = table.n_rows();
        let mut x = Array2::<f64>::zeros((rows, names.len()));
        let mut at = 0;
        for enc in &self.columns {
            let name = match enc {
                ColumnEncoder::Numeric { name, .. } | ColumnEncoder::Categorical { name, .. } => name,
            };
            let column = table.column(name).ok_or_else(|| DataError::CsvSchema {
                source_name: "input".to_owned(),
                message: format!("the model needs column `{name}`, which the data does not have"),
            })?;
            match (enc, &column.values) {
                (ColumnEncoder::Numeric { fill, .. }, Values::Numeric(v)) => {
                    for (i, &value) in v.iter().enumerate() {
                        x[(i, at)] = present(value)
                            .or(*fill)
                            .ok_or_else(|| DataError::MissingValue { column: name.clone(), row: table.row_ids()[i] })?;
                    }
                    at += 1;
                }
                (ColumnEncoder::Numeric { fill, .. }, Values::Text(v)) => {
                    // A raw file read without a schema: parse the numbers here.
                    for (i, value) in v.iter().enumerate() {
                        let parsed = match value {
                            None => None,
                            Some(s) => Some(s.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                                DataError::CsvSchema {
                                    source_name: "input".to_owned(),
                                    message: format!(
                                        "column `{name}` was numeric in training but row {} holds `{s}`",
                                        table.row_ids()[i]
                                    ),
                                }
                            })?),
                        };
                        x[(i, at)] = parsed
                            .or(*fill)
                            .ok_or_else(|| DataError::MissingValue { column: name.clone(), row: table.row_ids()[i] })?;
                    }
                    at += 1;
                }
                (ColumnEncoder::Categorical { categories, fill, encoding, .. }, values) => {
                    let text: Vec<Option<String>> = match values {
                        Values::Text(v) => v.clone(),
                        Values::Numeric(v) => v.iter().map(|&x| present(x).map(|x| x.to_string())).collect(),
                    };
                    for (i, value) in text.iter().enumerate() {
                        let value = value.as_ref().or(fill.as_ref());
                        let index = value.and_then(|s| categories.binary_search(s).ok());
                        match encoding {
                            Encoding::OneHot => {
                                if let Some(k) = index {
                                    x[(i, at + k)] = 1.0;
                                }
                            }
                            Encoding::Ordinal => {
                                x[(i, at)] = index.map_or(-1.0, |k| k as f64);
                            }
                        }
                    }
                    at += match encoding {
                        Encoding::OneHot => categories.len(),
                        Encoding::Ordinal => 1,
                    };
                }
            }
        }
        Ok((names, x))
    }

    /// The encoded features as columns, moved out of `table`, when every feature is a numeric
    /// column stored as numbers: missing values filled in place, so each column holds the
    /// values of [`Preprocessor::transform`]'s matrix column. `Err(table)` otherwise (a text
    /// column, or a missing value with no fill, which `transform` then reports), untouched.
    pub fn into_columns(&self, table: Table) -> Result<EncodedColumns, Table> {
        let fills: Option<Vec<(usize, Option<f64>)>> = self
            .columns
            .iter()
            .map(|enc| match enc {
                ColumnEncoder::Numeric { name, fill } => {
                    let at = table.columns().iter().position(|c| c.name == *name)?;
                    match &table.columns()[at].values {
                        Values::Numeric(v) if fill.is_some() || v.iter().all(|x| !x.is_nan()) => Some((at, *fill)),
                        _ => None,
                    }
                }
                ColumnEncoder::Categorical { .. } => None,
            })
            .collect();
        let Some(fills) = fills else { return Err(table) };
        // A raw column used twice would have to be copied; no fitted preprocessor does that.
        let mut positions: Vec<usize> = fills.iter().map(|&(at, _)| at).collect();
        positions.sort_unstable();
        positions.dedup();
        if positions.len() != fills.len() {
            return Err(table);
        }
        let (columns, row_ids) = table.into_parts();
        let mut slots: Vec<Option<Vec<f64>>> =
            columns.into_iter().map(|c| if let Values::Numeric(v) = c.values { Some(v) } else { None }).collect();
        let mut out = Vec::with_capacity(fills.len());
        for (at, fill) in fills {
            let mut values = slots[at].take().unwrap_or_default();
            if let Some(fill) = fill {
                values.par_iter_mut().filter(|v| v.is_nan()).for_each(|v| *v = fill);
            }
            out.push(values);
        }
        Ok(EncodedColumns { names: self.feature_names(), columns: out, row_ids })
    }

    /// [`Preprocessor::transform`] when every feature is a numeric column stored as numbers
    /// (the common case, and the one that is large): runs of rows filled on all cores, the
    /// same values. `None` when the table is not of that kind or a value is missing with no
    /// fill; the sequential pass then does the work, or finds the error it would have found.
    fn transform_numeric(&self, table: &Table) -> Option<(Vec<String>, Array2<f64>)> {
        /// Rows per task: enough that a task outweighs its scheduling.
        const ROWS_PER_TASK: usize = 16_384;
        let sources: Vec<(&[f64], Option<f64>)> = self
            .columns
            .iter()
            .map(|enc| match enc {
                ColumnEncoder::Numeric { name, fill } => match table.column(name).map(|c| &c.values) {
                    Some(Values::Numeric(v)) => Some((v.as_slice(), *fill)),
                    _ => None,
                },
                ColumnEncoder::Categorical { .. } => None,
            })
            .collect::<Option<_>>()?;
        let width = sources.len();
        let mut values = vec![0.0; table.n_rows() * width];
        let complete = values.par_chunks_mut(ROWS_PER_TASK * width.max(1)).enumerate().all(|(task, rows)| {
            let first = task * ROWS_PER_TASK;
            rows.chunks_exact_mut(width.max(1)).enumerate().all(|(i, row)| {
                row.iter_mut().zip(&sources).all(|(out, (column, fill))| match present(column[first + i]).or(*fill) {
                    Some(value) => {
                        *out = value;
                        true
                    }
                    None => false,
                })
            })
        });
        let x = Array2::from_shape_vec((table.n_rows(), width), values).ok()?;
        complete.then(|| (self.feature_names(), x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::{Column, numeric_from_options};

    fn table(age: Vec<Option<f64>>, sex: Vec<Option<&str>>) -> Table {
        let n = age.len() as u64;
        Table::new(
            vec![
                Column { name: "age".into(), values: numeric_from_options(age) },
                Column {
                    name: "sex".into(),
                    values: Values::Text(sex.into_iter().map(|s| s.map(str::to_owned)).collect()),
                },
            ],
            (0..n).collect(),
        )
        .expect("valid")
    }

    #[test]
    fn fitted_on_training_rows_only() {
        let train = table(vec![Some(1.0), Some(3.0), None, Some(10.0)], vec![Some("m"), Some("f"), Some("m"), None]);
        let p = Preprocessor::fit(&train, Encoding::OneHot, true);
        assert_eq!(p.feature_names(), ["age", "sex=f", "sex=m"]);
        let validation = table(vec![None, Some(5.0)], vec![Some("x"), None]);
        let (_, x) = p.transform(&validation).expect("encode");
        // age: median of 1, 3, 10 = 3; sex: "x" unseen → zeros; missing → mode "m".
        assert_eq!(x.row(0).to_vec(), [3.0, 0.0, 0.0]);
        assert_eq!(x.row(1).to_vec(), [5.0, 0.0, 1.0]);
        let groups = p.feature_groups();
        assert_eq!(
            groups,
            [
                FeatureGroup { column: "age".into(), features: 0..1, one_hot: false },
                FeatureGroup { column: "sex".into(), features: 1..3, one_hot: true },
            ]
        );
        assert_eq!(Preprocessor::fit(&train, Encoding::Ordinal, true).feature_groups()[1].features, 1..2);
    }

    #[test]
    fn ordinal_and_no_imputation() {
        let train = table(vec![Some(1.0), Some(2.0)], vec![Some("b"), Some("a")]);
        let p = Preprocessor::fit(&train, Encoding::Ordinal, false);
        let (names, x) = p.transform(&table(vec![Some(4.0)], vec![Some("b")])).expect("encode");
        assert_eq!(names, ["age", "sex"]);
        assert_eq!(x.row(0).to_vec(), [4.0, 1.0]);
        let e = p.transform(&table(vec![None], vec![Some("a")])).expect_err("missing");
        assert_eq!(
            e.to_string(),
            "missing value in column `age` of row 0, and the preprocessor has no value to fill it with"
        );
    }

    /// Numeric columns only take the parallel path; it must give the sequential values, and
    /// leave a missing value without fill to the sequential pass's error (the first in column
    /// order). 40,000 rows span three tasks.
    #[test]
    fn numeric_tables_give_the_same_values_and_the_same_first_error() {
        let rows = 40_000u64;
        let numeric = |name: &str, v: Vec<Option<f64>>| Column { name: name.into(), values: numeric_from_options(v) };
        let a: Vec<Option<f64>> = (0..rows).map(|i| (i % 7 != 3).then_some(i as f64)).collect();
        let b: Vec<Option<f64>> = (0..rows).map(|i| Some(-(i as f64) / 4.0)).collect();
        let train =
            Table::new(vec![numeric("a", a.clone()), numeric("b", b.clone())], (0..rows).collect()).expect("valid");
        let imputed = Preprocessor::fit(&train, Encoding::OneHot, true);
        let (names, x) = imputed.transform(&train).expect("encode");
        assert_eq!(names, ["a", "b"]);
        let ColumnEncoder::Numeric { fill: Some(fill), .. } = imputed.columns[0] else { panic!("a fill") };
        for (i, row) in x.outer_iter().enumerate() {
            assert_eq!(row[0].to_bits(), a[i].unwrap_or(fill).to_bits(), "row {i}");
            assert_eq!(row[1].to_bits(), b[i].unwrap_or_default().to_bits(), "row {i}");
        }
        // Missing values in both columns, the later row in the first column: the error names
        // column `a`'s first missing row, as the column-by-column pass does.
        let mut late_a = vec![Some(1.0); rows as usize];
        late_a[30_000] = None;
        late_a[35_000] = None;
        let mut early_b = vec![Some(1.0); rows as usize];
        early_b[10] = None;
        let holes = Table::new(vec![numeric("a", late_a), numeric("b", early_b)], (0..rows).collect()).expect("valid");
        let e = Preprocessor::fit(&train, Encoding::OneHot, false).transform(&holes).expect_err("missing");
        assert_eq!(
            e.to_string(),
            "missing value in column `a` of row 30000, and the preprocessor has no value to fill it with"
        );
    }

    #[test]
    fn numpy_median() {
        assert_eq!(median(vec![3.0, 1.0, 2.0, 10.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        // numpy.median([5, -1, 7]) = 5.0, numpy.median([4, 4, 1, 9, 4, 2]) = 4.0
        assert_eq!(median(vec![5.0, -1.0, 7.0]), Some(5.0));
        assert_eq!(median(vec![4.0, 4.0, 1.0, 9.0, 4.0, 2.0]), Some(4.0));
        assert_eq!(median(vec![0.5]), Some(0.5));
    }
}
