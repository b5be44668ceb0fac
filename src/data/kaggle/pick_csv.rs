//! Choosing the one CSV a run reads from a dataset archive that may hold several.

use std::path::{Path, PathBuf};

use super::KaggleError;

/// Picks a CSV from `files` (paths relative to the extraction folder, as in
/// [`Downloaded::csv_files`](super::Downloaded::csv_files)).
///
/// `wanted` names the file by its path inside the archive (`data/train.csv`, `/` separators)
/// or, when that is unambiguous, by its file name alone (`train.csv`). Without `wanted`, the
/// archive must hold exactly one CSV: guessing among several would make the data a run uses
/// depend on archive order. The errors list the CSVs there are, so the user can name one.
pub fn pick_csv(files: &[PathBuf], wanted: Option<&str>) -> Result<PathBuf, KaggleError> {
    let available = || files.iter().map(|p| slash_path(p)).collect::<Vec<_>>();
    let Some(wanted) = wanted else {
        return match files {
            [] => Err(KaggleError::NoCsv),
            [only] => Ok(only.clone()),
            _ => Err(KaggleError::SeveralCsv { available: available() }),
        };
    };
    if let Some(exact) = files.iter().find(|p| slash_path(p) == wanted) {
        return Ok(exact.clone());
    }
    let by_name: Vec<&PathBuf> =
        files.iter().filter(|p| p.file_name().is_some_and(|n| n.to_str() == Some(wanted))).collect();
    match by_name.as_slice() {
        [only] => Ok((*only).clone()),
        [] if files.is_empty() => Err(KaggleError::NoCsv),
        [] => Err(KaggleError::CsvNotFound { wanted: wanted.to_owned(), available: available() }),
        several => Err(KaggleError::SeveralCsv { available: several.iter().map(|p| slash_path(p)).collect() }),
    }
}

/// A relative path with `/` separators on every platform, as archive entries name files.
pub(super) fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn the_only_csv_needs_no_name() {
        assert_eq!(pick_csv(&files(&["data/a.csv"]), None).expect("one"), PathBuf::from("data/a.csv"));
    }

    #[test]
    fn several_csvs_need_a_name_and_the_error_lists_them() {
        let err = pick_csv(&files(&["a.csv", "b/c.csv"]), None).expect_err("several");
        assert_eq!(err.to_string(), "the dataset archive holds several CSVs; name one of a.csv, b/c.csv");
    }

    #[test]
    fn a_name_matches_the_archive_path_or_an_unambiguous_file_name() {
        let all = files(&["a.csv", "train/x.csv", "test/x.csv", "train/y.csv"]);
        assert_eq!(pick_csv(&all, Some("train/x.csv")).expect("path"), PathBuf::from("train/x.csv"));
        assert_eq!(pick_csv(&all, Some("y.csv")).expect("name"), PathBuf::from("train/y.csv"));
        let err = pick_csv(&all, Some("x.csv")).expect_err("ambiguous");
        assert_eq!(err.to_string(), "the dataset archive holds several CSVs; name one of train/x.csv, test/x.csv");
        let err = pick_csv(&all, Some("z.csv")).expect_err("absent");
        assert_eq!(
            err.to_string(),
            "the dataset archive has no CSV `z.csv`; it has a.csv, train/x.csv, test/x.csv, train/y.csv"
        );
    }

    #[test]
    fn no_csv_at_all() {
        assert_eq!(pick_csv(&[], None).expect_err("none").to_string(), "the dataset archive holds no `.csv` file");
        assert!(matches!(pick_csv(&[], Some("a.csv")), Err(KaggleError::NoCsv)));
    }
}
