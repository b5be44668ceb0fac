//! Files a stage reads from outside the pipeline (a `csv` source's path), whose contents are
//! part of the cache key: edit the file and the stage reruns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Instance;
use crate::manifest::StageParams;
use crate::manifest::params::DataSource;
use crate::store::sha256_hex;

/// The external files an instance reads, as written in the manifest, resolved against the
/// manifest's folder.
pub fn external_paths(instance: &Instance, base: &Path) -> Vec<(String, PathBuf)> {
    match &instance.decl.params {
        StageParams::Load(p) => match &p.source {
            DataSource::Csv(c) => vec![(c.path.clone(), base.join(&c.path))],
            // The archive's digest is pinned in the params (so in the key) or the instance is
            // volatile and always runs.
            DataSource::Synthetic(_) | DataSource::Kaggle(_) => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Path as written → SHA-256 of its contents (or `missing` when it cannot be read, which the
/// stage itself then reports).
pub fn external_digests(instance: &Instance, base: &Path) -> BTreeMap<String, String> {
    external_paths(instance, base)
        .into_iter()
        .map(|(written, path)| {
            let digest = std::fs::read(&path).map_or_else(|_| "missing".to_owned(), |b| sha256_hex(&b));
            (written, digest)
        })
        .collect()
}
