//! The binary form in which `train` hands its validation predictions to the stages that compare
//! cohorts (`drift`, `phase3`, `report`): the `.npy` layout of [`crate::data::table_npy`], the
//! one `load` hands its parts on in.
//!
//! - `predictions.npy`: `float64`, rows × (`y_true`, `y_prob`), column-major;
//! - `predictions_rows.npy`: `uint64`, the validation rows' ids;
//! - `predictions_text.npy`: `int32`, the group column's codes, when the data has one;
//! - `predictions_ranking.npy`: `uint32`, the rows' positions ranked by probability, then label,
//!   then position ([`crate::metrics::rank_rows`]), so that the stages comparing cohorts take
//!   each cohort's ranking instead of sorting it again; they check it in one pass and sort when
//!   it is not the ranking, so only their speed depends on it;
//! - `predictions.json`: the columns' names and kinds, the group column and its codebook.
//!
//! `predictions.csv` holds the same values (and `y_pred`) for people and other tools; parsing
//! it was half of what `drift` and the report spent at 1,000,000 rows, so the stages read this
//! form, and the CSV only in run folders of versions that did not write it (a baseline run).

use serde::{Deserialize, Serialize};

use super::hand_off::{OpenFile, ReadFile, read_streams};
use super::{StageError, Staging, json_bytes, write};
use crate::data::DataError;
use crate::data::table::{Column, ColumnKind, Table, Values};
use crate::data::table_npy::{Codebook, NpyPart, part_files};
use crate::predictions::{PredictionColumns, Predictions, read_predictions};

/// The description's name; its presence says the binary files are there.
pub(crate) const DESCRIPTION_FILE: &str = "predictions.json";

/// The part name of the `.npy` files (`predictions.npy`, `predictions_rows.npy`, …).
const PART: &str = "predictions";

/// The ranking's file name.
const RANKING_FILE: &str = "predictions_ranking.npy";

/// The version of the layout described here.
const FORMAT_VERSION: u32 = 1;

/// The numeric columns, in file order.
const NUMERIC: [&str; 2] = ["y_true", "y_prob"];

/// `predictions.json`.
#[derive(Debug, Serialize, Deserialize)]
struct Description {
    /// [`FORMAT_VERSION`]; 0 when absent, and a later one is refused.
    #[serde(default)]
    format_version: u32,
    /// Every column, numeric ones first, as [`Table::from_npy`] reads them.
    columns: Vec<ColumnRecord>,
    /// The group column's name, when the data has one (its values are the text column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group_column: Option<String>,
    /// The group column's values, in code order.
    #[serde(default)]
    codebook: Codebook,
    /// Whether [`RANKING_FILE`] is there (absent in folders written before it was).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    ranked: bool,
}

/// One column of the files.
#[derive(Debug, Serialize, Deserialize)]
struct ColumnRecord {
    name: String,
    kind: ColumnKind,
}

/// A cohort's predictions on its validation rows, as `train` computed them.
pub(super) struct ValidationPredictions<'a> {
    /// The rows' ids.
    pub rows: &'a [u64],
    /// Their labels.
    pub y_true: &'a [u8],
    /// P(y = 1) for each.
    pub y_prob: &'a [f64],
    /// The group column's name and each row's group, when the data has one.
    pub group: Option<(&'a str, &'a [String])>,
    /// The rows' ranking ([`crate::metrics::rank_rows`]), when the caller made it.
    pub ranking: Option<&'a [u32]>,
}

/// The table and description of `p`'s binary files.
fn layout(p: &ValidationPredictions<'_>) -> Result<(Table, Description), StageError> {
    let numeric = |name: &str, values: Vec<f64>| Column { name: name.to_owned(), values: Values::Numeric(values) };
    let mut columns = vec![
        numeric(NUMERIC[0], p.y_true.iter().copied().map(f64::from).collect()),
        numeric(NUMERIC[1], p.y_prob.to_vec()),
    ];
    if let Some((name, groups)) = p.group {
        columns
            .push(Column { name: name.to_owned(), values: Values::Text(groups.iter().cloned().map(Some).collect()) });
    }
    let table = Table::new(columns, p.rows.to_vec())?;
    let description = Description {
        format_version: FORMAT_VERSION,
        columns: table.columns().iter().map(|c| ColumnRecord { name: c.name.clone(), kind: c.values.kind() }).collect(),
        group_column: p.group.map(|(name, _)| name.to_owned()),
        codebook: Codebook::of(&table)?,
        ranked: p.ranking.is_some(),
    };
    Ok((table, description))
}

