//! Reading a user's CSV file into a labelled raw table: which column is the label, which are
//! features, which is the group column, and what happens to missing values and bad rows.
//!
//! The label column is never a feature (the original's numeric-column discovery could take
//! it). Label values must be 0/1 (`true`/`false` accepted) or be mapped by `label_map`; a value
//! that is neither is always an error naming its line and column, because dropping it could
//! silently remove a whole class. Missing feature values follow the stated policy: `error`
//! (the default) names the first one's line and column, `drop` drops and counts the rows,
//! `impute` keeps them for the training-fitted preprocessor to fill.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::DataError;
use super::row_filter::Condition;
use super::table::{Column, ColumnKind, Table, Values};

/// The original trainer's label discovery order (exact, case-insensitive).
pub const LABEL_NAMES: [&str; 5] = ["label", "target", "y", "class", "is_anomaly"];

/// Tokens read as a missing value unless configured otherwise.
pub const DEFAULT_MISSING_TOKENS: [&str; 6] = ["", "?", "NA", "N/A", "NaN", "null"];

/// What to do with missing feature values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Fail, naming the first missing value's line and column.
    Error,
    /// Drop rows with a missing value, and count them.
    Drop,
    /// Keep them: numeric columns get the training median, text columns the most frequent
    /// training value.
    Impute,
}

/// How to read one CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// Field delimiter.
    pub delimiter: u8,
    /// Whether the first line names the columns (otherwise `column_1`, `column_2`, ...).
    pub header: bool,
    /// The label column; discovered when `None`.
    pub label: Option<String>,
    /// Text label → 0/1.
    pub label_map: BTreeMap<String, u8>,
    /// Feature columns to use; all others but label and group when `None`.
    pub features: Option<Vec<String>>,
    /// Columns never used as features.
    pub exclude: Vec<String>,
    /// A sensitive/cohort column kept aside for fairness analysis.
    pub group: Option<String>,
    /// Whether the group column is also a feature.
    pub group_as_feature: bool,
    /// Missing-value policy.
    pub missing: MissingPolicy,
    /// Values read as missing.
    pub missing_tokens: Vec<String>,
    /// Read at most this many data rows (the original's `--num-samples` cap).
    pub max_rows: Option<usize>,
    /// Rename repeated header names `name_2`, `name_3`, ... (otherwise a repeated name is an
    /// error only where it is used).
    pub dedupe_headers: bool,
    /// Rows are kept only where every condition holds.
    pub filter: Vec<Condition>,
    /// A text feature column with more distinct values than this is an error (one-hot
    /// encoding would make one feature per value); `None` for no limit.
    pub max_categories: Option<usize>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: b',',
            header: true,
            label: None,
            label_map: BTreeMap::new(),
            features: None,
            exclude: Vec::new(),
            group: None,
            group_as_feature: false,
            missing: MissingPolicy::Error,
            missing_tokens: DEFAULT_MISSING_TOKENS.map(str::to_owned).to_vec(),
            max_rows: None,
            dedupe_headers: false,
            filter: Vec::new(),
            max_categories: None,
        }
    }
}

/// A file's rows, split by role.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledTable {
    /// Feature columns (raw, not encoded).
    pub features: Table,
    /// Labels, 0/1.
    pub y: Vec<u8>,
    /// The group column's values, if one was named.
    pub group: Option<Vec<String>>,
}

/// What was read, for `dataset.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvReport {
    /// Data rows in the file (up to `max_rows`).
    pub rows_read: usize,
    /// Rows kept.
    pub rows_used: usize,
    /// Dropped rows by reason.
    pub dropped: BTreeMap<String, usize>,
    /// The label column.
    pub label: String,
    /// Feature columns and their types.
    pub features: Vec<(String, ColumnKind)>,
    /// The group column.
    pub group: Option<String>,
    /// Class counts of the rows kept: [label 0, label 1].
    pub class_counts: [usize; 2],
}

