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
use std::ops::Range;

use rayon::prelude::*;
use serde::Serialize;

use super::DataError;
use super::csv_chunks::{Next, Record, RecordReader, split};
use super::table::{Column, ColumnKind, Table, Values};

#[path = "csv_source_number.rs"]
mod number;
#[path = "csv_source_options.rs"]
mod options;

use number::{parse_number, trim};
pub use options::{CsvOptions, DEFAULT_MISSING_TOKENS, MissingPolicy};

/// The original trainer's label discovery order (exact, case-insensitive).
pub const LABEL_NAMES: [&str; 5] = ["label", "target", "y", "class", "is_anomaly"];

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

/// How a file is cut for parallel parsing.
#[derive(Debug, Clone, Copy)]
struct Chunking {
    /// At most this many chunks.
    parts: usize,
    /// Bytes per chunk at least.
    min_bytes: usize,
}

impl Chunking {
    /// Four chunks per thread of the current rayon pool, so that a thread slowed by another
    /// process does not hold up the rest, and none under 1 MiB: a small file is read by one
    /// thread, where cutting it would cost more than it saves.
    fn for_current_pool() -> Self {
        Self { parts: rayon::current_num_threads() * 4, min_bytes: 1 << 20 }
    }

    fn parts(self, bytes: usize) -> usize {
        (bytes / self.min_bytes.max(1)).clamp(1, self.parts.max(1))
    }
}

/// Where the columns a read uses are, resolved from the header.
struct Layout {
    header: Vec<String>,
    label: String,
    feature_names: Vec<String>,
    label_at: usize,
    feature_at: Vec<usize>,
    group_at: Option<usize>,
    filter_at: Vec<usize>,
    /// Offset of the first data record.
    data_start: usize,
}

/// Reads the header and resolves the columns `opts` names, refusing unknown, repeated and
/// conflicting ones.
fn layout(bytes: &[u8], source: &str, opts: &CsvOptions) -> Result<Layout, DataError> {
    let mut reader = csv::ReaderBuilder::new().delimiter(opts.delimiter).has_headers(opts.header).from_reader(bytes);
    let first: Vec<String> = if opts.header {
        reader.headers().map_err(|source| DataError::Csv { source })?.iter().map(|h| h.trim().to_owned()).collect()
    } else {
        let n = reader.headers().map_err(|source| DataError::Csv { source })?.len();
        (1..=n).map(|i| format!("column_{i}")).collect()
    };
    // Without a header, the record `headers()` read is the first data record.
    let data_start =
        if opts.header { usize::try_from(reader.position().byte()).unwrap_or(bytes.len()).min(bytes.len()) } else { 0 };
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
    Ok(Layout {
        label_at: index(&label),
        feature_at: feature_names.iter().map(|f| index(f)).collect(),
        group_at: opts.group.as_deref().map(index),
        filter_at: opts.filter.iter().map(|c| index(&c.column)).collect(),
        header,
        label,
        feature_names,
        data_start,
    })
}

/// The values read as missing, with the longest one's length: a longer cell (most numbers)
/// is ruled out without comparing it with each.
struct MissingTokens<'o> {
    tokens: &'o [String],
    longest: usize,
}

impl<'o> MissingTokens<'o> {
    fn new(tokens: &'o [String]) -> Self {
        Self { tokens, longest: tokens.iter().map(String::len).max().unwrap_or(0) }
    }

    fn contains(&self, v: &str) -> bool {
        v.len() <= self.longest && self.tokens.iter().any(|t| t == v)
    }
}

/// A record's error, with the offset where the record's read began: its line (what `csv`
/// reports, one plus the line breaks before that offset) is counted only if it is the error
/// reported.
struct Located {
    at: usize,
    error: DataError,
}

