//! Raw tabular data: named columns that are numeric or text, with missing values, as read from
//! a CSV file and before any encoding.
//!
//! This is what the `load` stage hands to `train`: text columns are only encoded once the
//! training rows are known, so an encoding (one-hot categories, medians for imputation) is
//! fitted on the training part alone and saved with the model.

use std::io::{Read, Write};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::DataError;

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Every present value parses as a finite number.
    Numeric,
    /// Anything else.
    Text,
}

/// A column's values; `None` (text) or NaN (numbers) is a missing value.
#[derive(Debug, Clone)]
pub enum Values {
    /// Numbers, NaN where missing: every present value is finite (that is what makes a column
    /// numeric), so NaN is free to mean "missing", and a column is 8 bytes a row, not the 16
    /// of `Option<f64>` (at 10,000,000 rows the difference is hundreds of MB per column set).
    Numeric(Vec<f64>),
    /// Strings.
    Text(Vec<Option<String>>),
}

/// Equal values, a missing number equal to a missing number.
impl PartialEq for Values {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Values::Numeric(a), Values::Numeric(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
            }
            (Values::Text(a), Values::Text(b)) => a == b,
            _ => false,
        }
    }
}

/// A numeric cell as an option: `None` when it is missing (NaN).
#[inline]
pub fn present(value: f64) -> Option<f64> {
    (!value.is_nan()).then_some(value)
}