fn discover_label(header: &[String]) -> Option<String> {
    for want in LABEL_NAMES {
        if let Some(h) = header.iter().find(|h| h.eq_ignore_ascii_case(want)) {
            return Some(h.clone());
        }
    }
    header
        .iter()
        .find(|h| {
            let l = h.to_ascii_lowercase();
            l.contains("label") || l.contains("target")
        })
        .cloned()
}

fn parse_label(raw: &str, map: &BTreeMap<String, u8>) -> Option<u8> {
    if !map.is_empty() {
        return map.get(raw).copied();
    }
    match raw {
        "0" | "0.0" | "false" | "False" | "FALSE" => Some(0),
        "1" | "1.0" | "true" | "True" | "TRUE" => Some(1),
        _ => None,
    }
}

fn missing_column(source: &str, role: CsvRole, name: &str, header: &[String]) -> DataError {
    let hint = header
        .iter()
        .map(|h| (strsim::damerau_levenshtein(name, h), h))
        .filter(|(d, h)| *d <= 2.max(h.len() / 3) && *d < h.len().max(name.len()))
        .min()
        .map(|(_, h)| format!("did you mean `{h}`?"));
    DataError::UnknownColumn {
        source_name: source.to_owned(),
        role,
        name: name.to_owned(),
        columns: header.join(", "),
        hint: hint.map(|h| format!(" ({h})")).unwrap_or_default(),
    }
}

/// Which setting of a CSV source names a column: how an error points back at the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvRole {
    /// `label`
    Label,
    /// `group`
    Group,
    /// `features`
    Feature,
    /// `exclude`
    Exclude,
    /// `filter`
    Filter,
    /// A feature taken by default (no `features` list).
    DefaultFeature,
}

impl CsvRole {
    /// The manifest key that names the column.
    pub fn key(self) -> &'static str {
        match self {
            Self::Label => "label",
            Self::Group => "group",
            Self::Feature => "features",
            Self::Exclude => "exclude",
            Self::Filter => "filter",
            Self::DefaultFeature => "path",
        }
    }
}

impl std::fmt::Display for CsvRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Label => "label",
            Self::Group => "group column",
            Self::Feature => "feature",
            Self::Exclude => "excluded column",
            Self::Filter => "filtered column",
            Self::DefaultFeature => "feature",
        })
    }
}

/// Renames repeated names `name_2`, `name_3`, ... (skipping names the header already has).
fn dedupe(header: &[String]) -> Vec<String> {
    let taken: BTreeSet<&str> = header.iter().map(String::as_str).collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    header
        .iter()
        .map(|h| {
            if used.insert(h.clone()) {
                return h.clone();
            }
            let mut k = 2;
            loop {
                let candidate = format!("{h}_{k}");
                if !taken.contains(candidate.as_str()) && used.insert(candidate.clone()) {
                    return candidate;
                }
                k += 1;
            }
        })
        .collect()
}

/// Refuses a used name that the header holds more than once, naming both positions.
fn check_unique(source: &str, header: &[String], role: CsvRole, name: &str) -> Result<(), DataError> {
    let mut at = header.iter().enumerate().filter(|(_, h)| *h == name).map(|(i, _)| i + 1);
    if let (Some(first), Some(second)) = (at.next(), at.next()) {
        return Err(DataError::DuplicateColumn {
            source_name: source.to_owned(),
            role,
            name: name.to_owned(),
            first,
            second,
        });
    }
    Ok(())
}

/// A feature value of the row being read, before the row is known to be kept.
#[derive(Debug, Clone, Copy)]
enum Cell {
    Missing,
    Number(f64),
    /// Present but not a finite number (or in a column already known to be text).
    Text,
}