/// Writes the binary files of `p` into the cohort folder `dir`.
pub(super) fn write_binary(out: &mut Staging, dir: &str, p: &ValidationPredictions<'_>) -> Result<(), StageError> {
    let (table, description) = layout(p)?;
    super::load::write_part(out, dir, PART, &table, &description.codebook, false)?;
    if let Some(ranking) = p.ranking {
        write(out, &format!("{dir}/{RANKING_FILE}"), &ranking_npy(ranking)?)?;
    }
    write(out, &format!("{dir}/{DESCRIPTION_FILE}"), &json_bytes(&description)?)
}

/// The ranking as a one-dimensional `uint32` `.npy` file.
fn ranking_npy(ranking: &[u32]) -> Result<Vec<u8>, StageError> {
    use ndarray_npy::WriteNpyExt;
    let mut bytes = Vec::with_capacity(128 + 4 * ranking.len());
    ndarray::ArrayView1::from(ranking)
        .write_npy(&mut bytes)
        .map_err(|e| StageError::Data(DataError::Npy { file: RANKING_FILE.to_owned(), message: e.to_string() }))?;
    Ok(bytes)
}

/// A cohort's predictions read back, with the group column's name when there is one.
pub(super) struct ReadBack {
    /// Labels, probabilities, groups and row ids.
    pub predictions: Predictions,
    /// The group column's name.
    pub group_column: Option<String>,
    /// The rows' ranking, when the folder has one (see [`RANKING_FILE`]).
    pub ranking: Option<Vec<u32>>,
}

/// Reads a cohort's predictions through `read`: the binary files when its folder has them, else
/// its `predictions.csv`. Errors name a binary file as "`<file>` of `folder`", and the CSV as
/// `csv_source`. With `open` (cached outputs), the binary files are read as streams.
pub(super) fn read<'a>(
    read: &'a ReadFile<'a>,
    open: Option<&'a OpenFile<'a>>,
    folder: &str,
    csv_source: &str,
) -> Result<ReadBack, StageError> {
    match read(DESCRIPTION_FILE)? {
        Some(description) => read_binary(read, open, &description, folder),
        None => {
            let csv = read("predictions.csv")?
                .ok_or_else(|| StageError::MissingInput(format!("{folder} produced no `predictions.csv`")))?;
            read_csv(&csv, csv_source)
        }
    }
}

/// The predictions in `train`'s CSV (`row,y_true,y_prob,y_pred[,<group>]`).
fn read_csv(csv: &[u8], source: &str) -> Result<ReadBack, StageError> {
    let header = csv.split(|&b| b == b'\n').next().unwrap_or_default();
    let header: Vec<String> = String::from_utf8_lossy(header).trim().split(',').map(str::to_owned).collect();
    let group_column = header.get(4).cloned();
    let cols =
        PredictionColumns { group: group_column.clone(), row: Some("row".to_owned()), ..PredictionColumns::default() };
    Ok(ReadBack { predictions: read_predictions(csv, source, &cols)?, group_column, ranking: None })
}