impl Located {
    fn into_error(mut self, bytes: &[u8]) -> DataError {
        if let DataError::CsvBadValue { line, .. } | DataError::FilterNotNumeric { line, .. } = &mut self.error {
            *line = 1 + bytes[..self.at].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.error
    }
}

/// Why a chunk stopped before its end.
enum Stop {
    /// A record the stage refuses (a bad label, a filter on text): the error names it.
    Data(Located),
    /// A record `csv` refuses (a field count other than the header's, text that is not UTF-8).
    NotCsv,
}

/// What one chunk's records gave, rows numbered from the chunk's first record.
struct ChunkRows {
    rows_read: usize,
    dropped: BTreeMap<String, usize>,
    /// Per feature, its numbers while every present value of a kept row is one.
    numbers: Vec<Option<Vec<f64>>>,
    /// Per feature, whether a row the filter keeps has a value.
    present: Vec<bool>,
    y: Vec<u8>,
    groups: Vec<String>,
    /// The kept rows.
    kept: Vec<usize>,
    /// With `missing = "error"`, the first missing value (reported only if nothing worse is
    /// found, so that an entirely empty column is named instead).
    first_missing: Option<Located>,
    stop: Option<Stop>,
    /// The chunk ended inside a quoted field, so the next one began inside it.
    unterminated: bool,
}

/// Reads the records of `bytes[chunk]`, stopping at the first one with an error.
fn read_chunk(
    bytes: &[u8],
    chunk: Range<usize>,
    last: bool,
    layout: &Layout,
    opts: &CsvOptions,
    missing: &MissingTokens<'_>,
) -> ChunkRows {
    let features = layout.feature_at.len();
    let mut out = ChunkRows {
        rows_read: 0,
        dropped: BTreeMap::new(),
        numbers: vec![Some(Vec::new()); features],
        present: vec![false; features],
        y: Vec::new(),
        groups: Vec::new(),
        kept: Vec::new(),
        first_missing: None,
        stop: None,
        unterminated: false,
    };
    let chunk_len = chunk.len();
    let mut reader = RecordReader::new(bytes, chunk, last, opts.delimiter);
    let mut cells = Vec::with_capacity(features);
    loop {
        if opts.max_rows.is_some_and(|m| out.rows_read >= m) {
            break;
        }
        let record = match reader.next_record() {
            Next::Record(r) if r.len() == layout.header.len() => r,
            Next::Record(_) | Next::NotUtf8 => {
                out.stop = Some(Stop::NotCsv);
                break;
            }
            Next::Unterminated => {
                out.unterminated = true;
                break;
            }
            Next::End => break,
        };
        let row = out.rows_read;
        out.rows_read += 1;
        if row == 0 {
            // Room for as many rows as records of the first one's length fit in the chunk, so
            // the columns are not copied as they grow.
            let rows = chunk_len / (record.end - record.start).max(1) * 5 / 4;
            out.numbers.iter_mut().flatten().for_each(|v| v.reserve(rows));
            out.y.reserve(rows);
            out.kept.reserve(rows);
        }
        if let Err(error) = read_row(&record, row, layout, opts, missing, &mut cells, &mut out) {
            out.stop = Some(Stop::Data(Located { at: record.start, error }));
            break;
        }
    }
    out
}

/// Applies the filter, label, missing-value policy and column typing to one record. The line
/// of the errors returned is filled in by [`Located::into_error`].
fn read_row(
    record: &Record<'_>,
    row: usize,
    layout: &Layout,
    opts: &CsvOptions,
    missing: &MissingTokens<'_>,
    cells: &mut Vec<Cell>,
    out: &mut ChunkRows,
) -> Result<(), DataError> {
    let field = |j: usize| record.get(j).unwrap_or_default();
    let cell = |j: usize| trim(field(j));
    let bad = |column: usize, value: &str, expected: &'static str| DataError::CsvBadValue {
        line: 0,
        column: column + 1,
        name: layout.header.get(column).cloned().unwrap_or_default(),
        value: value.to_owned(),
        expected,
    };
    for (c, &j) in opts.filter.iter().zip(&layout.filter_at) {
        let v = cell(j);
        let cell = (!missing.contains(v)).then_some(v);
        if cell.is_some_and(|v| c.needs_number() && v.parse::<f64>().is_err()) {
            return Err(DataError::FilterNotNumeric {
                line: 0,
                column: j + 1,
                name: c.column.clone(),
                value: v.to_owned(),
                condition: c.text.clone(),
            });
        }
        if !c.holds(cell) {
            *out.dropped.entry(format!("filter: {}", c.text)).or_default() += 1;
            return Ok(());
        }
    }
    let label_raw = cell(layout.label_at);
    let label_value = if missing.contains(label_raw) {
        if opts.missing == MissingPolicy::Error {
            return Err(bad(layout.label_at, label_raw, "expected a label, found a missing value"));
        }
        *out.dropped.entry("missing label".to_owned()).or_default() += 1;
        return Ok(());
    } else {
        parse_label(label_raw, &opts.label_map).ok_or_else(|| {
            bad(
                layout.label_at,
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
    for ((&j, column), present) in layout.feature_at.iter().zip(&out.numbers).zip(&mut out.present) {
        let v = cell(j);
        cells.push(if missing.contains(v) {
            missing_here.get_or_insert(j);
            Cell::Missing
        } else if column.is_none() {
            *present = true;
            Cell::Text
        } else {
            *present = true;
            parse_number(v).filter(|x| x.is_finite()).map_or(Cell::Text, Cell::Number)
        });
    }
    let group_value = layout.group_at.map(|j| {
        let v = cell(j);
        if missing.contains(v) {
            missing_here.get_or_insert(j);
        }
        v
    });
    if let Some(j) = missing_here {
        match opts.missing {
            MissingPolicy::Error => {
                if out.first_missing.is_none() {
                    out.first_missing = Some(Located {
                        at: record.start,
                        error: bad(
                            j,
                            field(j),
                            "expected a value; set `missing = \"drop\"` or `\"impute\"` to accept missing values",
                        ),
                    });
                }
                return Ok(());
            }
            MissingPolicy::Drop => {
                let name = layout.header.get(j).map_or("", String::as_str);
                *out.dropped.entry(format!("missing value in `{name}`")).or_default() += 1;
                return Ok(());
            }
            MissingPolicy::Impute => {}
        }
    }
    for (column, cell) in out.numbers.iter_mut().zip(cells.iter()) {
        match (column.as_mut(), *cell) {
            (Some(values), Cell::Missing) => values.push(f64::NAN),
            (Some(values), Cell::Number(x)) => values.push(x),
            (Some(_), Cell::Text) => *column = None,
            (None, _) => {}
        }
    }
    out.y.push(label_value);
    if let Some(g) = group_value {
        out.groups.push(g.to_owned());
    }
    out.kept.push(row);
    Ok(())
}

/// The values of the columns at `columns` in the kept rows of a chunk (`kept`, ascending), as
/// read from its bytes a second time: missing values as `None`, the rest trimmed.
fn chunk_texts(
    bytes: &[u8],
    chunk: Range<usize>,
    last: bool,
    delimiter: u8,
    columns: &[usize],
    kept: &[usize],
    missing: &MissingTokens<'_>,
) -> Vec<Vec<Option<String>>> {
    let mut texts = vec![Vec::with_capacity(kept.len()); columns.len()];
    if columns.is_empty() {
        return texts;
    }
    let mut reader = RecordReader::new(bytes, chunk, last, delimiter);
    let mut wanted = kept.iter().peekable();
    let mut row = 0;
    while let Some(&&next) = wanted.peek() {
        // The first read of the chunk reached these records without an error.
        let Next::Record(record) = reader.next_record() else { break };
        if row == next {
            wanted.next();
            for (text, &j) in texts.iter_mut().zip(columns) {
                let v = trim(record.get(j).unwrap_or_default());
                text.push((!missing.contains(v)).then(|| v.to_owned()));
            }
        }
        row += 1;
    }
    texts
}

/// The error `csv` gives for the file's first record it refuses, found by one sequential pass
/// so that its words, record number, line and byte are `csv`'s own. Only called once a chunk
/// found such a record, with every record before it read without error.
fn csv_error(bytes: &[u8], source: &str, opts: &CsvOptions) -> DataError {
    let mut reader = csv::ReaderBuilder::new().delimiter(opts.delimiter).has_headers(opts.header).from_reader(bytes);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(source) => return DataError::Csv { source },
        }
    }
    // Not reached: the chunk reader refuses exactly the records `csv` refuses.
    DataError::CsvSchema { source_name: source.to_owned(), message: "a record could not be read as CSV".to_owned() }
}

fn concat<T>(mut parts: Vec<Vec<T>>) -> Vec<T> {
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        all.extend(part);
    }
    all
}

fn read_chunks(
    bytes: &[u8],
    chunks: &[Range<usize>],
    layout: &Layout,
    opts: &CsvOptions,
    missing: &MissingTokens<'_>,
) -> Vec<ChunkRows> {
    chunks
        .par_iter()
        .enumerate()
        .map(|(k, chunk)| read_chunk(bytes, chunk.clone(), k + 1 == chunks.len(), layout, opts, missing))
        .collect()
}

/// Reads `bytes` (a CSV file named `source` in messages) into a labelled raw table.
///
/// Large files are cut into chunks at record boundaries ([`super::csv_chunks`]) and parsed on
/// the current rayon pool; the chunks' columns are joined in order, and everything reported
/// (values, types, counts, the first error with its line) is what one pass over the file
/// gives.
pub fn read_labeled_csv(bytes: &[u8], source: &str, opts: &CsvOptions) -> Result<(LabeledTable, CsvReport), DataError> {
    read_labeled_csv_in(bytes, source, opts, Chunking::for_current_pool())
}

fn read_labeled_csv_in(
    bytes: &[u8],
    source: &str,
    opts: &CsvOptions,
    chunking: Chunking,
) -> Result<(LabeledTable, CsvReport), DataError> {
    let layout = layout(bytes, source, opts)?;
    let missing = MissingTokens::new(&opts.missing_tokens);
    // `max_rows` stops after a count of records, which only the first chunk's reader knows.
    let parts = if opts.max_rows.is_some() { 1 } else { chunking.parts(bytes.len() - layout.data_start) };
    let mut chunks = split(bytes, layout.data_start, parts);
    let mut read = read_chunks(bytes, &chunks, &layout, opts, &missing);
    // The first chunk that stopped or ended inside a quoted field decides: chunks before it
    // ended cleanly, so it began where a record begins and its error is the file's first; a
    // chunk ending inside a quoted field was cut where no record begins, so the file is read
    // again in one piece.
    if read.iter().find(|c| c.stop.is_some() || c.unterminated).is_some_and(|c| c.stop.is_none()) {
        chunks = split(bytes, layout.data_start, 1);
        read = read_chunks(bytes, &chunks, &layout, opts, &missing);
    }
    if let Some(stop) = read.iter_mut().find_map(|c| c.stop.take()) {
        return Err(match stop {
            Stop::Data(located) => located.into_error(bytes),
            Stop::NotCsv => csv_error(bytes, source, opts),
        });
    }
    let rows_read: usize = read.iter().map(|c| c.rows_read).sum();
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    for c in &read {
        for (reason, n) in &c.dropped {
            *dropped.entry(reason.clone()).or_default() += n;
        }
    }
    // Whether each feature column has a present value in a row the filter keeps: a column
    // without one is an error naming it, whatever the missing-value policy (it would otherwise
    // drop every row, or be imputed from nothing).
    let features = layout.feature_at.len();
    if let Some(k) = (0..features).find(|&k| !read.iter().any(|c| c.present[k])) {
        return Err(DataError::EmptyColumn {
            source_name: source.to_owned(),
            name: layout.feature_names[k].clone(),
            column: layout.feature_at[k] + 1,
            rows: rows_read - dropped.iter().filter(|(k, _)| k.starts_with("filter: ")).map(|(_, n)| n).sum::<usize>(),
        });
    }
    if let Some(first) = read.iter_mut().find_map(|c| c.first_missing.take()) {
        return Err(first.into_error(bytes));
    }
    // A column is numeric when it is in every chunk; a text column's strings are collected by
    // a second read of the kept rows, so no string is allocated for a numeric cell.
    let numbers: Vec<Option<Vec<Vec<f64>>>> =
        (0..features).map(|k| read.iter_mut().map(|c| c.numbers[k].take()).collect()).collect();
    let text_at: Vec<usize> =
        layout.feature_at.iter().zip(&numbers).filter(|(_, n)| n.is_none()).map(|(&j, _)| j).collect();
    let chunk_text: Vec<Vec<Vec<Option<String>>>> = chunks
        .par_iter()
        .zip(&read)
        .enumerate()
        .map(|(k, (chunk, c))| {
            chunk_texts(bytes, chunk.clone(), k + 1 == chunks.len(), opts.delimiter, &text_at, &c.kept, &missing)
        })
        .collect();
    let mut texts: Vec<Vec<Vec<Option<String>>>> = vec![Vec::with_capacity(chunks.len()); text_at.len()];
    for per_chunk in chunk_text {
        for (column, values) in texts.iter_mut().zip(per_chunk) {
            column.push(values);
        }
    }
    let texts: Vec<Vec<Option<String>>> = texts.into_iter().map(concat).collect();
    if let Some(max) = opts.max_categories {
        for (text, &j) in texts.iter().zip(&text_at) {
            let distinct: BTreeSet<&str> = text.iter().flatten().map(String::as_str).collect();
            if distinct.len() > max {
                return Err(DataError::TooManyCategories {
                    source_name: source.to_owned(),
                    name: layout.header[j].clone(),
                    column: j + 1,
                    categories: distinct.len(),
                    max,
                });
            }
        }
    }
    let numbers: Vec<Option<Vec<f64>>> = numbers.into_par_iter().map(|n| n.map(concat)).collect();
    let mut texts = texts.into_iter();
    let columns: Vec<Column> = layout
        .feature_names
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
    let mut row_ids = Vec::with_capacity(read.iter().map(|c| c.kept.len()).sum());
    let mut y = Vec::with_capacity(row_ids.capacity());
    let mut groups = Vec::new();
    let mut offset = 0;
    for c in read {
        row_ids.extend(c.kept.iter().map(|&row| (offset + row) as u64));
        offset += c.rows_read;
        y.extend(c.y);
        groups.extend(c.groups);
    }
    let features = Table::new(columns, row_ids)?;
    let class_counts = [y.iter().filter(|&&l| l == 0).count(), y.iter().filter(|&&l| l == 1).count()];
    let report = CsvReport {
        rows_read,
        rows_used: y.len(),
        dropped,
        label: layout.label,
        features: features.columns().iter().map(|c| (c.name.clone(), c.values.kind())).collect(),
        group: opts.group.clone(),
        class_counts,
    };
    let group = opts.group.as_ref().map(|_| groups);
    Ok((LabeledTable { features, y, group }, report))
}

#[cfg(test)]
#[path = "csv_source_reference.rs"]
mod reference;

#[cfg(test)]
#[path = "csv_source_tests.rs"]
mod tests;
