//! The reader as it was before chunked parallel parsing: a test oracle. The differential tests
//! in `csv_source` compare every result and error of the parallel reader with this one, so
//! "identical to the single-threaded reader" is checked, not assumed.

use std::collections::{BTreeMap, BTreeSet};

use super::super::DataError;
use super::super::table::{Column, Table, Values};
use super::{
    Cell, CsvOptions, CsvReport, CsvRole, LABEL_NAMES, LabeledTable, MissingPolicy, check_unique, dedupe,
    discover_label, missing_column, parse_label,
};

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
pub(super) fn read_labeled_csv(
    bytes: &[u8],
    source: &str,
    opts: &CsvOptions,
) -> Result<(LabeledTable, CsvReport), DataError> {
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
    let mut numbers: Vec<Option<Vec<f64>>> = vec![Some(Vec::new()); feature_names.len()];
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
                (Some(values), Cell::Missing) => values.push(f64::NAN),
                (Some(values), Cell::Number(x)) => values.push(x),
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