/// A numeric column from optional values, `None` stored as NaN.
pub fn numeric_from_options(values: impl IntoIterator<Item = Option<f64>>) -> Values {
    Values::Numeric(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// `value(i)` for each of `rows`, in order, gathered in parallel above a size where that pays.
pub fn gather<T: Send>(rows: &[usize], value: impl Fn(usize) -> T + Sync) -> Vec<T> {
    rows.par_iter().with_min_len(1 << 14).map(|&i| value(i)).collect()
}

impl Values {
    /// The column's type.
    pub fn kind(&self) -> ColumnKind {
        match self {
            Values::Numeric(_) => ColumnKind::Numeric,
            Values::Text(_) => ColumnKind::Text,
        }
    }

    /// Whether row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Values::Numeric(v) => v[i].is_nan(),
            Values::Text(v) => v[i].is_none(),
        }
    }

    /// The values at `rows`, in that order. Gathered on all cores: a split's rows are in
    /// random order, so each value is a cache miss, and `load` (alone on the machine while
    /// every other stage waits for it) spent a fifth of its time here at 1,000,000 rows. An
    /// indexed collect keeps the order, so the result is the same at any thread count.
    fn select(&self, rows: &[usize]) -> Self {
        match self {
            Values::Numeric(v) => Values::Numeric(gather(rows, |i| v[i])),
            Values::Text(v) => Values::Text(gather(rows, |i| v[i].clone())),
        }
    }

    /// The value of row `i` as CSV text (empty when missing).
    fn text(&self, i: usize) -> String {
        match self {
            Values::Numeric(v) => present(v[i]).map_or_else(String::new, |x| x.to_string()),
            Values::Text(v) => v[i].clone().unwrap_or_default(),
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its header name.
    pub name: String,
    /// Its values.
    pub values: Values,
}

/// Named columns of equal length, each row with a stable id.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    columns: Vec<Column>,
    row_ids: Vec<u64>,
}

impl Table {
    /// Builds a table; every column must have one value per row id.
    pub fn new(columns: Vec<Column>, row_ids: Vec<u64>) -> Result<Self, DataError> {
        for c in &columns {
            let len = match &c.values {
                Values::Numeric(v) => v.len(),
                Values::Text(v) => v.len(),
            };
            if len != row_ids.len() {
                return Err(DataError::RowIdCountMismatch { ids: row_ids.len(), rows: len });
            }
        }
        Ok(Self { columns, row_ids })
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns and the row ids, taken apart.
    pub fn into_parts(self) -> (Vec<Column>, Vec<u64>) {
        (self.columns, self.row_ids)
    }

    /// Row ids.
    pub fn row_ids(&self) -> &[u64] {
        &self.row_ids
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.row_ids.len()
    }

    /// The rows at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let (columns, row_ids) = rayon::join(
            || {
                self.columns
                    .par_iter()
                    .map(|c| Column { name: c.name.clone(), values: c.values.select(indices) })
                    .collect()
            },
            || gather(indices, |i| self.row_ids[i]),
        );
        Self { columns, row_ids }
    }

    /// Writes the hand-off form: header `row,<columns...>`, missing values empty, numbers in
    /// shortest round-trip form.
    pub fn write_csv(&self, w: impl Write) -> Result<(), DataError> {
        let mut out = csv::Writer::from_writer(w);
        let mut header = vec!["row".to_owned()];
        header.extend(self.columns.iter().map(|c| c.name.clone()));
        out.write_record(&header).map_err(|source| DataError::Csv { source })?;
        for i in 0..self.n_rows() {
            let mut record = vec![self.row_ids[i].to_string()];
            record.extend(self.columns.iter().map(|c| c.values.text(i)));
            out.write_record(&record).map_err(|source| DataError::Csv { source })?;
        }
        out.flush().map_err(|e| DataError::Csv { source: e.into() })
    }

    /// Reads the hand-off form written by [`Table::write_csv`], given each column's kind.
    pub fn read_csv(r: impl Read, kinds: &[(String, ColumnKind)]) -> Result<Self, DataError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(r);
        let header: Vec<String> =
            reader.headers().map_err(|source| DataError::Csv { source })?.iter().map(str::to_owned).collect();
        let expected: Vec<String> =
            std::iter::once("row".to_owned()).chain(kinds.iter().map(|(n, _)| n.clone())).collect();
        if header != expected {
            return Err(DataError::CsvBadHeader { found: header.join(",") });
        }
        let mut row_ids = Vec::new();
        let mut cols: Vec<Values> = kinds
            .iter()
            .map(|(_, k)| match k {
                ColumnKind::Numeric => Values::Numeric(Vec::new()),
                ColumnKind::Text => Values::Text(Vec::new()),
            })
            .collect();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(|source| DataError::Csv { source })? {
            let line = record.position().map_or(0, csv::Position::line);
            let bad = |column: usize, value: &str, expected: &'static str| DataError::CsvBadValue {
                line,
                column: column + 1,
                name: header.get(column).cloned().unwrap_or_default(),
                value: value.to_owned(),
                expected,
            };
            let id = record.get(0).unwrap_or_default();
            row_ids.push(id.parse::<u64>().map_err(|_| bad(0, id, "expected a row id"))?);
            for (j, values) in cols.iter_mut().enumerate() {
                let raw = record.get(j + 1).unwrap_or_default();
                match values {
                    Values::Numeric(v) if raw.is_empty() => v.push(f64::NAN),
                    Values::Numeric(v) => {
                        let x: f64 = raw
                            .parse()
                            .ok()
                            .filter(|x: &f64| x.is_finite())
                            .ok_or_else(|| bad(j + 1, raw, "expected a finite number"))?;
                        v.push(x);
                    }
                    Values::Text(v) => v.push((!raw.is_empty()).then(|| raw.to_owned())),
                }
            }
        }
        let columns = kinds.iter().zip(cols).map(|((name, _), values)| Column { name: name.clone(), values }).collect();
        Table::new(columns, row_ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::new(
            vec![
                Column { name: "age".into(), values: numeric_from_options([Some(39.0), None, Some(0.1)]) },
                Column {
                    name: "sex".into(),
                    values: Values::Text(vec![Some("Male".into()), Some("a,b".into()), None]),
                },
            ],
            vec![0, 5, 9],
        )
        .expect("valid")
    }

    #[test]
    fn hand_off_csv_round_trips_missing_values_and_quoting() {
        let t = sample();
        let mut buf = Vec::new();
        t.write_csv(&mut buf).expect("write");
        assert_eq!(String::from_utf8_lossy(&buf), "row,age,sex\n0,39,Male\n5,,\"a,b\"\n9,0.1,\n");
        let kinds = vec![("age".to_owned(), ColumnKind::Numeric), ("sex".to_owned(), ColumnKind::Text)];
        assert_eq!(Table::read_csv(&buf[..], &kinds).expect("read"), t);
    }

    #[test]
    fn select_keeps_row_ids() {
        let t = sample().select(&[2, 0]);
        assert_eq!(t.row_ids(), [9, 0]);
        assert_eq!(t.columns()[0].values, Values::Numeric(vec![0.1, 39.0]));
    }

    #[test]
    fn bad_number_names_line_and_column() {
        let kinds = vec![("age".to_owned(), ColumnKind::Numeric)];
        let e = Table::read_csv(&b"row,age\n0,1\n1,x\n"[..], &kinds).expect_err("bad");
        assert_eq!(e.to_string(), "invalid value `x` at line 3, column 2 (`age`): expected a finite number");
    }
}
