//! Copies out of a finished run folder into folders a user named, as `nethical train` does
//! for the original trainer's layout (`--models-dir`, `--drift-report-dir`,
//! `--phase3-storage-dir`, `--phase89-storage`). Every file is written atomically, so a reader
//! of those folders never sees half a model.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Copies the run's promoted and candidate models into `models_dir` as the original laid them
/// out: `<dir>/{current,candidates}/<cohort>_model_<stamp>.json`. Returns how many it copied.
pub fn export_models(run_dir: &Path, models_dir: &Path, stamp: &str) -> Result<usize, Error> {
    let mut n = 0;
    for sub in ["current", "candidates"] {
        for f in sorted_entries(&run_dir.join("models").join(sub)) {
            let Some(name) = f.file_name().and_then(|n| n.to_str()) else { continue };
            let Some(stem) = name.strip_suffix(".json") else { continue };
            copy_file(&f, &models_dir.join(sub).join(format!("{stem}_{stamp}.json")))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Copies the entries of `from` (a run's `drift_reports`, say) into `to`, in name order, and
/// returns each copy as (source, destination). A folder the run did not write copies nothing.
pub fn copy_files(from: &Path, to: &Path) -> Result<Vec<(PathBuf, PathBuf)>, Error> {
    let mut copied = Vec::new();
    for f in sorted_entries(from) {
        let Some(name) = f.file_name() else { continue };
        let dest = to.join(name);
        copy_file(&f, &dest)?;
        copied.push((f, dest));
    }
    Ok(copied)
}

/// Copies a folder's files and subfolders into another, file by file.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(from).map_err(Error::io("read", from))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &dest)?;
        } else {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(Error::io("create folder", parent))?;
            }
            copy_file(&path, &dest)?;
        }
    }
    Ok(())
}

/// The paths in a folder, sorted; none when it cannot be read (the stage did not run).
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn copy_file(from: &Path, to: &Path) -> Result<(), Error> {
    let bytes = std::fs::read(from).map_err(Error::io("read", from))?;
    crate::store::write_atomic(to, &bytes).map_err(Error::io("write", to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_get_the_originals_names_and_trees_are_copied_whole() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let run = tmp.path().join("run");
        std::fs::create_dir_all(run.join("models/current"))?;
        std::fs::create_dir_all(run.join("models/candidates"))?;
        std::fs::write(run.join("models/current/a_model.json"), "{}")?;
        std::fs::write(run.join("models/candidates/b_model.json"), "{}")?;
        std::fs::write(run.join("models/candidates/notes.txt"), "")?;
        let out = tmp.path().join("models");
        assert_eq!(export_models(&run, &out, "20260101T000000")?, 2);
        assert!(out.join("current/a_model_20260101T000000.json").is_file());
        assert!(out.join("candidates/b_model_20260101T000000.json").is_file());
        copy_tree(&run.join("models"), &tmp.path().join("copy"))?;
        assert!(tmp.path().join("copy/candidates/notes.txt").is_file());
        let copied = copy_files(&run.join("models/candidates"), &tmp.path().join("flat"))?;
        assert_eq!(copied.len(), 2);
        assert!(copy_files(&run.join("missing"), &tmp.path().join("none"))?.is_empty());
        Ok(())
    }
}
