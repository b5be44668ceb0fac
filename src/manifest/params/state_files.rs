//! Where the state a pipeline keeps across runs lives in its folder of runs
//! (`runs/<pipeline>`): a `phase3` instance's history and the baseline runs `drift` and
//! `phase3` compare with. The kinds name these files as their external inputs; the stages
//! read and the runner writes them at the same paths.

use std::path::{Path, PathBuf};

use super::DriftParams;

/// Where a `phase3` instance's history lives: `<runs>/<pipeline>/history/<instance>.json`,
/// written when a run completes and read by the next one.
pub fn history_path(state_dir: &Path, instance: &str) -> PathBuf {
    state_dir.join("history").join(format!("{instance}.json"))
}

/// The folder of a baseline run (`latest` follows the link to the last complete run), or
/// `None` when it does not exist.
pub fn baseline_run_dir(state_dir: &Path, run: &str) -> Option<PathBuf> {
    let dir = state_dir.join(run);
    let resolved = if run == "latest" { std::fs::canonicalize(&dir).ok()? } else { dir };
    resolved.is_dir().then_some(resolved)
}

/// A baseline run's files a drift comparison reads: each cohort's predictions and model, and
/// each data instance's validation rows and schema. The run folder itself stands for them when
/// it is missing, so the key still changes when it appears.
pub(super) fn baseline_files(state_dir: &Path, drift: &DriftParams) -> Vec<(String, PathBuf)> {
    let Some(run) = &drift.baseline_run else { return Vec::new() };
    let Some(dir) = baseline_run_dir(state_dir, run) else {
        let dir = state_dir.join(run);
        return vec![(dir.display().to_string(), dir)];
    };
    let mut out = Vec::new();
    // `validation.csv` is what run folders of earlier versions hold instead of the `.npy`
    // files, and `predictions.csv` is what a cohort is read from when its binary files are not
    // there.
    let cohorts: &[&str] = &[
        "predictions.csv",
        "predictions.json",
        "predictions.npy",
        "predictions_rows.npy",
        "predictions_text.npy",
        "model.json",
    ];
    let data: &[&str] = &[
        "validation.csv",
        "validation.npy",
        "validation_rows.npy",
        "validation_text.npy",
        "categories.json",
        "dataset.json",
    ];
    for (folder, names) in [("cohorts", cohorts), ("data", data)] {
        let Ok(entries) = std::fs::read_dir(dir.join(folder)) else { continue };
        let mut subdirs: Vec<PathBuf> =
            entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
        subdirs.sort();
        for sub in subdirs {
            for name in names {
                let path = sub.join(name);
                if path.is_file() {
                    // Named by the run's own id, so `latest` moving to another run changes the key.
                    out.push((path.display().to_string(), path));
                }
            }
        }
    }
    out
}