/// The values of the columns at `columns` in the data records numbered `rows` (ascending), as
/// read from `bytes` a second time: missing values as `None`, the rest trimmed.
fn read_text_columns(
    bytes: &[u8],
    opts: &CsvOptions,
    columns: &[usize],
    rows: &[usize],
    is_missing: &dyn Fn(&str) -> bool,
) -> Result<Vec<Vec<Option<String>>>, DataError> {
    let mut texts = vec![Vec::with_capacity(rows.len()); columns.len()];
    if columns.is_empty() {
        return Ok(texts);
    }
    let mut reader = csv::ReaderBuilder::new().delimiter(opts.delimiter).has_headers(opts.header).from_reader(bytes);
    let mut record = csv::StringRecord::new();
    let mut wanted = rows.iter().peekable();
    let mut row = 0;
    while let Some(&&next) = wanted.peek() {
        // The first read already saw these records, so they read without error again.
        if !reader.read_record(&mut record).map_err(|source| DataError::Csv { source })? {
            break;
        }
        if row == next {
            wanted.next();
            for (text, &j) in texts.iter_mut().zip(columns) {
                let v = record.get(j).unwrap_or_default().trim();
                text.push((!is_missing(v)).then(|| v.to_owned()));
            }
        }
        row += 1;
    }
    Ok(texts)
}

