//! Files a stage reads from outside the pipeline, whose contents are part of the cache key:
//! edit the file and the stage reruns. Each kind names its own (a `csv` source's path, a
//! `phase3` stage's history, a `drift` baseline run's artifacts); this file digests them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Instance, Plan};
use crate::manifest::params::ExternalAt;
pub use crate::manifest::params::{baseline_run_dir, history_path};
use crate::store::{StatIndex, sha256_hex};

/// The external files an instance reads: the name recorded for it, and where it is read
/// (its kind's [`KindParams::external_inputs`](crate::manifest::params::KindParams::external_inputs)).
pub fn external_paths(instance: &Instance, plan: &Plan) -> Vec<(String, PathBuf)> {
    let at = ExternalAt { instance: instance.id(), base_dir: &plan.base_dir, state_dir: plan.state_dir.as_deref() };
    instance.decl.params.external_inputs(&at)
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
