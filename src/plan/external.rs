//! Files a stage reads from outside the pipeline, whose contents are part of the cache key:
//! edit the file and the stage reruns. They are a `csv` source's path (resolved against the
//! manifest's folder), a `phase3` stage's history and a `drift` baseline run's artifacts (both
//! in the pipeline's folder of runs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Instance, Plan};
use crate::manifest::StageParams;
use crate::manifest::params::{DataSource, DriftParams};
use crate::store::{StatIndex, sha256_hex};

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
fn baseline_files(state_dir: &Path, drift: &DriftParams) -> Vec<(String, PathBuf)> {
    let Some(run) = &drift.baseline_run else { return Vec::new() };
    let Some(dir) = baseline_run_dir(state_dir, run) else {
        let dir = state_dir.join(run);
        return vec![(dir.display().to_string(), dir)];
    };
    let mut out = Vec::new();
    // `validation.csv` is what run folders of earlier versions hold instead of the `.npy`
    // files.
    let cohorts: &[&str] = &["predictions.csv", "model.json"];
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

/// The external files an instance reads: the name recorded for it, and where it is read.
pub fn external_paths(instance: &Instance, plan: &Plan) -> Vec<(String, PathBuf)> {
    let state = plan.state_dir.as_deref();
    match &instance.decl.params {
        StageParams::Load(p) => match &p.source {
            // `archive.zip!inner.csv` reads the archive.
            // Standard input is not known before the run: the instance is volatile instead.
            DataSource::Csv(c) if c.path == crate::data::data_file::STDIN => Vec::new(),
            DataSource::Csv(c) => {
                let file = crate::data::data_file::DataPath::parse(&c.path).file;
                vec![(c.path.clone(), plan.base_dir.join(file))]
            }
            // The archive's digest is pinned in the params (so in the key) or the instance is
            // volatile and always runs.
            DataSource::Synthetic(_) | DataSource::Kaggle(_) => Vec::new(),
        },
        StageParams::Drift(p) => state.map(|s| baseline_files(s, p)).unwrap_or_default(),
        StageParams::Optimize(p) => p.review_labels.iter().map(|r| (r.clone(), plan.base_dir.join(r))).collect(),
        StageParams::Phase3(p) => {
            let Some(state) = state else { return Vec::new() };
            let mut out = baseline_files(state, &p.drift);
            if p.history {
                let path = history_path(state, instance.id());
                out.push((path.display().to_string(), path));
            }
            out
        }
        StageParams::Train(_) | StageParams::Gate(_) | StageParams::Audit(_) | StageParams::Report(_) => Vec::new(),
    }
}

/// Name → SHA-256 of its contents (or `missing` when it cannot be read, which the stage itself
/// then reports or, for a history, starts afresh).
///
/// With the cache's stat `index`, a file is hashed only when its stat changed since it was last
/// hashed (a 400 MB CSV source then costs a `stat` per plan, not a read).
pub fn external_digests(instance: &Instance, plan: &Plan, index: Option<&StatIndex>) -> BTreeMap<String, String> {
    external_paths(instance, plan)
        .into_iter()
        .map(|(written, path)| {
            let digest = match index {
                Some(index) => index.digest(&path).ok(),
                None => std::fs::read(&path).ok().map(|b| sha256_hex(&b)),
            };
            (written, digest.unwrap_or_else(|| "missing".to_owned()))
        })
        .collect()
}