/// Reads `bytes` (a CSV file named `source` in messages) into a labelled raw table.
pub fn read_labeled_csv(bytes: &[u8], source: &str, opts: &CsvOptions) -> Result<(LabeledTable, CsvReport), DataError> {
    let mut reader = csv::ReaderBuilder::new().delimiter(opts.delimiter).has_headers(opts.header).from_reader(bytes);
    let first: Vec<String> = if opts.header {
        reader.headers().map_err(|source| DataError::Csv { source })?.iter().map(|h| h.trim().to_owned()).collect()
    } else {
        let n = reader.headers().map_err(|source| DataError::Csv { source })?.len();
        (1..=n).map(|i| format!("column_{i}")).collect()
    };
    let header = if opts.dedupe_headers { dedupe(&first) } else { first };
    let label = match &opts.label {
        Some(l) if header.contains(l) => l.clone(),
        Some(l) => return Err(missing_column(source, CsvRole::Label, l, &header)),
        None => discover_label(&header).ok_or_else(|| DataError::CsvSchema {
            source_name: source.to_owned(),
            message: format!(
                "no label column found (looked for {}, then a name containing `label` or `target`); name it with `label = \"...\"`",
                LABEL_NAMES.join(", ")
            ),
        })?,
    };
    check_unique(source, &header, CsvRole::Label, &label)?;
    for (role, names) in
        [(CsvRole::Exclude, &opts.exclude), (CsvRole::Feature, opts.features.as_ref().unwrap_or(&Vec::new()))]
    {
        for n in names {
            if !header.contains(n) {
                return Err(missing_column(source, role, n, &header));
            }
            if role == CsvRole::Feature {
                check_unique(source, &header, role, n)?;
            }
        }
    }
    if let Some(g) = &opts.group {
        if !header.contains(g) {
            return Err(missing_column(source, CsvRole::Group, g, &header));
        }
        check_unique(source, &header, CsvRole::Group, g)?;
    }
    for c in &opts.filter {
        if !header.contains(&c.column) {
            return Err(missing_column(source, CsvRole::Filter, &c.column, &header));
        }
        check_unique(source, &header, CsvRole::Filter, &c.column)?;
    }
    let feature_names: Vec<String> = match &opts.features {
        Some(f) => f.clone(),
        None => {
            let mut names: Vec<String> = Vec::new();
            for h in header
                .iter()
                .filter(|h| **h != label && !opts.exclude.contains(h))
                .filter(|h| opts.group_as_feature || opts.group.as_ref() != Some(*h))
            {
                check_unique(source, &header, CsvRole::DefaultFeature, h)?;
                names.push(h.clone());
            }
            names
        }
    };
    if feature_names.contains(&label) {
        return Err(DataError::CsvSchema {
            source_name: source.to_owned(),
            message: format!("the label column `{label}` cannot be a feature"),
        });
    }
    if feature_names.is_empty() {
        return Err(DataError::NoFeatures);
    }
    let index = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
    let label_at = index(&label);
    let feature_at: Vec<usize> = feature_names.iter().map(|f| index(f)).collect();
    let group_at = opts.group.as_deref().map(index);
    let filter_at: Vec<usize> = opts.filter.iter().map(|c| index(&c.column)).collect();
    let is_missing = |v: &str| opts.missing_tokens.iter().any(|t| t == v);
    // Whether each feature column has a present value in a row the filter keeps: a column
    // without one is an error naming it, whatever the missing-value policy (it would otherwise
    // drop every row, or be imputed from nothing).
    let mut present = vec![false; feature_at.len()];
    let mut first_missing: Option<DataError> = None;

    // Feature values are parsed as numbers while reading; a column with a present value that
    // is not a finite number is text, and its strings are collected by a second read of the
    // kept rows. No string is allocated for a numeric cell.
    let mut numbers: Vec<Option<Vec<Option<f64>>>> = vec![Some(Vec::new()); feature_names.len()];
    let mut cells: Vec<Cell> = Vec::with_capacity(feature_at.len());
    let mut y = Vec::new();
    let mut groups = Vec::new();
    let mut row_ids = Vec::new();
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows_read = 0;
    let mut record = csv::StringRecord::new();
    for row in 0.. {
        if opts.max_rows.is_some_and(|m| rows_read >= m) {
            break;
        }
        if !reader.read_record(&mut record).map_err(|source| DataError::Csv { source })? {
            break;
        }
        rows_read += 1;
        let line = record.position().map_or(0, csv::Position::line);
        let bad = |column: usize, value: &str, expected: &'static str| DataError::CsvBadValue {
            line,
            column: column + 1,
            name: header.get(column).cloned().unwrap_or_default(),
            value: value.to_owned(),
            expected,
        };
        let mut failed = None;
        for (c, &j) in opts.filter.iter().zip(&filter_at) {
            let v = record.get(j).unwrap_or_default().trim();
            let cell = (!is_missing(v)).then_some(v);
            if cell.is_some_and(|v| c.needs_number() && v.parse::<f64>().is_err()) {
                return Err(DataError::FilterNotNumeric {
                    line,
                    column: j + 1,
                    name: c.column.clone(),
                    value: v.to_owned(),
                    condition: c.text.clone(),
                });
            }
            if !c.holds(cell) {
                failed = Some(c);
                break;
            }
        }
        if let Some(c) = failed {
            *dropped.entry(format!("filter: {}", c.text)).or_default() += 1;
            continue;
        }
        let label_raw = record.get(label_at).unwrap_or_default().trim();
        let label_value = if is_missing(label_raw) {
            if opts.missing == MissingPolicy::Error {
                return Err(bad(label_at, label_raw, "expected a label, found a missing value"));
            }
            *dropped.entry("missing label".to_owned()).or_default() += 1;
            continue;
        } else {
            parse_label(label_raw, &opts.label_map).ok_or_else(|| {
                bad(
                    label_at,
                    label_raw,
                    if opts.label_map.is_empty() {
                        "expected 0 or 1; map text labels with `label_map`"
                    } else {
                        "expected a value listed in `label_map`"
                    },
                )
            })?
        };
        cells.clear();
        let mut missing_here = None;
        for ((&j, column), present) in feature_at.iter().zip(&numbers).zip(&mut present) {
            let v = record.get(j).unwrap_or_default().trim();
            cells.push(if is_missing(v) {
                missing_here.get_or_insert(j);
                Cell::Missing
            } else if column.is_none() {
                *present = true;
                Cell::Text
            } else {
                *present = true;
                v.parse::<f64>().ok().filter(|x| x.is_finite()).map_or(Cell::Text, Cell::Number)
            });
        }
        let group_value = match group_at {
            Some(j) => {
                let v = record.get(j).unwrap_or_default().trim();
                if is_missing(v) {
                    missing_here.get_or_insert(j);
                }
                Some(v.to_owned())
            }
            None => None,
        };
        if let Some(j) = missing_here {
            match opts.missing {
                MissingPolicy::Error => {
                    // Read on, so that an entirely empty column is named instead of its first
                    // row; the first missing value is the error otherwise.
                    if first_missing.is_none() {
                        first_missing = Some(bad(
                            j,
                            record.get(j).unwrap_or_default(),
                            "expected a value; set `missing = \"drop\"` or `\"impute\"` to accept missing values",
                        ));
                    }
                    continue;
                }
                MissingPolicy::Drop => {
                    *dropped.entry(format!("missing value in `{}`", header[j])).or_default() += 1;
                    continue;
                }
                MissingPolicy::Impute => {}
            }
        }
        for (column, cell) in numbers.iter_mut().zip(&cells) {
            match (column.as_mut(), *cell) {
                (Some(values), Cell::Missing) => values.push(None),
                (Some(values), Cell::Number(x)) => values.push(Some(x)),
                (Some(_), Cell::Text) => *column = None,
                (None, _) => {}
            }
        }
        y.push(label_value);
        if let Some(g) = group_value {
            groups.push(g);
        }
        row_ids.push(row);
    }
    if let Some((k, _)) = present.iter().enumerate().find(|(_, p)| !**p) {
        return Err(DataError::EmptyColumn {
            source_name: source.to_owned(),
            name: feature_names[k].clone(),
            column: feature_at[k] + 1,
            rows: rows_read - dropped.iter().filter(|(k, _)| k.starts_with("filter: ")).map(|(_, n)| n).sum::<usize>(),
        });
    }
    if let Some(e) = first_missing {
        return Err(e);
    }
    let text_at: Vec<usize> =
        feature_at.iter().zip(&numbers).filter(|(_, column)| column.is_none()).map(|(&j, _)| j).collect();
    let texts = read_text_columns(bytes, opts, &text_at, &row_ids, &is_missing)?;
    if let Some(max) = opts.max_categories {
        for (text, &j) in texts.iter().zip(&text_at) {
            let distinct: BTreeSet<&str> = text.iter().flatten().map(String::as_str).collect();
            if distinct.len() > max {
                return Err(DataError::TooManyCategories {
                    source_name: source.to_owned(),
                    name: header[j].clone(),
                    column: j + 1,
                    categories: distinct.len(),
                    max,
                });
            }
        }
    }
    let mut texts = texts.into_iter();
    let columns: Vec<Column> = feature_names
        .iter()
        .zip(numbers)
        .map(|(name, numbers)| {
            let values = match numbers {
                Some(numbers) => Values::Numeric(numbers),
                None => Values::Text(texts.next().unwrap_or_default()),
            };
            Column { name: name.clone(), values }
        })
        .collect();
    let row_ids = row_ids.into_iter().map(|row| row as u64).collect();
    let features = Table::new(columns, row_ids)?;
    let class_counts = [y.iter().filter(|&&l| l == 0).count(), y.iter().filter(|&&l| l == 1).count()];
    let report = CsvReport {
        rows_read,
        rows_used: y.len(),
        dropped,
        label,
        features: features.columns().iter().map(|c| (c.name.clone(), c.values.kind())).collect(),
        group: opts.group.clone(),
        class_counts,
    };
    let group = opts.group.as_ref().map(|_| groups);
    Ok((LabeledTable { features, y, group }, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADULT_LIKE: &str =
        "age,workclass,sex,income\n39,State-gov,Male,<=50K\n50,?,Female,>50K\n38,Private,Male,<=50K\n";

    fn map() -> BTreeMap<String, u8> {
        BTreeMap::from([("<=50K".to_owned(), 0), (">50K".to_owned(), 1)])
    }

    #[test]
    fn label_map_group_and_types() {
        let opts = CsvOptions {
            label: Some("income".into()),
            label_map: map(),
            group: Some("sex".into()),
            missing: MissingPolicy::Impute,
            ..CsvOptions::default()
        };
        let (t, report) = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect("valid");
        assert_eq!(t.y, [0, 1, 0]);
        assert_eq!(t.group, Some(vec!["Male".into(), "Female".into(), "Male".into()]));
        assert_eq!(
            report.features,
            [("age".to_owned(), ColumnKind::Numeric), ("workclass".to_owned(), ColumnKind::Text)]
        );
        assert_eq!(t.features.column("workclass").map(|c| c.values.is_missing(1)), Some(true));
        assert_eq!(report.class_counts, [2, 1]);
    }

    #[test]
    fn drop_policy_drops_and_counts() {
        let opts = CsvOptions {
            label: Some("income".into()),
            label_map: map(),
            missing: MissingPolicy::Drop,
            ..CsvOptions::default()
        };
        let (t, report) = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect("valid");
        assert_eq!(t.features.row_ids(), [0, 2]);
        assert_eq!(report.dropped, BTreeMap::from([("missing value in `workclass`".to_owned(), 1)]));
    }

    #[test]
    fn error_policy_names_line_and_column() {
        let opts = CsvOptions { label: Some("income".into()), label_map: map(), ..CsvOptions::default() };
        let e = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect_err("missing value");
        assert_eq!(
            e.to_string(),
            "invalid value `?` at line 3, column 2 (`workclass`): expected a value; set `missing = \"drop\"` or `\"impute\"` to accept missing values"
        );
    }

    #[test]
    fn unmapped_labels_are_errors_even_when_dropping() {
        let opts = CsvOptions { label: Some("income".into()), missing: MissingPolicy::Drop, ..CsvOptions::default() };
        let e = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect_err("text labels");
        assert!(
            e.to_string().contains("line 2, column 4 (`income`): expected 0 or 1; map text labels with `label_map`"),
            "{e}"
        );
    }

    #[test]
    fn one_text_value_makes_a_text_column_with_every_kept_string() {
        let csv = b"a,b,label\n1, 2.50 ,0\n2,x,1\n,4,1\n3,5,0\n";
        let column = |t: &LabeledTable, name: &str| t.features.column(name).map(|c| c.values.clone());
        let text = |values: &[&str]| Values::Text(values.iter().map(|v| Some((*v).to_owned())).collect());

        let opts = CsvOptions { missing: MissingPolicy::Impute, ..CsvOptions::default() };
        let (t, report) = read_labeled_csv(csv, "x.csv", &opts).expect("valid");
        assert_eq!(column(&t, "a"), Some(Values::Numeric(vec![Some(1.0), Some(2.0), None, Some(3.0)])));
        assert_eq!(column(&t, "b"), Some(text(&["2.50", "x", "4", "5"])));
        assert_eq!(report.features, [("a".to_owned(), ColumnKind::Numeric), ("b".to_owned(), ColumnKind::Text)]);

        let opts = CsvOptions { missing: MissingPolicy::Drop, ..CsvOptions::default() };
        let (t, _) = read_labeled_csv(csv, "x.csv", &opts).expect("valid");
        assert_eq!(t.features.row_ids(), [0, 1, 3]);
        assert_eq!(column(&t, "b"), Some(text(&["2.50", "x", "5"])));

        // A text value in a dropped row does not make its column text.
        let (t, _) = read_labeled_csv(b"a,b,label\n1,2,0\n,x,1\n3,4,0\n", "x.csv", &opts).expect("valid");
        assert_eq!(column(&t, "b"), Some(Values::Numeric(vec![Some(2.0), Some(4.0)])));
    }

    #[test]
    fn label_is_discovered_and_never_a_feature() {
        let (t, report) =
            read_labeled_csv(b"a,Target,b\n1,0,2\n3,1,4\n", "x.csv", &CsvOptions::default()).expect("valid");
        assert_eq!(report.label, "Target");
        assert_eq!(t.features.columns().iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let opts = CsvOptions { features: Some(vec!["a".into(), "Target".into()]), ..CsvOptions::default() };
        assert!(read_labeled_csv(b"a,Target,b\n1,0,2\n", "x.csv", &opts).is_err());
    }

    #[test]
    fn unknown_columns_are_named() {
        let opts = CsvOptions { label: Some("incme".into()), ..CsvOptions::default() };
        let e = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "adult.csv: label `incme` is not a column (did you mean `income`?); the columns are age, workclass, sex, income"
        );
    }

    #[test]
    fn max_rows_caps_and_headerless_files_get_numbered_columns() {
        let opts =
            CsvOptions { header: false, label: Some("column_3".into()), max_rows: Some(2), ..CsvOptions::default() };
        let (t, report) = read_labeled_csv(b"1,2,0\n3,4,1\n5,6,1\n", "x.csv", &opts).expect("valid");
        assert_eq!(report.rows_read, 2);
        assert_eq!(t.y, [0, 1]);
    }
}