fn read_binary<'a>(
    read: &'a ReadFile<'a>,
    open: Option<&'a OpenFile<'a>>,
    description: &[u8],
    source: &str,
) -> Result<ReadBack, StageError> {
    let named = |file: &str| format!("`{file}` of {source}");
    let bad = |file: &str, message: String| StageError::Data(DataError::Npy { file: named(file), message });
    let description: Description =
        serde_json::from_slice(description).map_err(|e| bad(DESCRIPTION_FILE, format!("is not readable: {e}")))?;
    if description.format_version > FORMAT_VERSION {
        return Err(bad(
            DESCRIPTION_FILE,
            format!(
                "has format version {}; this nethical reads up to {FORMAT_VERSION}: upgrade nethical",
                description.format_version
            ),
        ));
    }
    let names: Vec<&str> = description.columns.iter().map(|c| c.name.as_str()).collect();
    let expected_text = usize::from(description.group_column.is_some());
    let kinds_ok = description.columns.iter().take(NUMERIC.len()).all(|c| c.kind == ColumnKind::Numeric)
        && description.columns.iter().skip(NUMERIC.len()).all(|c| c.kind == ColumnKind::Text);
    if names.get(..NUMERIC.len()) != Some(&NUMERIC[..]) || names.len() != NUMERIC.len() + expected_text || !kinds_ok {
        return Err(bad(
            DESCRIPTION_FILE,
            format!("lists the columns {names:?}; expected `y_true`, `y_prob` and the group column, if any"),
        ));
    }
    let files = part_files(PART);
    let kinds: Vec<(String, ColumnKind)> = description.columns.iter().map(|c| (c.name.clone(), c.kind)).collect();
    let files_named = files.clone().map(|f| named(&f));
    let table = match open {
        Some(open) => {
            let required = |file: &str| open(file)?.ok_or_else(|| StageError::MissingInput(named(file)));
            let (numeric, rows) = (required(&files[0])?, required(&files[1])?);
            let text = if expected_text == 1 { Some(required(&files[2])?) } else { None };
            read_streams(numeric, rows, text, &files_named, &kinds, &description.codebook)?
        }
        None => {
            let required = |file: &str| read(file)?.ok_or_else(|| StageError::MissingInput(named(file)));
            let part = NpyPart {
                numeric: required(&files[0])?,
                rows: required(&files[1])?,
                text: if expected_text == 1 { Some(required(&files[2])?) } else { None },
            };
            Table::from_npy(&part, &files_named, &kinds, &description.codebook)?
        }
    };
    let (columns, rows) = table.into_parts();
    let mut columns = columns.into_iter().map(|c| c.values);
    let (Some(Values::Numeric(y_true)), Some(Values::Numeric(y_prob))) = (columns.next(), columns.next()) else {
        return Err(bad(&files[0], "does not hold two numeric columns".to_owned()));
    };
    // Each check is a loop without exits, which vectorizes; the offending value is looked
    // for only when there is one.
    let label = |y: f64| y == 0.0 || y == 1.0;
    if !y_true.iter().fold(true, |all, &y| all & label(y))
        && let Some(y) = y_true.iter().find(|&&y| !label(y))
    {
        return Err(bad(&files[0], format!("has label {y}; expected 0 or 1")));
    }
    let y_true: Vec<u8> = y_true.iter().map(|&y| u8::from(y == 1.0)).collect();
    let probability = |p: f64| (0.0..=1.0).contains(&p);
    if !y_prob.iter().fold(true, |all, &p| all & probability(p))
        && let Some(p) = y_prob.iter().find(|&&p| !probability(p))
    {
        return Err(bad(&files[0], format!("has probability {p}; expected one between 0 and 1")));
    }
    let groups = match columns.next() {
        Some(Values::Text(groups)) => Some(groups.into_iter().map(Option::unwrap_or_default).collect()),
        _ => None,
    };
    let ranking = if description.ranked {
        use ndarray_npy::ReadNpyExt;
        let parse = |reader: &mut dyn std::io::Read| {
            ndarray::Array1::<u32>::read_npy(reader)
                .map(crate::data::table_npy::into_vec)
                .map_err(|e| bad(RANKING_FILE, format!("is not a ranking of the rows: {e}")))
        };
        let missing = || StageError::MissingInput(named(RANKING_FILE));
        // From the file as a stream when it is a cached output: no copy of its bytes first.
        Some(match open {
            Some(open) => {
                let mut file = open(RANKING_FILE)?.ok_or_else(missing)?;
                let ranking = parse(&mut file.reader);
                file.finish()?;
                ranking?
            }
            None => parse(&mut read(RANKING_FILE)?.ok_or_else(missing)?.as_slice())?,
        })
    } else {
        None
    };
    let predictions = Predictions { y_true, y_prob, groups, rows: Some(rows) };
    Ok(ReadBack { predictions, group_column: description.group_column, ranking })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;

    /// The files of a cohort folder, in memory.
    type Files = Mutex<BTreeMap<String, Vec<u8>>>;

    fn reader(files: &Files) -> impl Fn(&str) -> Result<Option<Vec<u8>>, StageError> + '_ {
        |name| Ok(files.lock().expect("not poisoned").get(name).cloned())
    }

    /// What [`write_binary`] writes for these predictions, without a cache.
    fn binary_files(p: &ValidationPredictions<'_>) -> Files {
        let (table, description) = layout(p).expect("layout");
        let npy = table.to_npy(&description.codebook).expect("npy");
        let mut files = BTreeMap::new();
        files.insert("predictions.npy".to_owned(), npy.numeric);
        files.insert("predictions_rows.npy".to_owned(), npy.rows);
        if let Some(text) = npy.text {
            files.insert("predictions_text.npy".to_owned(), text);
        }
        if let Some(ranking) = p.ranking {
            files.insert(RANKING_FILE.to_owned(), ranking_npy(ranking).expect("npy"));
        }
        files.insert(DESCRIPTION_FILE.to_owned(), json_bytes(&description).expect("json"));
        Mutex::new(files)
    }

    #[test]
    fn binary_predictions_read_back_as_the_csv_does() {
        let groups = ["a".to_owned(), "b".to_owned(), "a".to_owned()];
        let p = ValidationPredictions {
            rows: &[7, 2, 9],
            y_true: &[1, 0, 1],
            y_prob: &[0.875, 0.125, 0.5],
            group: Some(("sex", &groups)),
            ranking: None,
        };
        let files = binary_files(&p);
        let binary = read(&reader(&files), None, "`c`", "c").expect("binary");
        let csv = b"row,y_true,y_prob,y_pred,sex\n7,1,0.875,1,a\n2,0,0.125,0,b\n9,1,0.5,1,a\n";
        let text = read_csv(csv, "p.csv").expect("csv");
        assert_eq!(binary.predictions, text.predictions);
        assert_eq!(binary.group_column.as_deref(), Some("sex"));
        assert_eq!(text.group_column.as_deref(), Some("sex"));
    }

    #[test]
    fn without_a_group_there_is_no_text_file() {
        let p =
            ValidationPredictions { rows: &[0, 1], y_true: &[0, 1], y_prob: &[0.25, 0.75], group: None, ranking: None };
        let files = binary_files(&p);
        assert!(!files.lock().expect("not poisoned").contains_key("predictions_text.npy"));
        let back = read(&reader(&files), None, "`c`", "c").expect("binary");
        assert_eq!(back.predictions.groups, None);
        assert_eq!(back.predictions.rows, Some(vec![0, 1]));
    }

    #[test]
    fn a_folder_without_the_binary_files_is_read_from_its_csv() {
        let files: Files = Mutex::new(BTreeMap::from([(
            "predictions.csv".to_owned(),
            b"row,y_true,y_prob,y_pred\n3,1,0.9,1\n".to_vec(),
        )]));
        let back = read(&reader(&files), None, "`c`", "c").expect("csv");
        assert_eq!(back.predictions.y_prob, vec![0.9]);
        assert_eq!(back.predictions.rows, Some(vec![3]));
    }

    #[test]
    fn a_probability_out_of_range_is_an_error_naming_the_file() {
        let p = ValidationPredictions { rows: &[0], y_true: &[1], y_prob: &[1.5], group: None, ranking: None };
        let files = binary_files(&p);
        let e = read(&reader(&files), None, "`train`", "train").err().expect("refused").to_string();
        assert!(e.contains("`predictions.npy` of `train`") && e.contains("probability 1.5"), "{e}");
    }

    #[test]
    fn a_later_format_is_refused() {
        let p = ValidationPredictions { rows: &[0], y_true: &[1], y_prob: &[0.5], group: None, ranking: None };
        let files = binary_files(&p);
        let description =
            String::from_utf8(files.lock().expect("not poisoned")[DESCRIPTION_FILE].clone()).expect("utf-8");
        files.lock().expect("not poisoned").insert(
            DESCRIPTION_FILE.to_owned(),
            description.replace("\"format_version\": 1", "\"format_version\": 2").into_bytes(),
        );
        let e = read(&reader(&files), None, "`train`", "train").err().expect("refused").to_string();
        assert!(e.contains("format version 2"), "{e}");
    }

    #[test]
    fn the_ranking_is_handed_on_when_made_and_its_file_is_required_then() {
        let (y_true, y_prob) = ([1, 0, 1, 0], [0.875, 0.125, 0.5, 0.125]);
        let ranking = crate::metrics::rank_rows(&y_true, &y_prob);
        let p = ValidationPredictions {
            rows: &[4, 3, 2, 1],
            y_true: &y_true,
            y_prob: &y_prob,
            group: None,
            ranking: Some(&ranking),
        };
        let files = binary_files(&p);
        let back = read(&reader(&files), None, "`c`", "c").expect("binary");
        assert_eq!(back.ranking, Some(vec![1, 3, 2, 0]));
        // Without one, none is written or read.
        let unranked = binary_files(&ValidationPredictions { ranking: None, ..p });
        assert!(!unranked.lock().expect("not poisoned").contains_key(RANKING_FILE));
        assert_eq!(read(&reader(&unranked), None, "`c`", "c").expect("binary").ranking, None);
        // Announced but missing, or not a `uint32` array: errors naming the file.
        files.lock().expect("not poisoned").insert(RANKING_FILE.to_owned(), b"not npy".to_vec());
        let e = read(&reader(&files), None, "`train`", "train").err().expect("refused").to_string();
        assert!(e.contains("`predictions_ranking.npy` of `train`"), "{e}");
        files.lock().expect("not poisoned").remove(RANKING_FILE);
        let e = read(&reader(&files), None, "`train`", "train").err().expect("refused").to_string();
        assert!(e.contains("predictions_ranking.npy"), "{e}");
    }
}
